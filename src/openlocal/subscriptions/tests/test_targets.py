"""What can be followed: drawn areas and circles are checked, keyed and matched by place."""

from __future__ import annotations

import math

import pytest
import shapely
from django.core.exceptions import ValidationError

from openlocal.core import geo
from openlocal.subscriptions.events import spatial_subscription_ids
from openlocal.subscriptions.models import Subscription, SubscriptionCell, TargetKind
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import MAX_POLYGON_VERTICES, Target

CENTRE = (50.7, -3.55)


def ring(points: list[tuple[float, float]]) -> dict:
    """A GeoJSON polygon from (lon, lat) points, closed."""
    return {"type": "Polygon", "coordinates": [[*map(list, points), list(points[0])]]}


def destination(lat: float, lon: float, metres: float, bearing_deg: float) -> tuple[float, float]:
    """The point ``metres`` away from (lat, lon) on a bearing, on a spherical Earth."""
    d = metres / geo.EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


SQUARE = [(-3.56, 50.69), (-3.54, 50.69), (-3.54, 50.71), (-3.56, 50.71)]


def message(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


@pytest.mark.parametrize(
    ("geojson", "expected"),
    [
        ({"type": "Point", "coordinates": [-3.55, 50.7]}, "not a polygon we can use"),
        ({"type": "Polygon", "coordinates": "everywhere"}, "not a polygon we can use"),
        ({"type": "Feature", "geometry": None}, "not a polygon we can use"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [0, 0], [0, 0], [0, 0]]]}, "it has no area"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}, "it has no area"),
        ("a string", "not a polygon we can use"),
        (
            ring([(290000, 90000), (291000, 90000), (291000, 91000), (290000, 91000)]),
            "must use longitude, latitude coordinates (WGS 84)",
        ),
        (ring([(-4.0, 50.0), (0.0, 50.0), (0.0, 53.0), (-4.0, 53.0)]), "larger than 2,500 km²"),
    ],
)
def test_a_drawn_area_we_cannot_use_gets_a_clear_message(geojson, expected) -> None:
    with pytest.raises(ValidationError) as exc:
        Target.for_polygon(geojson)
    assert expected in message(exc, "polygon")


def test_a_drawn_area_may_have_as_many_points_as_the_limit_and_no_more() -> None:
    def circle_of(n: int) -> dict:
        return ring(
            [
                (
                    -3.55 + 0.01 * math.cos(2 * math.pi * i / n),
                    50.7 + 0.01 * math.sin(2 * math.pi * i / n),
                )
                for i in range(n)
            ]
        )

    assert Target.for_polygon(circle_of(MAX_POLYGON_VERTICES)).kind == TargetKind.POLYGON
    with pytest.raises(ValidationError) as exc:
        Target.for_polygon(circle_of(MAX_POLYGON_VERTICES + 1))
    assert f"at most {MAX_POLYGON_VERTICES} points" in message(exc, "polygon")


def test_the_same_drawn_area_is_the_same_target_however_it_was_drawn() -> None:
    first = Target.for_polygon(ring(SQUARE))
    other_start = Target.for_polygon(ring(SQUARE[2:] + SQUARE[:2]))
    other_way_round = Target.for_polygon(ring(list(reversed(SQUARE))))
    assert first.key == other_start.key == other_way_round.key
    assert first.key.startswith("polygon:")
    moved = Target.for_polygon(ring([(x + 0.001, y) for x, y in SQUARE]))
    assert moved.key != first.key


def test_following_the_same_drawn_area_twice_is_one_subscription(db) -> None:
    one = follow(target=Target.for_polygon(ring(SQUARE)), email="pat@example.org", confirmed=True)
    two = follow(
        target=Target.for_polygon(ring(list(reversed(SQUARE)))),
        email="pat@example.org",
        confirmed=True,
    )
    assert one.created and not two.created
    assert two.subscription.pk == one.subscription.pk
    assert Subscription.objects.count() == 1


