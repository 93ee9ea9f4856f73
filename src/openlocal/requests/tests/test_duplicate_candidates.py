"""Already reported? The open requests offered to someone about to report the same problem."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Category, CategoryGroup, RoutingRule, Status
from openlocal.requests.selectors import duplicate_candidates
from openlocal.requests.services import request_create, request_hide, request_status_change

METRES_PER_DEGREE = 111_195.0


def offset(point: tuple[float, float], north_m: float = 0.0, east_m: float = 0.0):
    lat, lon = point
    return (
        lat + north_m / METRES_PER_DEGREE,
        lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
    )


def report(place, at=None, *, category=None, title="Pothole", description="A hole.", **kwargs):
    lat, lon = at or place.west_point
    category = category or place.pothole
    answers = {"depth": "deep"} if category == place.pothole else {}
    return request_create(
        category=category,
        latitude=lat,
        longitude=lon,
        title=title,
        description=description,
        answers=answers,
        **kwargs,
    )


def ids(candidates) -> list[int]:
    return [c.request.pk for c in candidates]


def roads_category(place, **kwargs) -> Category:
    """Another category in the pothole's group (roads), handled by the county."""
    category = Category.objects.create(
        name="Damaged road surface",
        slug="road-surface",
        service_code="RDS",
        group=CategoryGroup.ROADS,
        **kwargs,
    )
    RoutingRule.objects.create(category=category, area=place.county, body=place.county_council)
    return category


def test_nearby_open_request_in_the_same_group_is_offered_with_its_distance(place):
    near = report(place, offset(place.west_point, north_m=20))
    same_group = report(place, offset(place.west_point, east_m=-30), category=roads_category(place))
    found = duplicate_candidates(
        category=place.pothole, latitude=place.west_point[0], longitude=place.west_point[1]
    )
    assert ids(found) == [near.pk, same_group.pk]
    assert found[0].distance_m == pytest.approx(20, abs=0.5)
    assert found[1].distance_m == pytest.approx(30, abs=0.5)
    assert not found[0].same_asset


def test_other_groups_and_requests_beyond_the_radius_are_not_offered(place):
    report(place, offset(place.west_point, north_m=10), category=place.fly_tipping)
    report(place, offset(place.west_point, north_m=60))  # default radius is 50 m
    inside = report(place, offset(place.west_point, north_m=45))
    found = duplicate_candidates(
        category=place.pothole, latitude=place.west_point[0], longitude=place.west_point[1]
    )
    assert ids(found) == [inside.pk]


def test_the_categorys_own_duplicate_radius_is_respected(place):
    wide = roads_category(place, duplicate_radius_m=200)
    far = report(place, offset(place.west_point, east_m=150))
    lat, lon = place.west_point
    assert duplicate_candidates(category=place.pothole, latitude=lat, longitude=lon) == []
    found = duplicate_candidates(category=wide, latitude=lat, longitude=lon)
    assert ids(found) == [far.pk]
    assert found[0].distance_m == pytest.approx(150, abs=1)


def test_closed_hidden_and_old_requests_are_not_offered(place):
    lat, lon = place.west_point
    fixed = report(place, offset(place.west_point, north_m=5))
    request_status_change(request=fixed, actor=place.county_inspector, status=Status.FIXED)
    hidden = report(place, offset(place.west_point, north_m=10))
    county_manager = place.west_manager
    Membership.objects.create(user=county_manager, body=place.county_council, role=Role.MANAGER)
    request_hide(request=hidden, actor=county_manager, reason="Abusive")
    old = report(place, offset(place.west_point, north_m=15))
    old_time = timezone.now() - timedelta(days=40)
    type(old).private_objects.filter(pk=old.pk).update(created_at=old_time)
    recent = report(place, offset(place.west_point, north_m=20))

    with override_settings(DUPLICATE_WINDOW_DAYS=30):
        found = duplicate_candidates(category=place.pothole, latitude=lat, longitude=lon)
    assert ids(found) == [recent.pk]
    with override_settings(DUPLICATE_WINDOW_DAYS=60):
        found = duplicate_candidates(category=place.pothole, latitude=lat, longitude=lon)
    assert set(ids(found)) == {recent.pk, old.pk}


def test_a_request_on_the_same_asset_comes_first_even_when_further_away(place):
    lamp = place.lamp
    near = report(
        place,
        offset((lamp.latitude, lamp.longitude), north_m=3),
        category=place.streetlight,
        title="Light out",
    )
    on_lamp = report(
        place,
        offset((lamp.latitude, lamp.longitude), north_m=40),
        category=place.streetlight,
        asset=lamp,
        title="Light out",
    )
    found = duplicate_candidates(
        category=place.streetlight, latitude=lamp.latitude, longitude=lamp.longitude, asset=lamp
    )
    assert ids(found) == [on_lamp.pk, near.pk]
    assert found[0].same_asset and not found[1].same_asset


def test_the_same_asset_is_offered_beyond_the_radius(place):
    lamp = place.lamp
    on_lamp = report(
        place,
        (lamp.latitude, lamp.longitude),
        category=place.streetlight,
        asset=lamp,
        title="Light out",
    )
    somewhere_else = offset((lamp.latitude, lamp.longitude), east_m=400)
    found = duplicate_candidates(
        category=place.streetlight,
        latitude=somewhere_else[0],
        longitude=somewhere_else[1],
        asset=lamp,
    )
    assert ids(found) == [on_lamp.pk]
    without_asset = duplicate_candidates(
        category=place.streetlight, latitude=somewhere_else[0], longitude=somewhere_else[1]
    )
    assert without_asset == []


def test_similar_wording_raises_a_request_above_a_closer_one(place):
    closer = report(
        place,
        offset(place.west_point, north_m=15),
        title="Drain smells",
        description="Blocked gully by the bus shelter.",
    )
    similar = report(
        place,
        offset(place.west_point, north_m=25),
        title="Deep pothole by the school gates",
        description="Deep pothole by the school gates, cars swerving round it.",
    )
    lat, lon = place.west_point
    plain = duplicate_candidates(category=place.pothole, latitude=lat, longitude=lon)
    assert ids(plain) == [closer.pk, similar.pk]
    worded = duplicate_candidates(
        category=place.pothole,
        latitude=lat,
        longitude=lon,
        text="Huge potholes at the school gates, cars swerving",
    )
    assert ids(worded) == [similar.pk, closer.pk]
    assert worded[0].similarity > 0.4 and worded[1].similarity == 0


def test_a_more_recent_request_ranks_above_an_older_one_at_the_same_distance(place):
    lat, lon = place.west_point
    older = report(place, offset(place.west_point, north_m=20))
    type(older).private_objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    newer = report(place, offset(place.west_point, north_m=-20))
    found = duplicate_candidates(category=place.pothole, latitude=lat, longitude=lon)
    assert ids(found) == [newer.pk, older.pk]


def test_a_place_that_is_not_on_earth_is_refused(place):
    from openlocal.core.geo import InvalidLocation

    with pytest.raises(InvalidLocation, match="Latitude 95"):
        duplicate_candidates(category=place.pothole, latitude=95, longitude=0)
