"""Reading the query string of the spatial feeds, with errors that say how to fix the address."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from openlocal.subscriptions.targets import MAX_RADIUS_M, MIN_RADIUS_M, Target

#: The radius of an "around" feed when the address gives none.
DEFAULT_RADIUS_M = 1000
#: A polygon longer than this does not fit in a web address most servers accept.
MAX_POLYGON_CHARS = 20_000


class FeedInputError(ValueError):
    """The feed's address is wrong; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Around:
    target: Target
    latitude: float
    longitude: float
    radius_m: int


@dataclass(frozen=True)
class Within:
    target: Target
    #: ``(min_lon, min_lat, max_lon, max_lat)`` when the area is a box: no exact test needed.
    bbox: tuple[float, float, float, float] | None


def _number(params: Mapping[str, str], name: str, example: str) -> float:
    text = params.get(name, "").strip()
    if not text:
        raise FeedInputError(f"The address needs {name}=..., for example {name}={example}.")
    try:
        value = float(text)
    except ValueError:
        raise FeedInputError(
            f"{name}={text[:40]} is not a number. Use decimal degrees, "
            f"for example {name}={example}."
        ) from None
    if not math.isfinite(value):
        raise FeedInputError(f"{name} must be a finite number, for example {name}={example}.")
    return value


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def parse_around(params: Mapping[str, str]) -> Around:
    """``lat``, ``lon`` (decimal degrees, WGS 84) and ``radius`` (whole metres, optional)."""
    latitude = _number(params, "lat", "50.7236")
    longitude = _number(params, "lon", "-3.5275")
    if not -90 <= latitude <= 90:
        raise FeedInputError(f"lat={latitude:g} is out of range: latitude is between -90 and 90.")
    if not -180 <= longitude <= 180:
        raise FeedInputError(
            f"lon={longitude:g} is out of range: longitude is between -180 and 180."
        )
    radius_text = params.get("radius", "").strip()
    if not radius_text:
        radius_m = DEFAULT_RADIUS_M
    else:
        try:
            radius_m = int(radius_text)
        except ValueError:
            raise FeedInputError(
                f"radius={radius_text[:40]} is not a whole number of metres. "
                "Use for example radius=500."
            ) from None
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise FeedInputError(
            f"radius={radius_m} is out of range: choose between {MIN_RADIUS_M} and "
            f"{MAX_RADIUS_M} metres ({MAX_RADIUS_M // 1000} km). For a larger place, use the "
            "feed of an area (/feeds/areas/<slug>) instead."
        )
    try:
        target = Target.for_point(latitude, longitude, radius_m)
    except ValidationError as exc:
        raise FeedInputError(_messages(exc)) from None
    assert target.latitude is not None and target.longitude is not None
    return Around(target, target.latitude, target.longitude, radius_m)


def parse_within(params: Mapping[str, str]) -> Within:
    """Either ``bbox=min_lon,min_lat,max_lon,max_lat`` or ``polygon=<GeoJSON geometry>``."""
    bbox_text = params.get("bbox", "").strip()
    polygon_text = params.get("polygon", "").strip()
    if bbox_text and polygon_text:
        raise FeedInputError("Give either bbox=... or polygon=..., not both.")
    if bbox_text:
        return _parse_bbox(bbox_text)
    if polygon_text:
        return _parse_polygon(polygon_text)
    raise FeedInputError(
        "The address needs the area to look in: bbox=min_lon,min_lat,max_lon,max_lat (for "
        "example bbox=-3.55,50.70,-3.50,50.74) or polygon= followed by a GeoJSON Polygon in "
        "longitude, latitude order."
    )


def _parse_bbox(text: str) -> Within:
    example = "for example bbox=-3.55,50.70,-3.50,50.74"
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise FeedInputError(
            f"bbox needs four numbers separated by commas, min_lon,min_lat,max_lon,max_lat; "
            f"{example}."
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise FeedInputError(
            f"bbox must contain only numbers (decimal degrees); {example}."
        ) from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise FeedInputError(f"bbox must contain finite numbers; {example}.")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise FeedInputError(
            f"bbox longitudes must be between -180 and 180; the order is "
            f"min_lon,min_lat,max_lon,max_lat, {example}."
        )
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise FeedInputError(
            f"bbox latitudes must be between -90 and 90; the order is "
            f"min_lon,min_lat,max_lon,max_lat, {example}."
        )
    if min_lon >= max_lon or min_lat >= max_lat:
        raise FeedInputError(
            f"bbox must go from the south-west corner to the north-east corner "
            f"(min_lon < max_lon and min_lat < max_lat); {example}."
        )
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat]]
    target = _polygon_target({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    return Within(target, (min_lon, min_lat, max_lon, max_lat))


def _parse_polygon(text: str) -> Within:
    if len(text) > MAX_POLYGON_CHARS:
        raise FeedInputError(
            f"The polygon is longer than {MAX_POLYGON_CHARS:,} characters. Simplify it, or use "
            "bbox=min_lon,min_lat,max_lon,max_lat."
        )
    try:
        value: Any = json.loads(text)
    except ValueError:
        raise FeedInputError(
            "polygon is not valid JSON. Give a GeoJSON geometry, for example "
            'polygon={"type":"Polygon","coordinates":[[[-3.55,50.70],[-3.50,50.70],'
            "[-3.50,50.74],[-3.55,50.70]]]}"
        ) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise FeedInputError(
            "polygon must be a GeoJSON Polygon or MultiPolygon geometry (or a Feature holding "
            "one), with coordinates in longitude, latitude order."
        )
    return Within(_polygon_target(value), None)


def _polygon_target(geojson: dict[str, Any]) -> Target:
    try:
        return Target.for_polygon(geojson)
    except ValidationError as exc:
        raise FeedInputError(_messages(exc)) from None
