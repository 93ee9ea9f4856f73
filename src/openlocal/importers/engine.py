"""What every import shares: its source, its bad rows, its counts, all or nothing.

An import reads a file in batches. Each row is checked (a row with anything wrong is
*bad*, with one :class:`RowError` per problem naming its line and column); the good rows of
a batch are compared with what the source gave last time, by the source's own id, and
written as new, changed or left alone. Everything happens in one transaction: when any row
is bad and ``skip_invalid`` was not asked for, the transaction is rolled back at the end,
so a file is imported whole or not at all, and every problem in it is reported at once.

A *dry run* (the staff page's preview, ``--dry-run``) does the same reading, checking and
comparing but writes nothing and holds no lock.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from openlocal.importers.bulk import Writer, chunks
from openlocal.importers.files import ImportFileError
from openlocal.importers.models import ImportedRecord, ImportKind, ImportRun
from openlocal.opendata.models import DataSource

#: Rows read, checked and written together.
BATCH_ROWS = 2000
#: Rows shown "as they would be imported" in a preview.
PREVIEW_ROWS = 20
#: Imports that create or change at least this many rows refresh the planner's statistics.
ANALYSE_AFTER_ROWS = 10_000
#: The longest id a source may give (``Asset.external_id``, ``Request.external_id``).
MAX_ID_LENGTH = 100

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
ACTION_LABELS = {CREATE: "New", UPDATE: "Changed", UNCHANGED: "Unchanged"}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: where it is, which column, what is wrong with it."""

    #: The line of a CSV file the row starts on (the header is line 1), or the number of a
    #: GeoJSON feature counting from 1.
    line: int
    column: str
    reason: str
    value: str = ""
    external_id: str = ""

    def describe(self, unit: str = "line") -> str:
        where = f"{unit.capitalize()} {self.line}"
        if self.external_id:
            where += f" (id {self.external_id})"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.reason}."


@dataclass(kw_only=True)
class SourceDetails:
    """Where the imported data comes from, as the open data catalogue will show it.

    ``name`` and ``slug`` may be left empty: the slug then comes from the name, and the
    name from an existing source with that slug or else from ``default_name`` (the file's
    name without extensions), so importing the same file again finds the same source.
    """

    name: str = ""
    slug: str = ""
    default_name: str = "import"
    publisher: str = ""
    licence_name: str = ""
    licence_url: str = ""
    attribution: str = ""
    source_url: str = ""

    @property
    def resolved_slug(self) -> str:
        return slugify(self.slug or self.name or self.default_name)[:100] or "import"

    def check(self) -> None:
        validate = URLValidator(schemes=["http", "https"])
        for label, value in (("licence URL", self.licence_url), ("source URL", self.source_url)):
            if value:
                try:
                    validate(value)
                except ValidationError:
                    raise ImportFileError(
                        f"The {label} “{value}” is not a web address: give a full address "
                        "starting with https://."
                    ) from None

    def to_json(self) -> dict[str, str]:
        return {
            key: value
            for key, value in {
                "name": self.name,
                "slug": self.resolved_slug,
                "publisher": self.publisher,
                "licence_name": self.licence_name,
                "licence_url": self.licence_url,
                "attribution": self.attribution,
                "source_url": self.source_url,
            }.items()
            if value
        }


@dataclass
class PreviewRow:
    """A row as it would be imported: what happens to it, and its values as shown."""

    line: int
    external_id: str
    action: str
    values: list[tuple[str, str]]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    file_name: str
    unit: str = "line"
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Ids the source gave last time that this file no longer has: kept, not deleted.
    vanished_ids: list[str] = field(default_factory=list)
    #: False when only part of the file was read (``limit``): vanished rows are unknown.
    checked_vanished: bool = True
    errors: list[RowError] = field(default_factory=list)
    invalid: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    #: True when the good rows were written (no bad rows, or ``skip_invalid``).
    written: bool = False
    source: DataSource | None = None
    run: ImportRun | None = None
    preview: list[PreviewRow] = field(default_factory=list)
    #: Other things a person should know, e.g. an asset type that was created.
    notes: list[str] = field(default_factory=list)

    @property
    def vanished(self) -> int:
        return len(self.vanished_ids)

    @property
    def good(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        """One line: the counts a person checks after every import."""
        return (
            f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.vanished:,} vanished, {self.invalid:,} invalid, {self.seconds:.1f} s"
        )


