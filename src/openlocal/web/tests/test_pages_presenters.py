"""Display logic for the public pages, without the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from openlocal.web import presenters

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_status_tag_has_text_and_colour() -> None:
    assert presenters.status_tag("fixed") == {"text": "Fixed", "classes": "govuk-tag--green"}
    assert presenters.status_tag("in_progress")["text"] == "In progress"
    assert presenters.status_state("new") == "Open"
    assert presenters.status_state("not_fixed") == "Closed"


def test_reported_line_never_names_a_private_reporter() -> None:
    three_days = NOW - timedelta(days=3)
    assert presenters.reported_line(three_days, "", NOW) == "Reported 3 days ago by Anonymous"
    assert presenters.reported_line(NOW, "Jo", NOW) == "Reported just now by Jo"


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(hours=5), "5 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=65), "2 months ago"),
        (timedelta(days=800), "2 years ago"),
    ],
)
def test_time_ago(delta: timedelta, words: str) -> None:
    assert presenters.time_ago(NOW - delta, NOW) == words


def test_support_messages() -> None:
    assert presenters.support_thanks(5) == "Thank you — 5 people have this problem"
    assert presenters.support_thanks(1) == "Thank you — 1 person has this problem"
    assert presenters.SUPPORT_ALREADY == "You have already said you have this problem"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50.72, -3.53", (50.72, -3.53)),
        ("50.72,-3.53", (50.72, -3.53)),
        (" -1 36.8 ", (-1.0, 36.8)),
        ("Exeter", None),
        ("50.72", None),
        ("", None),
    ],
)
def test_parse_coordinates(text: str, expected: tuple[float, float] | None) -> None:
    assert presenters.parse_coordinates(text) == expected


def test_answer_rows_use_labels_and_value_names() -> None:
    questions = [
        SimpleNamespace(
            code="depth",
            label="How deep is it?",
            values=[{"key": "deep", "name": "5 cm or deeper"}],
        ),
        SimpleNamespace(
            code="sides",
            label="Which sides?",
            values=[{"key": "n", "name": "North"}, {"key": "s", "name": "South"}],
        ),
        SimpleNamespace(code="note", label="Anything else?", values=[]),
        SimpleNamespace(code="unanswered", label="Not answered", values=[]),
    ]
    rows = presenters.answer_rows(
        questions, {"depth": "deep", "sides": ["n", "s"], "note": "Near the bus stop", "gone": 1}
    )
    assert [(r.key, r.value) for r in rows] == [
        ("How deep is it?", "5 cm or deeper"),
        ("Which sides?", "North, South"),
        ("Anything else?", "Near the bus stop"),
    ]


def _entry(**kwargs: object) -> presenters.TimelineEntry:
    base: dict = {
        "kind": "comment",
        "text": "",
        "old_status": "",
        "new_status": "",
        "author_name": "",
        "body_name": "Testshire County Council",
        "data": {},
        "created_at": NOW,
    }
    base.update(kwargs)
    return presenters.timeline_entry(**base)


def test_timeline_entries() -> None:
    status = _entry(kind="status", old_status="new", new_status="acknowledged")
    assert status.heading == "Status changed from New to Acknowledged"
    assert status.author == "Testshire County Council"
    created = _entry(kind="created")
    assert (created.heading, created.author) == ("Reported", "Anonymous")
    category = _entry(
        kind="category",
        data={"from": "Pothole", "to": "Road surface", "from_body": "A", "to_body": "B"},
    )
    assert category.lines == ("Category changed from Pothole to Road surface", "Passed from A to B")
    reassigned = _entry(kind="reassigned", data={"from_body": "A", "to_body": "B"})
    assert reassigned.lines == ("Passed from A to B",)
    assert _entry(kind="moderated", text="Removed").heading == "Moderated"


def test_internal_notes_are_refused() -> None:
    with pytest.raises(ValueError, match="never shown"):
        _entry(kind="note", text="secret")


def test_page_numbers_with_ellipses() -> None:
    assert presenters.page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert presenters.page_numbers(1, 3) == [1, 2, 3]
    params = presenters.pagination_params(
        2, 3, lambda n: f"?page={n}", has_previous=True, has_next=True
    )
    assert params["previous"] == {"href": "?page=1"}
    assert params["next"] == {"href": "?page=3"}
    assert params["items"][1] == {"number": 2, "href": "?page=2", "current": True}


def test_distance_and_attributes() -> None:
    assert presenters.distance_text(123) == "120 m"
    assert presenters.distance_text(1500) == "1.5 km"
    rows = presenters.attribute_rows({"install_year": 1998, "lit": True, "nested": {"a": 1}})
    assert [(r.key, r.value) for r in rows] == [("Install year", "1998"), ("Lit", "Yes")]
