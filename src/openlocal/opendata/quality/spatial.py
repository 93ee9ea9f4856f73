"""The geographic checks: points outside every area, areas at points, duplicate assets.

Each check goes through the H3 index rather than testing polygons row by row, so that its
cost follows the number of distinct cells (or of rows near an area's edge), not the number
of rows times the number of areas:

- *Outside every area*: rows are counted per cover cell in one ``GROUP BY`` and the cells
  are anti-joined against ``AreaCell`` (the compacted cover of every area). A cell that no
  cover holds is outside; a cell that only boundary cells hold needs an exact polygon test,
  for the few rows in it.
- *Likely duplicate assets*: assets are bucketed by a fine H3 cell whose edge is at least
  twice the distance looked for, so that any two assets that close are in the same cell or
  in neighbouring ones; only those pairs are measured.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import h3.api.basic_int as h3i
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet

from openlocal.core import geo
from openlocal.places.models import Area, AreaCell

#: Clears an H3 index's four resolution bits (52–55).
_CLEAR_RESOLUTION = ~(0xF << 52)


def _batch() -> int:
    """Values per ``IN (...)`` list: most of the database's limit on parameters (999 for
    SQLite as Django declares it), leaving room for the query's own; 9,000 otherwise."""
    return (connection.features.max_query_params or 10_000) * 9 // 10


def _parent_bits(resolution: int) -> int:
    """What to OR into a finer cell (resolution bits cleared) to make its parent.

    An H3 index holds its resolution in bits 52–55 and one 3-bit digit per resolution below
    that; the digits finer than the resolution are all ones (7). So the parent at ``r`` is
    the cell with its resolution set to ``r`` and the digits after ``r`` set to 7.
    """
    return (resolution << 52) | ((1 << (3 * (15 - resolution))) - 1)


def parent_cell(cell: int, resolution: int) -> int:
    return (cell & _CLEAR_RESOLUTION) | _parent_bits(resolution)


def _parent_sql(column: str, resolution: int) -> str:
    # Both operands are integers computed here, never input: safe to write into the SQL.
    return f"(({column} & ({_CLEAR_RESOLUTION})) | {_parent_bits(resolution)})"


def valid_point_q() -> Q:
    """Rows whose latitude and longitude are a real place, other than (0, 0)."""
    return Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180) & ~Q(
        latitude=0, longitude=0
    )


def bad_point_q() -> Q:
    """Rows at (0, 0), a common stand-in for "no location", or off the globe."""
    return (
        Q(latitude=0, longitude=0)
        | Q(latitude__lt=-90)
        | Q(latitude__gt=90)
        | Q(longitude__lt=-180)
        | Q(longitude__gt=180)
    )


@dataclass
class OutsideResult:
    """How many rows lie outside every area, and the ids of some of them."""

    count: int = 0
    example_ids: list[int] = field(default_factory=list)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_cover_cell(queryset: QuerySet) -> QuerySet:
    """Rows counted per cover-resolution cell: ``{"cover_cell", "rows"}``."""
    res = settings.AREA_COVER_RESOLUTION
    return (
        queryset.order_by()
        .annotate(
            cover_cell=ExpressionWrapper(
                F("cell").bitand(_CLEAR_RESOLUTION).bitor(_parent_bits(res)),
                output_field=BigIntegerField(),
            )
        )
        .values("cover_cell")
        .annotate(rows=Count("pk"))
    )