class _RollBack(Exception):
    """Leave the import's transaction without keeping anything."""


_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (numbers, even negative, stay as
    they are)."""
    if value.startswith(_FORMULA_START) or (value.startswith("-") and not _is_number(value)):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def error_report_csv(errors: Sequence[RowError], unit: str = "line") -> str:
    """The report of bad rows: one line per problem, in the order of the file.

    Columns: ``line`` (``feature`` for GeoJSON), ``id``, ``column``, ``value``, ``reason``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([unit, "id", "column", "value", "reason"])
    for error in sorted(errors, key=lambda e: e.line):
        writer.writerow(
            [
                error.line,
                _safe_cell(error.external_id),
                error.column,
                _safe_cell(error.value),
                error.reason,
            ]
        )
    return out.getvalue()


def digest_of(values: tuple[Any, ...]) -> int:
    """A signed 64-bit hash of what a row writes: equal digests mean an unchanged row."""
    raw = hashlib.blake2b(repr(values).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


ProgressCallback = Callable[[int, int, int], None]


class Columns(Protocol):
    """Which columns of a file hold what, as an import's options record them."""

    def to_json(self) -> dict[str, Any]: ...


ColumnsT = TypeVar("ColumnsT", bound=Columns)


class BaseImport(Generic[ColumnsT]):
    """One import of one file. Subclasses read rows (:meth:`batches`) and write them
    (:meth:`apply`); this class keeps the file and its columns, the source, the counts, the
    bad rows and the transaction."""

    kind: ClassVar[str]
    #: What a row is called in messages: a CSV line, or a GeoJSON feature.
    unit: str = "line"
    #: The field of :class:`ImportedRecord` that points at what a row became.
    record_field: ClassVar[str]
    #: The tables an import of this kind writes many rows to.
    written_models: ClassVar[tuple[type[Model], ...]] = ()

    def __init__(
        self,
        *,
        data: Path | bytes,
        columns: ColumnsT,
        file_name: str,
        source: SourceDetails,
        max_bytes: int | None = None,
        skip_invalid: bool = False,
        dry_run: bool = False,
        limit: int | None = None,
        allowed_body_ids: set[int] | None = None,
        actor: Any = None,
        on_progress: ProgressCallback | None = None,
        preview_rows: int = PREVIEW_ROWS,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.data = data
        self.columns = columns
        #: The most a compressed file may unpack to (uploads), or None.
        self.max_bytes = max_bytes
        self.file_name = file_name
        self.details = source
        self.skip_invalid = skip_invalid
        self.dry_run = dry_run
        self.limit = limit
        #: None: any body. Otherwise rows may create or change only what belongs to these.
        self.allowed_body_ids = allowed_body_ids
        self.actor = actor
        self.on_progress = on_progress
        self.preview_rows = preview_rows
        self.options = options if options is not None else columns.to_json()
        self.errors: list[RowError] = []
        self._bad_lines: set[int] = set()
        #: Every id read so far, with the line it was first on.
        self._seen: dict[str, int] = {}
        self.rows = 0
        self.created = self.updated = self.unchanged = 0
        self.preview: list[PreviewRow] = []
        self.notes: list[str] = []
        self.source: DataSource | None = None
        self._source_had_records = False
        self.writer = Writer()

    # Rows ---------------------------------------------------------------------------------

    @property
    def writing(self) -> bool:
        """Whether good rows are written now: not in a dry run, and not once a bad row has
        made the whole import fail (the rest is still checked, to report every problem)."""
        return not self.dry_run and (self.skip_invalid or not self.errors)

    def reject(
        self, line: int, column: str, reason: str, value: str = "", external_id: str = ""
    ) -> None:
        self.errors.append(RowError(line, column, reason, value[:200], external_id))
        self._bad_lines.add(line)

    def is_bad(self, line: int) -> bool:
        return line in self._bad_lines

    def claim_id(self, line: int, column: str, external_id: str) -> bool:
        """Register a row's id; False (and the row is bad) when it is empty, too long, or
        already used by an earlier row of the file."""
        if not external_id:
            self.reject(
                line,
                column,
                "no id: every row needs one, so that importing the file again updates the "
                "row instead of adding a copy",
            )
            return False
        if len(external_id) > MAX_ID_LENGTH:
            self.reject(
                line,
                column,
                f"the id is {len(external_id)} characters long; at most {MAX_ID_LENGTH} fit",
                external_id,
            )
            return False
        first = self._seen.get(external_id)
        if first is not None:
            self.reject(
                line,
                column,
                f"the id {external_id} is also on {self.unit} {first}: each row needs its own id",
                external_id,
                external_id,
            )
            return False
        self._seen[external_id] = line
        return True

    def misshapen(self, line: int, fields: list[str], width: int) -> bool:
        """Whether a CSV row has fewer fields than the header (or more, not all empty);
        such a row is rejected, as it usually means a broken quote or separator."""
        if len(fields) == width or (
            len(fields) > width and not any(f.strip() for f in fields[width:])
        ):
            return False
        self.reject(
            line,
            "",
            f"the row has {len(fields)} fields where the header has {width}: check for a "
            "missing separator or an unclosed quote",
        )
        return True

    def counted(self) -> bool:
        """Count one more row read; False once the ``limit`` has been reached."""
        if self.limit is not None and self.rows >= self.limit:
            return False
        self.rows += 1
        return True

    def show(self, line: int, external_id: str, action: str, values: list[tuple[str, str]]) -> None:
        if len(self.preview) < self.preview_rows:
            self.preview.append(PreviewRow(line, external_id, action, values))

    # Records of what the source gave ------------------------------------------------------

    def records(self, external_ids: Sequence[str]) -> dict[str, tuple[int, int, int]]:
        """``{external id: (record pk, object pk, digest)}`` for ids the source gave before.

        One indexed query per few hundred ids, in SQL of its own: building the same query
        through the ORM costs more than running it. A source that had given nothing before
        this import has nothing to find (ids repeated within the file are refused as they
        are read).
        """
        if not self._source_had_records or self.source is None or not external_ids:
            return {}
        found: dict[str, tuple[int, int, int]] = {}
        table = ImportedRecord._meta.db_table
        target = f"{self.record_field}_id"
        with connection.cursor() as cursor:
            for chunk in chunks(list(external_ids)):
                places = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT external_id, id, {target}, digest FROM {table} "  # noqa: S608
                    f"WHERE source_id = %s AND external_id IN ({places})",
                    [self.source.pk, *chunk],
                )
                for external_id, pk, object_id, digest in cursor.fetchall():
                    if object_id is not None:
                        found[external_id] = (pk, object_id, digest)
        return found

    def add_records(self, rows: Sequence[tuple[str, int, int]]) -> None:
        """Remember new rows: ``(external id, digest, object pk)``."""
        assert self.source is not None
        source_id = self.source.pk
        self.writer.insert(
            ImportedRecord,
            ["source_id", "external_id", "digest", f"{self.record_field}_id"],
            [(source_id, ext, digest, object_id) for ext, digest, object_id in rows],
        )

    def set_digests(self, rows: Sequence[tuple[int, int]]) -> None:
        """New digests for changed rows: ``(digest, record pk)``."""
        self.writer.update(ImportedRecord, ["digest"], rows)

    # The import ---------------------------------------------------------------------------

    def open(self) -> contextlib.AbstractContextManager[Any]:
        """Open the file and check its columns; raise :class:`ImportFileError` if it cannot
        be imported at all."""
        raise NotImplementedError

    def batches(self) -> Iterator[list[Any]]:
        """The good rows, a batch at a time (bad ones are rejected as they are read)."""
        raise NotImplementedError

    def apply(self, batch: list[Any]) -> None:
        """Compare a batch with what the source gave before; write it when writing."""
        raise NotImplementedError

    def finish(self) -> None:
        """Anything left to write once every batch is in (called only when writing)."""

    def position(self) -> tuple[int, int]:
        """How far through the file reading is, and its size, in bytes."""
        return 0, 0

    def _analyse(self) -> None:
        """After writing many rows, refresh PostgreSQL's statistics of the tables written,
        so that the next import's look-ups by id use their indexes at once rather than
        after autovacuum's next pass. (SQLite's planner uses the indexes without them.)"""
        if connection.vendor != "postgresql" or self.created + self.updated < ANALYSE_AFTER_ROWS:
            return
        tables = [ImportedRecord._meta.db_table, *(m._meta.db_table for m in self.written_models)]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    def _find_source(self) -> DataSource | None:
        slug = self.details.resolved_slug
        source = DataSource.objects.filter(slug=slug).first()
        if source is not None and source.dataset != self.kind:
            raise ImportFileError(
                f"The source “{source.name}” ({slug}) holds "
                f"{source.get_dataset_display().lower()}, not {self.kind}. Give this import "
                "its own source with --source-name."
            )
        return source

    def _save_source(self, source: DataSource | None) -> DataSource:
        details = self.details
        if source is None:
            source = DataSource(slug=details.resolved_slug, dataset=self.kind)
        source.name = (details.name or source.name or details.default_name)[:200]
        for attr, value in (
            ("publisher", details.publisher),
            ("licence_name", details.licence_name),
            ("licence_url", details.licence_url),
            ("attribution", details.attribution),
            ("source_url", details.source_url),
        ):
            if value:
                setattr(source, attr, value)
        source.save()
        return source

    def _vanished(self) -> list[str]:
        if self.source is None or self.source.pk is None:
            return []
        ids = (
            ImportedRecord.objects.filter(source_id=self.source.pk)
            .order_by("external_id")
            .values_list("external_id", flat=True)
        )
        seen = self._seen
        return [ext for ext in ids.iterator(chunk_size=5000) if ext not in seen]

    def _progress(self) -> None:
        if self.on_progress is not None:
            done, total = self.position()
            self.on_progress(done, total, self.rows)

    def run(self) -> ImportResult:
        self.details.check()
        started = timezone.now()
        clock = time.perf_counter()
        result = ImportResult(
            kind=self.kind, file_name=self.file_name, unit=self.unit, dry_run=self.dry_run
        )
        result.checked_vanished = self.limit is None
        with self.open():
            atomic = contextlib.nullcontext() if self.dry_run else transaction.atomic()
            try:
                with atomic:
                    found = self._find_source()
                    self._source_had_records = (
                        found is not None
                        and ImportedRecord.objects.filter(source_id=found.pk).exists()
                    )
                    self.source = found if self.dry_run else self._save_source(found)
                    for batch in self.batches():
                        if batch:
                            self.apply(batch)
                        self._progress()
                    if result.checked_vanished:
                        result.vanished_ids = self._vanished()
                    if self.dry_run or (self.errors and not self.skip_invalid):
                        raise _RollBack
                    self.finish()
                    self._analyse()
                    result.seconds = time.perf_counter() - clock
                    self._count_into(result)
                    result.run = self._record_run(result, started)
                    result.written = True
            except _RollBack:
                pass
        result.seconds = time.perf_counter() - clock
        if result.run is not None:
            # The commit is part of the import (on PostgreSQL it checks every foreign key).
            result.run.seconds = result.seconds
            ImportRun.objects.filter(pk=result.run.pk).update(seconds=result.seconds)
        self._count_into(result)
        result.source = self.source if result.written or self.dry_run else None
        result.notes = self.notes
        return result

    def _count_into(self, result: ImportResult) -> None:
        result.unit = self.unit
        result.rows = self.rows
        result.created, result.updated, result.unchanged = (
            self.created,
            self.updated,
            self.unchanged,
        )
        result.errors = sorted(self.errors, key=lambda e: e.line)
        result.invalid = len(self._bad_lines)
        result.preview = self.preview

    def _record_run(self, result: ImportResult, started: Any) -> ImportRun:
        assert self.source is not None
        now = timezone.now()
        self.source.imported_at = now
        self.source.rows = ImportedRecord.objects.filter(source_id=self.source.pk).count()
        self.source.save(update_fields=["imported_at", "rows", "updated_at"])
        return ImportRun.objects.create(
            source=self.source,
            kind=ImportKind(self.kind),
            file_name=self.file_name[:255],
            actor=self.actor if getattr(self.actor, "pk", None) else None,
            started_at=started,
            finished_at=now,
            seconds=result.seconds,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            vanished=len(result.vanished_ids),
            invalid=result.invalid,
            options={**self.options, "source": self.details.to_json()},
            vanished_ids=result.vanished_ids,
            report=error_report_csv(result.errors, self.unit) if result.errors else "",
        )
