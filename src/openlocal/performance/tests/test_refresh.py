"""The worker's refresh: after any change, the rollups are what a full rebuild would make."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from openlocal.core import schedule
from openlocal.performance.models import BacklogFigures, MonthFigures, RollupState
from openlocal.performance.rollups import (
    _locked_state,
    refresh_job,
    rollups_rebuild,
    rollups_refresh,
)
from openlocal.requests.merging import request_merge, request_unmerge
from openlocal.requests.models import Request, Status
from openlocal.requests.services import (
    request_category_change,
    request_hide,
    request_support,
    request_unhide,
)
from openlocal.subscriptions.services import follow, subscription_confirm
from openlocal.subscriptions.targets import Target

from .conftest import made, moved


def snapshot() -> tuple[dict, dict]:
    """Every month row and backlog row, by key, as plain values."""
    months = {
        (row.month, row.body_id, row.category_id, row.area_id): (
            row.requests,
            row.supporters,
            row.followers,
            row.acknowledged,
            row.fixed,
            row.fixed_with_level,
            row.fixed_in_time,
            row.acknowledge_times,
            row.fix_times,
        )
        for row in MonthFigures.objects.all()
    }
    backlog = {
        (row.body_id, row.category_id, row.area_id, row.band): (row.open, row.overdue)
        for row in BacklogFigures.objects.all()
    }
    return months, backlog


def rebuilt_snapshot() -> tuple[dict, dict]:
    rollups_rebuild()
    return snapshot()


def change_everything(s) -> None:
    """Changes of every kind the services make, each stamped with when it happened."""
    r, place, moderator = s.requests, s.place, s.moderator
    now = timezone.now()
    made(place, place.pothole, place.west_point, now, "N")
    moved(r["D"], Status.FIXED, now)  # an open request fixed
    moved(r["A"], Status.IN_PROGRESS, now)  # a fixed one reopened: its fix is taken back
    r["C"].refresh_from_db()
    request_hide(request=r["C"], actor=moderator, reason="Abusive")
    r["H"].refresh_from_db()
    request_unhide(request=r["H"], actor=moderator)
    request_support(request=r["B"], session_key="third-neighbour")
    r["E"].refresh_from_db()
    request_category_change(request=r["E"], actor=moderator, category=s.abuse)
    r["T2"].refresh_from_db()
    r["T10"].refresh_from_db()
    request_merge(duplicate=r["T2"], into=r["T10"], actor=moderator, notify=False)


@override_settings(PERFORMANCE_SWEEP_REQUESTS=0)
def test_changes_the_services_make_are_found_without_the_sweep(scenario):
    rollups_rebuild()
    before = snapshot()
    change_everything(scenario)
    outcome = rollups_refresh()
    assert outcome is not None and not outcome.rebuilt
    refreshed = snapshot()
    assert refreshed != before
    assert refreshed == rebuilt_snapshot()


@override_settings(PERFORMANCE_SWEEP_REQUESTS=0)
def test_undoing_a_merge_and_a_second_round_of_changes(scenario):
    rollups_rebuild()
    change_everything(scenario)
    rollups_refresh()
    r = scenario.requests
    r["T2"].refresh_from_db()
    request_unmerge(duplicate=r["T2"], actor=scenario.moderator)
    moved(r["A"], Status.FIXED, timezone.now())
    rollups_refresh()
    assert snapshot() == rebuilt_snapshot()


def test_what_no_timestamp_shows_is_put_right_by_the_sweep(scenario):
    g = scenario.requests["G"]
    with override_settings(PERFORMANCE_SWEEP_REQUESTS=0):
        rollups_rebuild()
        # A follower confirming changes the count and stamps nothing on the request; so
        # does a count written straight into the database.
        result = follow(target=Target.for_request(g), email="neighbour@example.org")
        subscription_confirm(subscription=result.subscription)
        Request.private_objects.filter(pk=scenario.requests["B"].pk).update(supporter_count=9)
        rollups_refresh()
        assert snapshot() != rebuilt_snapshot()
    # Three requests a refresh, round and round: every request is seen within a few runs.
    with override_settings(PERFORMANCE_SWEEP_REQUESTS=3):
        rollups_rebuild()
        Request.private_objects.filter(pk=g.pk).update(follower_count=5)
        Request.private_objects.filter(pk=scenario.requests["B"].pk).update(supporter_count=4)
        for _ in range(Request.private_objects.count() // 3 + 2):
            rollups_refresh()
        expected = snapshot()
        assert expected == rebuilt_snapshot()
        g_month = MonthFigures.objects.get(
            month=scenario.previous,
            body=scenario.place.county_council,
            category__isnull=True,
            area__isnull=True,
        )
        assert g_month.followers == 5


def test_a_request_deleted_from_the_database_leaves_the_figures(scenario):
    rollups_rebuild()
    Request.private_objects.filter(pk=scenario.requests["C"].pk).delete()
    rollups_refresh()
    assert snapshot() == rebuilt_snapshot()


def test_new_requests_written_straight_into_the_database_are_counted(scenario):
    rollups_rebuild()
    # An import writes history with its own dates: only its ids are new.
    with override_settings(PERFORMANCE_SWEEP_REQUESTS=0):
        old = timezone.now() - timedelta(days=200)
        imported = made(scenario.place, scenario.place.pothole, scenario.place.west_point, old, "I")
        Request.private_objects.filter(pk=imported.pk).update(updated_at=old)
        rollups_refresh()
        assert snapshot() == rebuilt_snapshot()


def test_the_worker_runs_the_refresh_as_a_periodic_job(scenario):
    assert "performance.rollups" in {job.name for job in schedule.jobs()}
    assert refresh_job() is True  # the first run builds everything
    assert RollupState.objects.get().refreshed_at is not None
    assert refresh_job() is False  # nothing changed since


def test_the_command_rebuilds_and_refreshes(scenario):
    out = StringIO()
    call_command("performance-rollups", "--rebuild", stdout=out)
    assert "Rebuilt the figures from 14 requests (12 public)" in out.getvalue()
    out = StringIO()
    call_command("performance-rollups", stdout=out)
    assert "0 of them changed" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_leaves_the_refresh_to_the_first(place):
    """While one worker holds the rollups, another's refresh does nothing and says so."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time into the whole database anyway")
    rollups_rebuild()
    holding, release = threading.Event(), threading.Event()

    def first_worker() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():
                assert _locked_state(wait=True) is not None
                holding.set()
                release.wait(timeout=30)
        finally:
            own.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert rollups_refresh() is None
        assert refresh_job() is False
    finally:
        release.set()
        thread.join()
    assert rollups_refresh() is not None


def test_rows_that_no_longer_match_the_requests_are_rebuilt(scenario, caplog):
    """A month row changed behind the refresh's back cannot go below zero: it starts again."""
    rollups_rebuild()
    MonthFigures.objects.filter(month=scenario.month).update(fixed=0, fix_times={})
    moved(scenario.requests["A"], Status.IN_PROGRESS, timezone.now())
    outcome = rollups_refresh()
    assert outcome is not None and outcome.rebuilt
    assert "rollups disagree with the requests" in caplog.text
    assert snapshot() == rebuilt_snapshot()
