"""The published datasets: what each holds, its columns, and the query its rows come from.

Every dataset is read through the public querysets (``Request.public_objects``,
``Update.public_objects``) or from tables that hold nothing private, and fetches only the
fields its columns name. A request's reporter, a body's contact address, internal notes and
hidden requests are never selected, so they cannot reach a file by mistake.

Rows are read with ``values_list(...).iterator(chunk_size=...)``: the database hands them
over a chunk at a time (a server-side cursor on PostgreSQL), so a download or a snapshot
holds one chunk in memory however many rows there are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any
from urllib.parse import quote

import shapely
from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    JSONField,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.urls import reverse

from openlocal.assets.models import Asset, AssetType
from openlocal.opendata import filters, statistics
from openlocal.opendata.columns import (
    BOOLEAN,
    CODE,
    DATETIME,
    INTEGER,
    JSON,
    LIST,
    MONTH,
    NUMBER,
    TEXT,
    URL,
    Column,
)
from openlocal.opendata.expressions import IsoText
from openlocal.opendata.models import Dataset
from openlocal.places.models import Area, AreaKind, Body, BodyKind
from openlocal.requests.models import (
    OPEN_STATUSES,
    Category,
    CategoryGroup,
    CategoryQuestion,
    Request,
    Source,
    Status,
    Update,
    UpdateKind,
)

#: Rows fetched from the database at a time.
CHUNK_SIZE = 2000
#: Areas carry their boundaries, which can be large: fewer at a time.
AREA_CHUNK_SIZE = 50

Records = Callable[[Sequence[str], Mapping[str, Any]], Iterator[Sequence[Any]]]


@dataclass(frozen=True)
class Geometry:
    """Where a dataset's GeoJSON geometry comes from: source fields to a GeoJSON text."""

    sources: tuple[str, ...]
    to_geojson: Callable[..., str | None]
    description: str
    #: Rows written at a time in GeoJSON when geometries are large (0: the usual number).
    rows_per_chunk: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    slug: str
    title: str
    description: str
    #: What one row is, for the dictionary ("One row per public request.").
    row: str
    keywords: tuple[str, ...]
    #: Themes from the EU data-theme vocabulary (DCAT-AP), e.g. ``GOVE``.
    themes: tuple[str, ...]
    columns: tuple[Column, ...]
    records: Records
    modified: Callable[[], datetime | None]
    geometry: Geometry | None = None
    filter_form: type[filters.DownloadFilters] | None = None
    order: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def formats(self) -> tuple[str, ...]:
        return ("csv", "geojson", "ndjson") if self.geometry else ("csv", "ndjson")

    def fields(self, *, geometry: bool) -> list[str]:
        """The database fields to fetch: every column's sources, and the geometry's if asked."""
        names: list[str] = []
        for column in self.columns:
            names += column.sources
        if geometry and self.geometry is not None:
            names += self.geometry.sources
        return list(dict.fromkeys(names))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Shared pieces ------------------------------------------------------------------------------


def _field(queryset: QuerySet[Any], name: str) -> Any:
    """The model field (or annotation's output field) a values_list() name refers to."""
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    model = queryset.model
    parts = name.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    last = parts[-1]
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def raw_values(queryset: QuerySet[Any], fields: Sequence[str], chunk_size: int) -> Iterator[Any]:
    """``values_list(*fields)`` streamed a chunk at a time, with date-times and JSON as text.

    Date-times come as ISO 8601 text in UTC (see :class:`IsoText`), JSON as the database's
    text of it; the writers in :mod:`openlocal.opendata.columns` take both as they are.
    """
    names = []
    texts: dict[str, Any] = {}
    for name in fields:
        field = _field(queryset, name)
        if isinstance(field, DateTimeField):
            alias = "iso_" + name.replace("__", "_")
            texts[alias] = IsoText(name)
            names.append(alias)
        elif isinstance(field, JSONField):
            alias = "text_" + name.replace("__", "_")
            texts[alias] = Cast(name, TextField())
            names.append(alias)
        else:
            names.append(name)
    if texts:
        queryset = queryset.annotate(**texts)
    return queryset.values_list(*names).iterator(chunk_size=chunk_size)


