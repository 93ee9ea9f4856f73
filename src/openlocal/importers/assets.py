"""Importing an asset register: bus stops, streetlights, benches, libraries.

Each row is one asset with an id in the source register (NaPTAN's ATCO code), a location
(latitude/longitude, or British National Grid easting/northing), a type (one for the whole
file, or from a column), a name and any other columns kept as attributes. Assets are
matched by the source's id, so importing the register again updates them; an asset of the
same type and id that is already on the site (made by hand, or by another source) is taken
over rather than copied.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import h3.api.basic_int as h3i
import shapely
from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from shapely.geometry import shape

from openlocal.assets.models import Asset, AssetType
from openlocal.importers.bulk import chunks
from openlocal.importers.coordinates import (
    POSTCODE_NAMES,
    PointColumns,
    check_grid,
    check_latitude_longitude,
    grid_to_latitude_longitude,
    guess_column,
    point_columns,
)
from openlocal.importers.engine import (
    BATCH_ROWS,
    CREATE,
    UNCHANGED,
    UPDATE,
    BaseImport,
    digest_of,
)
from openlocal.importers.files import (
    CsvFile,
    GeoJsonFile,
    ImportFileError,
    looks_like_geojson,
    read_geojson,
)
from openlocal.importers.mapping import Mapping, translate
from openlocal.importers.models import ImportKind
from openlocal.places.models import Body

#: Values of an "active" column that mean the asset is no longer in use.
INACTIVE_VALUES = frozenset(
    {"inactive", "false", "no", "n", "0", "deleted", "closed", "disused", "removed"}
)
_ASSET_FIELDS = [
    "asset_type_id",
    "name",
    "latitude",
    "longitude",
    "cell",
    "attributes",
    "active",
    "updated_at",
]


@dataclass(kw_only=True)
class AssetColumns:
    """How to read an asset register: which column holds what."""

    id_column: str
    name_column: str = ""
    #: One asset type for every row (created if missing), or a column naming each row's.
    type_slug: str = ""
    type_name: str = ""
    type_column: str = ""
    latitude_column: str = ""
    longitude_column: str = ""
    easting_column: str = ""
    northing_column: str = ""
    attribute_columns: list[str] = field(default_factory=list)
    #: A column whose value says whether the asset is in use (``inactive``, ``no``...).
    active_column: str = ""
    #: The body responsible for every imported asset (left as it is when None).
    body: Body | None = None
    mapping: Mapping = field(default_factory=Mapping)
    encoding: str = "utf-8-sig"
    delimiter: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            key: value
            for key, value in {
                "id_column": self.id_column,
                "name_column": self.name_column,
                "type": self.type_slug,
                "type_name": self.type_name,
                "type_column": self.type_column,
                "latitude_column": self.latitude_column,
                "longitude_column": self.longitude_column,
                "easting_column": self.easting_column,
                "northing_column": self.northing_column,
                "attribute_columns": self.attribute_columns,
                "active_column": self.active_column,
                "body": self.body.slug if self.body else "",
                "mapping": self.mapping.to_json(),
            }.items()
            if value
        }
        return data


@dataclass(slots=True)
class _Asset:
    line: int
    external_id: str
    type_id: int
    name: str
    attributes: str
    active: bool
    latitude: float = 0.0
    longitude: float = 0.0
    #: Waiting for conversion from the British National Grid.
    grid: tuple[float, float] | None = None
    cell: int = 0
    digest: int = 0


class AssetImport(BaseImport[AssetColumns]):
    kind: ClassVar[str] = ImportKind.ASSETS
    record_field: ClassVar[str] = "asset"
    written_models: ClassVar[tuple[type[Model], ...]] = (Asset,)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.geojson = False
        self._csv: CsvFile | None = None
        self._features: GeoJsonFile | None = None
        self._feature_index = 0
        self._type_ids: dict[str, int] = {}
        self._type_names: dict[int, str] = {}
        self._types_by_value: dict[str, int | str] = {}
        self._fixed_type_id: int | None = None
        self._types_in_use: set[int] = set()
        self._postcode_index: int | None = None
        self._postcode_name = ""

    # Opening and checking the file --------------------------------------------------------

    def open(self) -> contextlib.AbstractContextManager[Any]:
        c = self.columns
        if bool(c.type_slug) == bool(c.type_column):
            raise ImportFileError(
                "Say what type of asset the rows are: --type SLUG for one type (created if "
                "it does not exist), or --type-column COLUMN for a type on each row."
            )
        self.geojson = looks_like_geojson(self.data, self.file_name)
        self.unit = "feature" if self.geojson else "line"
        stack = contextlib.ExitStack()
        if self.geojson:
            self._features = read_geojson(self.data, max_bytes=self.max_bytes)
            self._check_properties(self._features)
        else:
            self._csv = stack.enter_context(
                CsvFile(
                    self.data,
                    encoding=c.encoding,
                    delimiter=c.delimiter,
                    max_bytes=self.max_bytes,
                )
            )
            try:
                self._check_columns(self._csv)
            except ImportFileError:
                stack.close()
                raise
        return stack

    def _check_columns(self, csv_file: CsvFile) -> None:
        c = self.columns
        header = csv_file.header
        (
            c.latitude_column,
            c.longitude_column,
            c.easting_column,
            c.northing_column,
        ) = point_columns(
            header, c.latitude_column, c.longitude_column, c.easting_column, c.northing_column
        )
        if bool(c.latitude_column) != bool(c.longitude_column):
            raise ImportFileError("Give both --latitude-column and --longitude-column, or neither.")
        if bool(c.easting_column) != bool(c.northing_column):
            raise ImportFileError("Give both --easting-column and --northing-column, or neither.")

        def named(column: str, option: str) -> str:
            return header[csv_file.column(column, option)] if column else ""

        self._id = csv_file.column(c.id_column, "--id-column")
        self._name = csv_file.column(c.name_column, "--name-column") if c.name_column else None
        self._type = csv_file.column(c.type_column, "--type-column") if c.type_column else None
        self._points = PointColumns(
            header,
            csv_file.index,
            latitude=named(c.latitude_column, "--latitude-column"),
            longitude=named(c.longitude_column, "--longitude-column"),
            easting=named(c.easting_column, "--easting-column"),
            northing=named(c.northing_column, "--northing-column"),
        )
        self._active = (
            csv_file.column(c.active_column, "--active-column") if c.active_column else None
        )
        positions = [csv_file.column(name, "--attribute-columns") for name in c.attribute_columns]
        self._attribute_index = [(header[i], i) for i in positions]
        postcode = guess_column(header, POSTCODE_NAMES)
        if postcode is not None:
            self._postcode_index = csv_file.index[postcode]
            self._postcode_name = postcode

    def _check_properties(self, data: GeoJsonFile) -> None:
        c = self.columns
        self._id_key = data.property(c.id_column, "--id-column")
        self._name_key = data.property(c.name_column, "--name-column") if c.name_column else ""
        self._type_key = data.property(c.type_column, "--type-column") if c.type_column else ""
        self._active_key = (
            data.property(c.active_column, "--active-column") if c.active_column else ""
        )
        self._attribute_keys = [
            data.property(n, "--attribute-columns") for n in c.attribute_columns
        ]

    def position(self) -> tuple[int, int]:
        if self._csv is not None:
            return self._csv.position(), self._csv.size
        if self._features is not None:
            return self._feature_index, len(self._features.features)
        return 0, 0

    # Asset types ---------------------------------------------------------------------------

    def _load_types(self) -> None:
        for pk, slug, name in AssetType.objects.values_list("pk", "slug", "name"):
            self._type_ids[slug] = pk
            self._type_names[pk] = name
            # Types with no assets yet have none to take over: no need to look.
            if Asset.objects.filter(asset_type_id=pk).exists():
                self._types_in_use.add(pk)
        c = self.columns
        if c.type_slug:
            slug = slugify(c.type_slug)
            if slug != c.type_slug:
                raise ImportFileError(
                    f"--type takes an asset type's slug, such as {slug!r}, not {c.type_slug!r}."
                )
            if slug in self._type_ids:
                self._fixed_type_id = self._type_ids[slug]
                return
            name = c.type_name or slug.replace("-", " ").capitalize()
            if self.dry_run:
                self._fixed_type_id = 0
                self._type_names[0] = name
                self.notes.append(f"The asset type “{name}” ({slug}) would be created.")
            else:
                created = AssetType.objects.create(slug=slug, name=name[:120])
                self._fixed_type_id = created.pk
                self._type_names[created.pk] = created.name
                self.notes.append(f"Created the asset type “{created.name}” ({slug}).")

    def _type_for(self, value: str) -> int | str:
        """The asset type for a type column's value, or why there is none."""
        known = self._types_by_value.get(value)
        if known is not None:
            return known
        answer: int | str
        if not value:
            answer = "no asset type: the column is empty"
        else:
            mapped = translate(self.columns.mapping.asset_types, value)
            slug = mapped if mapped is not None else slugify(value)
            if slug in self._type_ids:
                answer = self._type_ids[slug]
            elif mapped is not None:
                answer = (
                    f"the mapping file maps “{value}” to the asset type {slug!r}, which does "
                    "not exist: create it, or correct the mapping"
                )
            else:
                answer = (
                    f"no asset type for “{value}”: map it to an asset type's slug in the "
                    f"mapping file's [asset_types], or create an asset type with the slug "
                    f"{slug!r}"
                )
        self._types_by_value[value] = answer
        return answer

    # Reading rows --------------------------------------------------------------------------

    def batches(self) -> Iterator[list[_Asset]]:
        self._load_types()
        rows = self._geojson_rows() if self.geojson else self._csv_rows()
        batch: list[_Asset] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                yield self._locate(batch)
                batch = []
        yield self._locate(batch)

    def _no_location(self, line: int, fields: list[str], external_id: str) -> None:
        c = self.columns
        postcode = ""
        if self._postcode_index is not None and self._postcode_index < len(fields):
            postcode = fields[self._postcode_index].strip()
        if not (c.latitude_column or c.easting_column):
            if postcode:
                reason = (
                    f"no latitude/longitude or easting/northing; this file gives only a "
                    f"postcode ({postcode}), and OpenLocal does not look postcodes up. Add "
                    "Latitude and Longitude (or Easting and Northing) columns and import again"
                )
            else:
                reason = (
                    "no latitude/longitude or easting/northing: the file has no columns for "
                    "them. Add Latitude and Longitude (or Easting and Northing) columns, or "
                    "name them with --latitude-column and --longitude-column"
                )
            self.reject(line, self._postcode_name, reason, postcode, external_id)
            return
        reason = f"no location: {self._points.described} are empty"
        if postcode:
            reason += f" (the row gives only a postcode, {postcode}, which is not looked up)"
        self.reject(line, c.latitude_column or c.easting_column, reason, "", external_id)

    def _csv_rows(self) -> Iterator[_Asset]:
        assert self._csv is not None
        c = self.columns
        width = len(self._csv.header)
        id_i, name_i, type_i, active_i = self._id, self._name, self._type, self._active
        points = self._points
        attributes = self._attribute_index
        dumps = json.dumps
        for line, fields in self._csv.rows():
            if not self.counted():
                return
            if self.misshapen(line, fields, width):
                continue
            external_id = fields[id_i].strip()
            good = self.claim_id(line, c.id_column, external_id)
            if type_i is None:
                type_id: int | str = self._fixed_type_id or 0
            else:
                type_id = self._type_for(fields[type_i].strip())
                if isinstance(type_id, str):
                    self.reject(line, c.type_column, type_id, fields[type_i], external_id)
                    good = False
            asset = _Asset(
                line=line,
                external_id=external_id,
                type_id=type_id if isinstance(type_id, int) else 0,
                name=fields[name_i].strip()[:200] if name_i is not None else "",
                attributes=dumps(
                    {name: fields[i].strip() for name, i in attributes if fields[i].strip()},
                    ensure_ascii=False,
                ),
                active=active_i is None
                or fields[active_i].strip().casefold() not in INACTIVE_VALUES,
            )
            point = points.read(fields)
            located = point.found or point.problem is not None
            if point.problem is not None:
                column, reason, value = point.problem
                self.reject(line, column, reason, value, external_id)
                good = False
            elif point.grid is not None:
                asset.grid = point.grid
            elif point.latitude is not None and point.longitude is not None:
                asset.latitude, asset.longitude = point.latitude, point.longitude
            if not located:
                self._no_location(line, fields, external_id)
                good = False
            if good:
                yield asset

    def _geojson_rows(self) -> Iterator[_Asset]:
        assert self._features is not None
        c = self.columns
        grid = self._features.epsg == 27700
        for number, feature in enumerate(self._features.features, start=1):
            self._feature_index = number
            if not self.counted():
                return
            if not isinstance(feature, dict):
                self.reject(number, "", "not a GeoJSON Feature")
                continue
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                props = {}

            def text(key: str, props: dict[str, Any] = props) -> str:
                value = props.get(key) if key else None
                return "" if value is None else str(value).strip()

            external_id = text(self._id_key)
            good = self.claim_id(number, c.id_column, external_id)
            type_id: int | str = self._fixed_type_id or 0
            if self._type_key:
                type_id = self._type_for(text(self._type_key))
                if isinstance(type_id, str):
                    self.reject(number, c.type_column, type_id, text(self._type_key), external_id)
                    good = False
            asset = _Asset(
                line=number,
                external_id=external_id,
                type_id=type_id if isinstance(type_id, int) else 0,
                name=text(self._name_key)[:200],
                attributes=json.dumps(
                    {k: text(k) for k in self._attribute_keys if text(k)}, ensure_ascii=False
                ),
                active=not self._active_key
                or text(self._active_key).casefold() not in INACTIVE_VALUES,
            )
            try:
                geometry = shape(feature.get("geometry"))
                if geometry.is_empty:
                    raise ValueError("the geometry is empty")
                point = (
                    geometry if geometry.geom_type == "Point" else geometry.representative_point()
                )
                x, y = float(point.x), float(point.y)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
                self.reject(number, "geometry", f"no usable geometry ({exc})", "", external_id)
                continue
            except shapely.errors.GEOSException as exc:
                self.reject(number, "geometry", f"the geometry is broken ({exc})", "", external_id)
                continue
            if grid:
                problem = check_grid(x, y)
                asset.grid = (x, y)
            else:
                asset.latitude, asset.longitude = y, x
                problem = check_latitude_longitude(y, x)
            if problem:
                self.reject(number, "geometry", problem, f"{x}, {y}", external_id)
                good = False
            if good:
                yield asset

    def _locate(self, batch: list[_Asset]) -> list[_Asset]:
        """Convert grid references, find each asset's cell, and compute its digest."""
        pending = [a for a in batch if a.grid is not None]
        if pending:
            converted = grid_to_latitude_longitude(
                [a.grid[0] for a in pending if a.grid], [a.grid[1] for a in pending if a.grid]
            )
            for asset, (lat, lon) in zip(pending, converted, strict=True):
                asset.latitude, asset.longitude = lat, lon
        resolution = settings.POINT_CELL_RESOLUTION
        cell = h3i.latlng_to_cell
        body_id = self.columns.body.pk if self.columns.body else None
        for asset in batch:
            asset.cell = int(cell(asset.latitude, asset.longitude, resolution))
            if not asset.name:
                asset.name = f"{self._type_names.get(asset.type_id, 'Asset')} {asset.external_id}"
            asset.digest = digest_of(
                (
                    asset.type_id,
                    asset.name,
                    asset.latitude,
                    asset.longitude,
                    asset.attributes,
                    asset.active,
                    body_id,
                )
            )
        return batch

    # Writing ------------------------------------------------------------------------------

    def apply(self, batch: list[_Asset]) -> None:
        records = self.records([a.external_id for a in batch])
        new = [a for a in batch if a.external_id not in records]
        changed = [
            a for a in batch if a.external_id in records and records[a.external_id][2] != a.digest
        ]
        # Assets already on the site with the same type and id are taken over, not copied.
        on_site: dict[tuple[int, str], tuple[int, int | None]] = {}
        by_type: dict[int, list[str]] = {}
        for asset in new:
            by_type.setdefault(asset.type_id, []).append(asset.external_id)
        for type_id, ids in by_type.items():
            if type_id not in self._types_in_use:
                continue
            # By type and id together: the look-up the unique index serves.
            for chunk in chunks(ids):
                for external_id, pk, body_id in Asset.objects.filter(
                    asset_type_id=type_id, external_id__in=chunk
                ).values_list("external_id", "pk", "body_id"):
                    on_site[(type_id, external_id)] = (pk, body_id)
        stored: dict[int, tuple[int, int | None]] = {}
        if changed:
            stored = {
                pk: (type_id, body_id)
                for pk, type_id, body_id in Asset.objects.filter(
                    pk__in=[records[a.external_id][1] for a in changed]
                ).values_list("pk", "asset_type_id", "body_id")
            }
        creates: list[_Asset] = []
        adopts: list[tuple[_Asset, int]] = []
        updates: list[tuple[_Asset, int, int]] = []
        for asset in batch:
            record = records.get(asset.external_id)
            if record is not None:
                record_pk, asset_pk, digest = record
                if digest == asset.digest:
                    self.unchanged += 1
                    self._show(asset, UNCHANGED)
                    continue
                stored_type, stored_body = stored.get(asset_pk, (asset.type_id, None))
                if not self._may_change(asset, stored_body):
                    continue
                if stored_type != asset.type_id and self._type_taken(asset, asset_pk):
                    continue
                updates.append((asset, asset_pk, record_pk))
                self.updated += 1
                self._show(asset, UPDATE)
                continue
            existing = on_site.get((asset.type_id, asset.external_id))
            if existing is not None:
                if not self._may_change(asset, existing[1]):
                    continue
                adopts.append((asset, existing[0]))
                self.updated += 1
                self._show(asset, UPDATE)
                continue
            if self.allowed_body_ids is not None and (
                self.columns.body is None or self.columns.body.pk not in self.allowed_body_ids
            ):
                self.reject(
                    asset.line,
                    self.columns.id_column,
                    "new assets need a body you administer: choose one",
                    "",
                    asset.external_id,
                )
                continue
            creates.append(asset)
            self.created += 1
            self._show(asset, CREATE)
        if self.writing:
            self._write(creates, adopts, updates)

    def _may_change(self, asset: _Asset, body_id: int | None) -> bool:
        if self.allowed_body_ids is None or body_id in self.allowed_body_ids:
            return True
        owner = (
            Body.objects.filter(pk=body_id).values_list("name", flat=True).first()
            if body_id is not None
            else None
        )
        self.reject(
            asset.line,
            self.columns.id_column,
            f"the asset {asset.external_id} belongs to {owner or 'no body'}: only its "
            "administrators (or a site administrator) can change it",
            asset.external_id,
            asset.external_id,
        )
        return False

    def _type_taken(self, asset: _Asset, asset_pk: int) -> bool:
        taken = (
            Asset.objects.filter(asset_type_id=asset.type_id, external_id=asset.external_id)
            .exclude(pk=asset_pk)
            .exists()
        )
        if taken:
            self.reject(
                asset.line,
                self.columns.type_column or self.columns.id_column,
                f"another asset of type {self._type_names.get(asset.type_id, '?')} already has "
                f"the id {asset.external_id}",
                asset.external_id,
                asset.external_id,
            )
        return taken

    def _show(self, asset: _Asset, action: str) -> None:
        if len(self.preview) >= self.preview_rows:
            return
        values = [
            ("Name", asset.name),
            ("Type", self._type_names.get(asset.type_id, "")),
            ("Latitude, longitude", f"{asset.latitude:.6f}, {asset.longitude:.6f}"),
        ]
        if asset.grid is not None:
            values.append(("From easting, northing", f"{asset.grid[0]:.0f}, {asset.grid[1]:.0f}"))
        attributes = json.loads(asset.attributes)
        if attributes:
            values.append(("Attributes", "; ".join(f"{k}: {v}" for k, v in attributes.items())))
        if not asset.active:
            values.append(("In use", "No"))
        self.show(asset.line, asset.external_id, action, values)

    def _values(self, asset: _Asset, now: Any) -> list[Any]:
        return [
            asset.type_id,
            asset.name,
            asset.latitude,
            asset.longitude,
            asset.cell,
            asset.attributes,
            asset.active,
            now,
        ]

    def _write(
        self,
        creates: list[_Asset],
        adopts: list[tuple[_Asset, int]],
        updates: list[tuple[_Asset, int, int]],
    ) -> None:
        now = timezone.now()
        body = self.columns.body
        body_id = body.pk if body else None
        fields = list(_ASSET_FIELDS) + (["body_id"] if body else [])
        tail = [body_id] if body else []
        if creates:
            ids = self.writer.allocate_ids(Asset, len(creates))
            self.writer.insert(
                Asset,
                ["id", "external_id", "created_at", "body_id", *_ASSET_FIELDS],
                [
                    (pk, asset.external_id, now, body_id, *self._values(asset, now))
                    for pk, asset in zip(ids, creates, strict=True)
                ],
            )
            self.add_records(
                [(a.external_id, a.digest, pk) for pk, a in zip(ids, creates, strict=True)]
            )
        if adopts:
            self.writer.update(
                Asset, fields, [(*self._values(a, now), *tail, pk) for a, pk in adopts]
            )
            self.add_records([(a.external_id, a.digest, pk) for a, pk in adopts])
        if updates:
            self.writer.update(
                Asset, fields, [(*self._values(a, now), *tail, pk) for a, pk, _ in updates]
            )
            self.set_digests([(a.digest, record_pk) for a, _, record_pk in updates])
