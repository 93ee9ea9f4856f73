"""The home page, finding a place, and the pages for areas, bodies, categories and assets."""

from __future__ import annotations

import json
import re

import pytest

from openlocal.requests.models import Request
from openlocal.requests.services import request_create, request_hide, request_status_change

pytestmark = pytest.mark.django_db


def _make(place, title: str, *, east: bool = False, category=None, **kwargs) -> Request:
    lat, lon = place.east_point if east else place.west_point
    return request_create(
        category=category or place.missed_bin,
        latitude=lat,
        longitude=lon,
        title=title,
        description=f"About {title}",
        notify=False,
        **kwargs,
    )


def test_home(client, place) -> None:
    west = _make(place, "Bins left out")
    request_status_change(
        request=west, actor=place.west_manager, status="fixed", message="Collected", notify=False
    )
    _make(place, "Sofa dumped", east=True, category=place.fly_tipping)
    hidden = _make(place, "Hidden thing")
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/around"' in html
    assert "data-ol-geolocate" in html
    assert "Bins left out" in html
    assert "Sofa dumped" in html
    assert "Status changed from New to Fixed" in html
    assert "Hidden thing" not in html
    counts = re.findall(r'<dd class="govuk-heading-l ol-count">(\d+)</dd>', html)
    assert counts == ["1", "1"]  # one open, one fixed in the last 30 days
    assert 'href="/requests/"' in html
    assert 'href="/report/"' in html


def test_places_lists_every_area_and_body(client, place) -> None:
    html = client.get("/places/").content.decode()
    for name in [
        "Testshire",
        "West Testshire",
        "East Testshire",
        "Testshire County Council",
        "West Testshire District Council",
        "East Testshire District Council",
    ]:
        assert f">{name}</a>" in html
    assert html.index("County (1)</h3>") < html.index("District (2)</h3>")


