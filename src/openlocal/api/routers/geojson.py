"""Requests as GeoJSON for maps, clustered server-side when a box holds too many.

Up to ``GEOJSON_CLUSTER_THRESHOLD`` requests come back one feature each. Beyond that,
features are clusters: the requests grouped by H3 cell at a resolution chosen from the
box's size (a few hundred cells per box), each placed at the mean position of its requests.

Clusters come from one of two places:

- The rollup (:mod:`openlocal.requests.rollups`), when the only filters are the box, status
  and category and the box is big enough for a counted resolution: the counts of the cells
  around the box are read and summed per cell, so the cost follows the box's cell count,
  not the number of requests in it. The cells read are those H3 gives as overlapping the
  box, and their neighbours (a request's cell is its stored cell's parent, which can lie
  a little outside the parent's outline); a cluster is returned when its mean position is
  in the box. A cluster is all the requests of its cell, so one on the box's edge may
  count requests just outside it, as a map drawing it there would expect.
- Otherwise the requests in the box themselves, grouped in SQL: the parent cell is computed
  from each request's stored cell by H3's bit layout (:func:`parent_masks`).
"""

from __future__ import annotations

import json
from typing import Any

import h3.api.basic_int as h3i
from django.conf import settings
from django.db.models import Avg, Count, F
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from openlocal.api import presenters
from openlocal.api.lookups import Box, category_named, parse_bbox
from openlocal.api.responses import errors
from openlocal.api.routers.requests import RequestFilters, filtered
from openlocal.api.schemas import FeatureCollection
from openlocal.requests.models import CLOSED_STATUSES, OPEN_STATUSES
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_parent, cell_totals, parent_masks

router = Router(tags=["Maps"])

MEDIA_TYPE = "application/geo+json"
#: About this many clusters fill a box.
CLUSTERS_PER_BOX = 300
#: A box needing more rollup cells than this reads every counted cell instead.
MAX_COVER_CELLS = 5000


def cluster_resolution(box: Box | None) -> int:
    """The finest H3 resolution whose cells are at least 1/CLUSTERS_PER_BOX of the box."""
    stored = settings.POINT_CELL_RESOLUTION
    if box is None:
        return 0
    wanted = box.area_km2 / CLUSTERS_PER_BOX
    for resolution in range(stored, -1, -1):
        if h3i.average_hexagon_area(resolution, unit="km^2") >= wanted:
            return resolution
    return 0


def _point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]}


def _cluster(cell: int, count: int, latitude: float, longitude: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": _point(longitude, latitude),
        "properties": {"cluster": True, "count": count, "cell": f"{cell:x}"},
    }


def _counted_filters(filters: RequestFilters) -> tuple[set[str] | None, set[int] | None] | None:
    """``(statuses, category ids)`` when the rollup can answer the filters, else None.

    ``filtered`` has already checked the values, so every name here is known.
    """
    others = (filters.area, filters.body, filters.asset, filters.text)
    if any(value.strip() for value in others) or filters.updated_since is not None:
        return None
    statuses: set[str] | None = None
    for status in (s.strip() for s in filters.status.split(",") if s.strip()):
        statuses = statuses or set()
        if status == "open":
            statuses |= OPEN_STATUSES
        elif status == "closed":
            statuses |= CLOSED_STATUSES
        else:
            statuses.add(status)
    codes = [c.strip() for c in filters.category.split(",") if c.strip()]
    categories = {category_named(code, "query.category").pk for code in codes} or None
    return statuses, categories


def _cells_around(box: Box, resolution: int) -> list[int] | None:
    """The cells at ``resolution`` overlapping the box and their neighbours; None for all.

    A box too big to list (or too wide for H3's polygons, whose edges take the short way
    round) reads every counted cell at the resolution: those are the deployment's own.
    """
    expected = box.area_km2 / h3i.average_hexagon_area(resolution, unit="km^2")
    if box.east - box.west >= 180 or expected > MAX_COVER_CELLS:
        return None
    outline = [
        (box.south, box.west),
        (box.south, box.east),
        (box.north, box.east),
        (box.north, box.west),
    ]
    overlapping = h3i.h3shape_to_cells_experimental(
        h3i.LatLngPoly(outline), resolution, contain="overlap"
    )
    if not overlapping:
        overlapping = [h3i.latlng_to_cell(box.south, box.west, resolution)]
    around: set[int] = set()
    for cell in overlapping:
        around.update(h3i.grid_disk(cell, 1))
    return sorted(around)