@functools.cache
def _prefix(name: str) -> str:
    """The path of a page up to its last argument, e.g. ``/requests/`` for ``web:request``."""
    return reverse(name, args=["0"])[: -len("0")]


def _request_urls() -> Callable[[int], str]:
    """Request pages' addresses, the site's part worked out once per download."""
    prefix = f"{settings.BASE_URL}{_prefix('web:request')}"
    return lambda pk: prefix + str(pk)


def slug_url(name: str) -> Callable[[str], str]:
    def url(slug: str) -> str:
        return f"{settings.BASE_URL}{_prefix(name)}{slug}"

    return url


#: Characters ``reverse()`` leaves unquoted in a path, so that the links match the site's.
_PATH_SAFE = "!$&'()*+,;=/~:@"


@functools.cache
def _asset_prefix() -> str:
    return reverse("web:asset", args=["t", "x"])[: -len("t/x")]


def asset_url(type_slug: str, external_id: str) -> str:
    path = quote(f"{type_slug}/{external_id}", safe=_PATH_SAFE)
    return f"{settings.BASE_URL}{_asset_prefix()}{path}"


def split_list(value: str | None) -> list[str]:
    return sorted(value.split(";")) if value else []


def point_geojson(latitude: float, longitude: float) -> str:
    return f'{{"type":"Point","coordinates":[{float(longitude)!r},{float(latitude)!r}]}}'


def boundary_geojson(wkb: Any) -> str | None:
    if not wkb:
        return None
    shape = shapely.from_wkb(bytes(wkb))
    if shape is None or shape.is_empty:
        return None
    return str(shapely.to_geojson(shape))


POINT = Geometry(
    ("latitude", "longitude"),
    point_geojson,
    "A Point at the row's longitude and latitude (WGS 84).",
)


def _table(model: Any, name: str) -> Callable[[], Callable[[Any], Any]]:
    """A field of a small table by id, read once per download (see ``Column.prepare``)."""
    return lambda: dict(model.objects.values_list("pk", name)).get


class _AreaSlugs(dict[str | None, list[str]]):
    """Area ids joined by semicolons to their slugs, sorted, remembered per combination.

    Requests in the same ward share the same areas, so there are few combinations however
    many requests: after the first of each, a request's areas cost one dictionary look-up.
    """

    def __init__(self) -> None:
        super().__init__()
        self.slugs = dict(Area.objects.values_list("pk", "slug"))

    def __missing__(self, ids: str | None) -> list[str]:
        found = sorted(self.slugs[int(pk)] for pk in ids.split(";")) if ids else []
        self[ids] = found
        return found


def _area_slugs() -> Callable[[str | None], list[str]]:
    """The areas read once per download; see :class:`_AreaSlugs`."""
    return _AreaSlugs().__getitem__


def _choices(choices: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in choices)


def _max(queryset: QuerySet[Any], name: str) -> datetime | None:
    value = queryset.aggregate(latest=Max(name))["latest"]
    return value if isinstance(value, datetime) else None


def _created(noun: str) -> Column:
    return Column(
        "created_at",
        DATETIME,
        f"When the {noun} was added to this site.",
        "2026-03-01T09:30:00+00:00",
    )


def _updated(noun: str) -> Column:
    return Column(
        "updated_at", DATETIME, f"When the {noun} last changed.", "2026-03-04T15:02:11+00:00"
    )


# Requests -----------------------------------------------------------------------------------


def public_requests() -> QuerySet[Request]:
    """Requests anyone may see, with the public forms of the fields that need one.

    Their areas (``area_ids``) are not here: :func:`request_records` reads them for each
    chunk of requests at once.
    """
    # A duplicate of a request that has since been hidden, or that is private, does not say
    # which it was. Looked up by primary key for the few requests that are duplicates.
    original = Request.private_objects.filter(
        pk=OuterRef("duplicate_of_id"), hidden=False, private=False
    )
    return Request.public_objects.annotate(
        public_duplicate_of=Subquery(original.values("pk")[:1], output_field=BigIntegerField()),
        # The name only when the reporter chose to show it: otherwise it never leaves the
        # database.
        shown_reporter_name=Case(
            When(reporter_name_public=True, then=F("reporter_name")),
            default=Value(""),
            output_field=CharField(),
        ),
    )


