"""Importing the history of requests from another system (a council's old case tracker,
another city's 311).

An imported request looks like one reported here: routed to the body a new report at the
same place and category would go to (or to the body given), with its areas, its place on
the map's cell counts, a "Reported" entry on its timeline at the time it was opened and,
when the source gives a closing date, a status entry at that time. It is history, so
nobody hears of it: no emails, no webhooks, no events. It carries no reporter: other
systems' reporters never agreed to be on this site.

Rows are written in bulk rather than through
:func:`openlocal.requests.services.request_create`, a hundred thousand at a time in about
the time that function takes for a few thousand; the rows written have the same shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import h3.api.basic_int as h3i
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from openlocal.importers.coordinates import PointColumns, grid_to_latitude_longitude, point_columns
from openlocal.importers.engine import (
    BATCH_ROWS,
    CREATE,
    UNCHANGED,
    UPDATE,
    BaseImport,
    digest_of,
)
from openlocal.importers.files import CsvFile, ImportFileError
from openlocal.importers.locator import Locator
from openlocal.importers.mapping import ANY, Mapping, date_parser, time_zone, translate
from openlocal.importers.models import ImportKind
from openlocal.places.models import Body
from openlocal.requests.models import (
    CLOSED_STATUSES,
    Category,
    CellCount,
    Request,
    Source,
    Status,
    Update,
    UpdateKind,
)
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_parent

_REQUEST_FIELDS = [
    "title",
    "description",
    "category_id",
    "body_id",
    "latitude",
    "longitude",
    "cell",
    "address",
    "status",
    "acknowledged_at",
    "closed_at",
    "created_at",
    "updated_at",
    # Copied from the category: a private category's requests are never public.
    "private",
]
_UPDATE_FIELDS = [
    "request_id",
    "kind",
    "public",
    "text",
    "old_status",
    "new_status",
    "author_id",
    "author_name",
    "body_id",
    "data",
    "hidden",
    "created_at",
]
#: Opening dates later than this after now are mistakes in the file.
FUTURE_SLACK = timedelta(days=1)


@dataclass(kw_only=True)
class RequestColumns:
    """How to read another system's requests: which column holds what, and how its
    values translate."""

    id_column: str
    category_column: str
    opened_column: str
    title_column: str = ""
    description_column: str = ""
    status_column: str = ""
    closed_column: str = ""
    #: The body's closing message, shown on the status entry of the timeline.
    closing_text_column: str = ""
    address_column: str = ""
    latitude_column: str = ""
    longitude_column: str = ""
    easting_column: str = ""
    northing_column: str = ""
    #: ``iso`` (the default), a strptime format, or a pattern like ``MM/DD/YYYY hh:mm:ss AM``.
    date_format: str = "iso"
    #: The time zone of dates without an offset (default: the site's).
    time_zone: str = ""
    #: Every request to this body; None routes each one by its category and place.
    body: Body | None = None
    mapping: Mapping = field(default_factory=Mapping)
    encoding: str = "utf-8-sig"
    delimiter: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in {
                "id_column": self.id_column,
                "category_column": self.category_column,
                "opened_column": self.opened_column,
                "title_column": self.title_column,
                "description_column": self.description_column,
                "status_column": self.status_column,
                "closed_column": self.closed_column,
                "closing_text_column": self.closing_text_column,
                "address_column": self.address_column,
                "latitude_column": self.latitude_column,
                "longitude_column": self.longitude_column,
                "easting_column": self.easting_column,
                "northing_column": self.northing_column,
                "date_format": self.date_format,
                "time_zone": self.time_zone,
                "body": self.body.slug if self.body else "",
                "mapping": self.mapping.to_json(),
            }.items()
            if value
        }


@dataclass(slots=True)
class _Request:
    line: int
    external_id: str
    title: str
    description: str
    category_id: int
    status: str
    created_at: datetime
    closed_at: datetime | None
    closing_text: str
    address: str
    latitude: float = 0.0
    longitude: float = 0.0
    grid: tuple[float, float] | None = None
    cell: int = 0
    area_ids: tuple[int, ...] = ()
    body_id: int = 0
    body_name: str = ""
    digest: int = 0


class RequestImport(BaseImport[RequestColumns]):
    kind: ClassVar[str] = ImportKind.REQUESTS
    record_field: ClassVar[str] = "request"
    written_models: ClassVar[tuple[type[Model], ...]] = (
        Request,
        Request.areas.through,
        Update,
        CellCount,
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._csv: CsvFile | None = None
        self.locator = Locator()
        self._categories: dict[str, int] = {}
        self._category_names: dict[int, str] = {}
        self._private_categories: set[int] = set()
        self._category_by_value: dict[str, int | str] = {}
        self._status_by_value: dict[str, str | tuple[str]] = {}
        #: The map's rollup, to be added to: ``(resolution, cell, category, status)`` →
        #: ``[count, latitude sum, longitude sum]``.
        self._counts: dict[tuple[int, int, int, str], list[float]] = {}
        self._parents: dict[int, tuple[tuple[int, int], ...]] = {}
        self._now = timezone.now()

    # Opening and checking the file --------------------------------------------------------

    def open(self) -> contextlib.AbstractContextManager[Any]:
        c = self.columns
        zone = time_zone(c.time_zone or settings.TIME_ZONE)
        self._parse_date = date_parser(c.date_format, zone)
        csv_file = CsvFile(
            self.data, encoding=c.encoding, delimiter=c.delimiter, max_bytes=self.max_bytes
        )
        try:
            self._check_columns(csv_file)
        except ImportFileError:
            csv_file.close()
            raise
        self._csv = csv_file
        return csv_file

    def _check_columns(self, csv_file: CsvFile) -> None:
        c = self.columns
        header = csv_file.header

        def position(column: str, option: str) -> int | None:
            return csv_file.column(column, option) if column else None

        self._id = csv_file.column(c.id_column, "--id-column")
        self._category = csv_file.column(c.category_column, "--category-column")
        self._opened = csv_file.column(c.opened_column, "--opened-column")
        self._title = position(c.title_column, "--title-column")
        self._description = position(c.description_column, "--description-column")
        self._status = position(c.status_column, "--status-column")
        self._closed = position(c.closed_column, "--closed-column")
        self._closing_text = position(c.closing_text_column, "--closing-text-column")
        self._address = position(c.address_column, "--address-column")
        lat, lon, east, north = point_columns(
            header, c.latitude_column, c.longitude_column, c.easting_column, c.northing_column
        )
        if bool(lat) != bool(lon):
            raise ImportFileError("Give both --latitude-column and --longitude-column, or neither.")
        if bool(east) != bool(north):
            raise ImportFileError("Give both --easting-column and --northing-column, or neither.")
        if not (lat or east):
            raise ImportFileError(
                "The file has no latitude/longitude or easting/northing columns, and requests "
                "are placed by their location. Name them with --latitude-column and "
                f"--longitude-column. Columns in this file: {', '.join(header)}."
            )

        def named(column: str, option: str) -> str:
            return header[csv_file.column(column, option)] if column else ""

        self._points = PointColumns(
            header,
            csv_file.index,
            latitude=named(lat, "--latitude-column"),
            longitude=named(lon, "--longitude-column"),
            easting=named(east, "--easting-column"),
            northing=named(north, "--northing-column"),
        )

    def position(self) -> tuple[int, int]:
        return (self._csv.position(), self._csv.size) if self._csv else (0, 0)

    # Translating values --------------------------------------------------------------------

    def _load_categories(self) -> None:
        for pk, code, slug, name, private in Category.objects.values_list(
            "pk", "service_code", "slug", "name", "private"
        ):
            self._category_names[pk] = name
            if private:
                self._private_categories.add(pk)
            for key in (code, slug):
                self._categories.setdefault(key, pk)
                self._categories.setdefault(key.casefold(), pk)
            self._categories.setdefault(name.casefold(), pk)

    def _category_for(self, value: str) -> int | str:
        """A category id for the file's value, or why there is none."""
        known = self._category_by_value.get(value)
        if known is not None:
            return known
        table = self.columns.mapping.categories
        mapped = translate(table, value)
        answer: int | str
        if mapped is not None:
            found = self._categories.get(mapped, self._categories.get(mapped.casefold()))
            answer = (
                found
                if found is not None
                else (
                    f"the mapping file maps “{value}” to “{mapped}”, which is no category's "
                    "service code or slug here"
                )
            )
        elif not value:
            answer = "no category: the column is empty"
        else:
            found = self._categories.get(value, self._categories.get(value.casefold()))
            answer = (
                found
                if found is not None
                else (
                    f"“{value}” is not a category here: map it in the mapping file's "
                    f'[categories] to a service code or slug, or add "{ANY}" = "..." for '
                    "every value not listed"
                )
            )
        self._category_by_value[value] = answer
        return answer

    def _status_for(self, value: str) -> str | tuple[str]:
        """An OpenLocal status for the file's value, or ``(why not,)``."""
        known = self._status_by_value.get(value)
        if known is not None:
            return known
        mapped = translate(self.columns.mapping.statuses, value)
        wanted = (mapped if mapped is not None else value).strip()
        answer: str | tuple[str] = ""
        for status in Status:
            if wanted.casefold() in (status.value, str(status.label).casefold()):
                answer = status.value
        statuses = ", ".join(Status.values)
        if answer == Status.DUPLICATE:
            answer = (
                "an imported request cannot be a duplicate, as it has no original here to "
                "point to: map it to not_fixed or no_further_action",
            )
        elif not answer and mapped is not None:
            answer = (
                f"the mapping file maps “{value}” to “{mapped}”, which is not a status: use "
                f"one of {statuses}",
            )
        elif not answer:
            answer = (
                f"“{value}” is not a status here: map it in the mapping file's [statuses] to "
                f"one of {statuses}",
            )
        self._status_by_value[value] = answer
        return answer

    # Reading rows --------------------------------------------------------------------------

    def batches(self) -> Iterator[list[_Request]]:
        self._load_categories()
        batch: list[_Request] = []
        for row in self._rows():
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                yield self._locate(batch)
                batch = []
        yield self._locate(batch)

    def _rows(self) -> Iterator[_Request]:
        assert self._csv is not None
        c = self.columns
        width = len(self._csv.header)
        parse_date = self._parse_date
        latest = self._now + FUTURE_SLACK
        points = self._points

        def text(fields: list[str], index: int | None) -> str:
            return fields[index].strip() if index is not None else ""

        for line, fields in self._csv.rows():
            if not self.counted():
                return
            if self.misshapen(line, fields, width):
                continue
            external_id = fields[self._id].strip()
            good = self.claim_id(line, c.id_column, external_id)

            category = self._category_for(fields[self._category].strip())
            if isinstance(category, str):
                self.reject(line, c.category_column, category, fields[self._category], external_id)
                good = False
                category = 0

            opened_text = fields[self._opened].strip()
            created_at = self._now
            try:
                if not opened_text:
                    raise ValueError("no date: every request needs the date it was opened")
                created_at = parse_date(opened_text)
                if created_at > latest:
                    raise ValueError(f"{opened_text} is in the future")
            except ValueError as exc:
                self.reject(line, c.opened_column, str(exc), opened_text, external_id)
                good = False

            closed_text = text(fields, self._closed)
            closed_at = None
            if closed_text:
                try:
                    closed_at = parse_date(closed_text)
                    if closed_at > latest:
                        raise ValueError(f"{closed_text} is in the future")
                except ValueError as exc:
                    self.reject(line, c.closed_column, str(exc), closed_text, external_id)
                    good = False

            if self._status is None:
                status: str | tuple[str] = Status.FIXED if closed_text else Status.NEW
            else:
                status = self._status_for(fields[self._status].strip())
            if isinstance(status, tuple):
                self.reject(
                    line, c.status_column, status[0], fields[self._status or 0], external_id
                )
                good = False
                status = Status.NEW
            if status in CLOSED_STATUSES:
                if not closed_text:
                    given = (
                        f"{c.closed_column} is empty: give the date it was closed"
                        if c.closed_column
                        else "the file gives no closing date: name its column with --closed-column"
                    )
                    self.reject(
                        line,
                        c.status_column,
                        f"the status “{fields[self._status or 0].strip()}” is closed, but "
                        f"{given}, or map the status to an open one",
                        closed_text,
                        external_id,
                    )
                    good = False
                elif closed_at is not None and closed_at < created_at:
                    self.reject(
                        line,
                        c.closed_column,
                        f"closed ({closed_text}) before it was opened ({opened_text})",
                        closed_text,
                        external_id,
                    )
                    good = False
            else:
                closed_at = None

            point = points.read(fields)
            if point.problem is not None:
                column, reason, value = point.problem
                self.reject(line, column, reason, value, external_id)
                good = False
            elif not point.found:
                self.reject(
                    line,
                    points.latitude or points.easting,
                    f"no location: {points.described} are empty",
                    "",
                    external_id,
                )
                good = False
            if not good:
                continue
            category_name = self._category_names[category]
            title = (text(fields, self._title) or category_name)[:120]
            request = _Request(
                line=line,
                external_id=external_id,
                title=title,
                description=text(fields, self._description) or title,
                category_id=category,
                status=str(status),
                created_at=created_at,
                closed_at=closed_at,
                closing_text=text(fields, self._closing_text) if closed_at else "",
                address=text(fields, self._address)[:300],
                grid=point.grid,
            )
            if point.latitude is not None and point.longitude is not None:
                request.latitude, request.longitude = point.latitude, point.longitude
            yield request

    def _locate(self, batch: list[_Request]) -> list[_Request]:
        """Convert grid references, find each request's areas and body; reject those
        outside every area or with nobody to handle them."""
        pending = [r for r in batch if r.grid is not None]
        if pending:
            converted = grid_to_latitude_longitude(
                [r.grid[0] for r in pending if r.grid], [r.grid[1] for r in pending if r.grid]
            )
            for request, (lat, lon) in zip(pending, converted, strict=True):
                request.latitude, request.longitude = lat, lon
        areas = self.locator.areas([(r.latitude, r.longitude) for r in batch])
        body = self.columns.body
        located: list[_Request] = []
        resolution = settings.POINT_CELL_RESOLUTION
        c = self.columns
        where = self._points.latitude or self._points.easting
        for request, area_ids in zip(batch, areas, strict=True):
            place = f"{request.latitude:.5f}, {request.longitude:.5f}"
            if not area_ids:
                self.reject(
                    request.line,
                    where,
                    f"{place} is outside every area on this site: import the boundaries "
                    "that cover it first, or check the coordinates",
                    place,
                    request.external_id,
                )
                continue
            if body is not None:
                request.body_id, request.body_name = body.pk, body.name
            else:
                routed = self.locator.route(area_ids, request.category_id)
                if routed is None:
                    self.reject(
                        request.line,
                        c.category_column,
                        f"nobody handles “{self._category_names[request.category_id]}” at "
                        f"{place}: add a routing rule for it in these areas, or give --body",
                        self._category_names[request.category_id],
                        request.external_id,
                    )
                    continue
                if (
                    self.allowed_body_ids is not None
                    and routed.body_id not in self.allowed_body_ids
                ):
                    self.reject(
                        request.line,
                        c.category_column,
                        f"it would go to {routed.body_name}, which you do not administer",
                        "",
                        request.external_id,
                    )
                    continue
                request.body_id, request.body_name = routed.body_id, routed.body_name
            request.area_ids = area_ids
            request.cell = int(h3i.latlng_to_cell(request.latitude, request.longitude, resolution))
            request.digest = digest_of(
                (
                    request.title,
                    request.description,
                    request.category_id,
                    request.status,
                    request.created_at.isoformat(),
                    request.closed_at.isoformat() if request.closed_at else None,
                    request.closing_text,
                    request.address,
                    request.latitude,
                    request.longitude,
                    request.body_id,
                    request.area_ids,
                )
            )
            located.append(request)
        return located

    # Writing ------------------------------------------------------------------------------

    def apply(self, batch: list[_Request]) -> None:
        records = self.records([r.external_id for r in batch])
        changed = [
            records[r.external_id][1]
            for r in batch
            if r.external_id in records and records[r.external_id][2] != r.digest
        ]
        stored: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(changed), 500):
            for row in Request.private_objects.filter(
                pk__in=changed[start : start + 500]
            ).values_list(
                "pk",
                "status",
                "latitude",
                "longitude",
                "category_id",
                "hidden",
                "cell",
                "body_id",
                "acknowledged_at",
                "closed_at",
                "created_at",
                "private",
            ):
                stored[row[0]] = row
        creates: list[_Request] = []
        updates: list[tuple[_Request, tuple[Any, ...], int]] = []
        for request in batch:
            record = records.get(request.external_id)
            if record is None:
                creates.append(request)
                self.created += 1
                self._show(request, CREATE)
                continue
            record_pk, request_pk, digest = record
            if digest == request.digest:
                self.unchanged += 1
                self._show(request, UNCHANGED)
                continue
            before = stored[request_pk]
            if self.allowed_body_ids is not None and before[7] not in self.allowed_body_ids:
                self.reject(
                    request.line,
                    self.columns.id_column,
                    f"the request {request.external_id} belongs to another body: only its "
                    "administrators (or a site administrator) can change it",
                    request.external_id,
                    request.external_id,
                )
                continue
            updates.append((request, before, record_pk))
            self.updated += 1
            self._show(request, UPDATE)
        if self.writing:
            self._create(creates)
            self._update(updates)

    def _show(self, request: _Request, action: str) -> None:
        if len(self.preview) >= self.preview_rows:
            return
        values = [
            ("Title", request.title),
            ("Category", self._category_names.get(request.category_id, "")),
            ("Status", str(Status(request.status).label)),
            ("Opened", timezone.localtime(request.created_at).strftime("%-d %b %Y %H:%M")),
        ]
        if request.closed_at:
            values.append(
                ("Closed", timezone.localtime(request.closed_at).strftime("%-d %b %Y %H:%M"))
            )
        values += [
            ("Latitude, longitude", f"{request.latitude:.5f}, {request.longitude:.5f}"),
            ("Areas", ", ".join(self.locator.area_names(request.area_ids))),
            ("Body", request.body_name),
        ]
        self.show(request.line, request.external_id, action, values)

    def _count(self, snapshot: tuple[int, int, str, float, float], delta: int) -> None:
        """Add a request to (or take it from) the map's rollup, at every resolution."""
        cell, category_id, status, latitude, longitude = snapshot
        counts = self._counts
        parents = self._parents.get(cell)
        if parents is None:
            parents = self._parents[cell] = tuple(
                (resolution, cell_parent(cell, resolution)) for resolution in ROLLUP_RESOLUTIONS
            )
        for resolution, parent in parents:
            key = (resolution, parent, category_id, status)
            entry = counts.get(key)
            if entry is None:
                entry = counts[key] = [0, 0.0, 0.0]
            entry[0] += delta
            entry[1] += delta * latitude
            entry[2] += delta * longitude

    def _timeline(
        self, request: _Request, request_pk: int, old_status: str, at: datetime
    ) -> tuple[Any, ...]:
        """The status entry for a change the source records, as the body made it."""
        return (
            request_pk,
            UpdateKind.STATUS.value,
            True,
            request.closing_text,
            old_status,
            request.status,
            None,
            request.body_name,
            request.body_id,
            "{}",
            False,
            at,
        )

    def _create(self, creates: list[_Request]) -> None:
        if not creates:
            return
        writer = self.writer
        ids = writer.allocate_ids(Request, len(creates))
        rows: list[tuple[Any, ...]] = []
        areas: list[tuple[int, int]] = []
        timeline: list[tuple[Any, ...]] = []
        for pk, r in zip(ids, creates, strict=True):
            acknowledged = (
                r.closed_at if r.closed_at else (None if r.status == Status.NEW else r.created_at)
            )
            rows.append(
                (
                    pk,
                    r.title,
                    r.description,
                    r.category_id,
                    r.body_id,
                    r.latitude,
                    r.longitude,
                    r.cell,
                    r.address,
                    r.status,
                    acknowledged,
                    r.closed_at,
                    r.created_at,
                    r.closed_at or r.created_at,
                    r.category_id in self._private_categories,
                    None,
                    "{}",
                    None,
                    "",
                    False,
                    Source.IMPORT.value,
                    r.external_id,
                    None,
                    0,
                    0,
                    False,
                )
            )
            areas.extend((pk, area_id) for area_id in r.area_ids)
            timeline.append(
                (
                    pk,
                    UpdateKind.CREATED.value,
                    True,
                    "",
                    "",
                    Status.NEW.value,
                    None,
                    "",
                    None,
                    "{}",
                    False,
                    r.created_at,
                )
            )
            if r.closed_at is not None:
                timeline.append(self._timeline(r, pk, Status.NEW.value, r.closed_at))
            if r.category_id not in self._private_categories:
                self._count((r.cell, r.category_id, r.status, r.latitude, r.longitude), +1)
        writer.insert(
            Request,
            [
                "id",
                *_REQUEST_FIELDS,
                "asset_id",
                "answers",
                "reporter_id",
                "reporter_name",
                "reporter_name_public",
                "source",
                "external_id",
                "duplicate_of_id",
                "supporter_count",
                "follower_count",
                "hidden",
            ],
            rows,
        )
        writer.insert(Request.areas.through, ["request_id", "area_id"], areas)
        writer.insert(Update, _UPDATE_FIELDS, timeline)
        self.add_records(
            [(r.external_id, r.digest, pk) for pk, r in zip(ids, creates, strict=True)]
        )

    def _update(self, updates: list[tuple[_Request, tuple[Any, ...], int]]) -> None:
        if not updates:
            return
        writer = self.writer
        now = timezone.now()
        rows = []
        timeline = []
        moved_opening: list[tuple[datetime, int]] = []
        for r, before, _record in updates:
            (
                pk,
                status,
                lat,
                lon,
                category_id,
                hidden,
                cell,
                _body,
                acknowledged,
                closed,
                created,
                was_private,
            ) = before
            closed_at = (r.closed_at or closed or now) if r.status in CLOSED_STATUSES else None
            if acknowledged is None and r.status != Status.NEW:
                acknowledged = closed_at or r.created_at
            private = r.category_id in self._private_categories
            rows.append(
                (
                    r.title,
                    r.description,
                    r.category_id,
                    r.body_id,
                    r.latitude,
                    r.longitude,
                    r.cell,
                    r.address,
                    r.status,
                    acknowledged,
                    closed_at,
                    r.created_at,
                    now,
                    private,
                    pk,
                )
            )
            if created != r.created_at:
                moved_opening.append((r.created_at, pk))
            if status != r.status:
                at = r.closed_at if r.status in CLOSED_STATUSES and r.closed_at else now
                timeline.append(self._timeline(r, pk, status, at))
            if not hidden and not was_private:
                self._count((cell, category_id, status, lat, lon), -1)
            if not hidden and not private:
                self._count((r.cell, r.category_id, r.status, r.latitude, r.longitude), +1)
        writer.update(Request, _REQUEST_FIELDS, rows)
        if moved_opening:
            created_entries = dict(
                Update.private_objects.filter(
                    request_id__in=[pk for _, pk in moved_opening], kind=UpdateKind.CREATED
                ).values_list("request_id", "pk")
            )
            writer.update(
                Update,
                ["created_at"],
                [(at, created_entries[pk]) for at, pk in moved_opening if pk in created_entries],
            )
        changed_ids = [before[0] for _, before, _ in updates]
        writer.delete_where_in(Request.areas.through, "request_id", changed_ids)
        writer.insert(
            Request.areas.through,
            ["request_id", "area_id"],
            [(before[0], area_id) for r, before, _ in updates for area_id in r.area_ids],
        )
        writer.insert(Update, _UPDATE_FIELDS, timeline)
        self.set_digests([(r.digest, record) for r, _, record in updates])

    def finish(self) -> None:
        """Add the imported requests to the map's per-cell counts, in one statement per
        thousand cells, as ``cell_counts_adjust`` does for one request."""
        rows = [
            (resolution, cell, category_id, status, int(n), lat, lon)
            for (resolution, cell, category_id, status), (n, lat, lon) in self._counts.items()
            if n or lat or lon
        ]
        if not rows:
            return
        q = connection.ops.quote_name
        table = q(CellCount._meta.db_table)
        columns = (
            "resolution",
            "cell",
            "category_id",
            "status",
            "count",
            "latitude_sum",
            "longitude_sum",
        )
        count, lat_sum, lon_sum = q("count"), q("latitude_sum"), q("longitude_sum")
        sql = (
            f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(q(c) for c in columns[:4])}) DO UPDATE SET "
            f"{count} = {table}.{count} + excluded.{count}, "
            f"{lat_sum} = {table}.{lat_sum} + excluded.{lat_sum}, "
            f"{lon_sum} = {table}.{lon_sum} + excluded.{lon_sum}"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        self._counts = {}
