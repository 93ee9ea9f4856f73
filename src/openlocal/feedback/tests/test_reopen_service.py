"""Reopening on the reporter's answer: no staff role needed, the category's rule decides, and
every trace of the change (map counts, event, audit) is written as a staff reopening would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.feedback.presenters import ReopenOutcome
from openlocal.feedback.services import request_reopen_by_reporter
from openlocal.requests.merging import request_merge
from openlocal.requests.models import CellCount, Status
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS
from openlocal.requests.services import request_status_change
from openlocal.subscriptions.models import Event, EventKind

pytestmark = pytest.mark.django_db


def map_counts(request) -> dict[str, int]:
    """The map rollup's counts for the request's category, by status, at one resolution."""
    rows = CellCount.objects.filter(
        resolution=ROLLUP_RESOLUTIONS[-1], category=request.category, count__gt=0
    )
    return {row.status: row.count for row in rows}


def test_reopening_needs_no_role_and_keeps_the_map_and_events_right(make_request, close) -> None:
    request = close(make_request(), days_ago=10)
    assert map_counts(request) == {Status.FIXED: 1}

    outcome = request_reopen_by_reporter(request=request)

    assert outcome == ReopenOutcome.REOPENED
    request.refresh_from_db()
    assert (request.status, request.closed_at) == (Status.ACKNOWLEDGED, None)
    assert map_counts(request) == {Status.ACKNOWLEDGED: 1}
    event = Event.objects.filter(request=request).latest("id")
    assert event.kind == EventKind.REOPENED
    assert event.payload["data"]["request"]["status"] == Status.ACKNOWLEDGED
    assert event.payload["data"]["update"]["author"] == "The reporter"
    assert "@" not in str(event.payload), "the event names nobody"
    assert AuditEntry.objects.filter(action="request.reopen", target_id=str(request.pk)).exists()


def test_staff_status_changes_still_need_a_role(make_request, close, place) -> None:
    request = close(make_request(), days_ago=10)
    with pytest.raises(PermissionDenied):
        request_status_change(request=request, actor=None, status=Status.ACKNOWLEDGED)
    with pytest.raises(PermissionDenied):
        request_status_change(request=request, actor=place.west_manager, status=Status.ACKNOWLEDGED)


def test_the_window_is_counted_from_the_closing(make_request, close, place) -> None:
    place.pothole.reopen_within_days = 14
    place.pothole.save()
    request = close(make_request(), days_ago=10)
    now = timezone.now()
    assert (
        request_reopen_by_reporter(request=request, at=now + timedelta(days=5))
        == ReopenOutcome.TOO_LATE
    )
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert request_reopen_by_reporter(request=request, at=now) == ReopenOutcome.REOPENED


def test_an_open_request_or_a_duplicate_is_left_alone(make_request, close, place) -> None:
    reopened_by_staff = close(make_request(title="Reopened by staff"), days_ago=5)
    request_status_change(
        request=reopened_by_staff, actor=place.county_inspector, status=Status.IN_PROGRESS
    )
    assert request_reopen_by_reporter(request=reopened_by_staff) == ReopenOutcome.ALREADY_OPEN
    reopened_by_staff.refresh_from_db()
    assert reopened_by_staff.status == Status.IN_PROGRESS

    original = make_request(title="Original")
    duplicate = make_request(title="Duplicate")
    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector)
    assert request_reopen_by_reporter(request=duplicate) == ReopenOutcome.DUPLICATE
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLICATE
    assert not AuditEntry.objects.filter(action="request.reopen").exists()
