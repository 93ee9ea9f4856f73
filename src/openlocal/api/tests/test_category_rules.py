"""The JSON API and categories with rules: each category says what it needs, a stop notice or
a required photo refuses the report with a problem saying why, and a private report is
answered to the client that sent it but to nobody after."""

from __future__ import annotations

import pytest

from openlocal.apikeys.services import apikey_create
from openlocal.requests.models import Request
from openlocal.requests.tests.category_rules import GAS_NOTICE, rule_categories

pytestmark = pytest.mark.django_db


def report(code: str, **overrides) -> dict:
    return {
        "category": code,
        "latitude": 50.7,
        "longitude": -3.55,
        "title": "Needles behind the shelter 51ac",
        "description": "Syringes in the grass 51ac.",
        **overrides,
    }


def test_the_category_list_says_what_each_category_needs(api, place):
    rule_categories(place)
    place.pothole.service_level_days = 28
    place.pothole.save()

    listed = {c["code"]: c for c in api.get("/api/v1/categories").json()["results"]}

    assert listed["NDL"]["private"] is True and listed["POT"]["private"] is False
    assert listed["ABV"]["photo_required"] is True and listed["POT"]["photo_required"] is False
    assert listed["GAS"]["stop_notice"] == GAS_NOTICE and listed["POT"]["stop_notice"] is None
    assert listed["POT"]["service_level_days"] == 28 and listed["BIN"]["service_level_days"] is None


def test_a_stop_notice_refuses_the_report_with_the_notice(api, place, submit_key):
    rule_categories(place)
    response = api.post("/api/v1/requests", report("GAS"), key=submit_key)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("#problem-category-stopped")
    assert problem["detail"] == GAS_NOTICE
    assert problem["errors"][0]["field"] == "body.category"
    assert GAS_NOTICE in problem["errors"][0]["message"]
    assert not Request.private_objects.exists()
    # The API page explains the problem the type links to.
    assert 'id="problem-category-stopped"' in api.get("/api/v1/").content.decode()


def test_a_category_that_needs_a_photo_is_refused_saying_where_to_send_it(api, place, submit_key):
    rule_categories(place)
    response = api.post("/api/v1/requests", report("ABV"), key=submit_key)

    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "body.category"
    assert "needs a photo" in problem["detail"]
    assert "media" in problem["detail"] and "Open311" in problem["detail"]
    assert not Request.private_objects.exists()


def test_a_private_report_is_answered_to_its_sender_then_found_nowhere(api, place, submit_key):
    rule_categories(place)
    response = api.post(
        "/api/v1/requests", report("NDL", email="reporter@example.org"), key=submit_key
    )

    assert response.status_code == 201, response.content
    created = response.json()["request"]
    assert created["private"] is True
    assert created["title"] == "Needles behind the shelter 51ac"
    assert [entry["kind"] for entry in created["timeline"]] == ["created"]
    pk = created["id"]
    assert Request.private_objects.get(pk=pk).private

    assert api.get(f"/api/v1/requests/{pk}").status_code == 404
    assert api.get(f"/api/v1/requests/{pk}/similar").status_code == 404
    assert api.post(f"/api/v1/requests/{pk}/support", {}, key=submit_key).status_code == 404
    for path in ("/api/v1/requests", "/api/v1/requests?text=51ac", "/api/v1/requests.geojson"):
        assert "51ac" not in api.get(path).content.decode(), path


def test_the_responsible_bodys_key_works_a_private_request_and_no_other_sees_it(
    api, place, submit_key, county_key
):
    rule_categories(place)
    pk = api.post("/api/v1/requests", report("NDL"), key=submit_key).json()["request"]["id"]
    _, west_key = apikey_create(
        name="West back office", scopes=["body"], body=place.west_council, check_permission=False
    )

    posted = api.post(
        f"/api/v1/requests/{pk}/updates",
        {"status": "in_progress", "message": "Sharps team sent 51ac."},
        key=west_key,
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["request"]["status"] == "in_progress"
    assert posted.json()["request"]["private"] is True
    # The county's key is not for the body responsible: the request does not exist for it.
    refused = api.post(f"/api/v1/requests/{pk}/updates", {"message": "Hello"}, key=county_key)
    assert refused.status_code == 404
    assert "51ac" not in api.get("/api/v1/requests").content.decode()
