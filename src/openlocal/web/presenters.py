"""Display logic for the public pages, kept apart from views so it is testable without a database.

Presenters turn model rows (or anything shaped like them) into the words and GOV.UK component
parameters a template needs. Nothing here may reach for a private field: the reporter's email,
a non-public reporter name, internal notes or a body's contact address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openlocal.requests.models import OPEN_STATUSES, Status, UpdateKind

#: GOV.UK tag colour for each status. The tag always carries the status name as text, so the
#: colour is never the only way the status is shown.
STATUS_TAG_CLASSES: dict[str, str] = {
    Status.NEW: "govuk-tag--blue",
    Status.ACKNOWLEDGED: "govuk-tag--light-blue",
    Status.INVESTIGATING: "govuk-tag--purple",
    Status.IN_PROGRESS: "govuk-tag--turquoise",
    Status.ACTION_SCHEDULED: "govuk-tag--turquoise",
    Status.FIXED: "govuk-tag--green",
    Status.NOT_FIXED: "govuk-tag--red",
    Status.DUPLICATE: "govuk-tag--grey",
    Status.NOT_RESPONSIBLE: "govuk-tag--grey",
    Status.NO_FURTHER_ACTION: "govuk-tag--grey",
    Status.REFERRED: "govuk-tag--yellow",
}

ANONYMOUS = "Anonymous"

COORDINATES_HINT = "Enter a place name or coordinates like 50.72, -3.53"

_COORDINATES = re.compile(
    r"^\s*(?P<lat>[-+]?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(?P<lon>[-+]?\d{1,3}(?:\.\d+)?)\s*$"
)


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status.replace("_", " ").capitalize()


def status_tag(status: str) -> dict[str, str]:
    """Parameters for ``govukTag``."""
    return {
        "text": status_label(status),
        "classes": STATUS_TAG_CLASSES.get(status, "govuk-tag--grey"),
    }


def status_state(status: str) -> str:
    return "Open" if status in OPEN_STATUSES else "Closed"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``plural(1, "request")`` → "1 request"; ``plural(2, "request")`` → "2 requests"."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def reporter_display(public_reporter_name: str) -> str:
    """The only reporter identity a public page may show: a name they chose to show, or none."""
    return public_reporter_name.strip() or ANONYMOUS


def time_ago(when: datetime, now: datetime) -> str:
    """Plain words for how long ago, e.g. "3 days ago", "just now"."""
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{plural(minutes, 'minute')} ago"
    hours = minutes // 60
    if hours < 24:
        return f"{plural(hours, 'hour')} ago"
    days = hours // 24
    if days < 31:
        return f"{plural(days, 'day')} ago"
    months = days // 30
    if months < 12:
        return f"{plural(months, 'month')} ago"
    return f"{plural(days // 365, 'year')} ago"


def reported_line(created_at: datetime, public_reporter_name: str, now: datetime) -> str:
    """ "Reported 3 days ago by Anonymous"."""
    return f"Reported {time_ago(created_at, now)} by {reporter_display(public_reporter_name)}"


def supporters_line(count: int) -> str:
    if count == 0:
        return "Nobody has said they have this problem yet"
    if count == 1:
        return "1 person has this problem"
    return f"{count:,} people have this problem"


def support_thanks(count: int) -> str:
    return f"Thank you — {supporters_line(count)}"


SUPPORT_ALREADY = "You have already said you have this problem"


def distance_text(metres: float) -> str:
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} m"
    return f"{metres / 1000:.1f} km"


def coordinates_text(latitude: float, longitude: float) -> str:
    return f"{latitude:.5f}, {longitude:.5f}"


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """``"50.72, -3.53"`` → ``(50.72, -3.53)``; None when the text is not a coordinate pair.

    Only the shape is checked here; whether the point is on Earth is for the caller.
    """
    match = _COORDINATES.match(text or "")
    if not match:
        return None
    return float(match["lat"]), float(match["lon"])


@dataclass(frozen=True)
class SummaryRow:
    key: str
    value: str
    href: str = ""


def answer_rows(questions: Iterable[Any], answers: Mapping[str, Any]) -> list[SummaryRow]:
    """Answers to a category's extra questions, labelled, with list values shown by name.

    ``questions`` are objects with ``code``, ``label`` and ``values`` (``[{"key", "name"}]``);
    answers to questions no longer asked are left out rather than shown under a bare code.
    """
    rows: list[SummaryRow] = []
    for question in questions:
        if question.code not in answers:
            continue
        raw = answers[question.code]
        names = {str(v.get("key")): str(v.get("name", v.get("key"))) for v in question.values or []}
        values = raw if isinstance(raw, list | tuple) else [raw]
        shown = ", ".join(names.get(str(v), str(v)) for v in values if str(v) != "")
        if shown:
            rows.append(SummaryRow(question.label, shown))
    return rows


def attribute_rows(attributes: Mapping[str, Any]) -> list[SummaryRow]:
    """An asset's attributes as rows, with keys made readable ("install_year" → "Install year")."""
    rows = []
    for key, value in attributes.items():
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        label = str(key).replace("_", " ").replace("-", " ").strip().capitalize()
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        rows.append(SummaryRow(label, str(value)))
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    """One public timeline entry as words: a heading, optional detail lines and who said it."""

    heading: str
    lines: tuple[str, ...]
    text: str
    author: str
    created_at: datetime
    tag: dict[str, str] | None = None


