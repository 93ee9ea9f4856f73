"""Who the questionnaire job asks, and that it asks each request once whatever happens:
several workers, a mail server that is down, an address the server refuses."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from openlocal.feedback.models import Questionnaire, QuestionnaireStatus
from openlocal.feedback.questionnaires import (
    LATE_DAYS,
    questionnaire_candidates,
    questionnaires_claim,
    questionnaires_create,
    questionnaires_run,
    questionnaires_send,
)
from openlocal.requests.merging import request_merge
from openlocal.requests.models import Status
from openlocal.requests.services import request_hide, request_status_change
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.models import Channel, Subscription

from .helpers import REPORTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(make_request, close, smtp):
    """A request closed ``days_ago`` days ago, with the closing emailed to its reporter."""

    def make(days_ago: float = 30, status: str = Status.FIXED, **kwargs):
        request = close(make_request(**kwargs), days_ago=days_ago, status=status)
        run_batch()
        smtp.clear()
        return request

    return make


def asked_ids() -> list[int]:
    return sorted(Questionnaire.objects.values_list("request_id", flat=True))


def test_closings_in_the_window_are_asked_about_and_no_others(told, make_request, smtp) -> None:
    due = told(days_ago=30, title="Closed 30 days ago")
    not_fixed = told(days_ago=35, status=Status.NO_FURTHER_ACTION, title="No further action")
    too_soon = told(days_ago=20, title="Closed 20 days ago")
    too_old = told(days_ago=28 + LATE_DAYS + 1, title="Closed long ago")
    anonymous = told(days_ago=30, reporter_email="", title="Reported without an email")
    still_open = make_request(title="Never closed")

    assert questionnaires_run() == 2
    assert asked_ids() == sorted([due.pk, not_fixed.pk])
    assert len(smtp.to(REPORTER)) == 2
    for request in (too_soon, too_old, anonymous, still_open):
        assert not Questionnaire.objects.filter(request=request).exists()

    # Eight days on, the one closed 20 days ago is due.
    assert questionnaires_run(now=timezone.now() + timedelta(days=8)) == 1
    assert asked_ids() == sorted([due.pk, not_fixed.pk, too_soon.pk])


def test_a_quiet_closing_is_never_asked_about(make_request, close, smtp) -> None:
    """A history loaded quietly (the demo, imports) told nobody, so nobody is asked."""
    close(make_request(), days_ago=30, notify=False)
    run_batch()
    assert questionnaires_run() == 0
    assert smtp.messages == []


def test_a_reporter_who_stopped_emails_about_their_request_is_not_asked(
    make_request, close, smtp
) -> None:
    request = make_request()
    Subscription.objects.filter(person__email=REPORTER, request=request).update(channel=Channel.OFF)
    close(request, days_ago=30)
    run_batch()
    assert questionnaires_run() == 0
    assert smtp.messages == []


def test_a_reporter_who_stops_after_the_closing_is_not_sent_one(told, smtp) -> None:
    request = told()
    questionnaires_create(now=timezone.now())
    Subscription.objects.filter(person__email=REPORTER, request=request).update(channel=Channel.OFF)
    questionnaires_run()
    assert smtp.messages == []
    assert Questionnaire.objects.get(request=request).status == QuestionnaireStatus.SKIPPED


def test_duplicates_hidden_and_reopened_requests_are_not_asked(
    told, make_request, place, admin_user, smtp
) -> None:
    original = make_request(title="The original")
    duplicate = make_request(title="The duplicate")
    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector, notify=False)
    hidden = told(title="Hidden later")
    request_hide(request=hidden, actor=admin_user, reason="Abusive")
    reopened = told(title="Reopened by staff")
    request_status_change(request=reopened, actor=place.county_inspector, status=Status.IN_PROGRESS)
    run_batch()
    smtp.clear()
    assert questionnaires_run() == 0
    assert smtp.to(REPORTER) == []


def test_the_setting_of_zero_days_turns_questionnaires_off(told, smtp) -> None:
    told()
    with override_settings(QUESTIONNAIRE_AFTER_DAYS=0):
        assert questionnaires_run() == 0
    assert smtp.messages == []


def test_two_workers_ask_each_request_once(told, smtp) -> None:
    first, second = told(title="First"), told(title="Second")
    now = timezone.now()
    # Both workers find the same requests; the second writes nothing.
    assert {c.request_id for c in questionnaire_candidates(now=now)} == {first.pk, second.pk}
    questionnaires_create(now=now)
    questionnaires_create(now=now)
    assert asked_ids() == sorted([first.pk, second.pk])
    # The first to claim holds them; the other finds nothing to send.
    mine = questionnaires_claim(now=now)
    theirs = questionnaires_claim(now=now)
    assert [q.request_id for q in mine] == sorted([first.pk, second.pk])
    assert theirs == []
    assert questionnaires_send(mine, now=now).sent == 2
    assert questionnaires_send(theirs, now=now).sent == 0
    assert questionnaires_run() == 0
    assert sorted(m.subject for m in smtp.messages) == sorted(
        f"Was it fixed? Your report #{r.pk}: {r.title}" for r in (first, second)
    )


def test_a_worker_that_died_mid_batch_is_taken_over_after_its_lease(told, smtp) -> None:
    request = told()
    now = timezone.now()
    questionnaires_create(now=now)
    assert questionnaires_claim(now=now)  # ...and the worker dies before sending
    assert questionnaires_run(now=now) == 0, "leased: nobody else sends it yet"
    assert questionnaires_run(now=now + timedelta(minutes=11)) == 1
    [mail] = smtp.messages
    assert str(request.pk) in mail.subject


def test_a_mail_server_that_is_down_delays_the_question_without_losing_it(told, smtp) -> None:
    request = told()
    smtp.stop()
    now = timezone.now()
    assert questionnaires_run(now=now) == 1
    questionnaire = Questionnaire.objects.get(request=request)
    assert questionnaire.status == QuestionnaireStatus.PENDING
    assert questionnaire.attempts == 1 and questionnaire.last_error

    smtp.start()
    assert questionnaires_run(now=now + timedelta(minutes=1)) == 0, "waits before retrying"
    questionnaires_run(now=now + timedelta(minutes=6))
    assert [m.to for m in smtp.messages] == [REPORTER]
    assert Questionnaire.objects.get(request=request).status == QuestionnaireStatus.SENT


def test_an_address_the_server_refuses_fails_once_and_is_not_retried(told, smtp) -> None:
    request = told()
    smtp.refuse(REPORTER)
    questionnaires_run()
    questionnaire = Questionnaire.objects.get(request=request)
    assert questionnaire.status == QuestionnaireStatus.FAILED
    assert "550" in questionnaire.last_error
    assert questionnaires_run(now=timezone.now() + timedelta(days=1)) == 0


@pytest.mark.django_db(transaction=True)
def test_workers_running_at_the_same_time_ask_each_request_once(told, smtp) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer at a time, so nothing overlaps")
    requests = [told(title=f"Pothole number {n}") for n in range(12)]
    start = threading.Barrier(3)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            questionnaires_run()
        except BaseException as exc:  # reported below, in the test's own thread
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert failures == []
    assert sorted(m.subject for m in smtp.messages) == sorted(
        f"Was it fixed? Your report #{r.pk}: {r.title}" for r in requests
    )
    assert set(Questionnaire.objects.values_list("status", flat=True)) == {QuestionnaireStatus.SENT}
