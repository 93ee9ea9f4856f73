"""Nothing private appears in any answer of the API: searched for in every response."""

from __future__ import annotations

import pytest

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Update
from openlocal.requests.services import (
    person_for_email,
    request_hide,
    request_note_add,
    request_support,
)
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db

PRIVATE = [
    "reporter.secret@example.com",
    "Rita Private",
    "supporter.secret@example.com",
    "follower.secret@example.com",
    "Internal note: crew B",
    "Hidden request title",
    "Hidden update text",
    "highways@testshire.example",
    "private.hooks.example",
    "hackers@civic.example",
]


def test_no_response_holds_private_data(api, place, make_request, submit_key, webhooks_key):
    subject = make_request(
        reporter_email="reporter.secret@example.com", reporter_name="Rita Private"
    )
    request_support(request=subject, person=person_for_email("supporter.secret@example.com"))
    follow(target=Target.for_request(subject), email="follower.secret@example.com", notify=False)
    request_note_add(request=subject, actor=place.county_inspector, text="Internal note: crew B")
    Update.private_objects.create(
        request=subject, kind="comment", text="Hidden update text", hidden=True
    )
    hidden = make_request(title="Hidden request title")
    Membership.objects.filter(user=place.county_inspector).update(role=Role.MANAGER)
    request_hide(request=hidden, actor=place.county_inspector, reason="Abuse")
    theirs, secret = endpoint_register(
        owner_email="owner@private.hooks.example",
        url="https://private.hooks.example/in",
        confirmed=True,
    )
    follow(target=Target.for_request(subject), endpoint=theirs)
    private_values = [*PRIVATE, secret]

    created = api.post(
        "/api/v1/requests",
        {
            "category": "POT",
            "latitude": 50.7,
            "longitude": -3.55,
            "title": "Another hole",
            "description": "Also deep.",
            "answers": {"depth": "deep"},
            "email": "reporter.secret@example.com",
            "name": "Rita Private",
        },
        key=submit_key,
    )
    mine = api.post("/api/v1/webhooks", {"url": "https://mine.example/hook"}, key=webhooks_key)
    lat, lon = place.west_point
    answers = [
        created,
        mine,
        api.post(
            f"/api/v1/requests/{subject.pk}/support",
            {"email": "supporter.secret@example.com"},
            key=submit_key,
        ),
        api.post(
            "/api/v1/subscriptions",
            {
                "target": {"kind": "request", "id": subject.pk},
                "email": "follower.secret@example.com",
            },
        ),
        api.get(f"/api/v1/webhooks/{theirs.pk}/deliveries", key=webhooks_key),
        api.get(f"/api/v1/requests/{hidden.pk}"),
    ]
    for path in [
        "/api/v1/requests",
        "/api/v1/requests?status=closed",
        "/api/v1/requests?text=Hidden",
        f"/api/v1/requests/{subject.pk}",
        f"/api/v1/requests/{created.json()['request']['id']}",
        f"/api/v1/requests/{subject.pk}/similar",
        f"/api/v1/similar?category=POT&lat={lat}&lon={lon}",
        "/api/v1/requests.geojson",
        "/api/v1/categories",
        "/api/v1/bodies",
        "/api/v1/areas",
        "/api/v1/assets",
        "/api/v1/openapi.json",
        "/api/v1/",
    ]:
        answers.append(api.get(path))
    assert all(a.status_code < 500 for a in answers)
    assert answers[0].status_code == 201
    text = "\n".join(a.content.decode() for a in answers)
    for private in private_values:
        assert private not in text, private
    # The key's own endpoint, secret included, is shown to it once.
    assert mine.json()["secret"] in text
