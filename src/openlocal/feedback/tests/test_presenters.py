"""Words for feedback, without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openlocal.feedback import presenters
from openlocal.feedback.presenters import ReopenOutcome


@pytest.mark.parametrize(
    ("broken", "fixed", "line"),
    [
        (0, 0, "Nobody has said whether this is fixed yet"),
        (1, 0, "1 person says this is still broken"),
        (3, 0, "3 people say this is still broken"),
        (0, 1, "1 person says it is fixed"),
        (0, 2, "2 people say it is fixed"),
        (3, 1, "3 people say this is still broken, 1 says it is fixed"),
        (1, 2, "1 person says this is still broken, 2 say it is fixed"),
        (1200, 1, "1,200 people say this is still broken, 1 says it is fixed"),
    ],
)
def test_counts_read_as_people_never_names(broken: int, fixed: int, line: str) -> None:
    assert presenters.feedback_line(broken, fixed) == line


def test_timeline_entries_say_who_answered_by_role_only() -> None:
    assert (
        presenters.entry_text("broken", reporter=False) == "A resident says this is still broken."
    )
    assert presenters.entry_text("fixed", reporter=False) == "A resident says this is fixed."
    assert presenters.entry_text("fixed", reporter=True) == "The reporter says this was fixed."
    assert (
        presenters.entry_text("broken", reporter=True, comment="  Worse than before.  ")
        == "The reporter says this was not fixed.\n\nWorse than before."
    )


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(hours=5), "less than a day"),
        (timedelta(days=1, hours=3), "1 day"),
        (timedelta(days=29, hours=23), "29 days"),
        (timedelta(seconds=-5), "less than a day"),
    ],
)
def test_days_text(delta: timedelta, words: str) -> None:
    assert presenters.days_text(delta) == words


def test_the_body_hears_why_a_request_was_or_was_not_reopened() -> None:
    def note(outcome: ReopenOutcome, days: int = 30) -> str:
        return presenters.not_fixed_note(
            closed_for=timedelta(days=29),
            closed_as="Fixed",
            outcome=outcome,
            category="Pothole",
            reopen_within_days=days,
        )

    assert note(ReopenOutcome.REOPENED) == (
        "The reporter answered the questionnaire: not fixed, 29 days after it was closed as "
        "Fixed. It has been reopened, as “Pothole” requests closed within 30 days are when the "
        "reporter says they were not fixed."
    )
    assert note(ReopenOutcome.TOO_LATE, 20).endswith(
        "It stays closed: “Pothole” requests reopen on the reporter's answer only within 20 "
        "days of closing."
    )
    assert note(ReopenOutcome.NEVER, 0).endswith(
        "It stays closed: “Pothole” requests never reopen on the reporter's answer."
    )
    assert note(ReopenOutcome.ALREADY_OPEN).endswith("It is open already.")
    assert "merged into another request" in note(ReopenOutcome.DUPLICATE)


def _box(**overrides: object) -> presenters.FeedbackBox:
    values: dict[str, object] = {
        "is_open": True,
        "closed_at": None,
        "body_name": "Testshire County Council",
        "status_label": "In progress",
        "broken": 0,
        "fixed": 0,
        "yours": "",
        "accepting": True,
        "action": "/requests/1/feedback",
    }
    values.update(overrides)
    return presenters.feedback_box(**values)  # type: ignore[arg-type]


def test_the_box_asks_about_an_open_request_and_a_closed_one_differently() -> None:
    assert _box().question == "Is this still a problem?"
    closed = _box(is_open=False, status_label="Fixed", broken=2, fixed=1)
    assert closed.question == "Was this fixed?"
    assert closed.hint.startswith("Testshire County Council closed this request as Fixed.")
    assert "Testshire County Council is told" in closed.hint
    assert closed.counts == "2 people say this is still broken, 1 says it is fixed"


def test_the_box_recalls_the_visitors_own_answer() -> None:
    assert _box(yours="broken").yours == "You said this is still broken."
    assert _box(yours="fixed").yours == "You said it is fixed."
    assert _box().yours == ""


def test_a_request_closed_too_long_ago_says_so() -> None:
    box = _box(is_open=False, status_label="Fixed", accepting=False)
    assert not box.accepting
    assert box.hint == "This request was closed too long ago to take answers."
