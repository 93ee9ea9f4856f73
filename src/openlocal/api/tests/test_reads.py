"""Reading requests and what they are about: every resource and filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from openlocal.requests.merging import request_merge
from openlocal.requests.models import Request, Status
from openlocal.requests.services import (
    request_comment,
    request_hide,
    request_note_add,
    request_status_change,
    request_support,
)

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def test_list_is_newest_first_with_public_fields(api, make_request):
    first = make_request(title="First")
    second = make_request(title="Second")
    body = api.get("/api/v1/requests").json()
    assert [r["id"] for r in body["results"]] == [second.pk, first.pk]
    row = body["results"][0]
    assert row["category"] == {
        "code": "POT",
        "slug": "pothole",
        "name": "Pothole",
        "group": "roads",
    }
    assert row["body"]["slug"] == "testshire"
    assert row["answers"] == {"depth": "deep"}
    assert row["source"] == "web"
    assert body["next"] is None


def test_filters_by_status(api, place, make_request):
    fixed = make_request()
    request_status_change(request=fixed, actor=place.county_inspector, status=Status.FIXED)
    new = make_request()
    acknowledged = make_request()
    request_status_change(
        request=acknowledged, actor=place.county_inspector, status=Status.ACKNOWLEDGED
    )
    assert ids(api.get("/api/v1/requests?status=open")) == [acknowledged.pk, new.pk]
    assert ids(api.get("/api/v1/requests?status=closed")) == [fixed.pk]
    assert ids(api.get("/api/v1/requests?status=new,fixed")) == [new.pk, fixed.pk]


def test_filters_by_category_area_body_and_text(api, place, make_request):
    pothole = make_request(title="Crater", description="Huge crater in the road.")
    east_bin = make_request(
        category=place.missed_bin,
        latitude=place.east_point[0],
        longitude=place.east_point[1],
        title="Bin",
        description="Bin not emptied.",
        answers={},
    )
    assert ids(api.get("/api/v1/requests?category=POT")) == [pothole.pk]
    assert ids(api.get("/api/v1/requests?category=missed-bin")) == [east_bin.pk]
    assert ids(api.get("/api/v1/requests?category=POT,BIN")) == [east_bin.pk, pothole.pk]
    assert ids(api.get(f"/api/v1/requests?area={place.east.slug}")) == [east_bin.pk]
    assert ids(api.get("/api/v1/requests?body=east")) == [east_bin.pk]
    assert ids(api.get("/api/v1/requests?text=crater")) == [pothole.pk]


def test_filters_by_asset_bbox_and_updated_since(api, place, make_request):
    on_lamp = make_request(
        category=place.streetlight,
        asset=place.lamp,
        title="Lamp out",
        description="Dark.",
        answers={},
    )
    east = make_request(latitude=place.east_point[0], longitude=place.east_point[1])
    assert ids(api.get(f"/api/v1/requests?asset={place.lamp.pk}")) == [on_lamp.pk]
    assert ids(api.get("/api/v1/requests?asset=streetlight/SL-0001")) == [on_lamp.pk]
    assert ids(api.get("/api/v1/requests?bbox=-3.5,50.6,-3.4,50.8")) == [east.pk]
    later = timezone.now() + timedelta(seconds=1)
    Request.private_objects.filter(pk=on_lamp.pk).update(updated_at=later)
    since = later.isoformat().replace("+", "%2B")
    assert ids(api.get(f"/api/v1/requests?updated_since={since}")) == [on_lamp.pk]


def test_order_updated_lists_least_recently_changed_first(api, place, make_request):
    old = make_request()
    new = make_request()
    request_comment(request=old, actor=place.county_inspector, text="On the list.")
    assert ids(api.get("/api/v1/requests?order=updated")) == [new.pk, old.pk]


def test_detail_has_counts_duplicates_and_public_timeline(api, place, make_request):
    original = make_request()
    duplicate = make_request(title="Same hole")
    request_support(request=original, session_key="s1")
    request_comment(request=original, actor=place.county_inspector, text="Booked in.")
    request_note_add(request=original, actor=place.county_inspector, text="Crew B, Tuesday.")
    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector)
    body = api.get(f"/api/v1/requests/{original.pk}").json()
    assert body["supporter_count"] == 1
    assert body["follower_count"] == 0
    assert body["duplicates"] == [duplicate.pk]
    assert {a["slug"] for a in body["areas"]} == {place.west.slug, place.county.slug}
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds == ["created", "comment", "merged"]
    assert "Crew B" not in str(body)
    dup = api.get(f"/api/v1/requests/{duplicate.pk}").json()
    assert dup["duplicate_of"] == original.pk
    assert dup["status"] == "duplicate"


def test_hidden_request_is_not_found(api, place, make_request):
    hidden = make_request()
    request_hide(request=hidden, actor=_manager(place), reason="Abusive.")
    response = api.get(f"/api/v1/requests/{hidden.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert hidden.pk not in ids(api.get("/api/v1/requests"))


def _manager(place):
    from openlocal.places.models import Membership, Role

    Membership.objects.filter(user=place.county_inspector).update(role=Role.MANAGER)
    return place.county_inspector


def test_similar_for_a_request_and_before_reporting(api, place, make_request):
    first = make_request(title="Pothole by the school", description="Deep pothole.")
    second = make_request(title="Pothole at the school gates", description="Deep pothole.")
    far = make_request(latitude=place.east_point[0], longitude=place.east_point[1])
    body = api.get(f"/api/v1/requests/{first.pk}/similar").json()
    assert [c["request"]["id"] for c in body["results"]] == [second.pk]
    lat, lon = place.west_point
    before = api.get(f"/api/v1/similar?category=POT&lat={lat}&lon={lon}&text=school+pothole")
    found = [c["request"]["id"] for c in before.json()["results"]]
    assert set(found) == {first.pk, second.pk}
    assert far.pk not in found
    on_lamp = api.get(
        f"/api/v1/similar?category=streetlight&lat={lat}&lon={lon}&asset=streetlight/SL-0001"
    )
    assert on_lamp.json() == {"results": []}


def test_categories_with_questions(api, place):
    body = api.get("/api/v1/categories").json()
    pothole = next(c for c in body["results"] if c["code"] == "POT")
    assert pothole["questions"][0]["code"] == "depth"
    assert pothole["questions"][0]["values"][0] == {
        "key": "shallow",
        "name": "Shallower than 5 cm",
    }
    streetlight = next(c for c in body["results"] if c["code"] == "SLT")
    assert streetlight["asset_types"] == ["streetlight"]


def test_bodies_without_their_private_contact(api, place):
    body = api.get("/api/v1/bodies").json()
    county = next(b for b in body["results"] if b["slug"] == "testshire")
    assert county["areas"] == [place.county.slug]
    assert "highways@testshire.example" not in str(body)


def test_areas_with_geometry_kind_and_parent(api, place):
    body = api.get("/api/v1/areas?kind=district").json()
    assert {a["slug"] for a in body["results"]} == {place.west.slug, place.east.slug}
    west = next(a for a in body["results"] if a["slug"] == place.west.slug)
    assert west["geometry"]["type"] == "Polygon"
    assert west["parent"] == place.county.slug
    assert west["bbox"] == [-3.6, 50.6, -3.5, 50.8]
    children = api.get(f"/api/v1/areas?parent={place.county.slug}&geometry=false").json()
    assert len(children["results"]) == 2
    assert all(a["geometry"] is None for a in children["results"])


def test_assets_by_bbox_and_type_with_history(api, place, make_request):
    make_request(category=place.streetlight, asset=place.lamp, answers={})
    body = api.get("/api/v1/assets?type=streetlight&bbox=-3.6,50.6,-3.5,50.8").json()
    assert [a["external_id"] for a in body["results"]] == ["SL-0001"]
    lamp = body["results"][0]
    assert lamp["request_count"] == 1
    history = api.get(lamp["requests"].replace("http://127.0.0.1:8000", ""))
    assert len(history.json()["results"]) == 1
    assert api.get("/api/v1/assets?bbox=-3.5,50.6,-3.4,50.8").json()["results"] == []


def test_reads_are_open_to_any_origin(api, make_request):
    make_request()
    response = api.get("/api/v1/requests", Origin="https://maps.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = api.client.options(
        "/api/v1/requests",
        headers={"Origin": "https://maps.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_etag_answers_not_modified_until_something_changes(api, place, make_request):
    request = make_request()
    first = api.get(f"/api/v1/requests/{request.pk}")
    etag = first["ETag"]
    again = api.get(f"/api/v1/requests/{request.pk}", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    request_comment(request=request, actor=place.county_inspector, text="Booked.")
    changed = api.get(f"/api/v1/requests/{request.pk}", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_head_answers_like_get_without_a_body(api, make_request):
    make_request()
    response = api.client.head("/api/v1/requests")
    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == api.get("/api/v1/requests")["ETag"]


def test_list_pages_take_a_fixed_number_of_queries(
    api, place, make_request, django_assert_max_num_queries
):
    for _ in range(3):
        make_request(category=place.streetlight, asset=place.lamp, answers={})
    with django_assert_max_num_queries(3):
        small = api.get("/api/v1/requests")
    for _ in range(20):
        make_request(category=place.streetlight, asset=place.lamp, answers={})
    with django_assert_max_num_queries(3):
        large = api.get("/api/v1/requests")
    assert len(large.json()["results"]) == 23 > len(small.json()["results"])
    with django_assert_max_num_queries(7):
        api.get(f"/api/v1/requests?category=SLT&area={place.west.slug}&body=testshire")
    newest = Request.public_objects.order_by("-id")[0]
    with django_assert_max_num_queries(6):
        api.get(f"/api/v1/requests/{newest.pk}")
    with django_assert_max_num_queries(3):
        api.get("/api/v1/categories")
    with django_assert_max_num_queries(2):
        api.get("/api/v1/bodies")
    with django_assert_max_num_queries(1):
        api.get("/api/v1/areas")
    with django_assert_max_num_queries(2):
        api.get("/api/v1/assets?type=streetlight")
