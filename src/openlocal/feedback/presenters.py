"""Words for feedback: counts, timeline entries, notes for the body and the request page box.

Plain functions of plain values, so that they are tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from openlocal.feedback.models import Answer

#: How timeline entries name whoever answered: never who they are.
RESIDENT = "A resident"
REPORTER = "The reporter"


class ReopenOutcome(StrEnum):
    """What a reporter's "not fixed" did to their request."""

    REOPENED = "reopened"
    """Closed recently enough for its category: reopened."""
    TOO_LATE = "too_late"
    """Closed longer ago than its category's ``reopen_within_days``: left closed."""
    NEVER = "never"
    """Its category never reopens on a reporter's answer (``reopen_within_days`` is 0)."""
    ALREADY_OPEN = "open"
    """Open again already (staff reopened it before the answer came)."""
    DUPLICATE = "duplicate"
    """Merged into another request since: that one is where the problem is dealt with."""


def people(count: int) -> str:
    return "1 person" if count == 1 else f"{count:,} people"


def feedback_line(broken: int, fixed: int) -> str:
    """ "3 people say this is still broken, 1 says it is fixed": counts, never who."""
    if broken == 0 and fixed == 0:
        return "Nobody has said whether this is fixed yet"
    if fixed == 0:
        return f"{people(broken)} {'says' if broken == 1 else 'say'} this is still broken"
    if broken == 0:
        return f"{people(fixed)} {'says' if fixed == 1 else 'say'} it is fixed"
    return (
        f"{people(broken)} {'says' if broken == 1 else 'say'} this is still broken, "
        f"{fixed:,} {'says' if fixed == 1 else 'say'} it is fixed"
    )


def entry_text(answer: str, *, reporter: bool, comment: str = "") -> str:
    """The public timeline entry for an answer. Names nobody."""
    if reporter:
        said = (
            "The reporter says this was not fixed."
            if answer == Answer.BROKEN
            else "The reporter says this was fixed."
        )
    else:
        said = (
            "A resident says this is still broken."
            if answer == Answer.BROKEN
            else "A resident says this is fixed."
        )
    comment = comment.strip()
    return f"{said}\n\n{comment}" if comment else said


def days_text(delta: timedelta) -> str:
    """ "29 days", "1 day", "less than a day"."""
    days = max(delta.days, 0)
    if days == 0:
        return "less than a day"
    return "1 day" if days == 1 else f"{days:,} days"


def outcome_sentence(outcome: str, *, category: str, reopen_within_days: int) -> str:
    """Why a "not fixed" answer did or did not reopen the request, for the body."""
    if outcome == ReopenOutcome.REOPENED:
        return (
            f"It has been reopened, as “{category}” requests closed within "
            f"{reopen_within_days} days are when the reporter says they were not fixed."
        )
    if outcome == ReopenOutcome.TOO_LATE:
        return (
            f"It stays closed: “{category}” requests reopen on the reporter's answer only "
            f"within {reopen_within_days} days of closing."
        )
    if outcome == ReopenOutcome.NEVER:
        return f"It stays closed: “{category}” requests never reopen on the reporter's answer."
    if outcome == ReopenOutcome.ALREADY_OPEN:
        return "It is open already."
    return "It stays closed: it was merged into another request, where this is dealt with."


def not_fixed_note(
    *, closed_for: timedelta, closed_as: str, outcome: str, category: str, reopen_within_days: int
) -> str:
    """The body's internal note when the reporter answers "not fixed"."""
    when = (
        f"{days_text(closed_for)} after it was closed as {closed_as}"
        if closed_as
        else "after it was closed"
    )
    return f"The reporter answered the questionnaire: not fixed, {when}. " + outcome_sentence(
        outcome, category=category, reopen_within_days=reopen_within_days
    )


def resident_broken_note(*, closed_for: timedelta, closed_as: str) -> str:
    """The body's internal note the first time someone says "still broken" after closing."""
    return (
        f"A resident says this is still broken, {days_text(closed_for)} after it was closed "
        f"as {closed_as}. It stays closed: anyone can say this on the public page, so it does "
        "not reopen the request by itself. The request page counts every answer."
    )


CHANGED_TO_FIXED_NOTE = (
    "The reporter changed their answer to the questionnaire: it was fixed after all."
)


@dataclass(frozen=True)
class FeedbackBox:
    """The "Is it fixed?" box on a public request page."""

    question: str
    hint: str
    counts: str
    #: The visitor's own answer, if this browser gave one.
    yours: str
    #: False once the request has been closed too long to take answers.
    accepting: bool
    action: str


def feedback_box(
    *,
    is_open: bool,
    closed_at: datetime | None,
    body_name: str,
    status_label: str,
    broken: int,
    fixed: int,
    yours: str,
    accepting: bool,
    action: str,
) -> FeedbackBox:
    if is_open:
        question = "Is this still a problem?"
        hint = (
            "Say whether it is still broken or has been fixed. Your answer is shown on this "
            "page without your name, and you can change it."
        )
    else:
        question = "Was this fixed?"
        closed = f"{body_name} closed this request as {status_label}"
        hint = (
            f"{closed}. If it is still broken, say so: {body_name} is told. Your answer is "
            "shown on this page without your name, and you can change it."
        )
    if yours == Answer.BROKEN:
        mine = "You said this is still broken."
    elif yours == Answer.FIXED:
        mine = "You said it is fixed."
    else:
        mine = ""
    if not accepting:
        hint = "This request was closed too long ago to take answers."
    return FeedbackBox(
        question=question,
        hint=hint,
        counts=feedback_line(broken, fixed),
        yours=mine,
        accepting=accepting,
        action=action,
    )


def questionnaire_answer_label(answer: str) -> str:
    """A reporter's earlier answer, as the questionnaire page recalls it."""
    if answer == Answer.FIXED:
        return "it was fixed"
    if answer == Answer.BROKEN:
        return "it was not fixed"
    return ""


def thanks(answer: str, *, changed: bool) -> str:
    """The message after an answer from the request page."""
    if not changed:
        return "You had already given this answer. Nothing has changed."
    if answer == Answer.BROKEN:
        return "Thank you. You said this is still broken."
    return "Thank you. You said it is fixed."