def _uncovered_cells(queryset: QuerySet) -> tuple[list[tuple[int, int]], list[int]]:
    """Cover-resolution cells of the rows that no area's cover holds as interior.

    Returns ``(outside, edge)``: ``outside`` pairs each cell no cover holds at all with its
    number of rows (most first); ``edge`` lists the cells that only areas' boundary cells
    hold, whose rows need an exact test.
    """
    res = settings.AREA_COVER_RESOLUTION
    inner, params = _by_cover_cell(queryset).query.sql_with_params()
    keys = ", ".join(["g.cover_cell"] + [_parent_sql("g.cover_cell", r) for r in range(res)])
    table = connection.ops.quote_name(AreaCell._meta.db_table)
    # Only integers computed here and a quoted table name are written into the SQL; the
    # inner query's own values stay parameters.
    sql = (
        "SELECT g.cover_cell, g.rows, COUNT(ac.id) AS matches "  # noqa: S608
        f"FROM ({inner}) g LEFT JOIN {table} ac ON ac.cell IN ({keys}) "
        "GROUP BY g.cover_cell, g.rows "
        "HAVING MAX(CASE WHEN ac.interior THEN 1 ELSE 0 END) = 0"
    )
    outside: list[tuple[int, int]] = []
    edge: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for cell, rows, matches in cursor.fetchall():
            if matches:
                edge.append(int(cell))
            else:
                outside.append((int(cell), int(rows)))
    outside.sort(key=lambda pair: (-pair[1], pair[0]))
    edge.sort()
    return outside, edge


def _children(cells: Sequence[int]) -> list[int]:
    res = settings.POINT_CELL_RESOLUTION
    return [int(child) for cell in cells for child in h3i.cell_to_children(cell, res)]


def on_the_globe(latitude: float, longitude: float) -> bool:
    """The same rows as :func:`valid_point_q`, tested in Python."""
    return (
        -90 <= latitude <= 90
        and -180 <= longitude <= 180
        and not (latitude == 0 and longitude == 0)
    )


class _Geometries:
    """Areas' stored boundaries, read and prepared once per report."""

    def __init__(self) -> None:
        self._shapes: dict[int, shapely.Geometry | None] = {}

    def load(self, area_ids: set[int]) -> None:
        missing = sorted(area_ids - self._shapes.keys())
        for batch in _chunks(missing, _batch()):
            for pk, wkb in Area.objects.filter(pk__in=batch).values_list("pk", "geometry"):
                try:
                    shape = shapely.from_wkb(bytes(wkb)) if wkb else None
                except shapely.errors.GEOSException:
                    shape = None  # an unreadable boundary covers nothing (the report says so)
                if shape is not None:
                    shapely.prepare(shape)
                self._shapes[pk] = shape

    def shape(self, area_id: int) -> shapely.Geometry | None:
        return self._shapes.get(area_id)

    def covers(self, area_id: int, latitude: float, longitude: float) -> bool:
        shape = self._shapes.get(area_id)
        return shape is not None and bool(shapely.intersects_xy(shape, longitude, latitude))


def _outside_of_candidates(
    rows: list[tuple[int, float, float, int]],
    candidates: dict[int, set[int]],
    geometries: _Geometries,
) -> list[int]:
    """Ids of the rows that none of their candidate areas covers, tested area by area.

    Points are tested in one vectorised call per area (a point intersects a polygon exactly
    when the polygon covers it), not one call per point.
    """
    res = settings.AREA_COVER_RESOLUTION
    inside = [False] * len(rows)
    by_area: dict[int, list[int]] = {}
    for n, (_pk, _lat, _lon, cell) in enumerate(rows):
        for area_id in candidates.get(parent_cell(cell, res), ()):
            by_area.setdefault(area_id, []).append(n)
    for area_id in sorted(by_area):
        shape = geometries.shape(area_id)
        pending = [n for n in by_area[area_id] if not inside[n]]
        if shape is None or not pending:
            continue
        hits = shapely.intersects_xy(
            shape, [rows[n][2] for n in pending], [rows[n][1] for n in pending]
        )
        for n, hit in zip(pending, hits.tolist(), strict=True):
            inside[n] = inside[n] or bool(hit)
    return [row[0] for row, covered in zip(rows, inside, strict=True) if not covered]


