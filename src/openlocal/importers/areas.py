"""Importing boundaries from GeoJSON: counties, districts, wards, parishes.

Each feature is one area, identified by its official code (an ONS code such as
``E05011011``) within its kind; importing the file again updates the areas by code. An area
whose boundary, name and parent are as they were is left alone, which matters because
building an area's H3 cover is the slow part. Parents come from ``--parent`` (one area for
the whole file) or from a property holding each feature's parent's code (a ward's
``LAD23CD``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from openlocal.core import geo
from openlocal.importers.engine import CREATE, UNCHANGED, UPDATE, BaseImport, digest_of
from openlocal.importers.files import GeoJsonFile, ImportFileError, read_geojson
from openlocal.importers.models import ImportedRecord, ImportKind
from openlocal.places.models import Area, AreaKind, Body
from openlocal.places.services import area_save

#: Features read and written together: each area's cover is built on its own anyway.
AREA_BATCH = 50


@dataclass(kw_only=True)
class AreaColumns:
    """How to read a boundaries file: which properties hold the code and the name."""

    kind: str
    code_field: str
    name_field: str
    #: One parent for every area, or a property holding each one's parent's code.
    parent: Area | None = None
    parent_code_field: str = ""
    #: A body that covers every imported area.
    body: Body | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in {
                "kind": self.kind,
                "code_field": self.code_field,
                "name_field": self.name_field,
                "parent": self.parent.slug if self.parent else "",
                "parent_code_field": self.parent_code_field,
                "body": self.body.slug if self.body else "",
            }.items()
            if value
        }


@dataclass(slots=True)
class _Area:
    line: int
    code: str
    name: str
    shape: BaseGeometry
    parent_id: int | None
    digest: int = 0


def parent_area(slug_or_code: str, *, kind: str) -> Area | None:
    """The area named by its slug, or else by its official code (among other kinds than
    the areas being imported); None when there is no such area, or several."""
    value = slug_or_code.strip()
    area = Area.objects.filter(slug=value).first()
    if area is not None:
        return area
    found = list(Area.objects.filter(code=value).exclude(kind=kind)[:2])
    return found[0] if len(found) == 1 else None


def _to_wgs84(geometry: BaseGeometry) -> BaseGeometry:
    from openlocal.importers.coordinates import _grid_transformer

    transformer = _grid_transformer()

    def convert(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, convert)


class AreaImport(BaseImport[AreaColumns]):
    kind: ClassVar[str] = ImportKind.AREAS
    unit = "feature"
    record_field: ClassVar[str] = "area"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._file: GeoJsonFile | None = None
        self._index = 0
        self._parents: dict[str, int | None] = {}
        self._touched: list[int] = []

    def open(self) -> contextlib.AbstractContextManager[Any]:
        c = self.columns
        if c.kind not in AreaKind.values:
            raise ImportFileError(
                f"Unknown area kind {c.kind!r}: use one of {', '.join(AreaKind.values)}."
            )
        if c.parent is not None and c.parent_code_field:
            raise ImportFileError("Give either --parent or --parent-code-field, not both.")
        data = read_geojson(self.data, max_bytes=self.max_bytes)
        if data.features:
            self._code_key = data.property(c.code_field, "--code-field")
            self._name_key = data.property(c.name_field, "--name-field")
            self._parent_key = (
                data.property(c.parent_code_field, "--parent-code-field")
                if c.parent_code_field
                else ""
            )
        self._file = data
        return contextlib.nullcontext()

    def position(self) -> tuple[int, int]:
        return self._index, len(self._file.features) if self._file else 0

    def _parent_for(self, code: str) -> int | str | None:
        """The id of the area with this code (of another kind), or why there is none."""
        if code in self._parents:
            found = self._parents[code]
            return found if found is not None else f"no area has the code {code}"
        pks = list(
            Area.objects.filter(code=code)
            .exclude(kind=self.columns.kind)
            .values_list("pk", flat=True)[:2]
        )
        self._parents[code] = pks[0] if len(pks) == 1 else None
        if not pks:
            return (
                f"no area has the code {code}: import the parent areas first (e.g. the "
                "districts before their wards)"
            )
        if len(pks) > 1:
            return f"more than one area has the code {code}: give --parent instead"
        return pks[0]

    def batches(self) -> Iterator[list[_Area]]:
        assert self._file is not None
        c = self.columns
        grid = self._file.epsg == 27700
        batch: list[_Area] = []
        for number, feature in enumerate(self._file.features, start=1):
            self._index = number
            if not self.counted():
                break
            if not isinstance(feature, dict):
                self.reject(number, "", "not a GeoJSON Feature")
                continue
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                props = {}
            name = str(props.get(self._name_key) or "").strip()
            code = str(props.get(self._code_key) or "").strip()
            good = True
            if not name:
                self.reject(
                    number,
                    c.name_field,
                    f"no {c.name_field!r} property (the area's name)",
                    "",
                    code,
                )
                good = False
            if not code:
                self.reject(
                    number,
                    c.code_field,
                    f"no {c.code_field!r} property (the area's code)",
                    "",
                    name,
                )
                good = False
            elif len(code) > 32:
                self.reject(
                    number, c.code_field, "the code is longer than 32 characters", code, code
                )
                good = False
            elif not self.claim_id(number, c.code_field, code):
                good = False
            parent_id = c.parent.pk if c.parent else None
            if self._parent_key:
                parent_code = str(props.get(self._parent_key) or "").strip()
                found = self._parent_for(parent_code) if parent_code else "the property is empty"
                if isinstance(found, str):
                    self.reject(number, c.parent_code_field, found, parent_code, code)
                    good = False
                else:
                    parent_id = found
            try:
                shape = geo.geometry_from_geojson(feature.get("geometry") or {})
                if grid:
                    shape = _to_wgs84(shape)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
                self.reject(number, "geometry", f"bad geometry: {exc}", "", code)
                continue
            except shapely.errors.GEOSException as exc:
                self.reject(number, "geometry", f"bad geometry: {exc}", "", code)
                continue
            min_lon, min_lat, max_lon, max_lat = shape.bounds
            if min_lat < -90 or max_lat > 90 or min_lon < -180 or max_lon > 180:
                self.reject(
                    number,
                    "geometry",
                    "the coordinates are not longitude/latitude: export the file in WGS84 "
                    "(EPSG:4326)",
                    "",
                    code,
                )
                continue
            if not good:
                continue
            shape_hash = hashlib.blake2b(shapely.to_wkb(shape), digest_size=16).hexdigest()
            area = _Area(number, code, name[:200], shape, parent_id)
            area.digest = digest_of((c.kind, name[:200], parent_id, shape_hash))
            batch.append(area)
            if len(batch) >= AREA_BATCH:
                yield batch
                batch = []
        yield batch

    def apply(self, batch: list[_Area]) -> None:
        records = self.records([a.code for a in batch])
        existing: set[str] = set()
        if any(a.code not in records for a in batch):
            existing = set(
                Area.objects.filter(
                    kind=self.columns.kind,
                    code__in=[a.code for a in batch if a.code not in records],
                ).values_list("code", flat=True)
            )
        for item in batch:
            record = records.get(item.code)
            if record is not None and record[2] == item.digest:
                self.unchanged += 1
                self._show(item, UNCHANGED)
                self._touched.append(record[1])
                continue
            action = UPDATE if record is not None or item.code in existing else CREATE
            self._show(item, action)
            if not self.writing:
                if action == CREATE:
                    self.created += 1
                else:
                    self.updated += 1
                continue
            area, created = area_save(
                name=item.name,
                kind=self.columns.kind,
                code=item.code,
                geometry=item.shape,
                parent=Area(pk=item.parent_id) if item.parent_id else None,
            )
            if created:
                self.created += 1
            else:
                self.updated += 1
            self._touched.append(area.pk)
            if record is not None:
                self.writer.update(
                    ImportedRecord, ["digest", "area_id"], [(item.digest, area.pk, record[0])]
                )
            else:
                self.add_records([(item.code, item.digest, area.pk)])

    def _show(self, item: _Area, action: str) -> None:
        if len(self.preview) >= self.preview_rows:
            return
        min_lon, min_lat, max_lon, max_lat = item.shape.bounds
        values = [
            ("Name", item.name),
            ("Kind", str(AreaKind(self.columns.kind).label)),
            ("Bounds", f"{min_lat:.4f}, {min_lon:.4f} to {max_lat:.4f}, {max_lon:.4f}"),
        ]
        if item.parent_id:
            parent = Area.objects.filter(pk=item.parent_id).values_list("name", flat=True).first()
            values.append(("Within", parent or ""))
        self.show(item.line, item.code, action, values)

    def finish(self) -> None:
        if self.columns.body is not None and self._touched:
            self.columns.body.areas.add(*self._touched)