def request_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    queryset = public_requests()
    form = chosen.get("form")
    if form is not None:
        queryset = form.apply(queryset)
    if "area_ids" not in fields:
        return raw_values(queryset.order_by("pk"), fields, CHUNK_SIZE)
    read = [name for name in fields if name != "area_ids"] + ["pk"]
    rows = raw_values(queryset.order_by("pk"), read, CHUNK_SIZE)
    return _with_area_ids(rows, fields.index("area_ids"))


def _with_area_ids(rows: Iterator[Any], position: int) -> Iterator[Sequence[Any]]:
    """Each row (ending with its request's id) with its area ids joined by semicolons put in
    at ``position``.

    The areas of a chunk of requests are read in one query (a range scan of the link table's
    index, since the rows come in order of id, or an id list when the chunk is sparse): a
    look-up per request cost more than the rest of the export together on PostgreSQL.
    """
    table = Request.areas.through._meta.db_table
    while chunk := list(islice(rows, CHUNK_SIZE)):
        areas: dict[int, list[str]] = {}
        first, last = chunk[0][-1], chunk[-1][-1]
        if last - first < 4 * len(chunk):
            where, params = "request_id >= %s AND request_id <= %s", [first, last]
        else:
            # A filtered download (open requests only, say) is sparse in ids: a range would
            # read the areas of every request in between, so ask for these ones.
            ids = [row[-1] for row in chunk]
            where, params = f"request_id IN ({', '.join(['%s'] * len(ids))})", ids
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT request_id, area_id FROM {table} "  # noqa: S608 - the model's table
                f"WHERE {where} ORDER BY request_id, area_id",
                params,
            )
            for request_id, area_id in cursor.fetchall():
                areas.setdefault(request_id, []).append(str(area_id))
        for row in chunk:
            found = areas.get(row[-1])
            values = list(row[:-1])
            values.insert(position, ";".join(found) if found else None)
            yield values


STATUS_CHOICES = _choices(Status.choices)
STATUS_LABELS = dict(STATUS_CHOICES)
OPEN_STATUS_VALUES = frozenset(str(s) for s in OPEN_STATUSES)