def points_outside_areas(queryset: QuerySet, *, limit: int) -> OutsideResult:
    """Rows of ``queryset`` (with ``cell``, ``latitude``, ``longitude``) outside every area.

    Rows with impossible coordinates are left to :func:`bad_point_q`. The count is exact;
    ``example_ids`` holds up to ``limit`` ids, from the emptiest places first.
    """
    # Every row is grouped, bad ones included, and those few are taken off afterwards: a
    # range condition on latitude would lead SQLite to read the whole table through the
    # latitude index, several times slower than a plain scan.
    outside, edge = _uncovered_cells(queryset)
    bad = dict(_by_cover_cell(queryset.filter(bad_point_q())).values_list("cover_cell", "rows"))
    result = OutsideResult(count=sum(max(0, n - bad.get(cell, 0)) for cell, n in outside))
    columns = ("pk", "latitude", "longitude", "cell")
    for batch in _chunks([cell for cell, n in outside if n > bad.get(cell, 0)], _batch() // 7):
        if len(result.example_ids) >= limit:
            break
        rows = queryset.filter(cell__in=_children(batch)).order_by("pk").values_list(*columns)
        for pk, latitude, longitude, _cell in rows.iterator(chunk_size=limit * 4):
            if on_the_globe(latitude, longitude):
                result.example_ids.append(pk)
                if len(result.example_ids) >= limit:
                    break

    geometries = _Geometries()
    for batch in _chunks(edge, _batch() // (settings.AREA_COVER_RESOLUTION + 1)):
        candidates: dict[int, set[int]] = {cell: set() for cell in batch}
        # The cell and its ancestors; a coarse ancestor can be shared by several cells.
        by_key: dict[int, list[int]] = {}
        for cell in batch:
            for key in geo.cell_and_parents(cell):
                by_key.setdefault(key, []).append(cell)
        for key, area_id in AreaCell.objects.filter(cell__in=sorted(by_key)).values_list(
            "cell", "area_id"
        ):
            for cell in by_key.get(key, []):
                candidates[cell].add(area_id)
        geometries.load(set().union(*candidates.values()))
        near_edge = [
            row
            for row in queryset.filter(cell__in=_children(batch))
            .order_by("pk")
            .values_list(*columns)
            if on_the_globe(row[1], row[2])
        ]
        for pk in _outside_of_candidates(near_edge, candidates, geometries):
            result.count += 1
            if len(result.example_ids) < limit:
                result.example_ids.append(pk)
    return result


def areas_at_points(points: Sequence[tuple[float, float]]) -> list[set[int]]:
    """For each point, the ids of every area containing it, as ``areas_containing`` finds.

    The same H3 look-up and exact test as :func:`openlocal.places.selectors.areas_containing`,
    in batches: one query per hundred points instead of two or three per point.
    """
    res = settings.AREA_COVER_RESOLUTION
    geometries = _Geometries()
    found: list[set[int]] = []
    per_batch = _batch() // (res + 1)
    for start in range(0, len(points), per_batch):
        batch = points[start : start + per_batch]
        keys = [geo.cell_and_parents(geo.point_cell(lat, lon, res)) for lat, lon in batch]
        held: dict[int, list[tuple[int, bool]]] = {}
        for cell, area_id, whole in AreaCell.objects.filter(
            cell__in=sorted(set().union(*keys))
        ).values_list("cell", "area_id", "interior"):
            held.setdefault(cell, []).append((area_id, whole))
        boundary_ids: set[int] = set()
        pending: list[tuple[set[int], set[int]]] = []
        for point_keys in keys:
            interior: set[int] = set()
            boundary: set[int] = set()
            for key in point_keys:
                for area_id, is_interior in held.get(key, []):
                    (interior if is_interior else boundary).add(area_id)
            boundary -= interior
            boundary_ids |= boundary
            pending.append((interior, boundary))
        geometries.load(boundary_ids)
        for (lat, lon), (interior, boundary) in zip(batch, pending, strict=True):
            found.append(interior | {a for a in boundary if geometries.covers(a, lat, lon)})
    return found


@dataclass(order=True)
class DuplicatePair:
    """Two assets of the same type, ``distance_m`` apart (``first_id`` < ``second_id``)."""

    distance_m: float
    first_id: int
    second_id: int
    asset_type_id: int


@dataclass
class DuplicateResult:
    #: Pairs found, per asset type id.
    pairs_by_type: dict[int, int] = field(default_factory=dict)
    #: Assets in at least one pair.
    assets: int = 0
    #: The closest pairs, closest first.
    examples: list[DuplicatePair] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(self.pairs_by_type.values())


def bucket_resolution(distance_m: float) -> int:
    """The finest H3 resolution whose cells' edges are at least twice ``distance_m``.

    Two points that close are then always in the same cell or in neighbouring cells: cells
    that are not neighbours are at least an edge apart, and no H3 edge is under half the
    average at its resolution.
    """
    for res in range(15, -1, -1):
        if h3i.average_hexagon_edge_length(res, unit="m") >= 2 * distance_m:
            return res
    return 0


def duplicate_assets(queryset: QuerySet, *, distance_m: float, limit: int) -> DuplicateResult:
    """Pairs of assets of the same type within ``distance_m`` of each other.

    Reads the assets of one type at a time (id, latitude, longitude only), buckets them by a
    fine H3 cell, and measures only pairs in the same or neighbouring cells. Memory is about
    a hundred bytes per asset of the largest type.
    """
    res = bucket_resolution(distance_m)
    result = DuplicateResult()
    worst: list[tuple[float, int, int, int]] = []  # a max-heap of the closest pairs kept
    queryset = queryset.filter(valid_point_q()).order_by()
    type_ids = sorted(set(queryset.values_list("asset_type_id", flat=True).distinct()))
    for type_id in type_ids:
        ids, lats, lons = array("q"), array("d"), array("d")
        # A cell holding one asset maps to its index; several, to a list of indexes.
        buckets: dict[int, int | list[int]] = {}
        rows = queryset.filter(asset_type_id=type_id).values_list("pk", "latitude", "longitude")
        for pk, latitude, longitude in rows.iterator(chunk_size=10000):
            index = len(ids)
            ids.append(pk)
            lats.append(latitude)
            lons.append(longitude)
            cell = h3i.latlng_to_cell(latitude, longitude, res)
            held = buckets.get(cell)
            if held is None:
                buckets[cell] = index
            elif isinstance(held, int):
                buckets[cell] = [held, index]
            else:
                held.append(index)
        paired: set[int] = set()
        pairs = 0
        for cell, held in buckets.items():
            members = [held] if isinstance(held, int) else held
            for neighbour in h3i.grid_disk(cell, 1):
                if neighbour < cell:
                    continue  # each pair of neighbouring cells is looked at once
                others = buckets.get(neighbour)
                if others is None:
                    continue
                other_members = [others] if isinstance(others, int) else others
                for n, i in enumerate(members):
                    candidates = other_members[n + 1 :] if neighbour == cell else other_members
                    for j in candidates:
                        d = geo.distance_m(lats[i], lons[i], lats[j], lons[j])
                        if d > distance_m:
                            continue
                        pairs += 1
                        paired.update((i, j))
                        a, b = sorted((ids[i], ids[j]))
                        entry = (-d, -a, -b, type_id)
                        if len(worst) < limit:
                            heapq.heappush(worst, entry)
                        elif entry > worst[0]:
                            heapq.heapreplace(worst, entry)
        if pairs:
            result.pairs_by_type[type_id] = pairs
            result.assets += len(paired)
    result.examples = sorted(
        DuplicatePair(
            distance_m=round(-d, 2) if not math.isclose(-d, 0.0, abs_tol=1e-9) else 0.0,
            first_id=-a,
            second_id=-b,
            asset_type_id=type_id,
        )
        for d, a, b, type_id in worst
    )
    return result
