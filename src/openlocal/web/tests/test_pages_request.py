"""The public page of one request, and "me too"."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from PIL import Image

from openlocal.requests.models import Photo, Request
from openlocal.requests.services import (
    request_category_change,
    request_comment,
    request_create,
    request_hide,
    request_note_add,
    request_reassign,
    request_status_change,
)

pytestmark = pytest.mark.django_db


def _pothole(place, **kwargs) -> Request:
    values = {
        "category": place.pothole,
        "latitude": 50.7,
        "longitude": -3.55,
        "title": "Deep pothole outside the school",
        "description": "Cars swerve round it.\nIt fills with water.",
        "answers": {"depth": "deep"},
        "reporter_email": "reporter@private.example",
        "reporter_name": "Rosalind Private",
        "address": "12 High Street",
        "notify": False,
    }
    values.update(kwargs)
    return request_create(**values)


def _png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="hole.png")


def test_request_page_shows_the_public_facts(client, place) -> None:
    req = _pothole(place, asset=None)
    request_status_change(
        request=req, actor=place.county_inspector, status="acknowledged", notify=False
    )
    request_comment(request=req, actor=place.county_inspector, text="An inspector will visit.")
    response = client.get(f"/requests/{req.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Deep pothole outside the school",
        "Acknowledged",
        "Pothole",
        'href="/bodies/testshire"',
        "by Anonymous",
        "50.70000, -3.55000",
        "12 High Street",
        "How deep is it?",
        "5 cm or deeper",
        "Cars swerve round it.",
        "Status changed from New to Acknowledged",
        "An inspector will visit.",
        "Ivy Inspector, Testshire County Council",
        'data-ol-map="show"',
        f'action="/requests/{req.pk}/support"',
    ]:
        assert text in html, text
    assert html.index("Reported</h3>") < html.index("Status changed from New to Acknowledged")
    assert html.index("Status changed from New") < html.index("An inspector will visit.")


def test_public_reporter_name_shown_only_when_agreed(client, place) -> None:
    req = _pothole(place, reporter_name="Jo Public", reporter_name_public=True)
    html = client.get(f"/requests/{req.pk}").content.decode()
    assert "by Jo Public" in html
    assert "reporter@private.example" not in html


def test_asset_and_photos(client, place) -> None:
    req = _pothole(
        place,
        category=place.streetlight,
        answers={},
        asset=place.lamp,
        photos=[_png(), _png()],
    )
    Photo.private_objects.filter(request=req).update(alt_text="The dark lamp column")
    hidden = Photo.private_objects.filter(request=req).last()
    assert hidden is not None
    Photo.private_objects.filter(pk=hidden.pk).update(hidden=True)
    html = client.get(f"/requests/{req.pk}").content.decode()
    assert 'href="/assets/streetlight/SL-0001"' in html
    assert "Column 1, High Street" in html
    assert html.count('alt="The dark lamp column"') == 1
    assert hidden.image.url not in html


def test_internal_notes_never_appear(client, place) -> None:
    req = _pothole(place)
    request_note_add(request=req, actor=place.county_inspector, text="Ring the contractor XYZZY")
    html = client.get(f"/requests/{req.pk}").content.decode()
    assert "XYZZY" not in html
    assert "Internal note" not in html


def test_category_change_and_reassignment_in_timeline(client, place) -> None:
    req = _pothole(
        place,
        category=place.missed_bin,
        answers={},
        title="Bin not emptied",
        latitude=place.west_point[0],
        longitude=place.west_point[1],
    )
    request_category_change(request=req, actor=place.west_manager, category=place.fly_tipping)
    req.refresh_from_db()
    request_reassign(request=req, actor=place.west_manager, body=place.east_council)
    html = client.get(f"/requests/{req.pk}").content.decode()
    assert "Category changed from Missed bin collection to Fly-tipping" in html
    assert "Passed from West Testshire District Council to East Testshire District Council" in html


def test_hidden_request_is_404_in_our_layout(client, place) -> None:
    req = _pothole(place, category=place.missed_bin, answers={}, latitude=50.7, longitude=-3.55)
    request_hide(request=req, actor=place.west_manager, reason="Abusive")
    response = client.get(f"/requests/{req.pk}")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.post(f"/requests/{req.pk}/support").status_code == 404


def test_duplicate_links_to_the_original_only_if_public(client, place) -> None:
    original = _pothole(place, title="The first report")
    copy = _pothole(place, title="The second report")
    Request.private_objects.filter(pk=copy.pk).update(duplicate_of=original, status="duplicate")
    html = client.get(f"/requests/{copy.pk}").content.decode()
    assert "This request is a duplicate of" in html
    assert f'href="/requests/{original.pk}"' in html
    Request.private_objects.filter(pk=original.pk).update(hidden=True)
    html = client.get(f"/requests/{copy.pk}").content.decode()
    assert "This request is a duplicate of" not in html
    assert "The first report" not in html


def test_me_too_counts_a_session_once(client, place) -> None:
    req = _pothole(place)
    response = client.post(f"/requests/{req.pk}/support", follow=True)
    html = response.content.decode()
    assert "Thank you — 1 person has this problem" in html
    response = client.post(f"/requests/{req.pk}/support", follow=True)
    assert "You have already said you have this problem" in response.content.decode()
    req.refresh_from_db()
    assert req.supporter_count == 1


def test_me_too_counts_an_email_once(client, place, django_user_model) -> None:
    req = _pothole(place)
    client.post(f"/requests/{req.pk}/support")
    other = type(client)()
    response = other.post(f"/requests/{req.pk}/support", {"email": "Fan@Example.com"}, follow=True)
    assert "Thank you — 2 people have this problem" in response.content.decode()
    third = type(client)()
    response = third.post(f"/requests/{req.pk}/support", {"email": "fan@example.com "}, follow=True)
    html = response.content.decode()
    assert "You have already said you have this problem" in html
    assert "fan@example.com" not in html.lower()
    req.refresh_from_db()
    assert req.supporter_count == 2


def test_me_too_rejects_a_bad_email(client, place) -> None:
    req = _pothole(place)
    response = client.post(f"/requests/{req.pk}/support", {"email": "not-an-email"})
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()
    req.refresh_from_db()
    assert req.supporter_count == 0


def test_me_too_is_post_only(client, place) -> None:
    req = _pothole(place)
    assert client.get(f"/requests/{req.pk}/support").status_code == 405


@override_settings(SUPPORT_RATE="2/h")
def test_me_too_is_rate_limited(client, place) -> None:
    req = _pothole(place)
    assert client.post(f"/requests/{req.pk}/support").status_code == 302
    assert client.post(f"/requests/{req.pk}/support").status_code == 302
    response = client.post(f"/requests/{req.pk}/support")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_unknown_request_is_404(client, place) -> None:
    response = client.get("/requests/999999")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
