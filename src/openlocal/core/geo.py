"""Geography without system libraries: H3 cells for look-ups, shapely for exact tests."""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import h3
import h3.api.basic_int as h3i
import shapely
from django.conf import settings
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8


class InvalidLocation(ValueError):
    """A latitude/longitude pair that is not a place on Earth."""


def validate_point(latitude: float, longitude: float) -> tuple[float, float]:
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise InvalidLocation("Latitude and longitude must be numbers.")
    if not -90 <= latitude <= 90:
        raise InvalidLocation(
            f"Latitude {latitude} is out of range: it must be between -90 and 90."
        )
    if not -180 <= longitude <= 180:
        raise InvalidLocation(
            f"Longitude {longitude} is out of range: it must be between -180 and 180."
        )
    return latitude, longitude


def point_cell(latitude: float, longitude: float, resolution: int | None = None) -> int:
    """The H3 cell of a point, as a signed 64-bit integer (H3 never sets the top bit)."""
    res = settings.POINT_CELL_RESOLUTION if resolution is None else resolution
    return int(h3i.latlng_to_cell(latitude, longitude, res))


def cell_and_parents(cell: int) -> list[int]:
    """The cell and each of its ancestors: the keys under which a compacted cover can hold it."""
    res = h3i.get_resolution(cell)
    return [cell] + [int(h3i.cell_to_parent(cell, r)) for r in range(res - 1, -1, -1)]


def cells_within(latitude: float, longitude: float, radius_m: float) -> list[int]:
    """Cells (at the point resolution) that together cover a circle of ``radius_m``."""
    res = settings.POINT_CELL_RESOLUTION
    centre = h3i.latlng_to_cell(latitude, longitude, res)
    edge = h3i.average_hexagon_edge_length(res, unit="m")
    # Hexagon centres are sqrt(3) edges apart; one ring more covers the partial cells.
    rings = max(1, math.ceil(radius_m / (edge * math.sqrt(3))) + 1)
    cells = []
    for cell in h3i.grid_disk(centre, rings):
        # Keep a cell only if its circumscribed circle reaches the search circle: far fewer
        # cells (and rows to read) for small radii, and never one that could hold a match.
        lat, lon = h3i.cell_to_latlng(cell)
        reach = max(distance_m(lat, lon, vlat, vlon) for vlat, vlon in h3i.cell_to_boundary(cell))
        if distance_m(latitude, longitude, lat, lon) - reach <= radius_m:
            cells.append(int(cell))
    return cells


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def geometry_from_geojson(geojson: dict) -> BaseGeometry:
    """A valid (multi)polygon from a GeoJSON geometry, repaired if it self-intersects."""
    geometry = shape(geojson)
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValueError(f"Expected a Polygon or MultiPolygon, got {geometry.geom_type}.")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        if geometry.geom_type == "GeometryCollection":
            polygons = [g for g in geometry.geoms if g.geom_type in {"Polygon", "MultiPolygon"}]
            geometry = shapely.unary_union(polygons)
    if geometry.is_empty:
        raise ValueError("The geometry is empty.")
    return geometry


def geometry_to_geojson(geometry: BaseGeometry) -> dict:
    return dict(mapping(geometry))


def _h3_shapes(geometry: BaseGeometry) -> Iterable[h3.LatLngPoly]:
    polygons = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
    for polygon in polygons:
        outer = [(y, x) for x, y in polygon.exterior.coords]
        holes = [[(y, x) for x, y in ring.coords] for ring in polygon.interiors]
        yield h3.LatLngPoly(outer, *holes)


def polygon_cover(geometry: BaseGeometry, resolution: int | None = None) -> list[tuple[int, bool]]:
    """A compacted H3 cover of a polygon: ``(cell, interior)`` pairs.

    Interior cells lie wholly inside the polygon, so a point in them needs no exact test;
    boundary cells overlap the edge and need a shapely test. Together they cover every point
    of the polygon.
    """
    res = settings.AREA_COVER_RESOLUTION if resolution is None else resolution
    overlap: set[str] = set()
    full: set[str] = set()
    for poly in _h3_shapes(geometry):
        overlap.update(h3.h3shape_to_cells_experimental(poly, res, contain="overlap"))
        full.update(h3.h3shape_to_cells_experimental(poly, res, contain="full"))
    boundary = overlap - full
    interior = h3.compact_cells(list(full)) if full else []
    return [(h3.str_to_int(c), True) for c in interior] + [
        (h3.str_to_int(c), False) for c in sorted(boundary)
    ]


@lru_cache(maxsize=4096)
def prepared_geometry(wkb: bytes) -> BaseGeometry:
    """Parse and prepare a stored geometry once per process for repeated exact tests."""
    geometry = shapely.from_wkb(wkb)
    shapely.prepare(geometry)
    return geometry


def contains(wkb: bytes, latitude: float, longitude: float) -> bool:
    return bool(prepared_geometry(wkb).covers(shapely.Point(longitude, latitude)))
