"""Daily snapshots: every dataset in every format, with SHA-256 checksums, in dated folders.

``DATA_SNAPSHOT_DIR/2026-03-01/`` holds ``requests.csv``, ``requests.geojson``,
``requests.ndjson`` and so on for every dataset, ``LICENCE.txt`` (the licence and the
attribution statements), ``README.txt``, ``manifest.json`` (each file's size, row count and
checksum, read by the catalogue) and ``SHA256SUMS`` (the checksums in the format
``sha256sum --check`` reads).

A snapshot is built in a hidden temporary folder beside the others and renamed into place
when every file is written and flushed to disk, so a dated folder is always complete: a
reader never sees half a file, and a build that fails leaves the previous snapshots as
they were. The newest :data:`KEEP` are kept.

The web server serves these folders (``/data/snapshots/<date>/<file>`` and
``/data/snapshots/latest/<file>``), so ``DATA_SNAPSHOT_DIR`` must be on storage the web
processes and the worker share.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone

from openlocal.opendata import licence
from openlocal.opendata.columns import datetime_text
from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.exporters import FORMATS, Export
from openlocal.opendata.metadata import dictionary_url, download_metadata

#: How many daily snapshots are kept.
KEEP = 7
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
LICENCE = "LICENCE.txt"
#: A dated snapshot folder's name.
DATE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Unfinished folders (``.building-...``, ``.replaced-...``) older than this were left by a
#: build that crashed, and are removed.
STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SnapshotFile:
    name: str
    #: The dataset and format, or empty for the companion files (licence, readme, manifest).
    dataset: str
    format: str
    bytes: int
    sha256: str
    rows: int | None = None


@dataclass(frozen=True)
class Snapshot:
    day: date
    generated_at: datetime
    folder: Path
    files: tuple[SnapshotFile, ...]

    @property
    def name(self) -> str:
        return self.day.isoformat()

    def file(self, name: str) -> SnapshotFile | None:
        return next((f for f in self.files if f.name == name), None)

    def data_file(self, dataset: str, format_name: str) -> SnapshotFile | None:
        return next(
            (f for f in self.files if f.dataset == dataset and f.format == format_name), None
        )


class SnapshotError(Exception):
    """The snapshot folder cannot be written; the message says where and what to do."""


class _HashingWriter:
    """A file written once, hashed and counted as it is written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: BinaryIO = path.open("wb")
        self.hash = hashlib.sha256()
        self.bytes = 0

    def write(self, text: str) -> None:
        if not text:
            return
        data = text.encode("utf-8")
        self.handle.write(data)
        self.hash.update(data)
        self.bytes += len(data)

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.path.chmod(0o644)


def snapshot_root() -> Path:
    return Path(settings.DATA_SNAPSHOT_DIR)


def _write_text(folder: Path, name: str, text: str) -> SnapshotFile:
    writer = _HashingWriter(folder / name)
    writer.write(text)
    writer.close()
    return SnapshotFile(name, "", "", writer.bytes, writer.hash.hexdigest())


def _readme(day: date, files: list[SnapshotFile]) -> str:
    site = licence.site_licence()
    lines = [
        f"Open data from {settings.SITE_NAME}: the snapshot of {day.isoformat()}",
        "",
        f"Published by {site.publisher} under the {site.name}:",
        f"  {site.url}",
        "See LICENCE.txt for the attribution statements to repeat when you use the data.",
        "",
        "Files (what every column means: " + settings.BASE_URL + "/data/dictionary):",
        "",
    ]
    for file in files:
        rows = f", {file.rows:,} rows" if file.rows is not None else ""
        lines.append(f"  {file.name:<24} {file.bytes:>14,} bytes{rows}")
    lines += [
        f"  {MANIFEST:<24} the same list as JSON, with each file's SHA-256",
        "",
        "Checking the files:",
        "",
        "  SHA256SUMS lists the SHA-256 checksum of every other file here. In this folder:",
        "    sha256sum --check SHA256SUMS            (Linux)",
        "    shasum -a 256 --check SHA256SUMS        (macOS)",
        "    Get-FileHash requests.csv -Algorithm SHA256   (Windows PowerShell, one file)",
        "  The catalogue (" + settings.BASE_URL + "/data/catalog.jsonld) gives the same",
        "  checksums and sizes.",
        "",
    ]
    return "\n".join(lines)


