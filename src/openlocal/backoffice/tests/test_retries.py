"""A back office that answers 500 or is down: retried with backoff, the status visible to
staff, sent once it recovers; a refusal fails at once with the back office's own words; a
sending that keeps failing gives up, and "Retry now" starts it again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from openlocal.backoffice.models import Sending, SendingStatus
from openlocal.backoffice.outbox import sendings_from_events
from openlocal.backoffice.sending import send_due
from openlocal.backoffice.tests.servers import BackOfficeFront
from openlocal.requests.models import Request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def front(live_server: Any) -> Iterator[BackOfficeFront]:
    server = BackOfficeFront(live_server.url)
    server.start()
    yield server
    server.stop()


def staff_page(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/staff/back-office/testshire/").content.decode()


def test_a_failing_back_office_is_retried_with_backoff_until_it_recovers(
    front: BackOfficeFront, back_office: Any, open311_link: Any, report: Any, settings: Any
) -> None:
    settings.BACK_OFFICE_RETRY_FIRST = 60
    open311_link(f"{front.url}/open311/v2")
    original = report()
    sendings_from_events()
    start = timezone.now()

    front.fail()
    assert send_due(now=start).retrying == 1
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.RETRYING
    assert sending.attempts == 1
    assert sending.next_attempt_at == start + timedelta(seconds=60)
    assert "HTTP 500" in sending.last_error
    assert len(front.posts()) == 1

    # Not due yet: nothing is tried.
    assert send_due(now=start + timedelta(seconds=30)).idle
    assert len(front.posts()) == 1

    # Down altogether: the connection is refused, and the wait doubles.
    front.stop()
    second = start + timedelta(seconds=61)
    assert send_due(now=second).retrying == 1
    sending.refresh_from_db()
    assert sending.attempts == 2
    assert sending.next_attempt_at == second + timedelta(seconds=120)
    assert "could not connect" in sending.last_error

    page = staff_page(back_office.county_manager)
    assert "Retrying" in page
    assert "could not connect" in page
    assert f"{original.pk}: {original.title}" in page

    front.start()
    front.recover()
    assert send_due(now=second + timedelta(seconds=121)).sent == 1
    sending.refresh_from_db()
    assert sending.status == SendingStatus.SENT
    assert sending.attempts == 3
    assert sending.last_error == ""
    copy = Request.private_objects.get(pk=int(sending.external_id))
    assert copy.body == back_office.body
    assert "Sent" in staff_page(back_office.county_manager)


def test_a_refusal_fails_at_once_with_the_error_document(
    front: BackOfficeFront, back_office: Any, open311_link: Any, report: Any
) -> None:
    wrong_key = "ol_this_key_was_never_issued_0123456789"
    open311_link(f"{front.url}/open311/v2", api_key=wrong_key)
    original = report()
    sendings_from_events()
    assert send_due().failed == 1
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.FAILED
    assert sending.next_attempt_at is None
    assert "HTTP 403: Invalid or missing api_key" in sending.last_error
    assert wrong_key not in sending.last_error
    # It did reach the back office, in the form body, where Open311 wants it.
    assert wrong_key.encode() in front.posts()[0].body
    assert wrong_key not in staff_page(back_office.county_admin)


def test_a_sending_that_keeps_failing_gives_up_and_retry_now_starts_it_again(
    front: BackOfficeFront,
    place: Any,
    back_office: Any,
    open311_link: Any,
    report: Any,
    settings: Any,
) -> None:
    settings.BACK_OFFICE_RETRY_FIRST = 60
    settings.BACK_OFFICE_GIVE_UP_AFTER = 200
    open311_link(f"{front.url}/open311/v2")
    original = report()
    sendings_from_events()
    front.fail()
    now = timezone.now()
    send_due(now=now)  # retry in 60 s
    send_due(now=now + timedelta(seconds=60))  # retry in 120 s: 180 s after the first try
    assert send_due(now=now + timedelta(seconds=180)).failed == 1  # 240 s would be too late
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.FAILED
    assert sending.attempts == 3
    assert sending.last_error.endswith("Gave up after 3 tries.")

    # An inspector may not retry; a manager may, and it is tried straight away.
    front.recover()
    inspector = Client()
    inspector.force_login(place.county_inspector)
    refused = inspector.post(f"/staff/back-office/testshire/sendings/{sending.pk}/retry")
    assert refused.status_code == 403
    sending.refresh_from_db()
    assert sending.status == SendingStatus.FAILED

    manager = Client()
    manager.force_login(back_office.county_manager)
    response = manager.post(
        f"/staff/back-office/testshire/sendings/{sending.pk}/retry", {"next": "workspace"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/requests/{original.pk}"
    sending.refresh_from_db()
    assert sending.status == SendingStatus.SENT
    assert sending.attempts == 4
    workspace = manager.get(response["Location"]).content.decode()
    assert "Back office" in workspace
    assert f"Their reference: {sending.external_id}" in workspace

    # Nothing left to retry: the page says so rather than sending it twice.
    again = manager.post(f"/staff/back-office/testshire/sendings/{sending.pk}/retry")
    assert again.status_code == 400
    assert "there is nothing to retry" in again.content.decode()
    assert len([p for p in front.posts() if b"service_code" in p.body]) == 4
