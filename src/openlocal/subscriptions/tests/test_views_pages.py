"""Follow forms and feed links on area, body, category and asset pages; following a place."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from openlocal.requests.services import request_create
from openlocal.subscriptions.models import Subscription, TargetKind
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db

FOLLOWER = "secret-follower@private.example"


def _pages(place) -> dict[str, tuple[str, str, str]]:
    """Page path → (target key, feed path, heading)."""
    lamp = place.lamp
    return {
        "/areas/west-testshire": (
            f"area:{place.west.pk}",
            "/feeds/areas/west-testshire",
            "Get emails about new requests in West Testshire",
        ),
        "/bodies/west": (
            f"body:{place.west_council.pk}",
            "/feeds/bodies/west",
            "Get emails about new requests to West Testshire District Council",
        ),
        "/categories/missed-bin": (
            f"category:{place.missed_bin.pk}",
            "/feeds/categories/missed-bin",
            "Get emails about new “Missed bin collection” requests",
        ),
        f"/assets/streetlight/{lamp.external_id}": (
            f"asset:{lamp.pk}",
            f"/feeds/assets/streetlight/{lamp.external_id}",
            "Get emails about problems with Column 1, High Street",
        ),
    }


def test_each_page_offers_a_follow_form_and_its_feed(client, place) -> None:
    for path, (key, feed, heading) in _pages(place).items():
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert heading in html, path
        assert 'action="/subscriptions/follow"' in html
        assert f'value="{key}"' in html, path
        assert f'<input type="hidden" name="next" value="{path}">' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert '<link rel="alternate" type="application/atom+xml" title="' in html
        assert f'href="{feed}"' in html, path
        assert "Nobody gets emails about this yet" in html


def test_the_category_page_offers_following_within_an_area(client, place) -> None:
    html = client.get("/categories/missed-bin").content.decode()
    assert f'value="category:{place.missed_bin.pk}@area:{place.west.pk}"' in html
    assert "In West Testshire" in html
    assert "In East Testshire" in html


def test_pages_count_followers_and_never_show_who(client, place) -> None:
    request_create(
        category=place.missed_bin,
        latitude=50.7,
        longitude=-3.55,
        title="Bin missed on Mill Lane",
        description="Twice.",
        reporter_email="reporter@private.example",
        notify=False,
    )
    endpoint, _ = endpoint_register(
        owner_email="hook-owner@private.example",
        url="http://127.0.0.1:9/private-hook",
        confirmed=True,
    )
    for path, (key, _feed, _heading) in _pages(place).items():
        target = _target(place, key)
        follow(target=target, email=FOLLOWER, confirmed=True, notify=False)
        follow(target=target, email="second@private.example", confirmed=True, notify=False)
        follow(target=target, email="pending@private.example", notify=False)
        follow(target=target, endpoint=endpoint)
        html = client.get(path).content.decode()
        # Two people and one endpoint; the unconfirmed follower does not count.
        assert "3 followers get emails about this" in html, path
        for private in (
            FOLLOWER,
            "second@",
            "pending@",
            "hook-owner@",
            "private-hook",
            "reporter@",
        ):
            assert private not in html, (path, private)


def _target(place, key: str) -> Target:
    kind = key.split(":")[0]
    if kind == "area":
        return Target.for_area(place.west)
    if kind == "body":
        return Target.for_body(place.west_council)
    if kind == "category":
        return Target.for_category(place.missed_bin)
    return Target.for_asset(place.lamp)


def test_follow_from_an_area_page_returns_there(client, place) -> None:
    response = client.post(
        "/subscriptions/follow",
        {
            "target": f"area:{place.west.pk}",
            "email": "pat@example.org",
            "channel": "digest",
            "next": "/areas/west-testshire",
        },
    )
    assert response.status_code == 200
    assert 'href="/areas/west-testshire"' in response.content.decode()
    subscription = Subscription.objects.get(person__email="pat@example.org")
    assert subscription.channel == "digest"


# Around a point, or a drawn area -----------------------------------------------------------


def test_the_follow_area_page_works_without_scripts(client, place) -> None:
    response = client.get("/subscriptions/follow/around")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="latitude"' in html
    assert 'name="radius"' in html
    assert 'value="5000"' in html and 'value="100"' in html
    assert 'name="polygon"' in html
    assert "<script>" not in html


def test_find_a_place_by_name_fills_the_point(client, place) -> None:
    html = client.get("/subscriptions/follow/around", {"q": "West Testshire"}).content.decode()
    assert f'value="{place.west.centre_latitude:.5f}"' in html
    assert "Around West Testshire" in html
    html = client.get("/subscriptions/follow/around", {"q": "Testshire"}).content.decode()
    # An exact name wins; several partial matches are offered as choices.
    assert f'value="{place.county.centre_latitude:.5f}"' in html
    html = client.get("/subscriptions/follow/around", {"q": "Nowhereville"}).content.decode()
    assert "No place called “Nowhereville” was found" in html


def test_follow_around_a_point(client, place, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/subscriptions/follow/around",
            {
                "latitude": "50.71",
                "longitude": "-3.52",
                "radius": "1000",
                "name": "the bakery",
                "email": "pat@example.org",
                "channel": "immediate",
            },
        )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    subscription = Subscription.objects.get(person__email="pat@example.org")
    assert subscription.kind == TargetKind.POINT
    assert subscription.radius_m == 1000
    assert subscription.label == "Within 1 kilometre of the bakery"
    assert subscription.cells.exists()
    assert len(mail.outbox) == 1


def test_follow_a_drawn_area(client, place) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [[-3.56, 50.70], [-3.54, 50.70], [-3.54, 50.72], [-3.56, 50.72], [-3.56, 50.70]]
        ],
    }
    response = client.post(
        "/subscriptions/follow/around",
        {"polygon": json.dumps(polygon), "radius": "500", "email": "pat@example.org"},
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get(person__email="pat@example.org")
    assert subscription.kind == TargetKind.POLYGON
    assert subscription.cells.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"radius": "500"}, "Enter the latitude"),
        ({"latitude": "north", "longitude": "-3.5", "radius": "500"}, "Latitude must be a number"),
        ({"latitude": "95", "longitude": "-3.5", "radius": "500"}, "out of range"),
        (
            {"latitude": "50.7", "longitude": "-3.5", "radius": "123"},
            "Choose how far around the point",
        ),
        ({"polygon": "{not json", "radius": "500"}, "The drawn area could not be read"),
        ({"polygon": '{"type": "Point", "coordinates": [1, 2]}', "radius": "500"}, "not a polygon"),
        (
            {
                "polygon": (
                    '{"type":"Polygon","coordinates":[[[-4,50],[-1,50],[-1,52],[-4,52],[-4,50]]]}'
                ),
                "radius": "500",
            },
            "larger than",
        ),
    ],
)
def test_bad_follow_area_input_gets_form_errors(client, place, data, message) -> None:
    response = client.post("/subscriptions/follow/around", {**data, "email": "pat@example.org"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert not Subscription.objects.exists()
