"""Areas and routes for many points at once, for importing a history of requests.

:func:`openlocal.places.selectors.areas_containing` answers for one point with two queries;
a hundred thousand requests would make two hundred thousand. Points close together share
the same cell of the areas' H3 cover, so the cover is read once per cell, for many cells
at a time; only points in a boundary cell get an exact polygon test, as there. The routes
for a set of areas come from :func:`openlocal.places.selectors.routes_at` itself, once per
distinct set, so an imported request goes to the body a new report at the same place
would go to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h3.api.basic_int as h3i
import shapely
from django.conf import settings
from shapely.geometry.base import BaseGeometry

from openlocal.core import geo
from openlocal.importers.bulk import chunks
from openlocal.places.models import AREA_KIND_ORDER, Area, AreaCell
from openlocal.places.selectors import routes_at

_KIND_RANK = {str(kind): i for i, kind in enumerate(AREA_KIND_ORDER)}


@dataclass(frozen=True)
class Routed:
    body_id: int
    body_name: str


class Locator:
    """Which areas contain each point, and who handles each category there."""

    def __init__(self) -> None:
        self.resolution = settings.AREA_COVER_RESOLUTION
        #: Cover cell → (areas wholly containing it, areas whose edge crosses it).
        self._cells: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        self._shapes: dict[int, BaseGeometry] = {}
        self._areas: dict[int, Area] = {}
        self._routes: dict[tuple[int, ...], dict[int, Routed]] = {}
        self._orders: dict[frozenset[int], tuple[int, ...]] = {}

    def areas(self, points: Sequence[tuple[float, float]]) -> list[tuple[int, ...]]:
        """For each ``(latitude, longitude)``, the ids of the areas containing it, largest
        kind first (the order of ``areas_containing``); empty when none does."""
        cells = [int(h3i.latlng_to_cell(lat, lon, self.resolution)) for lat, lon in points]
        self._load_cells({c for c in cells if c not in self._cells})
        found: list[tuple[int, ...]] = []
        for (lat, lon), cell in zip(points, cells, strict=True):
            interior, boundary = self._cells[cell]
            inside = interior
            if boundary:
                point = shapely.Point(lon, lat)
                inside = interior | {pk for pk in boundary if self._shape(pk).covers(point)}
            ordered = self._orders.get(inside)
            if ordered is None:
                ordered = self._orders[inside] = self._ordered(inside)
            found.append(ordered)
        return found

    def _ordered(self, ids: frozenset[int]) -> tuple[int, ...]:
        areas = self._areas
        return tuple(
            sorted(ids, key=lambda pk: (_KIND_RANK.get(areas[pk].kind, 99), areas[pk].name, pk))
        )

    def _load_cells(self, cells: set[int]) -> None:
        if not cells:
            return
        keys_of = {cell: geo.cell_and_parents(cell) for cell in cells}
        keys = sorted({key for keys in keys_of.values() for key in keys})
        entries: dict[int, list[tuple[int, bool]]] = {}
        for chunk in chunks(keys):
            for key, area_id, whole in AreaCell.objects.filter(cell__in=chunk).values_list(
                "cell", "area_id", "interior"
            ):
                entries.setdefault(key, []).append((area_id, whole))
        new_ids: set[int] = set()
        for cell, cell_keys in keys_of.items():
            interior: set[int] = set()
            boundary: set[int] = set()
            for key in cell_keys:
                for area_id, is_interior in entries.get(key, ()):
                    (interior if is_interior else boundary).add(area_id)
            boundary -= interior
            self._cells[cell] = (frozenset(interior), frozenset(boundary))
            new_ids |= interior | boundary
        missing = [pk for pk in new_ids if pk not in self._areas]
        for chunk in chunks(missing):
            for area in Area.objects.filter(pk__in=chunk).defer("geometry"):
                self._areas[area.pk] = area

    def _shape(self, pk: int) -> BaseGeometry:
        shape = self._shapes.get(pk)
        if shape is None:
            wkb = Area.objects.filter(pk=pk).values_list("geometry", flat=True).get()
            shape = shapely.from_wkb(bytes(wkb))
            shapely.prepare(shape)
            self._shapes[pk] = shape
        return shape

    def route(self, area_ids: tuple[int, ...], category_id: int) -> Routed | None:
        """The body that handles the category within these areas, or None."""
        routes = self._routes.get(area_ids)
        if routes is None:
            areas = [self._areas[pk] for pk in area_ids]
            centre = areas[-1]
            routes = {
                category: Routed(route.body.pk, route.body.name)
                for category, route in routes_at(
                    centre.centre_latitude, centre.centre_longitude, areas
                ).items()
            }
            self._routes[area_ids] = routes
        return routes.get(category_id)

    def area_names(self, area_ids: tuple[int, ...]) -> list[str]:
        return [self._areas[pk].name for pk in area_ids]
