"""Writes: reporting, "me too", staff updates and merges, following, webhooks."""

from __future__ import annotations

import pytest
from django.core import mail

from openlocal.requests.models import Request, Source, Supporter, Update, UpdateKind
from openlocal.subscriptions.models import Delivery, Subscription, WebhookEndpoint
from openlocal.subscriptions.services import endpoint_register
from openlocal.subscriptions.tokens import stop_token

pytestmark = pytest.mark.django_db


def report(**overrides) -> dict:
    return {
        "category": "POT",
        "latitude": 50.7,
        "longitude": -3.55,
        "title": "Pothole by the school",
        "description": "Deep pothole at the school gates.",
        "answers": {"depth": "deep"},
        **overrides,
    }


def test_report_is_routed_and_offers_similar_requests(api, place, submit_key, make_request):
    earlier = make_request(title="Pothole at the school", description="Deep pothole.")
    response = api.post(
        "/api/v1/requests",
        report(email="Reporter@Example.com", name="Rita Reporter", external_id="APP-1"),
        key=submit_key,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    created = Request.private_objects.get(pk=body["request"]["id"])
    assert created.source == Source.API
    assert created.external_id == "APP-1"
    assert created.reporter is not None
    assert created.reporter.email == "reporter@example.com"
    assert body["request"]["body"]["slug"] == "testshire"
    assert body["request"]["reporter_name"] is None
    assert body["request"]["follower_count"] == 1
    assert [c["request"]["id"] for c in body["similar"]] == [earlier.pk]
    assert response["Location"].endswith(f"/api/v1/requests/{created.pk}")


def test_report_by_category_slug_and_asset_reference(api, place, submit_key):
    response = api.post(
        "/api/v1/requests",
        report(
            category="streetlight",
            answers={},
            asset={"type": "streetlight", "external_id": "SL-0001"},
        ),
        key=submit_key,
    )
    assert response.status_code == 201, response.content
    assert response.json()["request"]["asset"]["external_id"] == "SL-0001"


def test_refused_report_writes_nothing(api, place, submit_key):
    response = api.post("/api/v1/requests", report(answers={"depth": "bottomless"}), key=submit_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.depth"
    assert not Request.private_objects.exists()
    assert not Update.private_objects.exists()


def test_me_too_counts_once_per_key_or_person(
    api, place, submit_key, make_request, django_capture_on_commit_callbacks
):
    subject = make_request()
    url = f"/api/v1/requests/{subject.pk}/support"
    first = api.post(url, {}, key=submit_key).json()
    assert first == {"counted": True, "supporter_count": 1, "follow_confirmation_sent": False}
    assert api.post(url, {}, key=submit_key).json()["counted"] is False
    with django_capture_on_commit_callbacks(execute=True):
        with_email = api.post(url, {"email": "neighbour@example.com"}, key=submit_key).json()
    assert with_email == {"counted": True, "supporter_count": 2, "follow_confirmation_sent": True}
    assert mail.outbox[-1].to == ["neighbour@example.com"]
    assert Supporter.objects.filter(request=subject).count() == 2


def test_staff_update_changes_status_posts_message_and_note(api, place, county_key, make_request):
    subject = make_request()
    response = api.post(
        f"/api/v1/requests/{subject.pk}/updates",
        {"status": "in_progress", "message": "Crew on the way.", "note": "Use the big van."},
        key=county_key,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["request"]["status"] == "in_progress"
    assert [(u["kind"], u["public"]) for u in body["updates"]] == [
        ("status", True),
        ("note", False),
    ]
    public = api.get(f"/api/v1/requests/{subject.pk}").json()
    assert public["timeline"][-1]["text"] == "Crew on the way."
    assert "big van" not in str(public)
    comment = api.post(
        f"/api/v1/requests/{subject.pk}/updates", {"message": "Done soon."}, key=county_key
    )
    assert comment.json()["updates"][0]["kind"] == UpdateKind.COMMENT


def test_staff_update_for_another_body_is_forbidden(api, place, west_key, make_request):
    subject = make_request()
    response = api.post(f"/api/v1/requests/{subject.pk}/updates", {"status": "fixed"}, key=west_key)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "inspector role" in response.json()["detail"]
    assert Request.private_objects.get(pk=subject.pk).status == "new"


def test_staff_update_needs_the_body_scope(api, place, submit_key, make_request):
    subject = make_request()
    response = api.post(
        f"/api/v1/requests/{subject.pk}/updates", {"status": "fixed"}, key=submit_key
    )
    assert response.status_code == 403
    assert "“body” scope" in response.json()["detail"]


def test_merge_moves_the_duplicate(api, place, county_key, make_request):
    original = make_request()
    duplicate = make_request()
    response = api.post(
        f"/api/v1/requests/{duplicate.pk}/merge", {"into": original.pk}, key=county_key
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["duplicate"]["duplicate_of"] == original.pk
    assert body["duplicate"]["status"] == "duplicate"
    again = api.post(
        f"/api/v1/requests/{duplicate.pk}/merge", {"into": original.pk}, key=county_key
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "body.into"


def test_follow_by_email_sends_a_confirmation(
    api, place, make_request, django_capture_on_commit_callbacks
):
    subject = make_request()
    targets = [
        {"kind": "request", "id": subject.pk},
        {"kind": "asset", "type": "streetlight", "external_id": "SL-0001"},
        {"kind": "area", "slug": place.west.slug},
        {"kind": "category", "code": "POT", "area": place.west.slug},
        {"kind": "body", "slug": "testshire"},
        {
            "kind": "polygon",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-3.56, 50.69], [-3.54, 50.69], [-3.54, 50.71], [-3.56, 50.69]]],
            },
        },
        {"kind": "point", "latitude": 50.7, "longitude": -3.55, "radius_m": 200},
    ]
    for target in targets:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/subscriptions", {"target": target, "email": "f@example.com"}
            )
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "confirmation_sent"
        assert response.json()["stop_token"] is None
    assert Subscription.objects.filter(person__email="f@example.com").count() == len(targets)
    assert len(mail.outbox) == len(targets)