def timeline_entry(
    *,
    kind: str,
    text: str,
    old_status: str,
    new_status: str,
    author_name: str,
    body_name: str,
    data: Mapping[str, Any],
    created_at: datetime,
) -> TimelineEntry:
    """Describe a public update. Callers must only pass public updates (``Update.public_objects``).

    Internal notes are refused here too, as a second line of defence.
    """
    if kind == UpdateKind.NOTE:
        raise ValueError("Internal notes are never shown in public.")
    author = author_name.strip() or body_name or ANONYMOUS
    lines: list[str] = []
    tag = None
    if kind == UpdateKind.CREATED:
        heading = "Reported"
        author = author_name.strip() or ANONYMOUS
    elif kind == UpdateKind.STATUS:
        heading = (
            f"Status changed from {status_label(old_status)} to {status_label(new_status)}"
            if old_status
            else f"Status changed to {status_label(new_status)}"
        )
        tag = status_tag(new_status)
    elif kind == UpdateKind.COMMENT:
        heading = "Update"
    elif kind == UpdateKind.CATEGORY:
        heading = "Category changed"
        if data.get("from") or data.get("to"):
            lines.append(f"Category changed from {data.get('from', '')} to {data.get('to', '')}")
        if data.get("from_body") or data.get("to_body"):
            lines.append(f"Passed from {data.get('from_body', '')} to {data.get('to_body', '')}")
    elif kind == UpdateKind.REASSIGNED:
        heading = "Reassigned"
        if data.get("from_body") or data.get("to_body"):
            lines.append(f"Passed from {data.get('from_body', '')} to {data.get('to_body', '')}")
    elif kind == UpdateKind.MODERATED:
        heading = "Moderated"
    elif kind == UpdateKind.MERGED:
        heading, line = merge_words(data)
        if line:
            lines.append(line)
    else:
        heading = str(kind).replace("_", " ").capitalize()
    return TimelineEntry(heading, tuple(lines), text, author, created_at, tag)


def merge_words(data: Mapping[str, Any]) -> tuple[str, str]:
    """The heading and line of a merge entry: a merge, or a merge undone, seen from either side."""
    if data.get("undone_into"):
        return "Merge undone", f"No longer a duplicate of request #{data['undone_into']}"
    if data.get("undone_from"):
        return "Merge undone", f"Request #{data['undone_from']} was separated from this one"
    other = data.get("into") or data.get("duplicate_of")
    if other:
        return "Merged", f"Merged into request #{other}"
    if data.get("from"):
        return "Merged", f"Request #{data['from']} was merged into this one"
    return "Merged", ""