def counted_clusters(
    box: Box | None,
    resolution: int,
    statuses: set[str] | None = None,
    category_ids: set[int] | None = None,
) -> list[dict[str, Any]]:
    """Cluster features from the rollup: cells at ``resolution`` with their mean in the box.

    ``resolution`` may be coarser than any counted one (a box of a country, or no box):
    the coarsest counted cells are then added up into their parents.
    """
    counted = max(resolution, ROLLUP_RESOLUTIONS[0])
    cells = _cells_around(box, counted) if box is not None else None
    sums: dict[int, list[float]] = {}
    for total in cell_totals(counted, cells, statuses=statuses, category_ids=category_ids):
        cell = total.cell if counted == resolution else cell_parent(total.cell, resolution)
        row = sums.setdefault(cell, [0, 0.0, 0.0])
        row[0] += total.requests
        row[1] += total.latitude_sum
        row[2] += total.longitude_sum
    features = []
    for cell, (count, latitude_sum, longitude_sum) in sums.items():
        latitude, longitude = latitude_sum / count, longitude_sum / count
        if box is None or (
            box.south <= latitude <= box.north and box.west <= longitude <= box.east
        ):
            features.append(_cluster(cell, int(count), latitude, longitude))
    features.sort(key=lambda f: f["properties"]["cell"])
    return features


@router.get(
    "/requests.geojson",
    response={200: FeatureCollection, **errors(422)},
    summary="Requests as GeoJSON, clustered when there are many",
)
def requests_geojson(request: HttpRequest, filters: Query[RequestFilters]) -> HttpResponse:
    """A FeatureCollection of the requests in `bbox` (and the other filters of GET /requests).

    When the box holds more than the site's cluster threshold, features are clusters
    (`cluster: true`, `count`, the H3 `cell`) placed at the mean position of their requests.
    """
    box = parse_bbox(filters.bbox) if filters.bbox.strip() else None
    requests = filtered(filters).order_by()
    threshold = settings.GEOJSON_CLUSTER_THRESHOLD
    resolution = cluster_resolution(box)
    counted = _counted_filters(filters) if resolution <= ROLLUP_RESOLUTIONS[-1] else None
    if counted is not None:
        clusters = counted_clusters(box, resolution, *counted)
        total = sum(f["properties"]["count"] for f in clusters)
        if total > threshold:
            return _respond(clusters, clustered=True, total=total)
    rows = list(
        requests.values_list(
            "id", "title", "status", "latitude", "longitude", "category__service_code"
        )[: threshold + 1]
    )
    features: list[dict[str, Any]]
    if len(rows) <= threshold:
        features = [
            {
                "type": "Feature",
                "geometry": _point(lon, lat),
                "properties": {
                    "cluster": False,
                    "count": 1,
                    "id": pk,
                    "title": title,
                    "status": status,
                    "open": status in OPEN_STATUSES,
                    "category": code,
                    "url": presenters.api_url(f"/requests/{pk}"),
                },
            }
            for pk, title, status, lat, lon, code in rows
        ]
        total, clustered = len(rows), False
    else:
        keep, set_bits = parent_masks(resolution)
        groups = (
            requests.annotate(parent=F("cell").bitand(keep).bitor(set_bits))
            .values("parent")
            .annotate(n=Count("id"), lat=Avg("latitude"), lon=Avg("longitude"))
            .order_by()
        )
        features = [_cluster(g["parent"], g["n"], g["lat"], g["lon"]) for g in groups]
        features.sort(key=lambda f: f["properties"]["cell"])
        total, clustered = sum(f["properties"]["count"] for f in features), True
    return _respond(features, clustered=clustered, total=total)


def _respond(features: list[dict[str, Any]], *, clustered: bool, total: int) -> HttpResponse:
    body = {
        "type": "FeatureCollection",
        "features": features,
        "clustered": clustered,
        "total": total,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=MEDIA_TYPE)
