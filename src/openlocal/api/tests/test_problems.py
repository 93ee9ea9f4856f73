"""Every error is an RFC 9457 problem document."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    return body


def test_unknown_address_is_404(api):
    body = problem(api.get("/api/v1/no/such/thing"), 404)
    assert body["type"].endswith("/api/v1/#problem-not-found")


def test_unknown_request_is_404(api, place):
    problem(api.get("/api/v1/requests/999999"), 404)
    problem(api.get(f"/api/v1/requests/{2**70}"), 404)


def test_wrong_method_is_405_with_allow(api, place):
    body = problem(api.client.put("/api/v1/requests"), 405)
    assert "PUT" in body["detail"]
    response = api.client.patch("/api/v1/categories")
    problem(response, 405)
    assert "GET" in response["Allow"]


def test_invalid_query_lists_the_field(api, place):
    body = problem(api.get("/api/v1/requests?limit=0"), 422)
    assert body["errors"][0]["field"] == "query.limit"
    body = problem(api.get("/api/v1/requests?bbox=1,2,3"), 422)
    assert body["errors"] == [{"field": "query.bbox", "message": body["errors"][0]["message"]}]
    problem(api.get("/api/v1/requests?category=nope"), 422)
    problem(api.get("/api/v1/requests?updated_since=yesterday"), 422)
    body = problem(api.get("/api/v1/similar?lat=91&lon=0"), 422)
    assert {e["field"] for e in body["errors"]} == {"query.category", "query.lat"}


def test_bad_cursor_is_a_validation_problem(api, place):
    body = problem(api.get("/api/v1/requests?cursor=forged"), 422)
    assert body["errors"][0]["field"] == "query.cursor"


def test_body_that_is_not_json_is_400(api, submit_key):
    response = api.client.post(
        "/api/v1/requests",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {submit_key}"},
    )
    problem(response, 400)


def test_invalid_body_lists_each_field(api, place, submit_key):
    body = problem(
        api.post(
            "/api/v1/requests",
            {"category": "POT", "latitude": 200, "longitude": -3.5, "colour": "red"},
            key=submit_key,
        ),
        422,
    )
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.latitude", "body.title", "body.description", "body.colour"}


def test_missing_key_is_401_naming_the_scope(api, place):
    body = problem(api.post("/api/v1/requests", _report()), 401)
    assert "“submit” scope" in body["detail"]


def test_unknown_key_is_401(api, place):
    body = problem(api.post("/api/v1/requests", _report(), key="ol_not-a-key"), 401)
    assert "not recognised" in body["detail"]


def test_key_without_the_scope_is_403_naming_it(api, place, webhooks_key):
    body = problem(api.post("/api/v1/requests", _report(), key=webhooks_key), 403)
    assert "“submit” scope" in body["detail"]
    assert "webhooks" in body["detail"]


@override_settings(API_WRITE_RATE_PER_KEY="2/m")
def test_over_the_write_limit_is_429_with_retry_after(api, place, submit_key):
    for _ in range(2):
        assert api.post("/api/v1/requests", _report(), key=submit_key).status_code == 201
    response = api.post("/api/v1/requests", _report(), key=submit_key)
    body = problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert "this API key" in body["detail"]


def test_service_refusal_is_a_validation_problem(api, place, submit_key):
    report = _report()
    del report["answers"]
    body = problem(api.post("/api/v1/requests", report, key=submit_key), 422)
    assert body["errors"] == [{"field": "body.depth", "message": "Answer “How deep is it?”."}]


def test_point_nobody_covers_is_a_problem(api, place, submit_key):
    report = {**_report(), "latitude": 10.0, "longitude": 10.0}
    body = problem(api.post("/api/v1/requests", report, key=submit_key), 422)
    assert body["type"].endswith("#problem-not-covered")


def _report() -> dict:
    return {
        "category": "POT",
        "latitude": 50.7,
        "longitude": -3.55,
        "title": "Pothole",
        "description": "Deep pothole.",
        "answers": {"depth": "deep"},
    }