REQUESTS = DatasetSpec(
    slug=Dataset.REQUESTS,
    title="Service requests",
    description=(
        "Every public request reported on this site: problems such as potholes, broken "
        "street lights and fly-tipping, and needs such as a community hub asking for laptops; "
        "where each is, what it is about, who is responsible, and what has happened to it."
    ),
    row="One row per public request. Hidden (moderated) requests are left out.",
    keywords=("service requests", "reports", "potholes", "street lights", "fly-tipping", "311"),
    themes=("GOVE", "REGI"),
    order="Rows are in the order of id.",
    columns=(
        Column("id", INTEGER, "The request's number on this site.", "1042", source="pk"),
        Column(
            "url",
            URL,
            "The request's public page, with its photos and timeline.",
            "https://openlocal.example/requests/1042",
            source="pk",
            prepare=_request_urls,
        ),
        Column("title", TEXT, "A short summary, in the reporter's words.", "Deep pothole"),
        Column(
            "description",
            TEXT,
            "What the reporter said, as moderated: text a moderator removed is not here.",
            "About 20 cm across, outside number 12.",
        ),
        Column(
            "status",
            CODE,
            "Where the request stands now.",
            "in_progress",
            choices=STATUS_CHOICES,
        ),
        Column(
            "status_label",
            TEXT,
            "The status as the site shows it.",
            "In progress",
            source="status",
            convert=STATUS_LABELS.__getitem__,
        ),
        Column(
            "open",
            BOOLEAN,
            "Whether the request is still open (new, acknowledged, investigating, in progress "
            "or action scheduled).",
            "true",
            source="status",
            convert=OPEN_STATUS_VALUES.__contains__,
        ),
        Column(
            "category",
            CODE,
            "The category's service code (Open311); see the categories dataset.",
            "POT",
            source="category_id",
            prepare=_table(Category, "service_code"),
        ),
        Column(
            "category_name",
            TEXT,
            "The category's name.",
            "Pothole",
            source="category_id",
            prepare=_table(Category, "name"),
        ),
        Column(
            "category_group",
            CODE,
            "The group the category belongs to.",
            "roads",
            source="category_id",
            prepare=_table(Category, "group"),
            choices=_choices(CategoryGroup.choices),
        ),
        Column(
            "body",
            CODE,
            "The slug of the body responsible for the request; see the bodies dataset.",
            "wyvernshire",
            source="body_id",
            prepare=_table(Body, "slug"),
        ),
        Column(
            "body_name",
            TEXT,
            "The responsible body's name.",
            "Wyvernshire County Council",
            source="body_id",
            prepare=_table(Body, "name"),
        ),
        Column(
            "latitude", NUMBER, "Where the problem is: latitude, WGS 84 (EPSG:4326).", "51.0561"
        ),
        Column(
            "longitude", NUMBER, "Where the problem is: longitude, WGS 84 (EPSG:4326).", "-3.3712"
        ),
        Column(
            "address",
            TEXT,
            "The address or place description given with the location.",
            "Station Road, Lowcombe",
            nullable=True,
        ),
        Column(
            "areas",
            LIST,
            "The slugs of the areas the request lies in (county, district, ward, parish); "
            "see the areas dataset.",
            "lowcombe;lowcombe-parish;wyvern-vale;wyvernshire",
            nullable=True,
            source="area_ids",
            prepare=_area_slugs,
        ),
        Column(
            "asset_id",
            INTEGER,
            "The asset the request is about, if any: its id in the assets dataset.",
            "311",
            nullable=True,
            source="asset_id",
        ),
        Column(
            "asset_type",
            CODE,
            "The slug of that asset's type.",
            "streetlight",
            nullable=True,
            source="asset__asset_type_id",
            prepare=_table(AssetType, "slug"),
        ),
        Column(
            "asset_reference",
            TEXT,
            "That asset's identity in its register, e.g. a NaPTAN ATCO code.",
            "1100DEA10207",
            nullable=True,
            source="asset__external_id",
        ),
        Column(
            "answers",
            JSON,
            "Answers to the category's extra questions, by question code (an object).",
            '{"depth":"deep"}',
        ),
        Column(
            "reporter_name",
            TEXT,
            "The reporter's name, only when they chose to show it; otherwise empty.",
            "Sam Green",
            nullable=True,
            source="shown_reporter_name",
        ),
        Column("supporter_count", INTEGER, "How many others said they have this problem too.", "3"),
        Column("follower_count", INTEGER, "How many follow the request for updates.", "5"),
        Column(
            "duplicate_of",
            INTEGER,
            "For a duplicate merged into another request: that request's id.",
            "1001",
            nullable=True,
            source="public_duplicate_of",
        ),
        Column(
            "source",
            CODE,
            "How the request arrived.",
            "web",
            choices=_choices(Source.choices),
        ),
        Column(
            "created_at", DATETIME, "When the request was reported.", "2026-03-01T09:30:00+00:00"
        ),
        Column(
            "acknowledged_at",
            DATETIME,
            "When the responsible body first acknowledged it.",
            "2026-03-02T08:00:00+00:00",
            nullable=True,
        ),
        Column(
            "closed_at",
            DATETIME,
            "When it was closed (fixed, not fixed, duplicate...); empty while open.",
            "2026-03-09T16:45:00+00:00",
            nullable=True,
        ),
        Column(
            "updated_at",
            DATETIME,
            "When anything about it last changed: use it with updated_since to keep a copy "
            "up to date.",
            "2026-03-09T16:45:00+00:00",
        ),
    ),
    records=request_records,
    modified=lambda: _max(Request.public_objects.all(), "updated_at"),
    geometry=POINT,
    filter_form=filters.RequestFilters,
)


# Public updates -----------------------------------------------------------------------------


