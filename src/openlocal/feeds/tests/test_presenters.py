"""What feed entries say, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from openlocal.feeds.atom import xml_safe
from openlocal.feeds.presenters import (
    AreaName,
    paragraphs,
    place_text,
    request_entry,
    timeline_feed_entry,
)
from openlocal.web.presenters import timeline_entry

WHEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def test_a_place_is_its_address_or_its_areas_smallest_first() -> None:
    areas = [
        AreaName("Testshire", "county"),
        AreaName("St Mary's", "ward"),
        AreaName("West Testshire", "district"),
    ]
    assert place_text("", areas, 50.7, -3.5) == "St Mary's, West Testshire, Testshire"
    assert place_text(" 4 High Street ", areas, 50.7, -3.5) == "4 High Street"
    assert place_text("", [], 50.7, -3.5) == "50.70000, -3.50000"


def test_text_becomes_escaped_paragraphs() -> None:
    assert paragraphs("One <b>\nline two\r\n\r\nThree & four") == (
        "<p>One &lt;b&gt;<br>line two</p><p>Three &amp; four</p>"
    )


def test_a_request_entry_never_names_an_anonymous_reporter() -> None:
    entry = request_entry(
        title="Hole",
        description="Deep",
        status="in_progress",
        category="Pothole",
        body="Testshire County Council",
        place="High Street",
        public_reporter_name="",
        supporter_count=3,
    )
    assert entry.author == "Anonymous"
    assert entry.summary_html == "In progress · Pothole · High Street"
    assert "<dt>Also affected</dt><dd>3 people</dd>" in entry.content_html
    assert entry.categories == ("Pothole", "In progress")


def _timeline(kind: str, **fields) -> dict:
    values = {
        "kind": kind,
        "text": "",
        "old_status": "",
        "new_status": "",
        "author_name": "",
        "body_name": "Testshire County Council",
        "data": {},
        "created_at": WHEN,
    }
    values.update(fields)
    return values


def test_timeline_entry_titles() -> None:
    comment = timeline_feed_entry(
        timeline_entry(**_timeline("comment", text="On it")),
        kind="comment",
        public_reporter_name="",
        description="",
    )
    assert comment.title == "Comment from Testshire County Council"
    assert comment.content_html == "<p>On it</p>"
    status = timeline_feed_entry(
        timeline_entry(**_timeline("status", new_status="fixed")),
        kind="status",
        public_reporter_name="",
        description="",
    )
    assert status.title == "Status changed to Fixed"
    # The stored author of a "Reported" entry is ignored: only a name shown today is used.
    reported = timeline_feed_entry(
        timeline_entry(**_timeline("created", author_name="Once Public")),
        kind="created",
        public_reporter_name="",
        description="It is <deep>",
    )
    assert (reported.title, reported.author) == ("Reported", "Anonymous")
    assert reported.content_html == "<p>It is &lt;deep&gt;</p>"


def test_characters_xml_cannot_carry_are_dropped() -> None:
    assert xml_safe("a\x00b\x0bc\x1fd\ufffee\tf\ng") == "abcde\tf\ng"
