""" "Already reported?" in the report journey: offered only when it could be the same problem,
a "me too" in one step instead of a copy, and "different problem" carries on as before."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from openlocal.requests.models import Request, Supporter
from openlocal.requests.services import request_create, request_hide, request_status_change
from openlocal.subscriptions.models import Subscription, SubscriptionSource

pytestmark = pytest.mark.django_db

#: Where the reporter says the problem is: in West Testshire, where the county fixes roads.
HERE = (50.7, -3.55)


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def existing(place, *, at=(50.70018, -3.55), category=None, **kwargs) -> Request:
    """A request already reported, 20 m north of HERE by default."""
    category = category or place.pothole
    values = {
        "category": category,
        "latitude": at[0],
        "longitude": at[1],
        "title": "Deep pothole by the bus stop",
        "description": "A deep hole in the road by the bus stop.",
        "notify": False,
    }
    if category == place.pothole:
        values["answers"] = {"depth": "deep"}
    values.update(kwargs)
    return request_create(**values)


def start(client, place, category=None, point=HERE):
    client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": str(point[0]), "longitude": str(point[1])},
    )
    return client.post(reverse("web:report-category"), {"category": (category or place.pothole).pk})


def small_jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="JPEG")
    return SimpleUploadedFile("hole.jpg", out.getvalue(), content_type="image/jpeg")


def finish(client) -> None:
    """Details, about you and send, as a reporter with a different problem would."""
    client.post(
        reverse("web:report-details"),
        {
            "title": "Sunken drain cover",
            "description": "The cover has sunk.",
            "answer_depth": "deep",
        },
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    client.post(reverse("web:report-check"))


def test_a_nearby_open_request_is_offered_before_the_details(client, place) -> None:
    found = existing(place)
    response = start(client, place)
    assert response["Location"] == reverse("web:report-duplicates")

    page = client.get(reverse("web:report-duplicates"))
    assert page.status_code == 200
    body = text(page)
    assert "Has your problem already been reported?" in body
    assert f"Request #{found.pk}: Deep pothole by the bus stop" in body
    assert "About 20 m away" in body
    assert "Reported just now" in body
    assert "Nobody has said they have this problem yet" in body
    assert "This is my problem (request #" in body
    assert "say me too and follow it" in body
    assert "No, mine is a different problem" in body
    html = page.content.decode()
    assert f'href="{found.get_absolute_url()}"' in html
    assert f'id="email-{found.pk}"' in html
    # The back link goes to the question before (the category).
    assert f'href="{reverse("web:report-category")}"' in html
    # Later pages refuse to be skipped to while it is unanswered.
    assert client.get(reverse("web:report-details"))["Location"] == reverse("web:report-duplicates")


@pytest.mark.parametrize(
    "why", ["closed", "too far", "another group", "hidden", "too old"], ids=str
)
def test_no_candidate_means_no_question(client, place, why) -> None:
    if why == "closed":
        found = existing(place)
        request_status_change(
            request=found, actor=place.county_inspector, status="fixed", notify=False
        )
    elif why == "too far":
        existing(place, at=(50.7012, -3.55))  # about 130 m away; the radius is 50 m
    elif why == "another group":
        existing(place, category=place.fly_tipping, title="Sofa dumped on the verge")
    elif why == "hidden":
        root = get_user_model().objects.create_superuser("root@example.org", "root@example.org")
        request_hide(request=existing(place), actor=root, reason="Abuse")
    else:
        existing(place, created_at=timezone.now() - timedelta(days=400))
    response = start(client, place)
    assert response["Location"] == reverse("web:report-details")
    # The step is not part of this journey: its address goes straight on, and the details
    # page's back link skips it.
    assert client.get(reverse("web:report-duplicates"))["Location"] == reverse("web:report-details")
    details = client.get(reverse("web:report-details")).content.decode()
    assert f'href="{reverse("web:report-category")}"' in details
    assert reverse("web:report-duplicates") not in details


def test_the_same_asset_is_first_and_says_so(client, place) -> None:
    # Nearer to the lamp, but not on it.
    near = existing(
        place, category=place.streetlight, at=(50.70002, -3.55), title="Street dark tonight"
    )
    on_lamp = existing(
        place,
        category=place.streetlight,
        at=(50.7, -3.55),
        asset=place.lamp,
        title="Lamp flickering",
    )
    start(client, place, place.streetlight, point=(50.70005, -3.55005))
    response = client.post(reverse("web:report-asset"), {"asset": place.lamp.pk})
    assert response["Location"] == reverse("web:report-duplicates")
    body = text(client.get(reverse("web:report-duplicates")))
    assert body.index(f"Request #{on_lamp.pk}") < body.index(f"Request #{near.pk}")
    assert "On the same streetlight" in body
    assert "Less than 10 m away" in body


def test_me_too_counts_once_and_lands_on_the_request(client, place) -> None:
    found = existing(place)
    start(client, place)
    response = client.post(
        reverse("web:report-duplicates"), {"answer": "me-too", "request": found.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == found.get_absolute_url()
    assert "report_draft" not in client.session
    page = client.get(response["Location"])
    body = text(page)
    assert f"You said request #{found.pk} is your problem too" in body
    assert "1 person has this problem" in body
    found.refresh_from_db()
    assert found.supporter_count == 1
    assert Request.private_objects.count() == 1

    # The same browser starts again and says "me too" again: still counted once.
    start(client, place)
    response = client.post(
        reverse("web:report-duplicates"), {"answer": "me-too", "request": found.pk}, follow=True
    )
    assert f"You had already said request #{found.pk} is your problem too" in text(response)
    found.refresh_from_db()
    assert found.supporter_count == 1
    assert Supporter.objects.filter(request=found).count() == 1


def test_me_too_with_an_email_follows_by_a_confirmed_link(
    client, place, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    found = existing(place)
    start(client, place)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:report-duplicates"),
            {"answer": "me-too", "request": found.pk, "email": " Sam@Example.org "},
            follow=True,
        )
    body = text(response)
    assert "We have sent you an email" in body
    assert "sam@example.org" not in body.lower()
    subscription = Subscription.objects.get(target_key=f"request:{found.pk}", person__isnull=False)
    assert subscription.person is not None
    assert subscription.person.email.lower() == "sam@example.org"
    assert subscription.source == SubscriptionSource.SUPPORTER
    assert subscription.confirmed_at is None
    assert [m.to for m in mailoutbox] == [[subscription.person.email]]
    assert "Confirm" in mailoutbox[0].subject
    supporter = Supporter.objects.get(request=found)
    assert supporter.person_id == subscription.person_id
    found.refresh_from_db()
    # Public counts: one supporter now; a follower only once the link is clicked.
    assert (found.supporter_count, found.follower_count) == (1, 0)


def test_a_bad_email_is_explained_by_its_own_box(client, place) -> None:
    found = existing(place)
    start(client, place)
    response = client.post(
        reverse("web:report-duplicates"),
        {"answer": "me-too", "request": found.pk, "email": "not an email"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#email-{found.pk}"' in html
    assert "Enter an email address in the correct format" in html
    assert 'value="not an email"' in html
    found.refresh_from_db()
    assert found.supporter_count == 0
    assert "report_draft" in client.session


def test_a_request_no_longer_offered_cannot_be_supported_from_here(client, place) -> None:
    found = existing(place)
    far = existing(place, at=(50.75, -3.55), title="Somewhere else")
    start(client, place)
    response = client.post(
        reverse("web:report-duplicates"), {"answer": "me-too", "request": far.pk}
    )
    assert response.status_code == 400
    assert "That report is no longer open" in text(response)
    assert 'href="#candidates"' in response.content.decode()
    response = client.post(reverse("web:report-duplicates"), {"answer": "whatever"})
    assert response.status_code == 400
    for request in (found, far):
        request.refresh_from_db()
        assert request.supporter_count == 0


def test_a_different_problem_carries_on_and_is_reported(client, place) -> None:
    found = existing(place)
    start(client, place)
    response = client.post(reverse("web:report-duplicates"), {"answer": "different"})
    assert response["Location"] == reverse("web:report-details")
    details = client.get(reverse("web:report-details")).content.decode()
    assert f'href="{reverse("web:report-duplicates")}"' in details  # back link
    finish(client)
    created = Request.private_objects.exclude(pk=found.pk).get()
    assert created.title == "Sunken drain cover"
    found.refresh_from_db()
    assert found.supporter_count == 0
    # The answer stands for the rest of the journey: "Change" the category to the same one.
    start(client, place)
    client.post(reverse("web:report-duplicates"), {"answer": "different"})
    client.post(
        reverse("web:report-details"),
        {"title": "Another", "description": "Another hole.", "answer_depth": "deep"},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    response = client.post(reverse("web:report-category"), {"category": place.pothole.pk})
    assert response["Location"] == reverse("web:report-check")


def test_moving_the_report_asks_again_and_me_too_discards_the_draft(client, place) -> None:
    found = existing(place)
    # A draft made far from it, with a photo, reaches the check page unasked.
    start(client, place, point=(50.72, -3.55))
    client.post(
        reverse("web:report-details"),
        {
            "title": "Hole",
            "description": "Deep hole by the bus stop.",
            "answer_depth": "deep",
            "photos": [small_jpeg()],
        },
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    photo = client.session["report_draft"]["photos"][0]["name"]
    assert default_storage.exists(photo)
    # "Change" the location to where the earlier report is.
    response = client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": str(HERE[0]), "longitude": str(HERE[1])},
    )
    assert response["Location"] == reverse("web:report-duplicates")
    response = client.post(
        reverse("web:report-duplicates"), {"answer": "me-too", "request": found.pk}
    )
    assert response["Location"] == found.get_absolute_url()
    assert not default_storage.exists(photo)
    assert "report_draft" not in client.session
    assert Request.private_objects.count() == 1


def test_the_step_needs_the_earlier_answers(place) -> None:
    existing(place)
    client = Client()
    assert client.get(reverse("web:report-duplicates"))["Location"] == reverse("web:report")
    response = client.post(reverse("web:report-duplicates"), {"answer": "different"})
    assert response["Location"] == reverse("web:report")


def test_me_too_from_the_journey_shares_the_rate_limit(client, place, settings) -> None:
    settings.SUPPORT_RATE = "1/h"
    found = existing(place)
    other = existing(place, at=(50.70009, -3.55), title="Second hole")
    start(client, place)
    client.post(reverse("web:report-duplicates"), {"answer": "me-too", "request": found.pk})
    start(client, place)
    response = client.post(
        reverse("web:report-duplicates"), {"answer": "me-too", "request": other.pk}
    )
    assert response.status_code == 429
    other.refresh_from_db()
    assert other.supporter_count == 0
