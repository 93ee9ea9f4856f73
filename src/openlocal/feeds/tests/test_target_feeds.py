"""Feeds of new requests for everything followable: all, area, body, category, asset."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.feeds import links
from openlocal.feeds.selectors import FEED_LENGTH
from openlocal.feeds.tests.atom import parse_feed, report
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_hide, request_status_change

SITE = "http://127.0.0.1:8000"


@pytest.fixture
def requests(place) -> dict[str, Request]:
    """Requests in both districts and several categories, from oldest to newest."""
    made = {
        "west pothole": report(place, "West pothole", minutes_ago=50),
        "east pothole": report(place, "East pothole", at=place.east_point, minutes_ago=40),
        "west bin": report(place, "West bin", category=place.missed_bin, minutes_ago=30),
        "east bin": report(
            place, "East bin", at=place.east_point, category=place.missed_bin, minutes_ago=20
        ),
        "lamp": report(
            place,
            "Lamp out",
            category=place.streetlight,
            asset=place.lamp,
            minutes_ago=10,
            reporter_email="lee.lamp@example.org",
            reporter_name="Lee Lamplighter",
            reporter_name_public=True,
        ),
        "private": report(
            place,
            "Private reporter",
            minutes_ago=5,
            reporter_email="pat.private@example.org",
            reporter_name="Pat Private",
        ),
    }
    hidden = report(place, "Hidden canary 5e2d", minutes_ago=1)
    moderator = get_user_model().objects.create_user("moderator@testshire.example")
    Membership.objects.create(user=moderator, body=hidden.body, role=Role.MANAGER)
    request_hide(request=hidden, actor=moderator, reason="Abusive")
    return made


def titles(client, url: str) -> list[str]:
    return parse_feed(client.get(url)).titles


def test_every_new_public_request_newest_first(place, requests, client) -> None:
    feed = parse_feed(client.get(links.all_requests_feed_url()))
    assert feed.titles == [
        "Private reporter",
        "Lamp out",
        "East bin",
        "West bin",
        "East pothole",
        "West pothole",
    ]
    assert feed.title == "New requests – OpenLocal"
    assert feed.alternate == f"{SITE}/requests/"
    assert feed.self_link == feed.id == f"{SITE}/feeds/requests"


def test_each_entry_describes_the_request(place, requests, client) -> None:
    lamp = requests["lamp"]
    request_status_change(
        request=lamp, actor=place.county_inspector, status=Status.IN_PROGRESS, notify=False
    )
    lamp.refresh_from_db()
    entry = parse_feed(client.get(links.all_requests_feed_url())).entries[1]
    assert entry.title == "Lamp out"
    assert entry.link == entry.id == f"{SITE}/requests/{lamp.pk}"
    assert entry.author == "Lee Lamplighter"
    assert entry.categories == ["Street light not working", "In progress"]
    assert entry.summary == "In progress · Street light not working · West Testshire, Testshire"
    assert "Description of Lamp out." in entry.content
    assert "Testshire County Council" in entry.content
    assert entry.published == lamp.created_at.isoformat()
    assert entry.updated == lamp.updated_at.isoformat()
    assert entry.updated > entry.published
    assert entry.point == "50.700000 -3.550000"


def test_feeds_keep_private_things_out(place, requests, client) -> None:
    urls = [
        links.all_requests_feed_url(),
        links.area_feed_url(place.west),
        links.body_feed_url(place.county_council),
        links.category_feed_url(place.pothole),
    ]
    for url in urls:
        raw = client.get(url).content.decode()
        assert "Hidden canary 5e2d" not in raw, url
        assert "Pat Private" not in raw, url
        assert "@example.org" not in raw, url
        assert "@testshire.example" not in raw, url
    private = parse_feed(client.get(links.all_requests_feed_url())).entries[0]
    assert private.title == "Private reporter"
    assert private.author == "Anonymous"


def test_an_area_feed_has_the_requests_in_that_area(place, requests, client) -> None:
    west = parse_feed(client.get(links.area_feed_url(place.west)))
    assert west.titles == ["Private reporter", "Lamp out", "West bin", "West pothole"]
    assert west.title == "New requests in West Testshire – OpenLocal"
    assert west.alternate == f"{SITE}/areas/west-testshire"
    assert west.self_link == f"{SITE}/feeds/areas/west-testshire"
    assert "West Testshire" in west.subtitle
    assert titles(client, links.area_feed_url(place.east)) == ["East bin", "East pothole"]
    assert len(titles(client, links.area_feed_url(place.county))) == 6


def test_a_body_feed_has_the_requests_sent_to_it(place, requests, client) -> None:
    assert titles(client, links.body_feed_url(place.west_council)) == ["West bin"]
    county = parse_feed(client.get(links.body_feed_url(place.county_council)))
    assert county.titles == ["Private reporter", "Lamp out", "East pothole", "West pothole"]
    assert county.title == "New requests to Testshire County Council – OpenLocal"
    assert county.alternate == f"{SITE}/bodies/testshire"


def test_a_category_feed_optionally_within_an_area(place, requests, client) -> None:
    assert titles(client, links.category_feed_url(place.missed_bin)) == ["East bin", "West bin"]
    in_east = parse_feed(client.get(links.category_feed_url(place.missed_bin, place.east)))
    assert in_east.titles == ["East bin"]
    assert in_east.title == "New “Missed bin collection” requests in East Testshire – OpenLocal"
    assert in_east.self_link == f"{SITE}/feeds/categories/missed-bin?area=east-testshire"
    assert in_east.alternate == f"{SITE}/requests/?category=missed-bin&area=east-testshire"


def test_an_asset_feed_has_the_requests_about_it(place, requests, client) -> None:
    path = Asset.objects.create(
        asset_type=place.streetlight_type,
        external_id="BRA/F1/2",
        name="Lamp on the bridleway",
        latitude=50.71,
        longitude=-3.56,
        cell=geo.point_cell(50.71, -3.56),
    )
    report(place, "Bridleway lamp out", category=place.streetlight, asset=path)
    feed = parse_feed(client.get(links.asset_feed_url(place.lamp)))
    assert feed.titles == ["Lamp out"]
    assert feed.title == "Requests about Column 1, High Street – OpenLocal"
    assert feed.alternate == f"{SITE}/assets/streetlight/SL-0001"
    # References with slashes (rights of way) have feeds too.
    assert links.asset_feed_url(path) == "/feeds/assets/streetlight/BRA/F1/2"
    assert titles(client, links.asset_feed_url(path)) == ["Bridleway lamp out"]


def test_a_feed_with_nothing_in_it_is_still_a_valid_feed(place, client) -> None:
    first = client.get(links.body_feed_url(place.east_council))
    feed = parse_feed(first)
    assert feed.entries == []
    assert feed.updated
    # Nothing changed, so a second fetch is the same document (and the same ETag).
    assert client.get(links.body_feed_url(place.east_council))["ETag"] == first["ETag"]


def test_feeds_show_the_newest_fifty(place, client) -> None:
    for n in range(FEED_LENGTH + 2):
        report(place, f"Request {n}", minutes_ago=FEED_LENGTH + 2 - n)
    shown = titles(client, links.all_requests_feed_url())
    assert len(shown) == FEED_LENGTH
    assert shown[0] == f"Request {FEED_LENGTH + 1}"
    assert shown[-1] == "Request 2"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/feeds/areas/atlantis", "There is no area called “atlantis”."),
        ("/feeds/bodies/nobody", "There is no organisation called “nobody”."),
        ("/feeds/categories/unicorns", "There is no category called “unicorns”."),
        ("/feeds/categories/pothole?area=atlantis", "There is no area called “atlantis”."),
        (
            "/feeds/assets/streetlight/SL-9999",
            "There is no streetlight with the reference “SL-9999”.",
        ),
        ("/feeds/assets/benches/SL-0001", "There is no benches with the reference “SL-0001”."),
        ("/feeds/requests/999999", "There is no public request #999999."),
    ],
)
def test_unknown_targets_are_404_with_a_reason(place, client, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_feed(
    place, client, django_assert_max_num_queries
) -> None:
    for n in range(12):
        report(place, f"Request {n}", at=place.east_point if n % 2 else None, minutes_ago=n)
    request = Request.public_objects.first()
    assert request is not None
    urls = [
        links.all_requests_feed_url(),
        links.area_feed_url(place.county),
        links.body_feed_url(place.county_council),
        links.category_feed_url(place.pothole, place.west),
        links.asset_feed_url(place.lamp),
        links.around_feed_url(50.7, -3.5, 10_000),
        "/feeds/within?bbox=-3.6,50.6,-3.4,50.8",
        links.request_feed_url(request),
    ]
    for url in urls:
        # Target, entries and their areas: a fixed handful, whatever the number of entries.
        with django_assert_max_num_queries(4):
            assert client.get(url).status_code == 200
