"""The email link, over a real SMTP conversation on loopback: a structured message with a
block of fields and the request as JSON, retried while the mail server is away, failed when
it refuses the address."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from openlocal.backoffice.emails import BLOCK_END, BLOCK_START
from openlocal.backoffice.models import Method, Sending, SendingStatus
from openlocal.backoffice.outbox import sendings_from_events
from openlocal.backoffice.sending import send_due
from openlocal.backoffice.services import link_save
from openlocal.backoffice.tests.conftest import RESIDENT
from openlocal.requests.models import Update, UpdateKind

pytestmark = pytest.mark.django_db

INBOX = "highways@testshire.example"


def photo() -> ContentFile[bytes]:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (90, 90, 95)).save(buffer, format="JPEG")
    return ContentFile(buffer.getvalue(), name="pothole.jpg")


def text_of(mail: Any) -> str:
    """The text part with the line ends it had before SMTP made them CRLF."""
    return str(mail.text).replace("\r\n", "\n")


def fields_of(text: str) -> dict[str, str]:
    """The ``key: value`` lines between the markers, as a mailbox rule would read them."""
    block = text.split(BLOCK_START + "\n", 1)[1].split("\n" + BLOCK_END, 1)[0]
    fields = {}
    for line in block.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.fixture
def email_link(place: Any, back_office: Any) -> Any:
    # No address given: the body's contact email is used.
    return link_save(body=place.county_council, actor=back_office.county_admin, method=Method.EMAIL)


def test_the_body_gets_a_structured_email_with_the_request_as_json(
    place: Any, email_link: Any, report: Any, smtp: Any
) -> None:
    assert email_link.email == INBOX
    original = report(address="12 School Lane", photos=[photo()])
    sendings_from_events()
    assert send_due().sent == 1

    (mail,) = smtp.to(INBOX)
    assert mail.subject == f"Request {original.pk}: Pothole – Deep pothole outside the school"
    assert mail.header("X-OpenLocal-Request-Id") == str(original.pk)
    assert mail.header("X-OpenLocal-Service-Code") == "POT"
    text = text_of(mail)
    assert text.startswith(BLOCK_START + "\n")
    fields = fields_of(text)
    assert fields["request-id"] == str(original.pk)
    assert fields["url"] == f"http://127.0.0.1:8000/requests/{original.pk}"
    assert fields["service-code"] == "POT"
    assert fields["category"] == "Pothole"
    assert fields["address"] == "12 School Lane"
    assert float(fields["latitude"]) == pytest.approx(place.west_point[0])
    assert float(fields["longitude"]) == pytest.approx(place.west_point[1])
    assert fields["reporter-name"] == "Rita Resident"
    assert fields["reporter-email"] == RESIDENT
    assert fields["asset-id"] == ""
    assert fields["photos"].startswith("http://127.0.0.1:8000/media/photos/")
    assert "How deep is it?: 5 cm or deeper" in text
    assert "Deep pothole outside the school" in mail.html
    assert "5 cm or deeper" in mail.html

    attachments = [part for part in mail.message.iter_attachments()]
    assert [a.get_filename() for a in attachments] == [f"request-{original.pk}.json"]
    assert attachments[0].get_content_type() == "application/json"
    document = json.loads(attachments[0].get_content())
    assert document["id"] == original.pk
    assert document["category"] == {
        "name": "Pothole",
        "service_code": "POT",
        "their_service_code": "POT",
    }
    assert document["location"] == {
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "address": "12 School Lane",
    }
    assert document["answers"] == [
        {"code": "depth", "question": "How deep is it?", "value": "deep", "text": "5 cm or deeper"}
    ]
    assert document["reporter"]["email"] == RESIDENT
    assert document["photos"] == [fields["photos"]]
    assert (
        Client().get(document["photos"][0].removeprefix("http://127.0.0.1:8000")).status_code == 200
    )

    # The public sees it was sent; never the reporter's address nor the body's.
    sent = Update.public_objects.get(request=original, kind=UpdateKind.SENT)
    assert sent.text == "Sent to Testshire County Council by email."
    page = Client().get(f"/requests/{original.pk}").content.decode()
    assert "Sent to Testshire County Council by email." in page
    assert RESIDENT not in page
    assert INBOX not in page


def test_an_asset_goes_in_the_fields(place: Any, email_link: Any, report: Any, smtp: Any) -> None:
    report(category=place.streetlight, asset=place.lamp, answers={}, title="Lamp out")
    sendings_from_events()
    send_due()
    fields = fields_of(text_of(smtp.to(INBOX)[0]))
    assert (fields["asset-id"], fields["asset-type"]) == ("SL-0001", "streetlight")
    assert fields["service-code"] == "SLT"


def test_a_mail_server_that_is_away_is_retried_and_a_refused_address_fails(
    email_link: Any, report: Any, smtp: Any
) -> None:
    first = report()
    sendings_from_events()
    smtp.stop()
    now = timezone.now()
    assert send_due(now=now).retrying == 1
    sending = Sending.objects.get(request=first)
    assert "The mail server could not be reached" in sending.last_error

    smtp.start()
    assert send_due(now=now + timedelta(minutes=2)).sent == 1
    assert len(smtp.to(INBOX)) == 1

    smtp.refuse(INBOX)
    second = report(title="Another pothole")
    sendings_from_events()
    assert send_due().failed == 1
    refused = Sending.objects.get(request=second)
    assert refused.status == SendingStatus.FAILED
    assert refused.last_error.startswith(f"The mail server refused {INBOX}: 550")
