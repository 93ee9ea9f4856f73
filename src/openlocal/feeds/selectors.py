"""The public rows each feed shows, in a fixed number of queries whatever the size of the data."""

from __future__ import annotations

import math
from collections.abc import Callable

import shapely
from django.db.models import Prefetch, prefetch_related_objects

from openlocal.core import geo
from openlocal.places.models import Area
from openlocal.requests.models import Request, RequestQuerySet, Update

#: Entries in a feed of requests: the newest ones, as feed readers only need what is new.
FEED_LENGTH = 50
#: Entries in a request's timeline feed: its newest public updates.
TIMELINE_LENGTH = 100
#: Above this many H3 cells the "around" look-up relies on the latitude/longitude index alone:
#: a list of thousands of cells costs more to send and match than it saves.
MAX_AROUND_CELLS = 1_000


def latest_requests(
    requests: RequestQuerySet,
    *,
    keep: Callable[[Request], bool] | None = None,
    limit: int = FEED_LENGTH,
) -> list[Request]:
    """The newest ``limit`` of ``requests`` (a ``Request.public_objects`` queryset).

    ``keep`` is an exact test for look-ups whose index only narrows the search (a box around a
    circle or polygon); rows are then read in batches until ``limit`` pass it.
    """
    ordered = requests.with_related().order_by("-created_at", "-id")
    if keep is None:
        found = list(ordered[:limit])
    else:
        found = []
        batch, offset = limit * 2, 0
        while len(found) < limit:
            chunk = list(ordered[offset : offset + batch])
            found += [r for r in chunk if keep(r)]
            if len(chunk) < batch:
                break
            offset += batch
        found = found[:limit]
    prefetch_related_objects(
        found, Prefetch("areas", queryset=Area.objects.defer("geometry").order_by("name"))
    )
    return found


def requests_around(latitude: float, longitude: float, radius_m: int) -> list[Request]:
    """The newest public requests within ``radius_m`` metres of a point."""
    dlat = math.degrees(radius_m / geo.EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    nearby = Request.public_objects.filter(
        latitude__range=(latitude - dlat, latitude + dlat),
        longitude__range=(longitude - dlon, longitude + dlon),
    )
    cells = geo.cells_within(latitude, longitude, radius_m)
    if len(cells) <= MAX_AROUND_CELLS:
        nearby = nearby.filter(cell__in=cells)
    return latest_requests(
        nearby,
        keep=lambda r: geo.distance_m(latitude, longitude, r.latitude, r.longitude) <= radius_m,
    )


def requests_in_box(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float
) -> list[Request]:
    return latest_requests(
        Request.public_objects.filter(
            latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
        )
    )


def requests_in_polygon(geometry: shapely.Geometry) -> list[Request]:
    """The newest public requests inside (or on the edge of) a polygon."""
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    shapely.prepare(geometry)
    return latest_requests(
        Request.public_objects.filter(
            latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
        ),
        keep=lambda r: bool(geometry.covers(shapely.Point(r.longitude, r.latitude))),
    )


def public_timeline(request: Request, *, limit: int = TIMELINE_LENGTH) -> list[Update]:
    """The newest public entries on a public request's timeline, never notes or hidden ones."""
    return list(
        Update.public_objects.filter(request=request)
        .select_related("body")
        .order_by("-created_at", "-id")[:limit]
    )