def followers_line(count: int) -> str:
    """How many get updates about a request, never who: "3 followers get updates"."""
    if count == 0:
        return "Nobody follows this request yet"
    if count == 1:
        return "1 follower gets updates"
    return f"{count:,} followers get updates"


def nearness_text(distance_m: float, *, same_asset: bool = False, asset_kind: str = "") -> str:
    """Where a possible duplicate is: "on the same streetlight", "about 20 m away"."""
    if same_asset:
        return f"on the same {asset_kind.lower() or 'asset'}"
    if distance_m < 10:
        return "less than 10 m away"
    return f"about {distance_text(distance_m)} away"


def follow_outcome(*, needs_confirmation: bool, created: bool) -> str:
    """What following by email did, for the message after a "me too" or a follow form."""
    if needs_confirmation:
        return (
            "We have sent you an email. Follow the link in it to confirm you want updates "
            "about this request."
        )
    if created:
        return "You will get an email when this request changes."
    return "You already get updates about this request."


def me_too_instead(pk: int, *, added: bool) -> str:
    """The message after saying "me too" from the report journey instead of reporting."""
    if added:
        return (
            f"Thank you. You said request #{pk} is your problem too, so no new report was "
            "needed: it now counts you among the people affected."
        )
    return f"You had already said request #{pk} is your problem too, so no new report was needed."


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open request offered as "already reported?", in words."""

    id: int
    title: str
    url: str
    status_tag: dict[str, str]
    category: str
    where: str
    reported: str
    supporters: str


def duplicate_candidate(
    *,
    pk: int,
    title: str,
    url: str,
    status: str,
    category: str,
    created_at: datetime,
    supporter_count: int,
    distance_m: float,
    same_asset: bool,
    asset_kind: str,
    now: datetime,
) -> DuplicateCandidate:
    return DuplicateCandidate(
        id=pk,
        title=title,
        url=url,
        status_tag=status_tag(status),
        category=category,
        where=nearness_text(distance_m, same_asset=same_asset, asset_kind=asset_kind),
        reported=f"Reported {time_ago(created_at, now)}",
        supporters=supporters_line(supporter_count),
    )


def page_numbers(current: int, total: int, around: int = 2) -> list[int | None]:
    """Page numbers to show in pagination, with None for an ellipsis: 1 … 4 5 [6] 7 8 … 20."""
    if total <= 1:
        return [1] if total == 1 else []
    keep = {1, total, *range(max(1, current - around), min(total, current + around) + 1)}
    shown: list[int | None] = []
    previous = 0
    for number in sorted(keep):
        if number - previous > 1:
            shown.append(None)
        shown.append(number)
        previous = number
    return shown


def pagination_params(
    current: int, total: int, href_for: Any, *, has_previous: bool, has_next: bool
) -> dict[str, Any]:
    """Parameters for ``govukPagination``; ``href_for(n)`` builds each page's link."""
    items: list[dict[str, Any]] = []
    for number in page_numbers(current, total):
        if number is None:
            items.append({"ellipsis": True})
        else:
            items.append({"number": number, "href": href_for(number), "current": number == current})
    params: dict[str, Any] = {"items": items, "landmarkLabel": "Pages of results"}
    if has_previous:
        params["previous"] = {"href": href_for(current - 1)}
    if has_next:
        params["next"] = {"href": href_for(current + 1)}
    return params


def kind_groups(
    rows: Sequence[Any], order: Sequence[str], labels: Mapping[str, str]
) -> list[tuple[str, list[Any]]]:
    """Group rows with a ``kind`` attribute in the given order of kinds, labelled."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.kind, []).append(row)
    ordered = [k for k in order if k in grouped] + sorted(k for k in grouped if k not in order)
    return [(labels.get(k, k), grouped[k]) for k in ordered]