def test_around_by_name(client, place) -> None:
    near = _make(place, "Bins near here")
    _make(place, "Far away bins", east=True)
    response = client.get("/around", {"q": "west testshire"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="govuk-heading-l">West Testshire</h1>' in html
    assert near.title in html
    assert "Far away bins" not in html  # about 7 km away
    assert 'href="/report/?lat=50.70000&amp;lon=-3.55000"' in html
    assert "Report a problem here" in html
    assert 'href="/bodies/west"' in html
    assert 'href="/areas/testshire"' in html
    assert "Missed bin collection" in html  # who handles what here


def test_around_by_asset_name(client, place) -> None:
    html = client.get("/around", {"q": "column 1"}).content.decode()
    assert "Column 1, High Street</h1>" in html


def test_around_with_several_matches_offers_a_choice(client, place) -> None:
    html = client.get("/around", {"q": "est"}).content.decode()
    assert "More than one place matches" in html
    assert "name=East+Testshire" in html


def test_around_by_coordinates_sorted_by_distance(client, place) -> None:
    further = request_create(
        category=place.missed_bin,
        latitude=50.7045,
        longitude=-3.55,
        title="Further bins",
        description="x",
        notify=False,
    )
    closer = request_create(
        category=place.missed_bin,
        latitude=50.701,
        longitude=-3.55,
        title="Closer bins",
        description="x",
        notify=False,
    )
    closed = request_create(
        category=place.missed_bin,
        latitude=50.7,
        longitude=-3.55,
        title="Closed bins",
        description="x",
        notify=False,
    )
    request_status_change(request=closed, actor=place.west_manager, status="fixed", notify=False)
    for params in ({"q": "50.7, -3.55"}, {"lat": "50.7", "lon": "-3.55"}):
        html = client.get("/around", params).content.decode()
        assert html.index(closer.title) < html.index(further.title)
        assert "Closed bins" not in html
        assert "50.70000, -3.55000" in html


def test_around_with_garbage(client, place) -> None:
    for params in ({"q": "!!!"}, {"q": ""}, {"lat": "north", "lon": "west"}, {"q": "200, 500"}):
        response = client.get("/around", params)
        assert response.status_code == 200
        assert "Enter a place name or coordinates like 50.72, -3.53" in response.content.decode()


def test_around_outside_every_area(client, place) -> None:
    response = client.get("/around", {"q": "10, 10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No council or other body on this site covers 10.00000, 10.00000" in html
    assert "Report a problem here" not in html


def test_area_page(client, place) -> None:
    west = _make(place, "West bins")
    _make(place, "East bins", east=True)
    hidden = _make(place, "Hidden west bins")
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    response = client.get("/areas/west-testshire")
    assert response.status_code == 200
    html = response.content.decode()
    assert "District" in html
    assert "T07000001" in html
    assert 'href="/areas/testshire"' in html  # parent
    assert 'href="/bodies/west"' in html
    assert west.title in html
    assert "East bins" not in html
    assert "Hidden west bins" not in html
    assert 'href="/requests/?area=west-testshire"' in html
    # Categories handled there, from its own rules and its parent's.
    assert "Missed bin collection" in html
    assert "Pothole" in html
    assert 'data-ol-map="area"' in html
    assert 'data-geojson-id="area-boundary"' in html
    data = re.search(
        r'<script id="area-boundary" type="application/json">(.*?)</script>', html, re.S
    )
    assert data is not None
    geojson = json.loads(data.group(1))
    assert geojson["type"] == "Polygon"

    county = client.get("/areas/testshire").content.decode()
    assert 'href="/areas/west-testshire"' in county  # children
    assert "West bins" in county and "East bins" in county


def test_body_page(client, place) -> None:
    _make(place, "West bins")
    fixed = _make(place, "Fixed bins")
    request_status_change(request=fixed, actor=place.west_manager, status="fixed", notify=False)
    _make(place, "East bins", east=True)
    hidden = _make(place, "Hidden west bins")
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    html = client.get("/bodies/west").content.decode()
    assert "West Testshire District Council" in html
    assert "District or city council" in html
    assert "2 requests, of which 1 open" in html
    assert "Requests to West Testshire District Council by status" in html
    assert "status=fixed" in html
    assert "Fly-tipping" in html and "Missed bin collection" in html
    assert 'href="/areas/west-testshire"' in html
    assert "East bins" not in html
    assert "Hidden west bins" not in html
    assert 'href="/requests/?body=west"' in html
    # The body's private intake address is never shown.
    assert "highways@testshire.example" not in client.get("/bodies/testshire").content.decode()


def test_category_page(client, place) -> None:
    _make(place, "Road hole", category=place.pothole, answers={"depth": "deep"})
    hidden = _make(place, "Hidden hole", category=place.pothole, answers={"depth": "deep"})
    Request.private_objects.filter(pk=hidden.pk).update(hidden=True)
    html = client.get("/categories/pothole").content.decode()
    assert "Roads and pavements" in html
    assert "How deep is it?" in html
    assert "Shallower than 5 cm" in html
    assert "Testshire County Council" in html
    assert "Road hole" in html
    assert "Hidden hole" not in html
    assert 'href="/requests/?category=pothole"' in html


def test_asset_page_history(client, place) -> None:
    first = _make(place, "Lamp out", category=place.streetlight, asset=place.lamp)
    request_status_change(request=first, actor=place.county_inspector, status="fixed", notify=False)
    second = _make(place, "Lamp out again", category=place.streetlight, asset=place.lamp)
    hidden = _make(place, "Hidden lamp report", category=place.streetlight, asset=place.lamp)
    Request.private_objects.filter(pk=hidden.pk).update(hidden=True)
    place.lamp.attributes = {"install_year": 1998}
    place.lamp.save()
    response = client.get("/assets/streetlight/SL-0001")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Column 1, High Street" in html
    assert "Column number" in html and "SL-0001" in html
    assert "Install year" in html and "1998" in html
    assert 'href="/bodies/testshire"' in html
    # Newest first, whatever the status.
    assert html.index(f">{second.title}<") < html.index(f">{first.title}<")
    assert "Fixed" in html
    assert "Hidden lamp report" not in html
    assert 'href="/report/?lat=50.70000&amp;lon=-3.55000"' in html
    assert 'data-ol-map="show"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/areas/nowhere",
        "/bodies/nobody",
        "/categories/nothing",
        "/assets/streetlight/NOPE",
        "/assets/nothing/SL-0001",
    ],
)
def test_unknown_slugs_are_404_in_our_layout(client, place, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "govuk-service-navigation" in html
