"""Finding what an API input names: categories by code or slug, assets, areas, boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from openlocal.api.problems import NOT_FOUND, VALIDATION, Problem
from openlocal.assets.models import Asset
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request


def invalid(field: str, message: str) -> Problem:
    return Problem(VALIDATION, message, errors=[{"field": field, "message": message}])


def category_named(value: str, field: str) -> Category:
    value = value.strip()
    category = (
        Category.objects.filter(service_code=value).first()
        or Category.objects.filter(slug=value).first()
    )
    if category is None:
        raise invalid(
            field,
            f"No category has the code or slug “{value}”. GET /api/v1/categories lists them.",
        )
    return category


def area_named(slug: str, field: str) -> Area:
    area = Area.objects.defer("geometry").filter(slug=slug.strip()).first()
    if area is None:
        raise invalid(field, f"No area has the slug “{slug}”. GET /api/v1/areas lists them.")
    return area


def body_named(slug: str, field: str) -> Body:
    body = Body.objects.filter(slug=slug.strip()).first()
    if body is None:
        raise invalid(field, f"No body has the slug “{slug}”. GET /api/v1/bodies lists them.")
    return body


def asset_by_reference(value: str, field: str) -> Asset:
    """An asset given as its id (``812``) or as ``TYPE/REFERENCE`` (``streetlight/SL-0001``)."""
    value = value.strip()
    asset = None
    if value.isdigit() and len(value) < 19:
        asset = Asset.objects.select_related("asset_type").filter(pk=int(value)).first()
    elif "/" in value:
        type_slug, _, external_id = value.partition("/")
        asset = (
            Asset.objects.select_related("asset_type")
            .filter(asset_type__slug=type_slug, external_id=external_id)
            .first()
        )
    else:
        raise invalid(field, "Give an asset as its id, or as its type and reference: TYPE/REF.")
    if asset is None:
        raise invalid(field, f"No asset is “{value}”.")
    return asset


def asset_from_parts(
    pk: int | None, type_slug: str | None, external_id: str | None, field: str
) -> Asset:
    if pk is not None:
        return asset_by_reference(str(pk), field)
    if type_slug and external_id:
        return asset_by_reference(f"{type_slug}/{external_id}", field)
    raise invalid(field, "Give the asset's id, or its type and external_id.")


def public_request(pk: int) -> Request:
    """A request the public may see, or a 404 problem (hidden requests do not exist here)."""
    request = None
    if 0 < pk < 2**63:
        request = Request.public_objects.with_related().filter(pk=pk).first()
    if request is None:
        raise Problem(NOT_FOUND, f"There is no public request #{pk}.")
    return request


def clean_email(value: str, field: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise invalid(
            field, "Enter an email address in the correct format, like name@example.com"
        ) from exc
    return value


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    @property
    def area_km2(self) -> float:
        mid = math.radians((self.south + self.north) / 2)
        km = 111.195
        return (self.east - self.west) * km * math.cos(mid) * (self.north - self.south) * km


def parse_bbox(value: str, field: str = "query.bbox") -> Box:
    """``min_lon,min_lat,max_lon,max_lat`` (GeoJSON order)."""
    parts = value.split(",")
    message = (
        "Give the box as min_longitude,min_latitude,max_longitude,max_latitude, "
        "e.g. -3.6,50.6,-3.4,50.8."
    )
    if len(parts) != 4:
        raise invalid(field, message)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError as exc:
        raise invalid(field, message) from exc
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise invalid(field, message)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise invalid(
            field,
            "The box must have min ≤ max, longitudes within ±180 and latitudes within ±90. "
            + message,
        )
    return Box(west, south, east, north)
