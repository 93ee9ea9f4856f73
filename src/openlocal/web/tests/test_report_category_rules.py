"""The report journey and the request page for categories with rules: a stop notice instead
of the form, a photo that must be added, and private requests that only their reporter (in
the browser that sent them, or through the link emailed to them) and staff can see."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.requests import access
from openlocal.requests.models import Photo, Request
from openlocal.requests.services import request_category_change, request_comment
from openlocal.requests.tests.category_rules import GAS_NOTICE, jpeg_upload, rule_categories

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def start(client, place, category) -> None:
    client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": place.west_point[0], "longitude": place.west_point[1]},
    )
    client.post(reverse("web:report-category"), {"category": category.pk})


def without_nonce(response) -> str:
    return re.sub(r'nonce="[^"]*"', 'nonce=""', response.content.decode())


@pytest.fixture
def rules(place):
    return rule_categories(place)


# Stop notices -------------------------------------------------------------------------------


def test_a_stop_notice_category_shows_the_notice_instead_of_the_form(client, place, rules):
    client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": place.west_point[0], "longitude": place.west_point[1]},
    )
    choices = text(client.get(reverse("web:report-category")))
    assert "Gas leak Not reported here: choose it to see what to do instead" in choices

    response = client.post(reverse("web:report-category"), {"category": rules.gas.pk})
    assert response["Location"] == reverse("web:report-stop")
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "govuk-warning-text" in html
    assert GAS_NOTICE in text(page)
    assert "Do not report this here" in text(page)
    assert "<form" not in html.split('id="stop-notice"')[1].split("Start again")[0]

    # No question past the category can be reached, nor can the report be sent.
    for step in ("web:report-details", "web:report-about-you", "web:report-check"):
        assert client.get(reverse(step))["Location"] == reverse("web:report-stop"), step
    assert client.post(reverse("web:report-check"))["Location"] == reverse("web:report-stop")
    assert not Request.private_objects.exists()

    # Choosing another category carries on as usual.
    response = client.post(reverse("web:report-category"), {"category": place.missed_bin.pk})
    assert response["Location"] == reverse("web:report-details")
    assert client.get(reverse("web:report-stop"))["Location"] == reverse("web:report-details")


def test_a_notice_added_while_the_draft_was_written_stops_it_at_sending(client, place, rules):
    start(client, place, place.missed_bin)
    client.post(reverse("web:report-details"), {"title": "Gas?", "description": "A smell."})
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    place.missed_bin.stop_notice = "Call the council's emergency line on 01234 567890."
    place.missed_bin.save()

    response = client.post(reverse("web:report-check"))

    assert response["Location"] == reverse("web:report-stop")
    assert "01234 567890" in text(client.get(response["Location"]))
    assert not Request.private_objects.exists()


# Photos -------------------------------------------------------------------------------------


def test_a_category_that_needs_a_photo_refuses_the_details_without_one(client, place, rules):
    start(client, place, rules.vehicle)
    page = client.get(reverse("web:report-details"))
    assert "Photos (optional)" not in text(page)
    assert "need at least one photo" in text(page)

    refused = client.post(
        reverse("web:report-details"),
        {"title": "Abandoned car", "description": "Untaxed for months."},
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "govuk-error-summary" in html
    assert 'href="#id_photos"' in html
    assert "Add a photo: reports of “Abandoned vehicle” need at least one" in text(refused)
    assert "details" not in client.session["report_draft"]

    accepted = client.post(
        reverse("web:report-details"),
        {"title": "Abandoned car", "description": "Untaxed.", "photos": [jpeg_upload()]},
    )
    assert accepted["Location"] == reverse("web:report-about-you")
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    sent = client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert sent["Location"] == reverse("web:report-done", args=[created.pk])
    assert Photo.private_objects.filter(request=created).count() == 1


def test_removing_the_only_photo_of_a_photo_category_is_refused(client, place, rules):
    start(client, place, rules.vehicle)
    client.post(
        reverse("web:report-details"),
        {"title": "Abandoned car", "description": "Untaxed.", "photos": [jpeg_upload()]},
    )
    [held] = client.session["report_draft"]["photos"]

    refused = client.post(
        reverse("web:report-details"),
        {"title": "Abandoned car", "description": "Untaxed.", "remove_photos": [held["name"]]},
    )

    assert refused.status_code == 200
    assert "Add a photo" in text(refused)
    assert client.session["report_draft"]["photos"] == [held]


# Private requests ---------------------------------------------------------------------------

SECRET_TITLE = "Needles by the swings 4e1d"


def send_private_report(client, place, rules, email="reporter@example.org"):
    start(client, place, rules.needles)
    details = client.get(reverse("web:report-details"))
    client.post(
        reverse("web:report-details"),
        {"title": SECRET_TITLE, "description": "Three syringes under the swings."},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous", "email": email})
    check = client.get(reverse("web:report-check"))
    response = client.post(reverse("web:report-check"))
    return details, check, response


def test_the_journey_says_a_private_report_is_private_and_why_before_sending(
    client, place, rules, mailoutbox, django_capture_on_commit_callbacks
):
    client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": place.west_point[0], "longitude": place.west_point[1]},
    )
    choices = text(client.get(reverse("web:report-category")))
    assert "Private: only you and their staff see the report" in choices

    with django_capture_on_commit_callbacks(execute=True):
        details, check, response = send_private_report(client, place, rules)

    for page in (details, check):
        body = text(page)
        assert "Reports of “Discarded needles” are private" in body
        assert "only you and the staff of West Testshire District Council" in body
        assert "because reports like this can put people at risk" in body
        assert "will be public" not in body
    created = Request.private_objects.get()
    assert created.private
    done = text(client.get(response["Location"]))
    assert "Your report is private" in done
    assert "Anyone can see it" not in done

    [confirmation] = mailoutbox
    assert "Reports in this category are private" in confirmation.body
    assert "Anyone can see it" not in confirmation.body
    assert access.reporter_path(created.pk).split("/view/")[0] in confirmation.body


def test_the_browser_that_sent_it_sees_it_and_anyone_else_gets_the_missing_page(
    client, place, rules
):
    send_private_report(client, place, rules)
    created = Request.private_objects.get()
    request_comment(
        request=created, actor=_west_inspector(place), text="Our sharps team is on the way."
    )

    own = client.get(created.get_absolute_url())
    assert own.status_code == 200
    assert SECRET_TITLE in text(own)
    assert "Our sharps team is on the way." in text(own)
    assert "Only you and the staff of West Testshire District Council" in text(own)
    assert own["Cache-Control"] == "private, no-store"
    assert "noindex" in own["X-Robots-Tag"]
    html = own.content.decode()
    # Nobody else can follow or support it, so neither form is offered; no feed either.
    assert reverse("web:support", args=[created.pk]) not in html
    assert reverse("subscriptions:follow") not in html
    assert "application/atom+xml" not in html

    stranger = Client()
    missing = stranger.get(created.get_absolute_url())
    nowhere = stranger.get(reverse("web:request", args=[created.pk + 1000]))
    assert missing.status_code == nowhere.status_code == 404
    # The same page, but for the per-response script nonce.
    assert without_nonce(missing) == without_nonce(nowhere)
    assert stranger.post(reverse("web:support", args=[created.pk])).status_code == 404


def test_the_emailed_link_lets_another_browser_see_it_and_a_forged_one_does_not(
    client, place, rules, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_private_report(client, place, rules)
    created = Request.private_objects.get()
    found = re.search(r"https?://\S+/view/\S+", mailoutbox[0].body)
    assert found, mailoutbox[0].body
    link = found.group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    phone = Client()
    opened = phone.get("/" + path)
    assert opened.status_code == 302
    assert opened["Location"] == created.get_absolute_url()
    assert opened["Referrer-Policy"] == "no-referrer"
    assert SECRET_TITLE in text(phone.get(created.get_absolute_url()))

    forger = Client()
    other = access.reporter_path(created.pk + 1).rsplit("/", 1)[1]
    for bad in (
        f"/requests/{created.pk}/view/{other}",
        f"/requests/{created.pk}/view/{path.rsplit('/', 1)[1][:-2]}xx",
    ):
        assert forger.get(bad).status_code == 404, bad
    assert forger.get(created.get_absolute_url()).status_code == 404


def test_photos_of_a_private_request_are_served_to_its_reporter_only(client, place, rules):
    start(client, place, rules.needles)
    client.post(
        reverse("web:report-details"),
        {"title": SECRET_TITLE, "description": "Under the swings.", "photos": [jpeg_upload()]},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    client.post(reverse("web:report-check"))
    photo = Photo.private_objects.get()
    url = photo.image.url

    assert url in client.get(photo.request.get_absolute_url()).content.decode()
    served = client.get(url)
    assert served.status_code == 200
    assert served["Cache-Control"] == "private, no-store"
    assert Client().get(url).status_code == 404


def test_staff_moving_a_request_into_a_private_category_takes_its_page_down(client, place, rules):
    start(client, place, place.fly_tipping)
    client.post(
        reverse("web:report-details"),
        {"title": "Bag of syringes dumped", "description": "In the lay-by.", "answer_what": "bags"},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    stranger = Client()
    assert stranger.get(created.get_absolute_url()).status_code == 200

    request_category_change(request=created, actor=place.west_manager, category=rules.needles)

    assert stranger.get(created.get_absolute_url()).status_code == 404
    # The browser that reported it still sees it.
    assert client.get(created.get_absolute_url()).status_code == 200


def test_a_private_categorys_page_explains_and_offers_nothing_to_follow(client, place, rules):
    page = client.get(reverse("web:category", args=[rules.needles.slug]))
    body = text(page)
    assert "Requests in this category are private" in body
    assert "Get emails" not in body
    gas = text(client.get(reverse("web:category", args=[rules.gas.slug])))
    assert GAS_NOTICE in gas
    vehicle = text(client.get(reverse("web:category", args=[rules.vehicle.slug])))
    assert "At least one photo is needed with each report" in vehicle


def _west_inspector(place):
    from openlocal.places.models import Membership, Role

    Membership.objects.update_or_create(
        user=place.west_manager, body=place.west_council, defaults={"role": Role.MANAGER}
    )
    return place.west_manager