def test_follow_with_unknown_target_is_a_validation_problem(api, place):
    response = api.post(
        "/api/v1/subscriptions", {"target": {"kind": "area", "slug": "nowhere"}, "email": "a@b.cd"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.target.slug"
    response = api.post(
        "/api/v1/subscriptions",
        {"target": {"kind": "point", "latitude": 50.7, "longitude": -3.5, "radius_m": 1}},
    )
    assert response.status_code == 422


def test_webhook_register_follow_log_ping_and_stop(api, place, webhooks_key, make_request):
    created = api.post(
        "/api/v1/webhooks", {"url": "https://hooks.civic.example/openlocal"}, key=webhooks_key
    )
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["active"] is True
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).owner.email == "hackers@civic.example"

    followed = api.post(
        "/api/v1/subscriptions",
        {"target": {"kind": "body", "slug": "testshire"}, "endpoint": endpoint["id"]},
        key=webhooks_key,
    )
    assert followed.status_code == 202
    assert followed.json()["status"] == "active"

    ping = api.post(f"/api/v1/webhooks/{endpoint['id']}/ping", {}, key=webhooks_key)
    assert ping.status_code == 202
    assert ping.json()["event_type"] == "ping"
    log = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", key=webhooks_key).json()
    assert [d["id"] for d in log["results"]] == [ping.json()["id"]]

    token = followed.json()["stop_token"]
    assert api.delete(f"/api/v1/subscriptions/{token}").status_code == 204
    assert not Subscription.objects.filter(endpoint_id=endpoint["id"]).exists()
    assert api.delete(f"/api/v1/subscriptions/{token}").status_code == 404


def test_other_owners_endpoints_are_not_found(api, place, webhooks_key):
    theirs, _secret = endpoint_register(
        owner_email="someone@else.example", url="https://else.example/hook", confirmed=True
    )
    for response in (
        api.get(f"/api/v1/webhooks/{theirs.pk}/deliveries", key=webhooks_key),
        api.post(f"/api/v1/webhooks/{theirs.pk}/ping", {}, key=webhooks_key),
        api.post(
            "/api/v1/subscriptions",
            {"target": {"kind": "body", "slug": "testshire"}, "endpoint": theirs.pk},
            key=webhooks_key,
        ),
    ):
        assert response.status_code == 404
        assert "else.example" not in response.content.decode()
    assert not Delivery.objects.exists()


def test_email_stop_token_stops_a_subscription(api, place, make_request):
    subject = make_request()
    api.post(
        "/api/v1/subscriptions",
        {"target": {"kind": "request", "id": subject.pk}, "email": "f@example.com"},
    )
    subscription = Subscription.objects.get(person__email="f@example.com")
    assert api.delete(f"/api/v1/subscriptions/{stop_token(subscription.pk)}").status_code == 204
    subscription.refresh_from_db()
    assert subscription.channel == "off"
    assert api.delete("/api/v1/subscriptions/forged").status_code == 404
