"""Every mistake a reporter can make gets a clear message on the page that can fix it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from openlocal.requests.models import Request


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def error_summary(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, flags=re.S)
    assert match, "the page has an error summary"
    return match.group(0)


def small_jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def to_details(client, place, category=None):
    client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": "50.7", "longitude": "-3.55"}
    )
    client.post(reverse("web:report-category"), {"category": (category or place.pothole).pk})


def to_check(client, place):
    to_details(client, place, place.missed_bin)
    # Earlier reports here are offered as "already reported?": this is a different problem.
    client.post(reverse("web:report-duplicates"), {"answer": "different"})
    client.post(reverse("web:report-details"), {"title": "Bins", "description": "Missed."})
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})


def post_location(client, latitude, longitude):
    return client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": latitude, "longitude": longitude}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("latitude", "longitude", "message", "field"),
    [
        (
            "95",
            "-3.55",
            "Latitude 95.0 is out of range: it must be between -90 and 90.",
            "latitude",
        ),
        ("50.7", "200", "Longitude 200.0 is out of range", "longitude"),
        ("fifty", "-3.55", "Latitude must be a number, for example 50.72150", "latitude"),
        ("", "-3.55", "Enter the latitude", "latitude"),
        ("50.7", "", "Enter the longitude", "longitude"),
        ("nan", "-3.55", "Latitude must be a number", "latitude"),
    ],
)
def test_bad_coordinates(client, place, latitude, longitude, message, field):
    response = post_location(client, latitude, longitude)
    assert response.status_code == 200
    assert message in text(response)
    assert f'href="#id_{field}"' in error_summary(response)
    assert f'id="id_{field}-error"' in response.content.decode()
    assert "<title>Error: " in response.content.decode()
    assert "report_draft" not in client.session


@pytest.mark.django_db
def test_a_point_outside_every_area(client, place):
    response = post_location(client, "48.8566", "2.3522")
    assert response.status_code == 200
    body = text(response)
    assert (
        "No council or other body on this site covers 48.85660, 2.35220. Check the location" in body
    )
    assert 'href="#id_latitude"' in error_summary(response)


@pytest.mark.django_db
def test_no_category_chosen(client, place):
    post_location(client, "50.7", "-3.55")
    response = client.post(reverse("web:report-category"), {})
    assert "Choose what kind of problem it is" in text(response)
    assert 'href="#id_category"' in error_summary(response)
    response = client.post(reverse("web:report-category"), {"category": "999999"})
    assert "Choose one of the kinds of problem listed" in text(response)


@pytest.mark.django_db
def test_a_category_not_handled_at_the_point_cannot_be_chosen(client, place):
    place.missed_bin.routing_rules.filter(area=place.west).delete()
    post_location(client, "50.7", "-3.55")
    assert "Missed bin collection" not in text(client.get(reverse("web:report-category")))
    response = client.post(reverse("web:report-category"), {"category": place.missed_bin.pk})
    assert "Choose one of the kinds of problem listed" in text(response)


@pytest.mark.django_db
def test_no_asset_chosen(client, place):
    post_location(client, "50.7006", "-3.5502")
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    response = client.post(reverse("web:report-asset"), {})
    assert "Choose the streetlight with the problem, or say you cannot see it" in text(response)
    assert 'href="#id_asset"' in error_summary(response)


@pytest.mark.django_db
def test_missing_title_description_and_required_answer(client, place):
    to_details(client, place)
    response = client.post(reverse("web:report-details"), {"title": "", "description": ""})
    assert response.status_code == 200
    summary = error_summary(response)
    for message, anchor in (
        ("Enter a short summary of the problem", "#id_title"),
        ("Describe the problem", "#id_description"),
        ("Answer “How deep is it?”", "#id_answer_depth"),
    ):
        assert message in summary
        assert f'href="{anchor}"' in summary
    html = response.content.decode()
    assert 'id="id_title-error"' in html and 'id="id_answer_depth-error"' in html
    assert 'id="id_answer_depth"' in html  # the first radio, where the summary link lands


@pytest.mark.django_db
def test_answer_not_among_the_options(client, place):
    to_details(client, place)
    response = client.post(
        reverse("web:report-details"),
        {"title": "Hole", "description": "Big.", "answer_depth": "bottomless"},
    )
    assert "Choose one of the answers to “How deep is it?”" in text(response)


@pytest.mark.django_db
def test_a_file_that_is_not_a_photo(client, place):
    to_details(client, place)
    response = client.post(
        reverse("web:report-details"),
        {
            "title": "Hole",
            "description": "Big.",
            "answer_depth": "deep",
            "photos": [SimpleUploadedFile("notes.txt", b"not a picture at all", "text/plain")],
        },
    )
    assert response.status_code == 200
    assert "notes.txt is not a photo we can read" in text(response)
    assert 'href="#id_photos"' in error_summary(response)
    assert "details" not in client.session["report_draft"]


@pytest.mark.django_db
def test_a_photo_that_is_too_large(client, place, settings):
    settings.PHOTO_MAX_BYTES = 100
    to_details(client, place)
    response = client.post(
        reverse("web:report-details"),
        {"title": "Hole", "description": "Big.", "answer_depth": "deep", "photos": [small_jpeg()]},
    )
    assert "photo.jpg is" in text(response)
    assert "photos must be smaller than" in text(response)
    assert 'href="#id_photos"' in error_summary(response)


@pytest.mark.django_db
def test_four_photos(client, place):
    to_details(client, place)
    response = client.post(
        reverse("web:report-details"),
        {
            "title": "Hole",
            "description": "Big.",
            "answer_depth": "deep",
            "photos": [small_jpeg(f"p{i}.jpg") for i in range(4)],
        },
    )
    assert "Add at most 3 photos to a report." in text(response)
    assert not client.session["report_draft"].get("photos")

    # Two now and two more later is four as well.
    client.post(
        reverse("web:report-details"),
        {"title": "Hole", "description": "", "photos": [small_jpeg("a.jpg"), small_jpeg("b.jpg")]},
    )
    response = client.post(
        reverse("web:report-details"),
        {
            "title": "Hole",
            "description": "Big.",
            "answer_depth": "deep",
            "photos": [small_jpeg("c.jpg"), small_jpeg("d.jpg")],
        },
    )
    assert "Add at most 3 photos to a report. You have already added 2." in text(response)


@pytest.mark.django_db
def test_bad_email_and_missing_choices_about_you(client, place):
    to_details(client, place, place.missed_bin)
    client.post(reverse("web:report-details"), {"title": "Bins", "description": "Missed."})
    response = client.post(
        reverse("web:report-about-you"), {"name": "", "show_name": "", "email": "rita at example"}
    )
    summary = error_summary(response)
    assert "Enter an email address in the correct format, like name@example.com" in summary
    assert 'href="#id_email"' in summary
    assert "Choose whether to show your name on the report or stay anonymous" in summary
    assert 'href="#id_show_name"' in summary

    response = client.post(reverse("web:report-about-you"), {"name": "", "show_name": "public"})
    assert "Enter your name, or choose to stay anonymous" in text(response)


@pytest.mark.django_db
def test_errors_found_when_sending_go_back_to_the_right_page(client, place):
    to_check(client, place)
    # The council stops handling missed bins here after the reporter chose the category.
    place.missed_bin.routing_rules.all().delete()
    response = client.post(reverse("web:report-check"))
    assert response["Location"] == reverse("web:report-category")
    assert Request.private_objects.count() == 0
    assert client.session["report_draft"]["details"]["title"] == "Bins"  # the draft is kept


@pytest.mark.django_db
def test_service_errors_are_shown_on_the_step_with_the_field(client, place):
    to_details(client, place)
    client.post(
        reverse("web:report-details"),
        {"title": "Hole", "description": "Big.", "answer_depth": "deep"},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    # The question's options change while the reporter is on the check page.
    question = place.pothole.questions.get()
    question.values = [{"key": "shallow", "name": "Shallow"}, {"key": "very", "name": "Very"}]
    question.save()
    response = client.post(reverse("web:report-check"))
    assert response["Location"] == reverse("web:report-details")
    page = client.get(response["Location"])
    assert "“deep” is not an option for “How deep is it?”" in error_summary(page)
    assert Request.private_objects.count() == 0


@pytest.mark.django_db
def test_the_third_report_in_an_hour_is_refused(client, place, settings):
    settings.REPORT_RATE = "2/h"
    for _ in range(2):
        to_check(client, place)
        response = client.post(reverse("web:report-check"))
        assert response.status_code == 302
    to_check(client, place)
    response = client.post(reverse("web:report-check"))
    assert response.status_code == 429
    assert "Too many requests from your connection" in text(response)
    assert "wait an hour and try again" in text(response)
    assert Request.private_objects.count() == 2
    assert "report_draft" in client.session  # nothing is lost: they can send it later


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused_in_our_layout(place):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": "50.7", "longitude": "-3.55"}
    )
    assert response.status_code == 403
    assert "Your form expired" in text(response)
    assert "govuk-template" in response.content.decode()
    assert "report_draft" not in client.session

    page = client.get(reverse("web:report"))
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


@pytest.mark.django_db
def test_no_page_shows_a_server_error_for_odd_input(client, place):
    for query in ({"lat": "x", "lon": "y"}, {"lat": "95", "lon": "0"}, {"q": ""}, {"q": "%"}):
        assert client.get(reverse("web:report"), query).status_code == 200
    response = client.post(reverse("web:report"), {"form": "match", "q": "", "match": "area-1"})
    assert response.status_code == 200
    assert client.get(reverse("web:report-done", args=[999999])).status_code == 302


@pytest.mark.django_db
def test_a_held_photo_that_went_missing_is_asked_for_again(client, place):
    from django.core.files.storage import default_storage

    to_details(client, place, place.missed_bin)
    client.post(
        reverse("web:report-details"),
        {"title": "Bins", "description": "Missed.", "photos": [small_jpeg("bins.jpg")]},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    default_storage.delete(client.session["report_draft"]["photos"][0]["name"])
    response = client.post(reverse("web:report-check"))
    assert response["Location"] == reverse("web:report-details")
    page = client.get(response["Location"])
    assert "We could not keep bins.jpg. Add the photo again." in error_summary(page)
    assert 'href="#id_photos"' in error_summary(page)
    assert Request.private_objects.count() == 0
