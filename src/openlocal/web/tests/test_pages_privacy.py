"""No public page shows a reporter's identity, an internal note or a hidden request."""

from __future__ import annotations

import pytest

from openlocal.requests.services import (
    request_comment,
    request_create,
    request_hide,
    request_note_add,
    request_status_change,
)

pytestmark = pytest.mark.django_db

EMAIL = "rosalind.private@reporter.example"
NAME = "Rosalind Privateperson"
NOTE = "INTERNAL-NOTE-ZX81"
HIDDEN_TITLE = "Hidden report QWERTY"


@pytest.fixture
def published(place):
    lamp_report = request_create(
        category=place.streetlight,
        latitude=50.7,
        longitude=-3.55,
        title="Lamp out by the school",
        description="Dark at night",
        asset=place.lamp,
        reporter_email=EMAIL,
        reporter_name=NAME,
        reporter_name_public=False,
        notify=False,
    )
    request_status_change(
        request=lamp_report, actor=place.county_inspector, status="investigating", notify=False
    )
    request_comment(request=lamp_report, actor=place.county_inspector, text="Looking into it")
    request_note_add(request=lamp_report, actor=place.county_inspector, text=NOTE)
    hidden = request_create(
        category=place.missed_bin,
        latitude=50.7,
        longitude=-3.55,
        title=HIDDEN_TITLE,
        description="Spam",
        asset=None,
        reporter_email=EMAIL,
        reporter_name=NAME,
        notify=False,
    )
    request_hide(request=hidden, actor=place.west_manager, reason="Spam")
    return lamp_report, hidden


def _public_pages(lamp_report) -> list[str]:
    return [
        "/",
        "/places/",
        "/around?q=West+Testshire",
        "/around?q=50.7,-3.55",
        "/requests/",
        "/requests/?q=school",
        "/requests/map.json",
        f"/requests/{lamp_report.pk}",
        "/areas/testshire",
        "/areas/west-testshire",
        "/bodies/testshire",
        "/bodies/west",
        "/categories/streetlight",
        "/categories/missed-bin",
        "/assets/streetlight/SL-0001",
    ]


def test_no_page_leaks_private_details(client, published) -> None:
    lamp_report, hidden = published
    for path in _public_pages(lamp_report):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert EMAIL not in html, path
        assert NAME not in html, path
        assert "Rosalind" not in html, path
        assert NOTE not in html, path
        assert HIDDEN_TITLE not in html, path
        assert f'/requests/{hidden.pk}"' not in html, path
    assert client.get(f"/requests/{hidden.pk}").status_code == 404


def test_request_page_after_me_too_still_private(client, published) -> None:
    lamp_report, _hidden = published
    response = client.post(
        f"/requests/{lamp_report.pk}/support", {"email": "supporter@example.com"}, follow=True
    )
    html = response.content.decode()
    assert "Thank you — 1 person has this problem" in html
    for secret in (EMAIL, NAME, NOTE, "supporter@example.com"):
        assert secret not in html
