"""Which requests are sent: those routed to a body with an enabled link, when made or passed
to it, read from the event outbox without missing one that commits late."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openlocal.backoffice.models import OutboxCursor, Sending, SendingStatus
from openlocal.backoffice.outbox import CURSOR_NAME, GAP_GRACE, sendings_from_events
from openlocal.backoffice.sending import send_due
from openlocal.requests.models import Source
from openlocal.requests.services import request_create, request_hide, request_reassign
from openlocal.subscriptions.models import Event

pytestmark = pytest.mark.django_db


def gaps() -> list[list[int]]:
    """The ids the cursor is still waiting for, as ``[first, last]`` ranges."""
    return [gap[:2] for gap in OutboxCursor.objects.get(name=CURSOR_NAME).gaps]


def sent_requests() -> list[int]:
    return list(Sending.objects.order_by("request_id").values_list("request_id", flat=True))


def bin_report(place: Any, **changes: Any) -> Any:
    fields = {
        "category": place.missed_bin,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": "Bin lorry cracked the pavement",
        "description": "The kerb is broken.",
    }
    fields.update(changes)
    return request_create(**fields)


def test_only_requests_for_a_linked_body_are_sent_once(
    place: Any, open311_link: Any, report: Any
) -> None:
    before = report(title="Made before the link")
    open311_link("http://127.0.0.1:9/open311/v2")
    pothole = report()
    bin_report(place)  # the west council's: no link
    report(title="Demo history", notify=False)  # quiet history
    report(title="Imported", source=Source.IMPORT)

    sendings_from_events()
    sendings_from_events()
    assert sent_requests() == [pothole.pk]
    sending = Sending.objects.get()
    assert sending.status == SendingStatus.PENDING
    assert sending.link.body == place.county_council
    assert before.pk not in sent_requests()


def test_a_request_passed_to_the_linked_body_is_sent_and_one_passed_away_is_not(
    place: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    open311_link("http://127.0.0.1:9/open311/v2")
    moved_in = bin_report(place)
    request_reassign(request=moved_in, actor=place.west_manager, body=place.county_council)
    moved_out = report()
    sendings_from_events()
    assert sent_requests() == [moved_in.pk, moved_out.pk]

    manager = back_office.county_manager
    request_reassign(request=moved_out, actor=manager, body=place.west_council)
    hidden = report(title="Rude words")
    sendings_from_events()
    request_hide(request=hidden, actor=manager, reason="Abusive")

    # Before anything was tried, one left the county and one was hidden: neither goes.
    assert send_due().cancelled == 2
    out = Sending.objects.get(request=moved_out)
    assert out.status == SendingStatus.CANCELLED
    assert out.last_error == "Passed to West Testshire District Council before it was sent."
    assert Sending.objects.get(request=hidden).last_error == (
        "Hidden by moderation before it was sent."
    )


def test_a_switched_off_link_sends_nothing_new(place: Any, open311_link: Any, report: Any) -> None:
    open311_link("http://127.0.0.1:9/open311/v2", enabled=False)
    report()
    sendings_from_events()
    assert sent_requests() == []


def test_an_event_that_commits_after_a_later_one_was_read_is_still_sent(
    place: Any, open311_link: Any, report: Any
) -> None:
    open311_link("http://127.0.0.1:9/open311/v2")
    first = report(title="First")
    late = report(title="Committed late")
    last = report(title="Last")
    # As PostgreSQL can show it: the middle request's event not yet visible when the
    # reader passes.
    held = Event.objects.get(request=late)
    values = {f.attname: getattr(held, f.attname) for f in Event._meta.concrete_fields}
    held.delete()
    sendings_from_events()
    assert sent_requests() == [first.pk, last.pk]
    # (On PostgreSQL, ids used by earlier tests' rolled-back transactions are gaps too.)
    assert [values["id"], values["id"]] in gaps()

    Event.objects.create(**values)  # its transaction commits
    sendings_from_events()
    assert sent_requests() == [first.pk, late.pk, last.pk]
    assert not any(first <= values["id"] <= last for first, last in gaps())


def test_a_gap_that_never_fills_is_let_go(place: Any, open311_link: Any, report: Any) -> None:
    open311_link("http://127.0.0.1:9/open311/v2")
    report(title="First")
    rolled_back = report(title="Rolled back")
    report(title="Last")
    missing = Event.objects.get(request=rolled_back).pk
    Event.objects.filter(request=rolled_back).delete()
    now = timezone.now()
    sendings_from_events(now=now)
    assert [missing, missing] in gaps()
    sendings_from_events(now=now + GAP_GRACE + GAP_GRACE)
    assert gaps() == []
