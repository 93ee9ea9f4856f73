"""Reads about places: which areas contain a point, and who handles what there."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from openlocal.core import geo
from openlocal.places.models import AREA_KIND_ORDER, Area, AreaCell, Body


class NotCovered(LookupError):
    """No area on this site contains the point."""

    def __init__(self, latitude: float, longitude: float) -> None:
        super().__init__(
            f"No council or other body on this site covers {latitude:.5f}, {longitude:.5f}. "
            "Check the location, or choose a point inside one of the areas listed on the "
            "home page."
        )
        self.latitude = latitude
        self.longitude = longitude


def _kind_rank() -> Case:
    return Case(
        *[When(kind=kind, then=Value(i)) for i, kind in enumerate(AREA_KIND_ORDER)],
        output_field=IntegerField(),
    )


def areas_containing(latitude: float, longitude: float) -> list[Area]:
    """Every area containing the point, largest kind first.

    One indexed query finds the areas whose H3 cover holds the point's cell (at any level of
    the compacted cover); only boundary cells need an exact polygon test.
    """
    geo.validate_point(latitude, longitude)
    cell = geo.point_cell(latitude, longitude, settings.AREA_COVER_RESOLUTION)
    candidates = AreaCell.objects.filter(cell__in=geo.cell_and_parents(cell)).values_list(
        "area_id", "interior"
    )
    interior: set[int] = set()
    boundary: set[int] = set()
    for pk, is_interior in candidates:
        (interior if is_interior else boundary).add(pk)
    boundary -= interior
    found = set(interior)
    if boundary:
        for pk, wkb in Area.objects.filter(pk__in=boundary).values_list("pk", "geometry"):
            if geo.contains(bytes(wkb), latitude, longitude):
                found.add(pk)
    return list(
        Area.objects.filter(pk__in=found)
        .defer("geometry")
        .annotate(kind_rank=_kind_rank())
        .order_by("kind_rank", "name")
    )


@dataclass(frozen=True)
class Route:
    """A category available at a point, and the body that will handle it there."""

    category_id: int
    body: Body
    area: Area


def routes_at(
    latitude: float, longitude: float, areas: list[Area] | None = None
) -> dict[int, Route]:
    """For each category handled at this point, the body responsible: ``{category_id: Route}``.

    Raises :class:`NotCovered` when no area contains the point.
    """
    from openlocal.requests.models import RoutingRule

    if areas is None:
        areas = areas_containing(latitude, longitude)
    if not areas:
        raise NotCovered(latitude, longitude)
    depth = {area.pk: i for i, area in enumerate(areas)}
    rules = (
        RoutingRule.objects.filter(area__in=areas, category__active=True)
        .select_related("body")
        .order_by("preference", "id")
    )
    by_pk = {area.pk: area for area in areas}
    best: dict[int, tuple[tuple[int, int], Route]] = {}
    for rule in rules:
        # Lowest preference wins; at equal preference the smallest (deepest) area wins.
        key = (rule.preference, -depth[rule.area_id])
        current = best.get(rule.category_id)
        if current is None or key < current[0]:
            best[rule.category_id] = (key, Route(rule.category_id, rule.body, by_pk[rule.area_id]))
    return {category_id: route for category_id, (_key, route) in best.items()}


def route_for(category_id: int, latitude: float, longitude: float) -> Route | None:
    """The route for one category at a point, or None when nobody handles it there."""
    return routes_at(latitude, longitude).get(category_id)