def update_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    queryset = Update.public_objects.all()
    form = chosen.get("form")
    if form is not None:
        queryset = form.apply(queryset)
    return raw_values(queryset.order_by("pk"), fields, CHUNK_SIZE)


UPDATES = DatasetSpec(
    slug=Dataset.UPDATES,
    title="Public updates",
    description=(
        "Every entry on the public timelines of requests: when each was reported, comments "
        "and answers from the responsible body, status changes, changes of category or body, "
        "merges of duplicates. Internal notes are never included."
    ),
    row=(
        "One row per public timeline entry. Internal notes, hidden entries and the entries of "
        "hidden requests are left out."
    ),
    keywords=("service requests", "updates", "timeline", "status changes"),
    themes=("GOVE",),
    order="Rows are in the order of id.",
    columns=(
        Column("id", INTEGER, "The entry's number on this site.", "58213", source="pk"),
        Column(
            "request_id",
            INTEGER,
            "The request it belongs to: its id in the requests dataset.",
            "1042",
        ),
        Column(
            "request_url",
            URL,
            "The request's public page, where the entry is shown.",
            "https://openlocal.example/requests/1042",
            source="request_id",
            prepare=_request_urls,
        ),
        Column(
            "kind",
            CODE,
            "What kind of entry it is.",
            "status",
            choices=tuple(
                (str(v), str(label)) for v, label in UpdateKind.choices if v != UpdateKind.NOTE
            ),
        ),
        Column(
            "text",
            TEXT,
            "The entry's public text, as moderated.",
            "A crew is booked for Tuesday.",
            nullable=True,
        ),
        Column(
            "old_status",
            CODE,
            "For a status change: the status before.",
            "investigating",
            nullable=True,
            choices=STATUS_CHOICES,
        ),
        Column(
            "new_status",
            CODE,
            "For a status change: the status after.",
            "action_scheduled",
            nullable=True,
            choices=STATUS_CHOICES,
        ),
        Column(
            "author",
            TEXT,
            "Who posted it, as the timeline shows it: a body, or a member of staff and their body.",
            "Wyvernshire County Council",
            nullable=True,
            source="author_name",
        ),
        Column(
            "body",
            CODE,
            "The slug of the body that posted it, if a body did.",
            "wyvernshire",
            nullable=True,
            source="body_id",
            prepare=_table(Body, "slug"),
        ),
        Column(
            "data",
            JSON,
            "Facts particular to the kind, e.g. the bodies of a reassignment or the request a "
            "duplicate was merged into (an object).",
            '{"into":1001}',
        ),
        Column("created_at", DATETIME, "When the entry was posted.", "2026-03-04T15:02:11+00:00"),
    ),
    records=update_records,
    modified=lambda: _max(Update.public_objects.all(), "created_at"),
    filter_form=filters.UpdateFilters,
)


# Assets -------------------------------------------------------------------------------------


def asset_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    queryset = Asset.objects.all()
    form = chosen.get("form")
    if form is not None:
        queryset = form.apply(queryset)
    return raw_values(queryset.order_by("pk"), fields, CHUNK_SIZE)


