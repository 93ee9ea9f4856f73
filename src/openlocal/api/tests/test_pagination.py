"""Cursor pages: follow `next` and see every row once, even while rows are added."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from openlocal.requests.services import request_comment

pytestmark = pytest.mark.django_db


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_pages_are_stable_while_requests_are_added(api, make_request):
    made = [make_request(title=f"Request {i}") for i in range(5)]
    first = api.get("/api/v1/requests?limit=2")
    body = first.json()
    assert [r["id"] for r in body["results"]] == [made[4].pk, made[3].pk]
    assert first["Link"].startswith(f'<{body["next"]}>; rel="next"')
    newer = make_request(title="Reported while paging")
    seen = [r["id"] for r in body["results"]]
    url = body["next"]
    while url:
        page = api.get(local(url)).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == [r.pk for r in reversed(made)]
    assert newer.pk not in seen
    last = api.get("/api/v1/requests?limit=10")
    assert 'rel="next"' not in last.get("Link", "")
    assert last.json()["next"] is None


def test_updated_order_pages_catch_changes_at_the_end(api, place, make_request):
    made = [make_request() for _ in range(3)]
    first = api.get("/api/v1/requests?order=updated&limit=2").json()
    assert [r["id"] for r in first["results"]] == [made[0].pk, made[1].pk]
    request_comment(request=made[0], actor=place.county_inspector, text="Changed.")
    rest = api.get(local(first["next"])).json()
    assert [r["id"] for r in rest["results"]] == [made[2].pk, made[0].pk]


def test_cursor_of_another_order_is_refused(api, make_request):
    for _ in range(3):
        make_request()
    cursor_url = api.get("/api/v1/requests?limit=1").json()["next"]
    cursor = cursor_url.split("cursor=")[1]
    response = api.get(f"/api/v1/requests?order=updated&cursor={cursor}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


def test_area_and_asset_lists_page_too(api, place):
    first = api.get("/api/v1/areas?limit=2&geometry=false").json()
    rest = api.get(local(first["next"])).json()
    slugs = [a["slug"] for a in first["results"] + rest["results"]]
    assert sorted(slugs) == sorted([place.county.slug, place.west.slug, place.east.slug])
    assert rest["next"] is None
