"""How a back office's update lands on our timeline: status mapping, messages, what is left
out, and applying each update once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from openlocal.backoffice.client import RemoteUpdate
from openlocal.backoffice.models import AppliedUpdate, Sending, SendingStatus
from openlocal.backoffice.services import our_status, remote_update_apply
from openlocal.requests.models import Status, Update, UpdateKind
from openlocal.requests.services import request_status_change

pytestmark = pytest.mark.django_db


def remote(update_id: str = "U1", **changes: Any) -> RemoteUpdate:
    fields: dict[str, Any] = {
        "update_id": update_id,
        "service_request_id": "CRM-1",
        "status": "open",
        "updated_at": None,
        "description": "",
        "media_url": "",
        "external_status_code": "",
    }
    fields.update(changes)
    return RemoteUpdate(**fields)


@pytest.fixture
def sent(place: Any, open311_link: Any, report: Any) -> Sending:
    link = open311_link("http://127.0.0.1:9/open311/v2")
    return Sending.objects.create(
        request=report(), link=link, status=SendingStatus.SENT, external_id="CRM-1"
    )


@pytest.mark.parametrize(
    ("status", "code", "current", "ours"),
    [
        ("open", "", Status.NEW, Status.NEW),
        ("open", "", Status.FIXED, Status.ACKNOWLEDGED),
        ("closed", "", Status.IN_PROGRESS, Status.NO_FURTHER_ACTION),
        ("closed", "", Status.NOT_FIXED, Status.NOT_FIXED),
        ("closed", "fixed", Status.IN_PROGRESS, Status.FIXED),
        ("open", "action_scheduled", Status.NEW, Status.ACTION_SCHEDULED),
        ("fixed", "", Status.NEW, Status.FIXED),
        ("in_progress", "", Status.NEW, Status.IN_PROGRESS),
        ("NOT_COUNCILS_RESPONSIBILITY", "", Status.NEW, Status.NOT_RESPONSIBLE),
        ("internal_referral", "", Status.NEW, Status.REFERRED),
        ("closed", "CRM-CLOSED-7", Status.NEW, Status.NO_FURTHER_ACTION),
        ("duplicate", "", Status.NEW, Status.NEW),
        ("closed", "duplicate", Status.NEW, Status.NO_FURTHER_ACTION),
        ("something_else", "", Status.INVESTIGATING, Status.INVESTIGATING),
    ],
)
def test_their_status_maps_to_ours(status: str, code: str, current: str, ours: str) -> None:
    assert our_status(remote(status=status, external_status_code=code), current) == ours


def test_a_status_change_with_a_message_and_a_photo_goes_on_the_timeline_once(
    sent: Sending,
) -> None:
    update = remote(
        status="closed",
        external_status_code="fixed",
        description="Resurfaced.",
        media_url="https://crm.example.gov/photos/after.jpg",
    )
    applied = remote_update_apply(sending=sent, remote=update)
    assert applied is not None and applied.update is not None
    entry = Update.public_objects.get(pk=applied.update.pk)
    assert entry.kind == UpdateKind.STATUS
    assert entry.new_status == Status.FIXED
    assert entry.text == "Resurfaced.\n\nPhoto: https://crm.example.gov/photos/after.jpg"
    assert entry.author_name == "Testshire County Council"
    sent.request.refresh_from_db()
    assert sent.request.status == Status.FIXED
    assert sent.request.closed_at is not None

    assert remote_update_apply(sending=sent, remote=update) is None
    assert Update.private_objects.filter(request=sent.request, kind=UpdateKind.STATUS).count() == 1


def test_a_message_without_a_change_is_a_public_update_and_silence_is_recorded_only(
    sent: Sending,
) -> None:
    said = remote_update_apply(sending=sent, remote=remote("U1", description="Inspected today."))
    assert said is not None and said.update is not None
    assert said.update.kind == UpdateKind.COMMENT
    silent = remote_update_apply(sending=sent, remote=remote("U2"))
    assert silent is not None and silent.update is None
    assert AppliedUpdate.objects.filter(sending=sent).count() == 2


def test_an_openlocal_back_office_s_own_records_are_not_applied(sent: Sending) -> None:
    for kind in ("created", "reassigned", "moderated", "merged", "sent"):
        applied = remote_update_apply(
            sending=sent,
            remote=remote(f"U-{kind}", kind=kind, description="Reported.", status="closed"),
        )
        assert applied is not None and applied.update is None
    sent.request.refresh_from_db()
    assert sent.request.status == Status.NEW


def test_a_request_that_moved_to_another_body_is_left_alone(
    sent: Sending, place: Any, back_office: Any
) -> None:
    from openlocal.requests.services import request_reassign

    request_reassign(
        request=sent.request, actor=back_office.county_manager, body=place.west_council
    )
    applied = remote_update_apply(sending=sent, remote=remote(status="fixed", description="Done."))
    assert applied is not None and applied.update is None
    sent.request.refresh_from_db()
    assert sent.request.status == Status.NEW


def test_the_back_office_s_time_is_kept_unless_it_would_reorder_the_timeline(
    sent: Sending, place: Any, report: Any
) -> None:
    now = timezone.now()
    sent.request = report(created_at=now - timedelta(hours=4))
    sent.save()
    request_status_change(
        request=sent.request,
        actor=place.county_inspector,
        status=Status.ACKNOWLEDGED,
        at=now - timedelta(hours=2),
    )
    kept = remote_update_apply(
        sending=sent,
        remote=remote("U1", description="Booked.", updated_at=now - timedelta(hours=1)),
        now=now,
    )
    assert kept is not None and kept.update is not None
    assert kept.update.created_at == now - timedelta(hours=1)
    earlier = remote_update_apply(
        sending=sent,
        remote=remote("U2", description="Old news.", updated_at=now - timedelta(hours=3)),
        now=now,
    )
    assert earlier is not None and earlier.update is not None
    assert earlier.update.created_at == now
