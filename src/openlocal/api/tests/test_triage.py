"""Staff triage through the JSON API: priority, assignee and due date, with the same role
rules as the staff pages, and nothing of it in any public answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from openlocal.apikeys.models import ApiKey
from openlocal.core.models import AuditEntry
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Category, CategoryGroup, Priority, Request, RoutingRule
from openlocal.requests.services import request_hide

pytestmark = pytest.mark.django_db


def key_user(name: str = "Highways back office") -> Any:
    user = ApiKey.objects.get(name=name).user
    assert user is not None
    return user


def staff(place: Any, email: str, role: Role) -> Any:
    user = get_user_model().objects.create_user(
        email, email=email, password="pw", first_name="Cora", last_name="Crew"
    )
    Membership.objects.create(user=user, body=place.county_council, role=role)
    return user


def triage(api: Any, pk: int, data: dict[str, Any], key: str) -> Any:
    return api.post(f"/api/v1/requests/{pk}/triage", data, key=key)


def test_set_priority_and_take_the_request(api, place, county_key, make_request) -> None:
    subject = make_request()
    response = triage(
        api,
        subject.pk,
        {"priority": "urgent", "assigned_to": key_user().username},
        county_key,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["priority"] == "urgent"
    assert body["assigned_to"] == key_user().username
    assert body["request"]["id"] == subject.pk
    assert [(u["kind"], u["public"]) for u in body["updates"]] == [
        ("priority", False),
        ("assigned", False),
    ]
    stored = Request.private_objects.get(pk=subject.pk)
    assert stored.priority == Priority.URGENT
    assert stored.assigned_to == key_user()
    assert AuditEntry.objects.filter(action__in=["request.priority", "request.assign"]).count() == 2
    # Sending the same again changes nothing and writes nothing.
    again = triage(api, subject.pk, {"priority": "urgent"}, county_key)
    assert again.status_code == 200 and again.json()["updates"] == []
    # Nothing of it is public.
    public = api.get(f"/api/v1/requests/{subject.pk}").content.decode()
    assert "urgent" not in public.lower()
    assert "assigned" not in public.lower()


def test_an_inspector_key_cannot_assign_someone_else(api, place, county_key, make_request) -> None:
    crew = staff(place, "crew@testshire.example", Role.INSPECTOR)
    subject = make_request()
    response = triage(api, subject.pk, {"assigned_to": crew.email}, county_key)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "only to themselves" in response.json()["detail"]
    assert Request.private_objects.get(pk=subject.pk).assigned_to is None


def test_a_manager_key_assigns_staff_and_sets_the_due_date(
    api, place, county_key, make_request
) -> None:
    Membership.objects.filter(user=key_user()).update(role=Role.MANAGER)
    crew = staff(place, "crew@testshire.example", Role.INSPECTOR)
    subject = make_request()
    response = triage(
        api,
        subject.pk,
        {"assigned_to": "Crew@Testshire.example", "due_at": "2099-03-01T17:00:00+00:00"},
        county_key,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assigned_to"] == "crew@testshire.example"
    assert body["due_at"].startswith("2099-03-01T17:00:00")
    stored = Request.private_objects.get(pk=subject.pk)
    assert stored.assigned_to == crew
    assert stored.due_at is not None and stored.due_at.isoformat() == "2099-03-01T17:00:00+00:00"
    unassigned = triage(api, subject.pk, {"assigned_to": None, "due_at": None}, county_key)
    assert unassigned.status_code == 200
    assert unassigned.json()["assigned_to"] is None and unassigned.json()["due_at"] is None


def test_bad_input_is_a_problem_and_writes_nothing(api, place, county_key, make_request) -> None:
    staff(place, "viewer@testshire.example", Role.VIEWER)
    subject = make_request()
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "body"),
        ({"priority": "whenever"}, "body.priority"),
        ({"priority": None}, "body.priority"),
        ({"assigned_to": "viewer@testshire.example"}, "body.assigned_to"),
        ({"assigned_to": "nobody@example.org"}, "body.assigned_to"),
        ({"due_at": "2099-03-01T17:00:00"}, "body.due_at"),
        ({"owner": "me"}, "body.owner"),
    ]
    for data, field in cases:
        response = triage(api, subject.pk, data, county_key)
        assert response.status_code == 422, (data, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], data
    # The due date needs a manager: the key's inspector is refused.
    refused = triage(api, subject.pk, {"due_at": "2099-03-01T17:00:00+00:00"}, county_key)
    assert refused.status_code == 403
    assert "manager role" in refused.json()["detail"]
    stored = Request.private_objects.get(pk=subject.pk)
    assert (stored.priority, stored.assigned_to, stored.due_at) == (
        Priority.NORMAL,
        None,
        subject.due_at,
    )
    assert not AuditEntry.objects.filter(action__startswith="request.").exists()


def test_one_refused_change_undoes_the_others(api, place, county_key, make_request) -> None:
    subject = make_request()
    response = triage(
        api,
        subject.pk,
        {"priority": "high", "due_at": "2099-03-01T17:00:00+00:00"},
        county_key,
    )
    assert response.status_code == 403
    assert Request.private_objects.get(pk=subject.pk).priority == Priority.NORMAL
    assert not AuditEntry.objects.filter(action__startswith="request.").exists()


def test_other_bodies_and_keys_without_the_scope(
    api, place, county_key, west_key, submit_key, make_request
) -> None:
    subject = make_request()
    other = triage(api, subject.pk, {"priority": "high"}, west_key)
    assert other.status_code == 403
    assert "inspector role" in other.json()["detail"]
    assert triage(api, subject.pk, {"priority": "high"}, submit_key).status_code == 403
    assert triage(api, subject.pk, {"priority": "high"}, "").status_code == 401
    assert triage(api, 999999, {"priority": "high"}, county_key).status_code == 404
    assert Request.private_objects.get(pk=subject.pk).priority == Priority.NORMAL


def test_hidden_and_private_requests_are_for_their_own_body_only(
    api, place, county_key, west_key, make_request
) -> None:
    hidden = make_request()
    root = get_user_model().objects.create_superuser("root@example.org", "root@example.org", "pw")
    request_hide(request=hidden, actor=root, reason="Abuse")
    secret = Category.objects.create(
        name="Safeguarding",
        slug="safeguarding",
        service_code="SAFE",
        group=CategoryGroup.OTHER,
        private=True,
    )
    RoutingRule.objects.create(category=secret, area=place.county, body=place.county_council)
    private = make_request(category=secret, answers={})
    assert private.private
    for subject in (hidden, private):
        mine = triage(api, subject.pk, {"priority": "high"}, county_key)
        assert mine.status_code == 200, mine.content
        theirs = triage(api, subject.pk, {"priority": "low"}, west_key)
        # Another body cannot tell it exists.
        assert theirs.status_code == 404
        assert Request.private_objects.get(pk=subject.pk).priority == Priority.HIGH