def snapshot_build(
    *, day: date | None = None, keep: int = KEEP, root: Path | None = None
) -> Snapshot:
    """Write today's (or ``day``'s) snapshot of every dataset, then prune old ones.

    Building the same day again replaces that day's folder in one rename.
    """
    root = root or snapshot_root()
    day = day or timezone.localdate()
    try:
        root.mkdir(parents=True, exist_ok=True)
        building = root / f".building-{day.isoformat()}-{secrets.token_hex(4)}"
        building.mkdir(mode=0o755)
    except OSError as error:
        raise SnapshotError(
            f"Cannot write snapshots to {root}: {error.strerror}. Set OPENLOCAL_DATA_SNAPSHOT_DIR "
            "(or OPENLOCAL_DATA_DIR) to a folder this process can write and the web server "
            "can read."
        ) from error
    generated_at = timezone.now()
    try:
        files: list[SnapshotFile] = []
        for spec in DATASETS.values():
            metadata = download_metadata(spec, generated_at=generated_at)
            metadata["snapshot"] = day.isoformat()
            export = Export(spec, spec.formats, metadata=metadata)
            writers = [
                _HashingWriter(building / f"{spec.slug}.{FORMATS[f].extension}")
                for f in spec.formats
            ]
            try:
                for texts in export.chunks():
                    for writer, text in zip(writers, texts, strict=True):
                        writer.write(text)
            finally:
                for writer in writers:
                    writer.close()
            files += [
                SnapshotFile(w.path.name, spec.slug, f, w.bytes, w.hash.hexdigest(), export.rows)
                for w, f in zip(writers, spec.formats, strict=True)
            ]
        files.append(_write_text(building, LICENCE, licence.licence_text()))
        files.append(_write_text(building, README, _readme(day, files)))
        manifest = {
            "date": day.isoformat(),
            "generated_at": datetime_text(generated_at),
            "licence": {"name": settings.DATA_LICENCE_NAME, "url": settings.DATA_LICENCE_URL},
            "publisher": settings.DATA_PUBLISHER,
            "dictionary": {spec.slug: dictionary_url(spec) for spec in DATASETS.values()},
            "files": [asdict(f) for f in files],
        }
        files.append(_write_text(building, MANIFEST, json.dumps(manifest, indent=2) + "\n"))
        _write_text(building, SUMS, "".join(f"{f.sha256}  {f.name}\n" for f in files))
        _publish(root, building, root / day.isoformat())
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    snapshot_prune(keep=keep, root=root)
    found = snapshot_for(day.isoformat(), root=root)
    assert found is not None
    return found


def _publish(root: Path, building: Path, target: Path) -> None:
    """Rename the finished folder into place, replacing an earlier build of the same day."""
    replaced = None
    if target.exists():
        replaced = root / f".replaced-{target.name}-{secrets.token_hex(4)}"
        target.rename(replaced)
    building.rename(target)
    _sync_folder(root)
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def snapshot_prune(*, keep: int = KEEP, root: Path | None = None) -> list[str]:
    """Remove all but the newest ``keep`` snapshots, and crashed builds; say which went."""
    root = root or snapshot_root()
    if not root.is_dir():
        return []
    removed = []
    for name in snapshot_names(root=root)[max(keep, 1) :]:
        shutil.rmtree(root / name, ignore_errors=True)
        removed.append(name)
    cutoff = time.time() - STALE_SECONDS
    for leftover in root.glob(".*-*"):
        if leftover.is_dir() and leftover.stat().st_mtime < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


def snapshot_names(*, root: Path | None = None) -> list[str]:
    """The complete snapshots, newest first."""
    root = root or snapshot_root()
    if not root.is_dir():
        return []
    return sorted(
        (p.name for p in root.iterdir() if DATE_NAME.match(p.name) and (p / MANIFEST).is_file()),
        reverse=True,
    )


def _load(folder: Path) -> Snapshot | None:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(SnapshotFile(**f) for f in manifest["files"])
        sums = folder / SUMS
        extra = (SnapshotFile(SUMS, "", "", sums.stat().st_size, ""),) if sums.is_file() else ()
        return Snapshot(
            day=date.fromisoformat(manifest["date"]),
            generated_at=datetime.fromisoformat(manifest["generated_at"]),
            folder=folder,
            files=files + extra,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def snapshot_for(name: str, *, root: Path | None = None) -> Snapshot | None:
    """The snapshot of a date (``2026-03-01``), or the newest for ``latest``."""
    root = root or snapshot_root()
    if name == "latest":
        names = snapshot_names(root=root)
        return _load(root / names[0]) if names else None
    if not DATE_NAME.match(name):
        return None
    return _load(root / name)


def snapshot_list(*, root: Path | None = None) -> list[Snapshot]:
    root = root or snapshot_root()
    loaded = (_load(root / name) for name in snapshot_names(root=root))
    return [s for s in loaded if s is not None]


def snapshot_exists(day: date, *, root: Path | None = None) -> bool:
    return ((root or snapshot_root()) / day.isoformat() / MANIFEST).is_file()
