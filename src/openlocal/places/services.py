"""Writes about places: areas with their H3 cover.

Importing boundaries from files is :mod:`openlocal.importers.areas`, which saves each area
through :func:`area_save`.
"""

from __future__ import annotations

from typing import Any

import shapely
from django.db import transaction
from django.utils.text import slugify

from openlocal.core import geo
from openlocal.places.models import Area, AreaCell, AreaKind


def _unique_slug(name: str, code: str) -> str:
    base = slugify(name)[:90] or "area"
    slug = base
    if Area.objects.filter(slug=slug).exclude(code=code).exists():
        slug = f"{base}-{slugify(code)}"[:120] if code else base
    n = 2
    while Area.objects.filter(slug=slug).exclude(code=code).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def area_save(
    *,
    name: str,
    kind: str,
    geometry: dict[str, Any] | shapely.Geometry,
    code: str = "",
    parent: Area | None = None,
    slug: str | None = None,
) -> tuple[Area, bool]:
    """Create or update (by kind and official code) an area and rebuild its H3 cover."""
    if kind not in AreaKind.values:
        raise ValueError(f"Unknown area kind {kind!r}: use one of {', '.join(AreaKind.values)}.")
    shape = (
        geometry if isinstance(geometry, shapely.Geometry) else geo.geometry_from_geojson(geometry)
    )
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    point = shape.representative_point()
    fields = {
        "name": name,
        "parent": parent,
        "geometry": shapely.to_wkb(shape),
        "min_latitude": min_lat,
        "min_longitude": min_lon,
        "max_latitude": max_lat,
        "max_longitude": max_lon,
        "centre_latitude": point.y,
        "centre_longitude": point.x,
    }
    existing = Area.objects.filter(kind=kind, code=code).first() if code else None
    if existing is None and not code and slug:
        existing = Area.objects.filter(slug=slug).first()
    if existing:
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.save()
        area, created = existing, False
    else:
        area = Area.objects.create(
            kind=kind, code=code, slug=slug or _unique_slug(name, code), **fields
        )
        created = True
    AreaCell.objects.filter(area=area).delete()
    AreaCell.objects.bulk_create(
        [
            AreaCell(area=area, cell=cell, interior=interior)
            for cell, interior in geo.polygon_cover(shape)
        ],
        batch_size=2000,
    )
    return area, created