ASSETS = DatasetSpec(
    slug=Dataset.ASSETS,
    title="Assets",
    description=(
        "Things in the world that requests can be about, each with its identity in its "
        "register: bus stops, street lights, benches, grit bins, libraries, footpaths."
    ),
    row="One row per asset.",
    keywords=("assets", "asset register", "street furniture", "bus stops", "street lights"),
    themes=("REGI", "TRAN"),
    order="Rows are in the order of id.",
    columns=(
        Column("id", INTEGER, "The asset's number on this site.", "311", source="pk"),
        Column(
            "asset_type",
            CODE,
            "The slug of the asset's type.",
            "bus-stop",
            source="asset_type__slug",
        ),
        Column("asset_type_name", TEXT, "The type's name.", "Bus stop", source="asset_type__name"),
        Column(
            "reference",
            TEXT,
            "The asset's identity in its register (unique within its type), e.g. a NaPTAN "
            "ATCO code.",
            "1100DEA10207",
            source="external_id",
        ),
        Column("name", TEXT, "The asset's name.", "Station Road (stop B)"),
        Column("latitude", NUMBER, "Latitude, WGS 84 (EPSG:4326).", "51.0561"),
        Column("longitude", NUMBER, "Longitude, WGS 84 (EPSG:4326).", "-3.3712"),
        Column(
            "body",
            CODE,
            "The slug of the body responsible for the asset.",
            "wyvernshire",
            nullable=True,
            source="body_id",
            prepare=_table(Body, "slug"),
        ),
        Column(
            "attributes",
            JSON,
            "Further facts from the register, by name (an object).",
            '{"bearing":"N","shelter":true}',
        ),
        Column("active", BOOLEAN, "False once the asset is gone from its register.", "true"),
        Column(
            "url",
            URL,
            "The asset's public page, with its history of requests.",
            "https://openlocal.example/assets/bus-stop/1100DEA10207",
            source=("asset_type__slug", "external_id"),
            convert=asset_url,
        ),
        _created("asset"),
        _updated("asset"),
    ),
    records=asset_records,
    modified=lambda: _max(Asset.objects.all(), "updated_at"),
    geometry=POINT,
    filter_form=filters.AssetFilters,
)


# Areas --------------------------------------------------------------------------------------


def area_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    queryset = Area.objects.all()
    form = chosen.get("form")
    if form is not None:
        queryset = form.apply(queryset)
    chunk = AREA_CHUNK_SIZE if "geometry" in fields else CHUNK_SIZE
    return raw_values(queryset.order_by("slug"), fields, chunk)


AREAS = DatasetSpec(
    slug=Dataset.AREAS,
    title="Areas",
    description=(
        "The named boundaries requests are placed in: the county, districts, wards, parishes "
        "and custom areas, with their official codes. The GeoJSON download has each boundary."
    ),
    row="One row per area.",
    keywords=("boundaries", "wards", "parishes", "districts", "areas"),
    themes=("REGI",),
    order="Rows are in the order of slug.",
    columns=(
        Column("slug", CODE, "The area's short name in addresses on this site.", "wyvern-vale"),
        Column("name", TEXT, "The area's name.", "Wyvern Vale"),
        Column(
            "kind",
            CODE,
            "What kind of area it is.",
            "district",
            choices=_choices(AreaKind.choices),
        ),
        Column(
            "code",
            TEXT,
            "Its official code, e.g. an ONS code.",
            "E07000042",
            nullable=True,
        ),
        Column(
            "parent",
            CODE,
            "The slug of the area it lies in.",
            "wyvernshire",
            nullable=True,
            source="parent__slug",
        ),
        Column("centre_latitude", NUMBER, "A point inside the area: latitude (WGS 84).", "51.02"),
        Column("centre_longitude", NUMBER, "A point inside the area: longitude (WGS 84).", "-3.41"),
        Column("min_latitude", NUMBER, "Its bounding box: the southern edge.", "50.91"),
        Column("min_longitude", NUMBER, "Its bounding box: the western edge.", "-3.62"),
        Column("max_latitude", NUMBER, "Its bounding box: the northern edge.", "51.13"),
        Column("max_longitude", NUMBER, "Its bounding box: the eastern edge.", "-3.20"),
        Column(
            "url",
            URL,
            "The area's public page.",
            "https://openlocal.example/areas/wyvern-vale",
            source="slug",
            convert=slug_url("web:area"),
        ),
        _created("area"),
        _updated("area"),
    ),
    records=area_records,
    modified=lambda: _max(Area.objects.all(), "updated_at"),
    geometry=Geometry(
        ("geometry",),
        boundary_geojson,
        "The area's boundary as a Polygon or MultiPolygon (WGS 84), as imported.",
        # A boundary can be megabytes: one at a time.
        rows_per_chunk=1,
    ),
    filter_form=filters.AreaFilters,
    notes=("The boundaries are only in the GeoJSON download; CSV and NDJSON give the box.",),
)


# Bodies -------------------------------------------------------------------------------------


