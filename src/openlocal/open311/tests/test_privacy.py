"""No Open311 response carries a reporter's identity, an internal note or a hidden request."""

from __future__ import annotations

import pytest

from openlocal.open311.tests.conftest import BASE, pothole_form
from openlocal.requests.models import Request
from openlocal.requests.services import (
    person_for_email,
    request_create,
    request_hide,
    request_note_add,
    request_status_change,
    request_support,
)
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db

SECRETS = [
    "rosalind.private@reporter.example",
    "Rosalind",
    "Privateperson",
    "07700 900461",
    "07700900461",
    "supporter.secret@example.org",
    "follower.secret@example.org",
    "INTERNAL-NOTE-ZX81",
    "Hidden report QWERTY",
    "Spam spam spam",
]


def test_no_open311_response_reveals_private_data(client, place, keys) -> None:
    posted = client.post(
        f"{BASE}/requests.json",
        pothole_form(
            place,
            api_key=keys.submit,
            email="rosalind.private@reporter.example",
            first_name="Rosalind",
            last_name="Privateperson",
            phone="07700 900461",
        ),
    )
    assert posted.status_code == 200
    reported = Request.private_objects.get()
    request_support(request=reported, person=person_for_email("supporter.secret@example.org"))
    follow(
        target=Target.for_request(reported),
        person=person_for_email("follower.secret@example.org"),
        confirmed=True,
    )
    request_status_change(
        request=reported, actor=place.county_inspector, status="investigating", notify=False
    )
    request_note_add(request=reported, actor=place.county_inspector, text="INTERNAL-NOTE-ZX81")
    hidden = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Hidden report QWERTY",
        description="Spam spam spam",
        reporter_email="rosalind.private@reporter.example",
        notify=False,
    )
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    paths = []
    for fmt in ("xml", "json"):
        paths += [
            f"discovery.{fmt}",
            f"services.{fmt}",
            f"services/POT.{fmt}",
            f"services/BIN.{fmt}",
            f"requests.{fmt}",
            f"requests.{fmt}?extensions=true",
            f"requests.{fmt}?service_request_id={reported.pk},{hidden.pk}",
            f"requests.{fmt}?service_code=BIN",
            f"requests/{reported.pk}.{fmt}?extensions=true",
            f"requests/{hidden.pk}.{fmt}",
            f"servicerequestupdates.{fmt}",
            f"servicerequestupdates.{fmt}?service_request_id={reported.pk},{hidden.pk}",
            f"tokens/{reported.pk}.{fmt}",
        ]
    outputs = [posted.content.decode()]
    for path in paths:
        response = client.get(f"{BASE}/{path}")
        assert response.status_code in (200, 404), path
        outputs.append(response.content.decode())
    everything = "\n".join(outputs)
    # The request itself is there: the search is meaningful.
    assert "A deep pothole outside number 4." in everything
    for secret in SECRETS:
        assert secret not in everything, secret
