"""Events: recorded with the change, then fanned out to each follower once."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_create, request_hide, request_status_change
from openlocal.subscriptions.events import event_record, fan_out, fan_out_pending
from openlocal.subscriptions.models import Delivery, Event, EventKind, Subscription
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target


def square_around(lat: float, lon: float, half: float) -> dict:
    points = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {"type": "Polygon", "coordinates": [[*points, points[0]]]}


def lamp_report(place, **kwargs) -> Request:
    lamp = place.lamp
    fields = {
        "category": place.streetlight,
        "latitude": lamp.latitude + 0.0001,
        "longitude": lamp.longitude,
        "asset": lamp,
        "title": "Light out",
        "description": "The street light has been out for a week.",
        "reporter_email": "rita@example.org",
        "reporter_name": "Rita Reporter",
    }
    fields.update(kwargs)
    return request_create(**fields)


def told(event: Event) -> dict[str, str]:
    """Who was told of the event: email or endpoint URL, and through which kind of target."""
    found: dict[str, str] = {}
    for email, url, kind in Delivery.objects.filter(event=event).values_list(
        "subscription__person__email", "subscription__endpoint__url", "subscription__kind"
    ):
        who = email or url
        assert who not in found, f"{who} was told twice"
        found[who] = kind
    return found


@pytest.fixture
def followers(place) -> None:
    """Someone following each kind of target that a report on the lamp falls under, and more."""
    lamp = place.lamp
    lat, lon = lamp.latitude, lamp.longitude
    targets = {
        "asset@example.org": Target.for_asset(lamp),
        "area@example.org": Target.for_area(place.west),
        "county-area@example.org": Target.for_area(place.county),
        "category@example.org": Target.for_category(place.streetlight),
        "category-here@example.org": Target.for_category(place.streetlight, area=place.west),
        "body@example.org": Target.for_body(place.county_council),
        "point@example.org": Target.for_point(lat, lon, 200),
        "polygon@example.org": Target.for_polygon(square_around(lat, lon, 0.005)),
        # None of these covers the lamp.
        "other-area@example.org": Target.for_area(place.east),
        "other-category@example.org": Target.for_category(place.pothole),
        "category-elsewhere@example.org": Target.for_category(place.streetlight, area=place.east),
        "other-body@example.org": Target.for_body(place.west_council),
        "far-point@example.org": Target.for_point(lat + 0.01, lon, 500),
        "far-polygon@example.org": Target.for_polygon(square_around(lat + 0.05, lon, 0.005)),
    }
    for email, target in targets.items():
        follow(target=target, email=email, confirmed=True)
    # One person following the lamp three ways hears once, as a follower of the lamp.
    for target in (
        Target.for_body(place.county_council),
        Target.for_area(place.west),
        Target.for_asset(lamp),
        Target.for_polygon(square_around(lat, lon, 0.01)),
    ):
        follow(target=target, email="keen@example.org", confirmed=True)
    follow(target=Target.for_area(place.west), email="unconfirmed@example.org", notify=False)
    hook, _ = endpoint_register(owner_email="dev@example.org", url="https://hooks.example.org/in")
    follow(target=Target.for_area(place.west), endpoint=hook)
    confirmed_hook, _ = endpoint_register(
        owner_email="dev@example.org", url="https://live.example.org/in", confirmed=True
    )
    follow(target=Target.for_body(place.county_council), endpoint=confirmed_hook)
    follow(target=Target.for_polygon(square_around(lat, lon, 0.003)), endpoint=confirmed_hook)


def test_a_new_request_reaches_every_kind_of_follower_once(place, followers) -> None:
    request = lamp_report(place)
    event = Event.objects.get(request=request, kind=EventKind.CREATED)
    assert event.fanned_out_at is None
    assert fan_out_pending() == 1
    # The reporter (rita@) has the report confirmation, so no "new request" delivery too.
    assert told(event) == {
        "asset@example.org": "asset",
        "area@example.org": "area",
        "county-area@example.org": "area",
        "category@example.org": "category",
        "category-here@example.org": "category",
        "body@example.org": "body",
        "point@example.org": "point",
        "polygon@example.org": "polygon",
        "keen@example.org": "asset",
        # The live endpoint follows the body and a drawn area: one delivery, the drawn area.
        "https://live.example.org/in": "polygon",
    }


def test_status_changes_reach_request_followers_and_webhooks_not_broad_email_followers(
    place, followers
) -> None:
    request = lamp_report(place)
    follow(target=Target.for_request(request), email="me-too@example.org", confirmed=True)
    follow(target=Target.for_request(request), email="stopped@example.org", notify=False)
    fan_out_pending()
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, message="Mended."
    )
    event = Event.objects.get(update=update)
    assert event.kind == EventKind.FIXED
    fan_out_pending()
    assert told(event) == {
        "rita@example.org": "request",
        "me-too@example.org": "request",
        "https://live.example.org/in": "polygon",
    }
    reopened = request_status_change(
        request=request, actor=place.county_inspector, status=Status.IN_PROGRESS
    )
    fan_out_pending()
    assert Event.objects.get(update=reopened).kind == EventKind.REOPENED


def test_fanning_out_twice_writes_no_second_delivery(place, followers) -> None:
    request = lamp_report(place)
    event = Event.objects.get(request=request, kind=EventKind.CREATED)
    first = fan_out(event)
    assert first == Delivery.objects.filter(event=event).count() == 10
    # Someone who follows afterwards was not there when it happened.
    follow(target=Target.for_area(place.west), email="late@example.org", confirmed=True)
    assert fan_out(Event.objects.get(pk=event.pk)) == 0
    assert fan_out_pending() == 0
    assert Delivery.objects.filter(event=event).count() == 10
    assert "late@example.org" not in told(event)


def test_an_event_is_rolled_back_with_the_change_that_caused_it(place, followers) -> None:
    request = lamp_report(place)
    fan_out_pending()
    before = Event.objects.count()
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        request_status_change(request=request, actor=place.county_inspector, status=Status.FIXED)
        assert Event.objects.count() == before + 1
        raise RuntimeError("the change failed")
    assert Event.objects.count() == before
    assert Request.private_objects.get(pk=request.pk).status == Status.NEW
    assert fan_out_pending() == 0


@pytest.mark.django_db(transaction=True)
def test_an_event_cannot_be_recorded_outside_a_transaction(place) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction that makes the change"):
        event_record(kind=EventKind.COMMENTED, request=None)
    assert not Event.objects.exists()


def test_a_hidden_requests_events_reach_nobody(place, followers) -> None:
    request = lamp_report(place)
    manager = get_user_model().objects.create_user("boss@testshire.example", password="pw")
    Membership.objects.create(user=manager, body=place.county_council, role=Role.MANAGER)
    request_hide(request=request, actor=manager, reason="Abusive")
    request_status_change(request=request, actor=place.county_inspector, status=Status.FIXED)
    assert fan_out_pending() == 2
    assert not Delivery.objects.exists()


def test_the_payload_holds_only_public_facts(place) -> None:
    request = lamp_report(place, reporter_name="Rita Private", reporter_name_public=False)
    event = Event.objects.get(request=request, kind=EventKind.CREATED)
    data = event.payload["data"]
    assert data["request"]["id"] == request.pk
    assert data["request"]["url"].endswith(f"/requests/{request.pk}")
    assert data["request"]["asset"] == {
        "id": "SL-0001",
        "type": "streetlight",
        "name": "Column 1, High Street",
    }
    assert data["request"]["reporter_name"] is None
    assert data["request"]["follower_count"] == 1
    text = json.dumps(event.payload)
    assert "rita@example.org" not in text and "Rita Private" not in text
    assert event.payload["type"] == "request.created"


def test_matching_uses_the_requests_own_spot_for_drawn_areas(place) -> None:
    lamp = place.lamp
    ring = follow(
        target=Target.for_point(lamp.latitude, lamp.longitude, 50),
        email="ring@example.org",
        confirmed=True,
    ).subscription
    # 100 m north of the lamp: outside a 50 m circle round it, though on the same asset.
    north = lamp.latitude + 100 / 111_195
    request = lamp_report(place, latitude=north, reporter_email="")
    fan_out_pending()
    event = Event.objects.get(request=request)
    assert told(event) == {}
    assert Subscription.objects.get(pk=ring.pk).active


def test_a_drawn_area_is_tested_exactly_near_its_edge(place) -> None:
    lamp = place.lamp
    # The area's western edge runs 20 m east of the lamp: the lamp's H3 cell straddles it, so
    # only the exact test can tell a request just inside from one just outside.
    metre = 1 / (111_195 * 0.63)  # a metre of longitude at this latitude
    edge = lamp.longitude + 20 * metre
    shape = {
        "type": "Polygon",
        "coordinates": [
            [
                [edge, lamp.latitude - 0.01],
                [edge + 0.02, lamp.latitude - 0.01],
                [edge + 0.02, lamp.latitude + 0.01],
                [edge, lamp.latitude + 0.01],
                [edge, lamp.latitude - 0.01],
            ]
        ],
    }
    follow(target=Target.for_polygon(shape), email="edge@example.org", confirmed=True)
    inside = lamp_report(place, longitude=edge + 10 * metre, asset=None, reporter_email="")
    outside = lamp_report(place, longitude=edge - 10 * metre, asset=None, reporter_email="")
    fan_out_pending()

    assert told(Event.objects.get(request=inside)) == {"edge@example.org": "polygon"}
    assert told(Event.objects.get(request=outside)) == {}
