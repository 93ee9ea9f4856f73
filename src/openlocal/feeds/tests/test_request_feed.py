"""A request's feed: its public timeline, newest first, and nothing staff keep to themselves."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from openlocal.feeds.links import request_feed_url
from openlocal.feeds.tests.atom import parse_feed, report
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Status, Update
from openlocal.requests.services import (
    request_comment,
    request_hide,
    request_note_add,
    request_status_change,
)

NOTE = "Internal: the contractor is unreliable, chase them"
HIDDEN_COMMENT = "A comment a moderator took down 41b7"


def manager_of(body):
    user = get_user_model().objects.create_user("moderator@testshire.example", password="pw")
    Membership.objects.create(user=user, body=body, role=Role.MANAGER)
    return user


def worked_request(place):
    """A request with a comment, an internal note, a hidden comment and a status change."""
    start = timezone.now() - timedelta(hours=3)
    request = report(
        place,
        "Pothole outside the bakery",
        reporter_email="pat.private@example.org",
        reporter_name="Pat Private",
        minutes_ago=240,
    )
    inspector = place.county_inspector
    request_comment(
        request=request,
        actor=inspector,
        text="We will inspect it this week.",
        at=start,
        notify=False,
    )
    request_note_add(request=request, actor=inspector, text=NOTE, at=start + timedelta(minutes=5))
    hidden = request_comment(
        request=request,
        actor=inspector,
        text=HIDDEN_COMMENT,
        at=start + timedelta(minutes=10),
        notify=False,
    )
    # Moderation hides an update by flagging it; the timeline must then leave it out.
    Update.private_objects.filter(pk=hidden.pk).update(hidden=True)
    request_status_change(
        request=request,
        actor=inspector,
        status=Status.FIXED,
        message="Filled and sealed.",
        at=start + timedelta(minutes=20),
        notify=False,
    )
    return request


def test_the_timeline_is_public_entries_newest_first(place, client) -> None:
    request = worked_request(place)
    response = client.get(request_feed_url(request))
    feed = parse_feed(response)

    assert feed.titles == [
        "Status changed from New to Fixed",
        "Comment from Ivy Inspector, Testshire County Council",
        "Reported",
    ]
    fixed, comment, reported = feed.entries
    assert "Filled and sealed." in fixed.content
    assert fixed.author == "Ivy Inspector, Testshire County Council"
    assert "We will inspect it this week." in comment.content
    assert reported.author == "Anonymous"
    assert "Description of Pothole outside the bakery." in reported.content
    # Each entry links to its place on the request's page, and its id never changes.
    page = f"http://127.0.0.1:8000/requests/{request.pk}#update-"
    assert all(e.link.startswith(page) and e.id == e.link for e in feed.entries)
    assert len({e.id for e in feed.entries}) == 3
    assert parse_feed(client.get(request_feed_url(request))).entries == feed.entries
    assert fixed.updated == fixed.published
    assert feed.updated == fixed.updated


def test_the_timeline_leaves_out_notes_hidden_updates_and_private_details(place, client) -> None:
    request = worked_request(place)
    raw = client.get(request_feed_url(request)).content.decode()
    assert NOTE not in raw
    assert HIDDEN_COMMENT not in raw
    assert "pat.private@example.org" not in raw
    assert "Pat Private" not in raw
    assert "inspector@testshire.example" not in raw
    assert "highways@testshire.example" not in raw


def test_a_reporter_who_shows_their_name_is_credited(place, client) -> None:
    request = report(
        place,
        "Broken kerb",
        reporter_email="sam@example.org",
        reporter_name="Sam Shown",
        reporter_name_public=True,
    )
    feed = parse_feed(client.get(request_feed_url(request)))
    assert feed.titles == ["Reported by Sam Shown"]
    assert feed.entries[0].author == "Sam Shown"
    assert "sam@example.org" not in client.get(request_feed_url(request)).content.decode()


def test_the_feed_says_what_it_is_and_where_its_page_is(place, client) -> None:
    request = report(place, "Sunken drain cover")
    feed = parse_feed(client.get(request_feed_url(request)))
    assert feed.title == f"Request #{request.pk}: Sunken drain cover – OpenLocal"
    assert feed.subtitle.startswith(f"Every public update on request #{request.pk}")
    assert feed.alternate == f"http://127.0.0.1:8000/requests/{request.pk}"
    assert feed.self_link == f"http://127.0.0.1:8000/feeds/requests/{request.pk}"
    assert feed.id == feed.self_link
    assert feed.author == "OpenLocal"


def test_a_hidden_or_unknown_request_has_no_feed(place, client) -> None:
    request = report(place, "Offensive words")
    request_hide(request=request, actor=manager_of(request.body), reason="Abusive")
    for pk in (request.pk, request.pk + 1000):
        response = client.get(f"/feeds/requests/{pk}")
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert f"There is no public request #{pk}." in response.content.decode()
        assert "Offensive words" not in response.content.decode()


def test_text_that_xml_cannot_carry_does_not_break_the_feed(place, client) -> None:
    request = report(place, "Pasted\x0ctitle", description="Line one\x08\x1f and <b>bold</b>")
    feed = parse_feed(client.get(request_feed_url(request)))
    assert feed.title.startswith(f"Request #{request.pk}: Pastedtitle")
    assert "Line one and &lt;b&gt;bold&lt;/b&gt;" in feed.entries[0].content
