"""Followable targets: what a subscription is about, and the key that identifies it.

Build a target with one of the constructors (``Target.for_request(r)``,
``Target.for_category(c, area=a)``, ``Target.for_polygon(geojson)``,
``Target.for_point(lat, lon, radius_m)``, ...) and pass it to ``follow``. Two targets with the
same ``key`` are the same thing to follow.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from shapely.geometry.base import BaseGeometry

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request
from openlocal.subscriptions.models import Subscription, TargetKind

#: Limits on drawn shapes, so one subscription cannot cover a country by accident.
MAX_POLYGON_AREA_KM2 = 2_500
MAX_POLYGON_VERTICES = 2_000
MIN_RADIUS_M = 10
MAX_RADIUS_M = 20_000
#: A circle is matched through a polygon of this many sides, and checked exactly by distance.
CIRCLE_SIDES = 48


@dataclass(frozen=True)
class Target:
    kind: str
    key: str
    label: str
    #: Foreign keys to set on the subscription: {"request": obj, ...}.
    objects: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None

    # Constructors --------------------------------------------------------------------------

    @classmethod
    def for_request(cls, request: Request) -> Target:
        return cls(
            TargetKind.REQUEST,
            f"request:{request.pk}",
            f"Request #{request.pk}: {request.title}",
            {"request": request},
        )

    @classmethod
    def for_asset(cls, asset: Asset) -> Target:
        return cls(TargetKind.ASSET, f"asset:{asset.pk}", str(asset.name), {"asset": asset})

    @classmethod
    def for_area(cls, area: Area) -> Target:
        return cls(
            TargetKind.AREA, f"area:{area.pk}", f"New requests in {area.name}", {"area": area}
        )

    @classmethod
    def for_body(cls, body: Body) -> Target:
        return cls(
            TargetKind.BODY, f"body:{body.pk}", f"New requests to {body.name}", {"body": body}
        )

    @classmethod
    def for_category(cls, category: Category, area: Area | None = None) -> Target:
        if area is None:
            return cls(
                TargetKind.CATEGORY,
                f"category:{category.pk}",
                f"New “{category.name}” requests",
                {"category": category},
            )
        return cls(
            TargetKind.CATEGORY,
            f"category:{category.pk}@area:{area.pk}",
            f"New “{category.name}” requests in {area.name}",
            {"category": category, "area": area},
        )

    @classmethod
    def for_polygon(cls, geojson: dict[str, Any], label: str = "") -> Target:
        """A drawn area. Raises ValidationError for a shape that is not a usable polygon."""
        try:
            geometry = geo.geometry_from_geojson(geojson)
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            shapely.errors.ShapelyError,
        ) as exc:
            raise ValidationError(
                {"polygon": [f"The drawn area is not a polygon we can use: {exc}"]}
            ) from exc
        if geometry.geom_type not in {"Polygon", "MultiPolygon"} or geometry.area <= 0:
            # Repairing a shape with no area (all points on a line) leaves a line or a point.
            raise ValidationError(
                {
                    "polygon": [
                        "The drawn area is not a polygon we can use: it has no area. Draw at "
                        "least three points that are not in a line."
                    ]
                }
            )
        minx, miny, maxx, maxy = geometry.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValidationError(
                {"polygon": ["The drawn area must use longitude, latitude coordinates (WGS 84)."]}
            )
        if _vertex_count(geometry) > MAX_POLYGON_VERTICES:
            raise ValidationError(
                {"polygon": [f"Draw the area with at most {MAX_POLYGON_VERTICES} points."]}
            )
        if _area_km2(geometry) > MAX_POLYGON_AREA_KM2:
            raise ValidationError(
                {
                    "polygon": [
                        f"The drawn area is larger than {MAX_POLYGON_AREA_KM2:,} km². Follow an "
                        "area or draw a smaller one."
                    ]
                }
            )
        normalised = shapely.set_precision(geometry, 1e-6)
        digest = hashlib.sha256(shapely.to_wkb(shapely.normalize(normalised))).hexdigest()[:32]
        centre = geometry.representative_point()
        return cls(
            TargetKind.POLYGON,
            f"polygon:{digest}",
            label or f"A drawn area around {centre.y:.4f}, {centre.x:.4f}",
            geometry=geometry,
        )

    @classmethod
    def for_point(cls, latitude: float, longitude: float, radius_m: int, label: str = "") -> Target:
        try:
            geo.validate_point(latitude, longitude)
        except geo.InvalidLocation as exc:
            raise ValidationError({"location": [str(exc)]}) from exc
        if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
            raise ValidationError(
                {
                    "radius": [
                        f"Choose a distance between {MIN_RADIUS_M} m and {MAX_RADIUS_M // 1000} km."
                    ]
                }
            )
        lat, lon = round(latitude, 6), round(longitude, 6)
        return cls(
            TargetKind.POINT,
            f"point:{lat},{lon},{radius_m}",
            label or f"Within {_distance_label(radius_m)} of {lat:.5f}, {lon:.5f}",
            geometry=circle(lat, lon, radius_m),
            latitude=lat,
            longitude=lon,
            radius_m=radius_m,
        )

    @classmethod
    def of(cls, subscription: Subscription) -> Target:
        """The target of an existing subscription (for moving or copying it)."""
        objects = {
            name: getattr(subscription, name)
            for name in ("request", "asset", "area", "category", "body")
            if getattr(subscription, f"{name}_id") is not None
        }
        geometry = shapely.from_wkb(bytes(subscription.geometry)) if subscription.geometry else None
        return cls(
            subscription.kind,
            subscription.target_key,
            subscription.label,
            objects,
            geometry,
            subscription.latitude,
            subscription.longitude,
            subscription.radius_m,
        )

    # Use -----------------------------------------------------------------------------------

    @property
    def spatial(self) -> bool:
        return self.kind in (TargetKind.POLYGON, TargetKind.POINT)

    def subscription_fields(self) -> dict[str, Any]:
        """The fields a subscription to this target carries."""
        values: dict[str, Any] = {
            "kind": self.kind,
            "target_key": self.key,
            "label": self.label[:300],
            "latitude": self.latitude,
            "longitude": self.longitude,
            "radius_m": self.radius_m,
            "geometry": shapely.to_wkb(self.geometry) if self.geometry is not None else None,
        }
        for name in ("request", "asset", "area", "category", "body"):
            values[name] = self.objects.get(name)
        return values

    def cover(self) -> list[tuple[int, bool]]:
        """The H3 cover of a spatial target (empty for the others)."""
        if self.geometry is None:
            return []
        return geo.polygon_cover(self.geometry)


def circle(latitude: float, longitude: float, radius_m: float) -> BaseGeometry:
    """A polygon just enclosing a circle on the ground (used for its H3 cover)."""
    # Circumscribe: the polygon's edges lie outside the circle, so the cover misses nothing.
    reach = radius_m / math.cos(math.pi / CIRCLE_SIDES)
    dlat = math.degrees(reach / geo.EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    points = [
        (
            longitude + dlon * math.cos(2 * math.pi * i / CIRCLE_SIDES),
            latitude + dlat * math.sin(2 * math.pi * i / CIRCLE_SIDES),
        )
        for i in range(CIRCLE_SIDES)
    ]
    return shapely.Polygon(points)


def _vertex_count(geometry: BaseGeometry) -> int:
    """The points drawn: each ring's closing point repeats its first, so it is not counted."""
    rings = sum(len(shapely.get_rings(part)) for part in shapely.get_parts(geometry))
    return int(shapely.get_num_coordinates(geometry)) - rings


def _area_km2(geometry: BaseGeometry) -> float:
    """Approximate area on the ground, good enough for a size limit."""
    _, miny, _, maxy = geometry.bounds
    mid = math.radians((miny + maxy) / 2)
    km_per_degree = math.pi * geo.EARTH_RADIUS_M / 180 / 1000
    return float(geometry.area) * km_per_degree * km_per_degree * math.cos(mid)


def _distance_label(metres: int) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres} m"
