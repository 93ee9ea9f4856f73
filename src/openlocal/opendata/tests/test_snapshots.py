"""Daily snapshots: complete folders with checksums, made by the worker, served at stable URLs."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from openlocal.opendata import exporters, tasks
from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.snapshots import (
    KEEP,
    snapshot_build,
    snapshot_for,
    snapshot_names,
    snapshot_prune,
)

pytestmark = pytest.mark.django_db


def sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_a_snapshot_has_every_dataset_in_every_format_with_checksums(
    published, snapshot_dir
) -> None:
    snapshot = snapshot_build()
    today = timezone.localdate().isoformat()
    assert snapshot.folder == snapshot_dir / today
    expected = {f"{spec.slug}.{f}" for spec in DATASETS.values() for f in spec.formats}
    names = {p.name for p in snapshot.folder.iterdir()}
    assert names == expected | {"LICENCE.txt", "README.txt", "manifest.json", "SHA256SUMS"}
    checksums = sums(snapshot.folder)
    assert set(checksums) == names - {"SHA256SUMS"}
    for name, digest in checksums.items():
        assert hashlib.sha256((snapshot.folder / name).read_bytes()).hexdigest() == digest, name
    manifest = json.loads((snapshot.folder / "manifest.json").read_text())
    assert manifest["date"] == today
    requests = next(f for f in manifest["files"] if f["name"] == "requests.csv")
    assert requests["rows"] == 5
    assert requests["bytes"] == (snapshot.folder / "requests.csv").stat().st_size
    # Readable by the web server, whoever runs it.
    assert (snapshot.folder.stat().st_mode & 0o755) == 0o755
    assert ((snapshot.folder / "requests.csv").stat().st_mode & 0o644) == 0o644
    if shutil.which("sha256sum"):
        checked = subprocess.run(
            ["sha256sum", "--check", "--quiet", "SHA256SUMS"],
            cwd=snapshot.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_failed_build_leaves_the_last_snapshot_as_it_was(
    published, snapshot_dir, monkeypatch
) -> None:
    first = snapshot_build()
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}

    def broken(self, columns, geometries):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exporters.NdjsonEncoder, "rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        snapshot_build()
    assert [p.name for p in snapshot_dir.iterdir()] == [first.name]
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before


def test_building_again_the_same_day_replaces_the_folder(published, snapshot_dir) -> None:
    snapshot_build()
    published.fixed.title = "Bins left out again"
    published.fixed.save(update_fields=["title"])
    again = snapshot_build()
    assert snapshot_names() == [again.name]
    assert "Bins left out again" in (again.folder / "requests.csv").read_text()
    assert not [p for p in snapshot_dir.iterdir() if p.name.startswith(".")]


def test_old_snapshots_are_pruned(place, snapshot_dir) -> None:
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(KEEP + 3)]
    for day in reversed(days):
        snapshot_build(day=day)
    assert snapshot_names() == [d.isoformat() for d in days[:KEEP]]
    # A build that crashed long ago left a folder behind; it goes too.
    stale = snapshot_dir / ".building-2020-01-01-abcd"
    stale.mkdir()
    os.utime(stale, (time.time() - 3 * 86400,) * 2)
    fresh = snapshot_dir / ".building-2099-01-01-abcd"
    fresh.mkdir()
    assert snapshot_prune(keep=2) == [d.isoformat() for d in days[2:KEEP]] + [stale.name]
    assert fresh.exists(), "a build still running is left alone"


def test_snapshot_files_are_served_at_dated_and_latest_addresses(
    client, published, snapshot_dir
) -> None:
    older = snapshot_build(day=date(2026, 1, 1))
    latest = snapshot_build()
    dated = client.get(f"/data/snapshots/{older.name}/requests.csv")
    assert dated.status_code == 200
    assert dated["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert dated["Content-Disposition"] == 'attachment; filename="requests-2026-01-01.csv"'
    content = dated.getvalue()
    assert content == (older.folder / "requests.csv").read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert dated["ETag"] == f'"{digest}"'
    assert dated["Repr-Digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert 'rel="license"' in dated["Link"]
    assert "immutable" in dated["Cache-Control"]
    newest = client.get("/data/snapshots/latest/requests.geojson")
    assert newest.status_code == 200
    assert newest["Content-Type"] == "application/geo+json"
    assert newest.getvalue() == (latest.folder / "requests.geojson").read_bytes()
    checksums = client.get("/data/snapshots/latest/SHA256SUMS")
    assert checksums["Content-Type"] == "text/plain; charset=utf-8"
    assert checksums.getvalue() == (latest.folder / "SHA256SUMS").read_bytes()
    head = client.head(f"/data/snapshots/{older.name}/requests.csv")
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(content))
    for path in (
        "/data/snapshots/2020-01-01/requests.csv",
        "/data/snapshots/latest/passwords.csv",
        "/data/snapshots/latest/..",
        "/data/snapshots/..%2F..%2Fetc/passwd",
        "/data/snapshots/latest/.building-x",
    ):
        assert client.get(path).status_code == 404, path


def test_no_snapshot_yet_is_a_clear_404(client, snapshot_dir) -> None:
    response = client.get("/data/snapshots/latest/requests.csv")
    assert response.status_code == 404
    assert snapshot_for("latest") is None


def test_the_command_makes_one_now(published, snapshot_dir) -> None:
    out = io.StringIO()
    call_command("data-snapshot", stdout=out)
    text = out.getvalue()
    assert f"Wrote the snapshot of {timezone.localdate().isoformat()}" in text
    assert "requests.csv" in text and "5 rows" in text
    with pytest.raises(CommandError, match="--keep must be at least 1"):
        call_command("data-snapshot", keep=0)


def test_the_command_says_where_it_cannot_write(place, settings, tmp_path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    settings.DATA_SNAPSHOT_DIR = blocked / "snapshots"
    with pytest.raises(CommandError, match=r"Cannot write snapshots to .*DATA_SNAPSHOT_DIR"):
        call_command("data-snapshot")


def test_the_daily_schedule_queues_one_build_a_day(place, snapshot_dir) -> None:
    """The test settings run a queued task at once, so queuing it here builds it."""
    key = f"opendata:snapshot:{timezone.localdate().isoformat()}"
    cache.delete(key)
    assert tasks.DailySnapshot(enabled=False)() is False
    assert snapshot_names() == []
    # Another worker has queued today's build: this one leaves it to that one.
    cache.add(key, "queued")
    assert tasks.DailySnapshot(enabled=True)() is False
    assert snapshot_names() == []
    cache.delete(key)
    worker = tasks.DailySnapshot(enabled=True)
    assert worker() is True
    assert snapshot_names() == [timezone.localdate().isoformat()]
    assert worker.queued == [timezone.localdate().isoformat()]
    # It looks again only after its interval, and then finds today's made.
    assert worker() is False
    cache.delete(key)
    assert tasks.DailySnapshot(enabled=True)() is False


@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_daily_snapshot(published, snapshot_dir) -> None:
    cache.clear()
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        out = io.StringIO()
        call_command("worker", batch=True, stdout=out)
    assert snapshot_names() == [timezone.localdate().isoformat()]
    assert "Done: 1 tasks" in out.getvalue()
    # The next worker finds it made.
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        out = io.StringIO()
        call_command("worker", batch=True, stdout=out)
    assert "Done: 0 tasks" in out.getvalue()
