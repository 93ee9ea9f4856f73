"""The Open311 round trip over loopback, with this site's own Open311 server as the back
office: a report to the county council is posted there, the back office's staff work it,
and polling brings their public changes back to the original request and its followers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from openlocal.backoffice.models import AppliedUpdate, Sending, SendingStatus
from openlocal.backoffice.outbox import sendings_from_events
from openlocal.backoffice.polling import poll
from openlocal.backoffice.sending import send_due
from openlocal.backoffice.tests.conftest import RESIDENT
from openlocal.requests.models import Request, Source, Status, Update, UpdateKind
from openlocal.requests.services import (
    request_create,
    request_note_add,
    request_reassign,
    request_status_change,
)
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.models import Channel
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db(transaction=True)

NEIGHBOUR = "nick.neighbour@example.org"


def timeline(request: Request) -> list[Update]:
    return list(Update.public_objects.filter(request=request).order_by("created_at", "id"))


def test_a_report_goes_to_the_back_office_and_its_changes_come_back(
    live_server: Any,
    place: Any,
    back_office: Any,
    open311_link: Any,
    report: Any,
    smtp: Any,
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    open311_link(f"{live_server.url}/open311/v2")
    original = report()
    follow(
        target=Target.for_request(original),
        email=NEIGHBOUR,
        confirmed=True,
        channel=Channel.IMMEDIATE,
    )

    sendings_from_events()
    assert send_due().sent == 1
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.SENT
    assert sending.attempts == 1

    # The back office has it as a request of its own, with its own code, the answers and
    # the reporter's contact details (for its staff).
    copy = Request.private_objects.get(pk=int(sending.external_id))
    assert copy.pk != original.pk
    assert copy.body == back_office.body
    assert copy.category == back_office.category
    assert copy.source == Source.OPEN311
    assert copy.answers == {"depth": "deep"}
    assert copy.reporter is not None and copy.reporter.email == RESIDENT
    assert copy.reporter_name == "Rita Resident"
    assert (copy.latitude, copy.longitude) == pytest.approx(
        (original.latitude, original.longitude), abs=1e-6
    )
    assert copy.title == "Deep pothole outside the school"
    assert f"/requests/{original.pk}" in copy.description
    # The public can see where it went, and under which reference.
    sent = [u for u in timeline(original) if u.kind == UpdateKind.SENT]
    assert [u.text for u in sent] == [
        f"Sent to Testshire County Council’s back office, where its reference is {copy.pk}."
    ]

    # The back office's staff work it: a public status change, and an internal note.
    request_status_change(
        request=copy,
        actor=back_office.officer,
        status=Status.IN_PROGRESS,
        message="A crew is booked for Tuesday.",
    )
    request_note_add(request=copy, actor=back_office.officer, text="Crew leader: ring Bob first")
    run_batch()
    smtp.clear()

    result = poll()
    assert result.applied == 1
    original.refresh_from_db()
    assert original.status == Status.IN_PROGRESS
    change = timeline(original)[-1]
    assert change.kind == UpdateKind.STATUS
    assert change.text == "A crew is booked for Tuesday."
    assert (change.old_status, change.new_status) == (Status.NEW, Status.IN_PROGRESS)
    # Written by the body, not by a person.
    assert change.author_id is None
    assert change.author_name == "Testshire County Council"
    assert not Update.private_objects.filter(request=original, text__contains="Bob").exists()
    # Updates about every other request on the back office's site were left alone.
    assert "did not send: ignored" in caplog.text

    # Followers of the original hear of it as of any staff update.
    run_batch()
    told = smtp.to(NEIGHBOUR)
    assert len(told) == 1
    assert "A crew is booked for Tuesday." in told[0].text
    assert "In progress" in told[0].text

    # Polling the same window again applies nothing twice and tells nobody twice.
    smtp.clear()
    assert poll().applied == 0
    assert [u.text for u in timeline(original)].count("A crew is booked for Tuesday.") == 1
    assert AppliedUpdate.objects.filter(sending=sending).count() == 2  # created + status
    run_batch()
    assert smtp.to(NEIGHBOUR) == []

    # Fixed at the back office: fixed here.
    request_status_change(
        request=copy, actor=back_office.officer, status=Status.FIXED, message="Filled today."
    )
    assert poll().applied == 1
    original.refresh_from_db()
    assert original.status == Status.FIXED
    assert timeline(original)[-1].text == "Filled today."

    # The key never shows: not in the logs, nor on the staff pages.
    staff = Client()
    staff.force_login(back_office.county_admin)
    pages = [
        staff.get("/staff/back-office/testshire/").content.decode(),
        staff.get("/staff/back-office/testshire/edit").content.decode(),
        staff.get(f"/staff/requests/{original.pk}").content.decode(),
        Client().get(f"/requests/{original.pk}").content.decode(),
    ]
    assert f"Reference {copy.pk}" in pages[0]
    for page in pages:
        assert back_office.api_key not in page
    assert back_office.api_key not in caplog.text


def test_a_request_passed_to_the_county_later_is_sent_too(
    live_server: Any, place: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    open311_link(
        f"{live_server.url}/open311/v2", service_codes={"POT": "HWY-POT", "BIN": "HWY-BIN"}
    )

    bin_report = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bin lorry cracked the pavement",
        description="The kerb is broken where the lorry mounted it.",
    )
    sendings_from_events()
    assert not Sending.objects.filter(request=bin_report).exists()

    request_reassign(
        request=bin_report,
        actor=place.west_manager,
        body=place.county_council,
        reason="Pavements are the county's.",
    )
    sendings_from_events()
    send_due()
    sending = Sending.objects.get(request=bin_report)
    # Mapped to a code the back office does not offer: its error document says so, and a
    # refusal is not retried.
    assert sending.status == SendingStatus.FAILED
    assert sending.attempts == 1
    assert "HTTP 404: There is no service with service_code “HWY-BIN”" in sending.last_error
    assert sending.next_attempt_at is None


def test_a_batch_back_office_answers_with_a_token_resolved_later(
    live_server: Any, place: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    from openlocal.backoffice.tests.servers import BackOfficeFront

    front = BackOfficeFront(live_server.url)
    front.start()
    try:
        front.batch()
        open311_link(f"{front.url}/open311/v2")
        original = report()
        sendings_from_events()
        assert send_due().sent == 1
        sending = Sending.objects.get(request=original)
        assert sending.external_id == ""
        assert sending.token.startswith("T-")

        # Not processed yet: the id stays unknown, and polling waits for it.
        assert poll().tokens == 0
        front.process_tokens()
        assert poll().tokens == 1
        sending.refresh_from_db()
        copy = Request.private_objects.get(pk=int(sending.external_id))
        assert sending.token == f"T-{copy.pk}"

        request_status_change(
            request=copy,
            actor=back_office.officer,
            status=Status.ACTION_SCHEDULED,
            message="Booked for the 3rd.",
        )
        assert poll().applied == 1
        original.refresh_from_db()
        assert original.status == Status.ACTION_SCHEDULED
    finally:
        front.stop()


def test_an_xml_back_office_works_the_same_and_the_worker_runs_it(
    live_server: Any, place: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    from openlocal.core import schedule

    open311_link(f"{live_server.url}/open311/v2", format="xml")
    original = report()
    jobs = {job.name: job for job in schedule.jobs()}
    assert jobs["backoffice.send"].every == 60
    assert jobs["backoffice.poll"].every == 300

    assert jobs["backoffice.send"].run() is True
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.SENT
    copy = Request.private_objects.get(pk=int(sending.external_id))

    request_status_change(
        request=copy,
        actor=back_office.officer,
        status=Status.NOT_RESPONSIBLE,
        message="Private road.",
    )
    assert jobs["backoffice.poll"].run() is True
    original.refresh_from_db()
    assert original.status == Status.NOT_RESPONSIBLE
    assert timeline(original)[-1].text == "Private road."
    assert jobs["backoffice.poll"].run() is False


def test_a_link_that_sends_requests_back_to_the_same_body_does_not_go_round(
    live_server: Any, place: Any, back_office: Any, open311_link: Any, report: Any, caplog: Any
) -> None:
    # Pointing the county's link at this site without mapping its codes: potholes come
    # straight back to the county.
    open311_link(f"{live_server.url}/open311/v2", service_codes={})
    original = report()
    sendings_from_events()
    assert send_due().sent == 1
    echo = Request.private_objects.get(pk=int(Sending.objects.get(request=original).external_id))
    assert echo.body == place.county_council

    sendings_from_events()
    assert not Sending.objects.filter(request=echo).exists()
    assert f"request {original.pk} came back to testshire" in caplog.text