def test_a_self_crossing_drawing_is_repaired_not_refused() -> None:
    bow_tie = ring([(-3.56, 50.69), (-3.54, 50.71), (-3.54, 50.69), (-3.56, 50.71)])
    target = Target.for_polygon(bow_tie)
    assert target.geometry is not None and target.geometry.is_valid
    assert target.geometry.area > 0


@pytest.mark.parametrize(
    ("radius", "ok"), [(9, False), (10, True), (20_000, True), (20_001, False)]
)
def test_a_circles_radius_is_between_10_m_and_20_km(radius: int, ok: bool) -> None:
    if ok:
        target = Target.for_point(*CENTRE, radius)
        assert target.key == f"point:50.7,-3.55,{radius}"
        return
    with pytest.raises(ValidationError) as exc:
        Target.for_point(*CENTRE, radius)
    assert message(exc, "radius") == "Choose a distance between 10 m and 20 km."


def test_a_circle_somewhere_not_on_earth_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        Target.for_point(91.0, 0.0, 100)
    assert "Latitude 91.0 is out of range" in message(exc, "location")


def test_circle_labels_say_how_far() -> None:
    assert Target.for_point(*CENTRE, 250).label == "Within 250 m of 50.70000, -3.55000"
    assert Target.for_point(*CENTRE, 1500).label == "Within 1.5 km of 50.70000, -3.55000"


@pytest.mark.parametrize("radius", [40, 300, 3000])
def test_a_circle_matches_every_point_inside_it_and_none_outside(db, radius: int) -> None:
    result = follow(
        target=Target.for_point(*CENTRE, radius), email="pat@example.org", confirmed=True
    )
    pk = result.subscription.pk
    assert SubscriptionCell.objects.filter(subscription=pk).exists()
    assert pk in spatial_subscription_ids(*CENTRE)
    for bearing in range(0, 360, 10):
        inside = destination(*CENTRE, radius * 0.97, bearing)
        outside = destination(*CENTRE, radius * 1.03, bearing)
        assert pk in spatial_subscription_ids(*inside), (bearing, "inside")
        assert pk not in spatial_subscription_ids(*outside), (bearing, "outside")


def test_a_drawn_area_matches_inside_its_shape_not_just_its_bounding_box(db) -> None:
    # An L: the top right quarter of the square is not part of it.
    shape = [
        (-3.56, 50.69),
        (-3.54, 50.69),
        (-3.54, 50.70),
        (-3.55, 50.70),
        (-3.55, 50.71),
        (-3.56, 50.71),
    ]
    pk = follow(
        target=Target.for_polygon(ring(shape)), email="pat@example.org", confirmed=True
    ).subscription.pk
    assert pk in spatial_subscription_ids(50.695, -3.545)
    assert pk in spatial_subscription_ids(50.705, -3.555)
    assert pk not in spatial_subscription_ids(50.705, -3.545)
    assert pk not in spatial_subscription_ids(50.72, -3.55)


def test_a_subscriptions_target_can_be_rebuilt_from_it(db, place) -> None:
    drawn = Target.for_polygon(ring(SQUARE), label="Our street")
    subscription = follow(target=drawn, email="pat@example.org", confirmed=True).subscription
    rebuilt = Target.of(Subscription.objects.get(pk=subscription.pk))
    assert (rebuilt.kind, rebuilt.key, rebuilt.label) == (drawn.kind, drawn.key, "Our street")
    assert rebuilt.geometry is not None and drawn.geometry is not None
    assert shapely.equals(rebuilt.geometry, drawn.geometry)

    in_area = Target.for_category(place.pothole, area=place.west)
    subscription = follow(target=in_area, email="pat@example.org", confirmed=True).subscription
    rebuilt = Target.of(Subscription.objects.get(pk=subscription.pk))
    assert rebuilt.key == f"category:{place.pothole.pk}@area:{place.west.pk}"
    assert rebuilt.objects == {"category": place.pothole, "area": place.west}
