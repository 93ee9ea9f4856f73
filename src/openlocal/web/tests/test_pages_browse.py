"""Browsing requests: filters, pagination and the map's JSON."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

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
        description=kwargs.pop("description", f"About {title}"),
        reporter_email="private@reporter.example",
        notify=False,
        **kwargs,
    )


def _titles(html: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/requests/\d+">([^<]+)</a>', html)


def test_lists_public_requests_with_a_count(client, place) -> None:
    _make(place, "Bins left out")
    _make(place, "Sofa dumped", east=True, category=place.fly_tipping)
    response = client.get("/requests/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 requests" in html
    assert set(_titles(html)) == {"Bins left out", "Sofa dumped"}
    assert 'data-ol-map="browse"' in html
    assert 'data-points-url="/requests/map.json"' in html


def test_filters(client, place) -> None:
    west = _make(place, "West bins", description="Blue lid bins")
    east = _make(place, "East tipping", east=True, category=place.fly_tipping)
    pothole = _make(place, "Road hole", category=place.pothole, answers={"depth": "deep"})
    request_status_change(
        request=pothole, actor=place.county_inspector, status="fixed", notify=False
    )

    def titles(query: str) -> set[str]:
        return set(_titles(client.get("/requests/?" + query).content.decode()))

    assert titles("status=open") == {west.title, east.title}
    assert titles("status=closed") == {pothole.title}
    assert titles("status=fixed") == {pothole.title}
    assert titles("status=new") == {west.title, east.title}
    assert titles("category=fly-tipping") == {east.title}
    assert titles("area=east-testshire") == {east.title}
    assert titles("area=testshire") == {west.title, east.title, pothole.title}
    assert titles("area=East+Testshire") == {east.title}
    assert titles("body=west") == {west.title}
    assert titles("body=testshire") == {pothole.title}
    assert titles("q=blue+LID") == {west.title}
    assert titles("q=tipping") == {east.title}
    assert titles("body=west&status=closed") == set()


def test_invalid_filter_is_reported_not_a_500(client, place) -> None:
    _make(place, "West bins")
    response = client.get("/requests/?category=nonsense&status=bogus")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem with the filters" in html
    assert "West bins" in html


def test_sorts(client, place) -> None:
    old = _make(place, "Old one", created_at=timezone.now() - timedelta(days=3))
    new = _make(place, "New one")
    popular = _make(place, "Popular one", created_at=timezone.now() - timedelta(days=1))
    Request.private_objects.filter(pk=popular.pk).update(supporter_count=9)
    assert _titles(client.get("/requests/").content.decode()) == [
        new.title,
        popular.title,
        old.title,
    ]
    assert _titles(client.get("/requests/?sort=oldest").content.decode())[0] == old.title
    assert _titles(client.get("/requests/?sort=supported").content.decode())[0] == popular.title


def test_pagination_keeps_filters(client, place) -> None:
    for i in range(30):
        _make(place, f"Bin {i:02d}")
    _make(place, "Elsewhere", east=True, category=place.fly_tipping)
    response = client.get("/requests/?category=missed-bin")
    html = response.content.decode()
    assert "30 requests" in html
    assert len(_titles(html)) == 25
    assert "category=missed-bin&amp;page=2" in html
    page2 = client.get("/requests/?category=missed-bin&page=2").content.decode()
    assert len(_titles(page2)) == 5
    assert "Elsewhere" not in page2
    assert "category=missed-bin&amp;page=1" in page2


def test_hidden_requests_are_absent(client, place) -> None:
    shown = _make(place, "Visible bins")
    hidden = _make(place, "Secretly hidden bins")
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    html = client.get("/requests/").content.decode()
    assert "Secretly hidden" not in html
    assert "1 request" in html
    points = client.get("/requests/map.json").json()["points"]
    assert [p["id"] for p in points] == [shown.pk]


def test_map_json_has_public_fields_only(client, place) -> None:
    req = _make(place, "West bins")
    _make(place, "East tipping", east=True, category=place.fly_tipping)
    response = client.get("/requests/map.json?body=west")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"points", "truncated"}
    assert data["truncated"] is False
    assert len(data["points"]) == 1
    point = data["points"][0]
    assert set(point) == {"id", "title", "status", "lat", "lon", "url"}
    assert point == {
        "id": req.pk,
        "title": "West bins",
        "status": "New",
        "lat": place.west_point[0],
        "lon": place.west_point[1],
        "url": f"/requests/{req.pk}",
    }
    assert "private@reporter.example" not in response.content.decode()
