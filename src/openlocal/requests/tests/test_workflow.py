"""The staff workflow services: assignment, priority, due dates, and bulk changes.

Each change checks the actor's role at the request's body, writes an internal timeline entry
and an audit entry, and never shows in public. Bulk changes are all or nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Priority, Request, Status, Update, UpdateKind
from openlocal.requests.services import request_create
from openlocal.requests.workflow import (
    BulkRefused,
    request_assign,
    request_assign_bulk,
    request_set_due,
    request_set_priority,
    request_set_priority_bulk,
    request_status_change_bulk,
)
from openlocal.subscriptions.delivery import run_batch

pytestmark = pytest.mark.django_db


def make(place: Any, **kwargs: Any) -> Request:
    fields: dict[str, Any] = {
        "category": place.pothole,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": "Deep pothole outside the school",
        "description": "It has burst two tyres this week.",
        "answers": {"depth": "deep"},
        "notify": False,
    }
    fields.update(kwargs)
    return request_create(**fields)


def member(place: Any, name: str, role: Role, body: Any = None) -> Any:
    user = get_user_model().objects.create_user(
        f"{name.lower()}@example.org",
        email=f"{name.lower()}@example.org",
        password="pw",
        first_name=name,
        last_name="Staff",
    )
    Membership.objects.create(user=user, body=body or place.county_council, role=role)
    return user


def state(request: Request) -> tuple[Any, ...]:
    """What a workflow change could touch, read afresh from the database."""
    row = Request.private_objects.values_list(
        "assigned_to_id", "priority", "due_at", "status", "updated_at"
    ).get(pk=request.pk)
    return (
        row,
        Update.private_objects.filter(request=request).count(),
        AuditEntry.objects.count(),
    )


def public_text(request: Request) -> str:
    """Everything the public can read about the request: its page and its API document."""
    page = Client().get(f"/requests/{request.pk}")
    api = Client().get(f"/api/v1/requests/{request.pk}")
    assert page.status_code == api.status_code == 200
    text = page.content.decode() + api.content.decode()
    assert request.title in text
    return text


# Assignment ---------------------------------------------------------------------------------


def test_inspector_takes_an_unassigned_request_and_gives_it_back(place: Any) -> None:
    request = make(place)
    before_updated = Request.private_objects.get(pk=request.pk).updated_at
    update = request_assign(
        request=request, actor=place.county_inspector, assignee=place.county_inspector
    )
    stored = Request.private_objects.get(pk=request.pk)
    assert stored.assigned_to == place.county_inspector
    # Internal: neither the public timeline nor the public "updated" time moves.
    assert (update.kind, update.public) == (UpdateKind.ASSIGNED, False)
    assert update.data == {"from": "", "to": "Ivy Inspector"}
    assert stored.updated_at == before_updated
    entry = AuditEntry.objects.get(action="request.assign")
    assert entry.actor == place.county_inspector
    assert (entry.target_type, entry.target_id) == ("requests.request", str(request.pk))
    assert entry.data["to_id"] == place.county_inspector.pk

    request_assign(request=request, actor=place.county_inspector, assignee=None)
    assert Request.private_objects.get(pk=request.pk).assigned_to is None
    assert AuditEntry.objects.filter(action="request.assign").count() == 2


def test_inspector_may_not_assign_someone_else_or_take_from_them(place: Any) -> None:
    colleague = member(place, "Cora", Role.INSPECTOR)
    manager = member(place, "Mona", Role.MANAGER)
    request = make(place)
    before = state(request)
    with pytest.raises(PermissionDenied, match="only to themselves"):
        request_assign(request=request, actor=place.county_inspector, assignee=colleague)
    request_assign(request=request, actor=manager, assignee=colleague)
    after_manager = state(request)
    assert after_manager != before
    with pytest.raises(PermissionDenied, match="assigned to Cora Staff"):
        request_assign(
            request=request, actor=place.county_inspector, assignee=place.county_inspector
        )
    with pytest.raises(PermissionDenied, match="assigned to Cora Staff"):
        request_assign(request=request, actor=place.county_inspector, assignee=None)
    assert state(request) == after_manager


def test_manager_assigns_only_to_people_who_can_work_on_the_body(place: Any) -> None:
    manager = member(place, "Mona", Role.MANAGER)
    viewer = member(place, "Vic", Role.VIEWER)
    request = make(place)
    before = state(request)
    for outsider in (viewer, place.west_manager):
        with pytest.raises(ValidationError) as refused:
            request_assign(request=request, actor=manager, assignee=outsider)
        assert (
            "is not an inspector, manager or administrator at Testshire County Council"
            in (refused.value.message_dict["assignee"][0])
        )
    assert state(request) == before
    request_assign(request=request, actor=manager, assignee=manager)
    with pytest.raises(ValidationError, match="already assigned to Mona Staff"):
        request_assign(request=request, actor=manager, assignee=manager)


def test_viewers_and_other_bodies_may_not_assign(place: Any) -> None:
    viewer = member(place, "Vic", Role.VIEWER)
    request = make(place)
    before = state(request)
    for actor in (viewer, place.west_manager, None):
        with pytest.raises(PermissionDenied, match="inspector role"):
            request_assign(request=request, actor=actor, assignee=None)
    assert state(request) == before


# Priority and due dates ---------------------------------------------------------------------


def test_priority_is_internal_and_audited(place: Any) -> None:
    request = make(place, reporter_email="resident@example.org")
    update = request_set_priority(
        request=request, actor=place.county_inspector, priority=Priority.URGENT
    )
    assert Request.private_objects.get(pk=request.pk).priority == Priority.URGENT
    assert (update.kind, update.public, update.data) == (
        UpdateKind.PRIORITY,
        False,
        {"from": 1, "to": 3},
    )
    entry = AuditEntry.objects.get(action="request.priority")
    assert (entry.data["from_label"], entry.data["to_label"]) == ("Normal", "Urgent")
    assert "Urgent" not in public_text(request)
    run_batch()
    assert mail.outbox == []  # followers hear of nothing internal
    with pytest.raises(ValidationError, match="already has urgent priority"):
        request_set_priority(request=request, actor=place.county_inspector, priority=3)
    with pytest.raises(ValidationError, match="Choose a priority"):
        request_set_priority(request=request, actor=place.county_inspector, priority=9)
    with pytest.raises(PermissionDenied):
        request_set_priority(request=request, actor=place.west_manager, priority=0)


def test_due_date_needs_a_manager_and_may_be_removed(place: Any) -> None:
    place.pothole.service_level_days = 10
    place.pothole.save()
    request = make(place)
    assert request.due_at is not None
    manager = member(place, "Mona", Role.MANAGER)
    later = request.created_at + timedelta(days=30)
    before = state(request)
    with pytest.raises(PermissionDenied, match="manager role"):
        request_set_due(request=request, actor=place.county_inspector, due_at=later)
    assert state(request) == before

    update = request_set_due(request=request, actor=manager, due_at=later)
    assert Request.private_objects.get(pk=request.pk).due_at == later
    assert (update.kind, update.public) == (UpdateKind.DUE, False)
    assert update.text.startswith("Due date changed from ")
    entry = AuditEntry.objects.get(action="request.due")
    assert entry.data["to"] == later.isoformat()

    with pytest.raises(ValidationError, match="must be after the request was made"):
        request_set_due(request=request, actor=manager, due_at=request.created_at - timedelta(1))
    request_set_due(request=request, actor=manager, due_at=None)
    assert Request.private_objects.get(pk=request.pk).due_at is None
    with pytest.raises(ValidationError, match="has no due date to remove"):
        request_set_due(request=request, actor=manager, due_at=None)
    assert "Due date" not in public_text(request)


# Bulk changes -------------------------------------------------------------------------------


def test_bulk_refuses_all_when_one_request_is_out_of_reach(place: Any) -> None:
    """A county inspector selects two county potholes and a west district bin: nothing
    changes, and the error names the bin."""
    potholes = [make(place), make(place)]
    west_bin = make(place, category=place.missed_bin, answers={})
    both = Membership.objects.create(
        user=place.county_inspector, body=place.west_council, role=Role.VIEWER
    )
    assert both.pk
    chosen = [*potholes, west_bin]
    before = [state(r) for r in chosen]
    with pytest.raises(BulkRefused) as refused:
        request_set_priority_bulk(
            requests=chosen, actor=place.county_inspector, priority=Priority.HIGH
        )
    assert refused.value.refused.keys() == {west_bin.pk}
    message = str(refused.value)
    assert f"You may not change request {west_bin.pk}, so nothing was changed." in message
    assert "inspector role (or higher) at West Testshire District Council" in message
    assert [state(r) for r in chosen] == before

    with pytest.raises(BulkRefused):
        request_status_change_bulk(
            requests=chosen, actor=place.county_inspector, status=Status.IN_PROGRESS
        )
    assert [state(r) for r in chosen] == before


def test_bulk_assign_is_all_or_nothing_when_the_assignee_cannot_work_on_one(place: Any) -> None:
    root = get_user_model().objects.create_superuser("root@example.org", "root@example.org", "pw")
    mona = member(place, "Mona", Role.MANAGER)
    pothole = make(place)
    west_bin = make(place, category=place.missed_bin, answers={})
    before = [state(pothole), state(west_bin)]
    with pytest.raises(ValidationError) as invalid:
        request_assign_bulk(requests=[pothole, west_bin], actor=root, assignee=mona)
    text = invalid.value.message_dict["assignee"][0]
    assert f"Request {west_bin.pk}: Mona Staff is not an inspector" in text
    assert "Nothing was changed." in text
    assert [state(pothole), state(west_bin)] == before


def test_bulk_assign_skips_those_already_assigned_and_audits_the_rest(place: Any) -> None:
    requests = [make(place) for _ in range(3)]
    request_assign(
        request=requests[0], actor=place.county_inspector, assignee=place.county_inspector
    )
    result = request_assign_bulk(
        requests=requests, actor=place.county_inspector, assignee=place.county_inspector
    )
    assert result.changed == [requests[1].pk, requests[2].pk]
    assert result.unchanged == [requests[0].pk]
    assert set(
        Request.private_objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "assigned_to", flat=True
        )
    ) == {place.county_inspector.pk}
    bulk_entries = AuditEntry.objects.filter(action="request.assign", data__bulk=3)
    assert sorted(int(e.target_id) for e in bulk_entries) == [requests[1].pk, requests[2].pk]


def test_bulk_status_change_tells_each_requests_followers(
    place: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = make(place, reporter_email="first@example.org", title="First hole")
    second = make(place, reporter_email="second@example.org", title="Second hole")
    already = make(place, reporter_email="third@example.org", title="Third hole")
    request_status_change_bulk(
        requests=[already], actor=place.county_inspector, status=Status.IN_PROGRESS
    )
    run_batch()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = request_status_change_bulk(
            requests=[first, second, already],
            actor=place.county_inspector,
            status=Status.IN_PROGRESS,
            message="A crew is filling the holes on this road this week.",
        )
    assert result.changed == [first.pk, second.pk] and result.unchanged == [already.pk]
    for request in (first, second):
        stored = Request.private_objects.get(pk=request.pk)
        assert stored.status == Status.IN_PROGRESS
        entry = Update.public_objects.get(request=request, kind=UpdateKind.STATUS)
        assert entry.text == "A crew is filling the holes on this road this week."
        audit = AuditEntry.objects.get(action="request.status", target_id=str(request.pk))
        assert audit.data == {"bulk": 3, "from": "new", "to": "in_progress"}
    run_batch()
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.org", "second@example.org"]
    assert all("A crew is filling the holes" in m.body for m in mail.outbox)


def test_bulk_input_errors(place: Any) -> None:
    request = make(place)
    with pytest.raises(ValidationError, match="Select at least one request"):
        request_set_priority_bulk(requests=[], actor=place.county_inspector, priority=2)
    with pytest.raises(ValidationError, match="merging it"):
        request_status_change_bulk(
            requests=[request], actor=place.county_inspector, status=Status.DUPLICATE
        )
    with pytest.raises(ValidationError, match="Select one of the statuses"):
        request_status_change_bulk(
            requests=[request], actor=place.county_inspector, status="sideways"
        )
    assert Request.private_objects.get(pk=request.pk).status == Status.NEW


def test_internal_entries_never_reach_the_public(place: Any) -> None:
    manager = member(place, "Mona", Role.MANAGER)
    request = make(place)
    request_assign(request=request, actor=manager, assignee=manager)
    request_set_priority(request=request, actor=manager, priority=Priority.HIGH)
    request_set_due(request=request, actor=manager, due_at=timezone.now() + timedelta(days=3))
    text = public_text(request)
    for secret in ("Mona", "mona@example.org", "Assigned", "Priority", "Due date"):
        assert secret not in text
    assert (
        not Update.public_objects.filter(request=request).exclude(kind=UpdateKind.CREATED).exists()
    )