def body_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    bodies = Body.objects.order_by("slug").prefetch_related(
        Prefetch("areas", queryset=Area.objects.only("pk", "slug").order_by("slug"))
    )
    # Read field by field, so that a body's private contact address is never fetched.
    columns = [f for f in fields if f != "area_slugs"]
    for body in bodies.only(*columns).iterator(chunk_size=CHUNK_SIZE):
        values = {name: getattr(body, name) for name in columns}
        values["area_slugs"] = ";".join(a.slug for a in body.areas.all())
        yield tuple(values[name] for name in fields)


BODIES = DatasetSpec(
    slug=Dataset.BODIES,
    title="Bodies",
    description=(
        "The organisations responsible for requests: county, district and parish councils, "
        "national agencies, utilities and community groups, with the areas each covers."
    ),
    row="One row per body.",
    keywords=("councils", "organisations", "responsible bodies"),
    themes=("GOVE",),
    order="Rows are in the order of slug.",
    columns=(
        Column("slug", CODE, "The body's short name in addresses on this site.", "wyvernshire"),
        Column("name", TEXT, "The body's name.", "Wyvernshire County Council"),
        Column(
            "kind", CODE, "What kind of body it is.", "county", choices=_choices(BodyKind.choices)
        ),
        Column(
            "kind_label",
            TEXT,
            "The kind as the site shows it.",
            "County council",
            source="kind",
            convert=lambda kind: str(BodyKind(kind).label),
        ),
        Column("website", URL, "Its website.", "https://www.wyvernshire.example", nullable=True),
        Column(
            "description",
            TEXT,
            "What it does, in its own words.",
            "Highways, street lighting and rights of way.",
            nullable=True,
        ),
        Column(
            "areas",
            LIST,
            "The slugs of the areas it covers; see the areas dataset.",
            "wyvernshire",
            nullable=True,
            source="area_slugs",
            convert=split_list,
        ),
        Column(
            "url",
            URL,
            "The body's public page, with its requests and how fast it closes them.",
            "https://openlocal.example/bodies/wyvernshire",
            source="slug",
            convert=slug_url("web:body"),
        ),
        _created("body"),
        _updated("body"),
    ),
    records=body_records,
    modified=lambda: _max(Body.objects.all(), "updated_at"),
)


# Categories ---------------------------------------------------------------------------------


