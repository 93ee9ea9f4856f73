"""Requests as GeoJSON for maps, clustered server-side when a box holds too many.

Up to ``GEOJSON_CLUSTER_THRESHOLD`` requests come back one feature each. Beyond that, the
database groups them by H3 cell at a resolution chosen from the box's size (a few hundred
cells per box), so a county-wide map is one grouped query whatever the number of requests.
The parent cell is computed in SQL from each request's stored cell by H3's bit layout: the
resolution field is set and the digits below it are set to 7, which is what
``h3.cell_to_parent`` does.
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
from openlocal.api.lookups import Box, parse_bbox
from openlocal.api.responses import errors
from openlocal.api.routers.requests import RequestFilters, filtered
from openlocal.api.schemas import FeatureCollection
from openlocal.requests.models import OPEN_STATUSES

router = Router(tags=["Maps"])

MEDIA_TYPE = "application/geo+json"
#: About this many clusters fill a box.
CLUSTERS_PER_BOX = 300
_RESOLUTION_SHIFT = 52
_MAX_INDEX = 2**63 - 1


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


def parent_masks(resolution: int) -> tuple[int, int]:
    """``(keep, set)``: ``(cell & keep) | set`` is the cell's parent at ``resolution``."""
    below = (1 << ((15 - resolution) * 3)) - 1
    keep = _MAX_INDEX & ~(0xF << _RESOLUTION_SHIFT) & ~below
    return keep, (resolution << _RESOLUTION_SHIFT) | below


def _point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]}


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
        keep, set_bits = parent_masks(cluster_resolution(box))
        groups = (
            requests.annotate(parent=F("cell").bitand(keep).bitor(set_bits))
            .values("parent")
            .annotate(n=Count("id"), lat=Avg("latitude"), lon=Avg("longitude"))
            .order_by()
        )
        features = [
            {
                "type": "Feature",
                "geometry": _point(g["lon"], g["lat"]),
                "properties": {"cluster": True, "count": g["n"], "cell": f"{g['parent']:x}"},
            }
            for g in groups
        ]
        features.sort(key=lambda f: f["properties"]["cell"])
        total, clustered = sum(f["properties"]["count"] for f in features), True
    body = {
        "type": "FeatureCollection",
        "features": features,
        "clustered": clustered,
        "total": total,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=MEDIA_TYPE)
