"""The request page: follow by email, "me too" that also follows, counts (never who), the
Atom feed, and what a merge and its undoing look like from both requests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from openlocal.requests.merging import request_merge, request_unmerge
from openlocal.requests.models import Request, UpdateKind
from openlocal.requests.services import request_create
from openlocal.subscriptions.models import Subscription, SubscriptionSource
from openlocal.web import presenters

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def pothole(place, title: str = "Deep pothole outside the school", **kwargs) -> Request:
    values = {
        "category": place.pothole,
        "latitude": 50.7,
        "longitude": -3.55,
        "title": title,
        "description": "Cars swerve round it.",
        "answers": {"depth": "deep"},
        "notify": False,
    }
    values.update(kwargs)
    return request_create(**values)


@pytest.mark.django_db
def test_the_page_has_a_follow_form_a_feed_and_counts(client, place) -> None:
    req = pothole(place, reporter_email="reporter@private.example")
    response = client.get(req.get_absolute_url())
    html = response.content.decode()
    form = re.search(
        r'<form method="post" action="'
        + re.escape(reverse("subscriptions:follow"))
        + r'".*?</form>',
        html,
        flags=re.S,
    )
    assert form is not None, "the page has a follow form"
    follow_form = form.group(0)
    assert 'name="csrfmiddlewaretoken"' in follow_form
    assert f'name="target" value="request:{req.pk}"' in follow_form
    assert f'name="next" value="{req.get_absolute_url()}"' in follow_form
    assert 'name="email"' in follow_form and 'type="email"' in follow_form
    assert 'value="immediate"' in follow_form and 'value="digest"' in follow_form
    feed = reverse("feeds:request", args=[req.pk])
    assert f'href="{feed}"' in html
    assert (
        f'rel="alternate" type="application/atom+xml" title="Updates to request #{req.pk}"' in html
    )
    body = text(response)
    # The reporter follows their own request: counted, never named.
    assert "1 follower gets updates" in body
    assert "Nobody has said they have this problem yet" in body
    assert "reporter@private.example" not in html


@pytest.mark.django_db
def test_following_from_the_page_sends_a_confirmation(
    client, place, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    req = pothole(place)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("subscriptions:follow"),
            {
                "target": f"request:{req.pk}",
                "email": "walker@example.org",
                "channel": "digest",
                "next": req.get_absolute_url(),
            },
        )
    assert response.status_code == 200
    subscription = Subscription.objects.get(target_key=f"request:{req.pk}")
    assert subscription.channel == "digest"
    assert subscription.confirmed_at is None
    assert [m.to for m in mailoutbox] == [["walker@example.org"]]


@pytest.mark.django_db
def test_me_too_with_an_email_also_follows(
    client, place, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    req = pothole(place)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:support", args=[req.pk]), {"email": "fan@example.org"}, follow=True
        )
    body = text(response)
    assert "Thank you — 1 person has this problem" in body
    assert "We have sent you an email" in body
    assert "fan@example.org" not in response.content.decode()
    subscription = Subscription.objects.get(target_key=f"request:{req.pk}")
    assert subscription.source == SubscriptionSource.SUPPORTER
    assert [m.to for m in mailoutbox] == [["fan@example.org"]]

    # Saying it again sends nothing more and counts nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:support", args=[req.pk]), {"email": "FAN@example.org"})
    req.refresh_from_db()
    assert req.supporter_count == 1
    assert Subscription.objects.filter(target_key=f"request:{req.pk}").count() == 1


@pytest.mark.django_db
def test_me_too_without_an_email_follows_nobody(client, place) -> None:
    req = pothole(place)
    response = client.post(reverse("web:support", args=[req.pk]), follow=True)
    assert "Thank you — 1 person has this problem" in text(response)
    assert "We have sent you an email" not in text(response)
    assert not Subscription.objects.filter(target_key=f"request:{req.pk}").exists()


@pytest.mark.django_db
def test_a_merge_and_its_undoing_on_both_pages(client, place) -> None:
    original = pothole(place, title="The first report")
    copy = pothole(place, title="The second report")
    request_merge(duplicate=copy, into=original, actor=place.county_inspector)

    response = client.get(copy.get_absolute_url())
    html = response.content.decode()
    body = text(response)
    assert "This request is a duplicate of #" in body
    assert f"#{original.pk}: The first report" in body
    assert 'class="govuk-notification-banner"' in html
    assert f'href="{original.get_absolute_url()}"' in html
    assert f"Merged into request #{original.pk}" in body
    # The forms are on the original now; the duplicate points there.
    assert f'action="{reverse("web:support", args=[copy.pk])}"' not in html
    assert f'href="{original.get_absolute_url()}#support"' in html
    body = text(client.get(original.get_absolute_url()))
    assert f"Request #{copy.pk} was merged into this one" in body

    request_unmerge(duplicate=copy, actor=place.county_inspector)
    response = client.get(copy.get_absolute_url())
    body = text(response)
    assert "This request is a duplicate of" not in body
    assert f"No longer a duplicate of request #{original.pk}" in body
    assert f'action="{reverse("web:support", args=[copy.pk])}"' in response.content.decode()
    body = text(client.get(original.get_absolute_url()))
    assert f"Request #{copy.pk} was separated from this one" in body
    assert "Merge undone" in body


def test_merge_words_from_each_side() -> None:
    assert presenters.merge_words({"into": 4}) == ("Merged", "Merged into request #4")
    assert presenters.merge_words({"from": 9}) == (
        "Merged",
        "Request #9 was merged into this one",
    )
    assert presenters.merge_words({"undone_into": 4}) == (
        "Merge undone",
        "No longer a duplicate of request #4",
    )
    assert presenters.merge_words({"undone_from": 9}) == (
        "Merge undone",
        "Request #9 was separated from this one",
    )
    entry = presenters.timeline_entry(
        kind=UpdateKind.MERGED,
        text="",
        old_status="duplicate",
        new_status="new",
        author_name="",
        body_name="Testshire County Council",
        data={"undone_into": 4},
        created_at=NOW,
    )
    assert entry.heading == "Merge undone"
    assert entry.lines == ("No longer a duplicate of request #4",)


def test_counts_and_nearness_in_words() -> None:
    assert presenters.followers_line(0) == "Nobody follows this request yet"
    assert presenters.followers_line(1) == "1 follower gets updates"
    assert presenters.followers_line(1200) == "1,200 followers get updates"
    assert presenters.nearness_text(3) == "less than 10 m away"
    assert presenters.nearness_text(21) == "about 20 m away"
    assert (
        presenters.nearness_text(40, same_asset=True, asset_kind="Streetlight")
        == "on the same streetlight"
    )
    assert presenters.follow_outcome(needs_confirmation=False, created=False) == (
        "You already get updates about this request."
    )