def _question(question: CategoryQuestion) -> dict[str, Any]:
    return {
        "code": question.code,
        "label": question.label,
        "hint": question.hint,
        "datatype": question.datatype,
        "required": question.required,
        "variable": question.variable,
        "values": [
            {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
            for v in (question.values or [])
            if isinstance(v, dict)
        ],
    }


def category_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    categories = Category.objects.order_by("service_code").prefetch_related(
        Prefetch("questions", queryset=CategoryQuestion.objects.order_by("order", "id")),
        Prefetch("asset_types", queryset=AssetType.objects.only("pk", "slug").order_by("slug")),
    )
    for category in categories:
        values = {
            "service_code": category.service_code,
            "slug": category.slug,
            "name": category.name,
            "group": category.group,
            "description": category.description,
            "active": category.active,
            "asset_type_slugs": ";".join(t.slug for t in category.asset_types.all()),
            "asset_required": category.asset_required,
            "duplicate_radius_m": category.duplicate_radius_m,
            "question_list": [_question(q) for q in category.questions.all()],
            "created_at": category.created_at,
            "updated_at": category.updated_at,
        }
        yield tuple(values[name] for name in fields)


CATEGORIES = DatasetSpec(
    slug=Dataset.CATEGORIES,
    title="Categories",
    description=(
        "What requests can be about (Open311 calls them services), with the extra questions "
        "each asks and the kinds of asset it is reported on."
    ),
    row="One row per category.",
    keywords=("categories", "services", "Open311"),
    themes=("GOVE",),
    order="Rows are in the order of service_code.",
    columns=(
        Column("service_code", CODE, "The category's code (the Open311 service code).", "POT"),
        Column("slug", CODE, "Its short name in addresses on this site.", "pothole"),
        Column("name", TEXT, "Its name.", "Pothole"),
        Column(
            "group",
            CODE,
            "The group it belongs to.",
            "roads",
            choices=_choices(CategoryGroup.choices),
        ),
        Column(
            "group_label",
            TEXT,
            "The group as the site shows it.",
            "Roads and pavements",
            source="group",
            convert=lambda group: str(CategoryGroup(group).label),
        ),
        Column(
            "description",
            TEXT,
            "What belongs in the category.",
            "Holes and cracks in the road surface.",
            nullable=True,
        ),
        Column("active", BOOLEAN, "Whether new requests can be made in it.", "true"),
        Column(
            "asset_types",
            LIST,
            "The slugs of the kinds of asset it is reported on.",
            "streetlight",
            nullable=True,
            source="asset_type_slugs",
            convert=split_list,
        ),
        Column(
            "asset_required",
            BOOLEAN,
            "Whether a report must name one of those assets.",
            "false",
        ),
        Column(
            "duplicate_radius_m",
            INTEGER,
            "Open requests in the category within this many metres are offered to a reporter "
            "as possible duplicates.",
            "50",
        ),
        Column(
            "questions",
            JSON,
            "The extra questions asked when reporting (a list of objects with code, label, "
            "hint, datatype, required, variable and values).",
            '[{"code":"depth","datatype":"singlevaluelist","hint":"","label":"How deep is it?",'
            '"required":true,"values":[{"key":"deep","name":"5 cm or deeper"}],"variable":true}]',
            source="question_list",
        ),
        Column(
            "url",
            URL,
            "The category's public page.",
            "https://openlocal.example/categories/pothole",
            source="slug",
            convert=slug_url("web:category"),
        ),
        _created("category"),
        _updated("category"),
    ),
    records=category_records,
    modified=lambda: _max(Category.objects.all(), "updated_at"),
)


# Statistics ---------------------------------------------------------------------------------


STATISTICS = DatasetSpec(
    slug=Dataset.STATISTICS,
    title="Statistics",
    description=(
        "How many requests were reported each month, for the whole site and for each "
        "category, body and area, how many of them are open and closed now, and the median "
        "time they took to close."
    ),
    row=(
        "One row per dimension, key and month with at least one public request reported in "
        "that month."
    ),
    keywords=("statistics", "performance", "time to fix", "demand"),
    themes=("GOVE", "REGI"),
    order=(
        "Rows are in the order of month, then dimension (site, category, body, area), then key."
    ),
    columns=(
        Column(
            "dimension",
            CODE,
            "What the row counts by.",
            "category",
            choices=filters.DIMENSIONS,
        ),
        Column(
            "key",
            CODE,
            "Which one: a category's service code, a body's or an area's slug; \"all\" for "
            "the whole site.",
            "POT",
        ),
        Column("name", TEXT, "Its name.", "Pothole"),
        Column(
            "area_kind",
            CODE,
            "For an area: what kind of area it is.",
            "ward",
            nullable=True,
            choices=_choices(AreaKind.choices),
        ),
        Column(
            "month",
            MONTH,
            f"The month the requests were reported in ({settings.TIME_ZONE} time).",
            "2026-03",
        ),
        Column("reported", INTEGER, "Public requests reported that month.", "41"),
        Column("open", INTEGER, "Of those, how many are open now.", "6", source="open_count"),
        Column(
            "closed", INTEGER, "Of those, how many are closed now.", "35", source="closed_count"
        ),
        Column(
            "median_days_to_close",
            NUMBER,
            "Of those closed, the median time from report to closing, in days to one "
            "decimal place. Empty when none is closed.",
            "4.5",
            nullable=True,
            source="median_days",
        ),
    ),
    records=statistics.statistic_records,
    modified=lambda: _max(Request.public_objects.all(), "updated_at"),
    filter_form=filters.StatisticsFilters,
    notes=(
        "A request counts in the month it was reported, with its status now: a request "
        "reported in March and fixed in April is in March's row as closed.",
    ),
)


#: Every dataset, in the order the catalogue lists them.
DATASETS: dict[str, DatasetSpec] = {
    spec.slug: spec for spec in (REQUESTS, UPDATES, ASSETS, AREAS, BODIES, CATEGORIES, STATISTICS)
}


def dataset(slug: str) -> DatasetSpec:
    return DATASETS[slug]
