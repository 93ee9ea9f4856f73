"""Display logic for the staff pages, kept apart from the database so it is easy to test.

Functions here take model instances (saved or not) and plain values, and return what a
template shows: text, GOV.UK component parameters, small dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import AREA_KIND_ORDER, ROLE_RANK, Area, Role
from openlocal.requests.models import CLOSED_STATUSES, Priority, Status, Update, UpdateKind

#: The least role each workspace action needs. The services check the same rule; the pages
#: use it to show only the forms a person can use.
ACTION_ROLES: dict[str, Role] = {
    "status": Role.INSPECTOR,
    "note": Role.INSPECTOR,
    "category": Role.MANAGER,
    "reassign": Role.MANAGER,
    "hide": Role.MANAGER,
    "unhide": Role.MANAGER,
    "redact": Role.MANAGER,
    "photo_hide": Role.MANAGER,
    "update_redact": Role.MANAGER,
    "audit": Role.MANAGER,
    "merge": Role.INSPECTOR,
    "unmerge": Role.INSPECTOR,
    "assign": Role.INSPECTOR,
    "priority": Role.INSPECTOR,
    "due": Role.MANAGER,
    "bulk": Role.INSPECTOR,
}

_TAG_CLASSES: dict[str, str] = {
    Status.NEW: "govuk-tag--blue",
    Status.ACKNOWLEDGED: "govuk-tag--light-blue",
    Status.INVESTIGATING: "govuk-tag--purple",
    Status.IN_PROGRESS: "govuk-tag--turquoise",
    Status.ACTION_SCHEDULED: "govuk-tag--yellow",
    Status.FIXED: "govuk-tag--green",
    Status.NOT_FIXED: "govuk-tag--red",
    Status.REFERRED: "govuk-tag--orange",
}

#: The order of statuses when the queue is sorted by status: the workflow, then closures.
STATUS_ORDER = [
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.INVESTIGATING,
    Status.ACTION_SCHEDULED,
    Status.IN_PROGRESS,
    Status.FIXED,
    Status.NOT_FIXED,
    Status.NO_FURTHER_ACTION,
    Status.NOT_RESPONSIBLE,
    Status.REFERRED,
    Status.DUPLICATE,
]


def allowed_actions(role: Role | None) -> set[str]:
    """The workspace actions a person with this role (or none) may take."""
    if role is None:
        return set()
    rank = ROLE_RANK[role]
    return {action for action, needed in ACTION_ROLES.items() if rank >= ROLE_RANK[needed]}


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def status_tag(status: str) -> dict[str, str]:
    """Parameters for govukTag: closed statuses other than fixed/not fixed are grey."""
    default = "govuk-tag--grey" if status in CLOSED_STATUSES else "govuk-tag--blue"
    classes = _TAG_CLASSES.get(status, default)
    return {"text": status_label(status), "classes": classes}


def age_text(created_at: datetime, now: datetime) -> str:
    """How long ago a request was made, in whole days: "Less than a day", "1 day", "12 days"."""
    days = (now - created_at).days
    if days < 1:
        return "Less than a day"
    return "1 day" if days == 1 else f"{days:,} days"


def smallest_area(areas: Iterable[Area]) -> Area | None:
    """The most local of a request's areas (a parish before a ward before a district)."""
    rank: dict[str, int] = {str(kind): i for i, kind in enumerate(AREA_KIND_ORDER)}
    best: Area | None = None
    for area in areas:
        if best is None or rank.get(area.kind, -1) > rank.get(best.kind, -1):
            best = area
    return best


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@dataclass
class TimelineEntry:
    """One entry on the staff timeline."""

    pk: int
    heading: str
    text: str
    author: str
    created_at: datetime
    #: Never shown in public: an internal note or a moderation record.
    internal: bool
    internal_label: str
    hidden: bool
    #: A moderator may replace the text (the original goes to the audit log).
    redactable: bool


def timeline_entry(update: Update) -> TimelineEntry:
    data: Mapping[str, Any] = update.data or {}
    kind = update.kind
    if kind == UpdateKind.CREATED:
        heading = "Reported"
    elif kind == UpdateKind.STATUS:
        heading = (
            f"Status changed from {status_label(update.old_status)} "
            f"to {status_label(update.new_status)}"
        )
    elif kind == UpdateKind.COMMENT:
        heading = "Public update"
    elif kind == UpdateKind.NOTE:
        heading = "Internal note"
    elif kind == UpdateKind.CATEGORY:
        heading = f"Category changed from {data.get('from', '?')} to {data.get('to', '?')}"
        if data.get("to_body"):
            heading += f"; moved from {data.get('from_body', '?')} to {data['to_body']}"
    elif kind == UpdateKind.REASSIGNED:
        heading = f"Reassigned from {data.get('from_body', '?')} to {data.get('to_body', '?')}"
    elif kind == UpdateKind.MODERATED:
        heading = "Moderated"
    elif kind == UpdateKind.MERGED:
        heading = merge_heading(data)
    elif kind == UpdateKind.ASSIGNED:
        heading = assignment_heading(data)
    elif kind == UpdateKind.PRIORITY:
        heading = (
            f"Priority changed from {priority_label(data.get('from'))} "
            f"to {priority_label(data.get('to'))}"
        )
    elif kind == UpdateKind.DUE:
        heading = "Due date changed"
    else:
        heading = update.get_kind_display()
    internal = not update.public
    due_change = kind == UpdateKind.DUE
    if kind == UpdateKind.NOTE:
        label = "Internal note – not public"
    elif internal:
        label = "Internal – not public"
    else:
        label = ""
    author = update.author_name or person_name(update.author)
    return TimelineEntry(
        pk=update.pk,
        heading=heading,
        text=update.text,
        author=author,
        created_at=update.created_at,
        internal=internal,
        internal_label=label,
        hidden=update.hidden,
        redactable=bool(update.text) and kind != UpdateKind.MODERATED and not due_change,
    )


def assignment_heading(data: Mapping[str, Any]) -> str:
    """The heading of an assignment entry: to whom, and from whom when it was taken over."""
    before, after = str(data.get("from") or ""), str(data.get("to") or "")
    if not after:
        return f"Unassigned (was {before})" if before else "Unassigned"
    if before:
        return f"Assigned to {after} (was {before})"
    return f"Assigned to {after}"


def priority_label(value: Any) -> str:
    try:
        return str(Priority(int(value)).label)
    except (TypeError, ValueError):
        return "?"


_PRIORITY_TAGS: dict[int, str] = {
    Priority.LOW: "govuk-tag--grey",
    Priority.NORMAL: "govuk-tag--blue",
    Priority.HIGH: "govuk-tag--orange",
    Priority.URGENT: "govuk-tag--red",
}


def priority_tag(priority: int) -> dict[str, str]:
    """Parameters for govukTag: urgent is red, high orange, normal blue, low grey."""
    return {
        "text": priority_label(priority),
        "classes": _PRIORITY_TAGS.get(priority, "govuk-tag--grey"),
    }


@dataclass(frozen=True)
class Due:
    """When a request is due, as the queue and the workspace show it."""

    #: "10 March 2027", or "" without a due date.
    date: str
    #: Still open after its due date.
    overdue: bool
    #: "Overdue by 3 days", "Due today", "Due in 5 days", "" when closed or without a date.
    relative: str


def due_info(due_at: datetime | None, status: str, now: datetime) -> Due:
    """A request's due date in words; a closed request is never overdue."""
    if due_at is None:
        return Due(date="", overdue=False, relative="")
    local_due = timezone.localtime(due_at)
    text = local_due.strftime("%-d %B %Y")
    if status in CLOSED_STATUSES:
        return Due(date=text, overdue=False, relative="")
    days = (local_due.date() - timezone.localtime(now).date()).days
    if due_at < now:
        late = max(-days, 0)
        if late == 0:
            relative = "Overdue since earlier today"
        else:
            relative = f"Overdue by {count_text(late, 'day')}"
        return Due(date=text, overdue=True, relative=relative)
    if days == 0:
        relative = "Due today"
    elif days == 1:
        relative = "Due tomorrow"
    else:
        relative = f"Due in {days:,} days"
    return Due(date=text, overdue=False, relative=relative)


def merge_heading(data: Mapping[str, Any]) -> str:
    """The heading of a merge entry, from either side, and of a merge undone."""
    if data.get("undone_into"):
        return f"Merge undone: no longer a duplicate of request {data['undone_into']}"
    if data.get("undone_from"):
        return f"Merge undone: request {data['undone_from']} separated from this one"
    if data.get("into"):
        return f"Merged into request {data['into']} as a duplicate"
    if data.get("from"):
        return f"Request {data['from']} merged into this one"
    return "Merged"


@dataclass(frozen=True)
class MergeSuggestion:
    """A request this one may duplicate, as the workspace lists it."""

    pk: int
    title: str
    status: dict[str, str]
    where: str
    reported: str
    supporters: str


def merge_suggestion(
    *,
    pk: int,
    title: str,
    status: str,
    distance_m: float,
    same_asset: bool,
    created_at: datetime,
    supporter_count: int,
    now: datetime,
) -> MergeSuggestion:
    age = age_text(created_at, now)
    if same_asset:
        where = "Same asset"
    elif distance_m < 10:
        where = "Less than 10 m away"
    else:
        where = f"About {round(distance_m / 10) * 10:.0f} m away"
    return MergeSuggestion(
        pk=pk,
        title=title,
        status=status_tag(status),
        where=where,
        reported="Reported today" if age == "Less than a day" else f"Reported {age} ago",
        supporters=count_text(supporter_count, "supporter"),
    )


def count_text(count: int, singular: str) -> str:
    """``count_text(1, "follower")`` → "1 follower"; ``count_text(3, …)`` → "3 followers"."""
    return f"{count:,} {singular}" if count == 1 else f"{count:,} {singular}s"


def merge_moves(
    *,
    followers: int,
    followers_shared: int,
    supporters: int,
    supporters_shared: int,
    reporter_supports: bool,
    original: int,
) -> list[str]:
    """What a merge will move, as sentences for the confirmation page."""
    lines = [
        f"{count_text(followers, 'follower')} will move to request {original} and be told once "
        "where their request went.",
        f"{count_text(supporters, 'supporter')} will move to request {original}.",
    ]
    if followers_shared or supporters_shared:
        lines.append(
            f"{count_text(followers_shared, 'follower')} and "
            f"{count_text(supporters_shared, 'supporter')} already follow or support request "
            f"{original}; they are counted once."
        )
    if reporter_supports:
        lines.append(f"The reporter becomes a supporter of request {original}.")
    return lines


_AUDIT_ACTIONS = {
    "request.hide": "Request hidden from the public",
    "request.unhide": "Request shown again",
    "request.redact": "Request text redacted",
    "update.redact": "Timeline entry redacted",
    "photo.hide": "Photo hidden from the public",
    "request.assign": "Assignment changed",
    "request.priority": "Priority changed",
    "request.due": "Due date changed",
    "request.status": "Status changed",
}

_FIELD_LABELS: dict[str, str] = {"title": "Title", "description": "Description", "text": "Text"}


@dataclass
class AuditLine:
    action: str
    actor: str
    created_at: datetime
    reason: str
    #: What moderation replaced: ``[(label, original text)]``.
    originals: list[tuple[str, str]] = field(default_factory=list)
    file: str = ""
    #: What changed, in words: "From Normal to High", "From nobody to Ivy Inspector".
    change: str = ""
    #: "Part of a bulk change to 12 requests", or "".
    bulk: str = ""


def _due_words(value: Any) -> str:
    if not value:
        return "none"
    try:
        return timezone.localtime(datetime.fromisoformat(str(value))).strftime("%-d %B %Y")
    except ValueError:
        return str(value)


def audit_change(action: str, data: Mapping[str, Any]) -> str:
    """What a workflow audit entry changed, from its data."""
    if action == "request.assign":
        return f"From {data.get('from') or 'nobody'} to {data.get('to') or 'nobody'}"
    if action == "request.priority":
        return f"From {priority_label(data.get('from'))} to {priority_label(data.get('to'))}"
    if action == "request.due":
        return f"From {_due_words(data.get('from'))} to {_due_words(data.get('to'))}"
    if action == "request.status":
        return (
            f"From {status_label(str(data.get('from', '')))} "
            f"to {status_label(str(data.get('to', '')))}"
        )
    return ""


def audit_line(entry: AuditEntry, *, actor_name: str = "") -> AuditLine:
    data: Mapping[str, Any] = entry.data or {}
    original = data.get("original")
    originals: list[tuple[str, str]] = []
    if isinstance(original, Mapping):
        originals = [
            (_FIELD_LABELS.get(str(k), str(k)), str(v)) for k, v in sorted(original.items())
        ]
    elif isinstance(original, str):
        originals = [("Text", original)]
    bulk = data.get("bulk")
    return AuditLine(
        action=_AUDIT_ACTIONS.get(entry.action, entry.action),
        actor=actor_name or "Unknown or deleted user",
        created_at=entry.created_at,
        reason=str(data.get("reason") or ""),
        originals=originals,
        file=str(data.get("file") or ""),
        change=audit_change(entry.action, data),
        bulk=f"Part of a bulk change to {count_text(int(bulk), 'request')}" if bulk else "",
    )


def field_id(form: forms.Form, name: str) -> str:
    return form[name].id_for_label or name


def error_summary(form: forms.Form | None) -> list[dict[str, str]]:
    """The GOV.UK error summary list: each error links to its field."""
    if form is None or not form.errors:
        return []
    first = next(iter(form.fields), None)
    items = []
    for name, messages in form.errors.items():
        if name in form.fields:
            target = field_id(form, name)
        elif first is not None:
            target = field_id(form, first)
        else:
            target = ""
        for message in messages:
            item = {"text": str(message)}
            if target:
                item["href"] = f"#{target}"
            items.append(item)
    return items


def error_message(form: forms.Form, name: str) -> dict[str, str] | None:
    """govuk ``errorMessage`` parameters for a field, or None when it has no error."""
    errors = form.errors.get(name)
    return {"text": str(errors[0])} if errors else None


def field_value(form: forms.Form, name: str) -> str:
    """A field's value as the text a form control shows: submitted data or the initial."""
    value = form[name].value()
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: keyed messages on their fields."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            form.add_error(key if key in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def answer_rows(questions: Iterable[Any], answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The reporter's answers to the category's questions, as ``(question, answer)`` text.

    Answers to questions the category no longer asks (after a change of category) are
    shown under their code, so nothing the reporter said is lost from view.
    """
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for question in questions:
        if question.code not in answers:
            continue
        seen.add(question.code)
        names = {str(v.get("key")): str(v.get("name")) for v in question.values or []}
        raw = answers[question.code]
        values = raw if isinstance(raw, list) else [raw]
        rows.append((question.label, ", ".join(names.get(str(v), str(v)) for v in values)))
    for code, raw in answers.items():
        if code not in seen:
            values = raw if isinstance(raw, list) else [raw]
            rows.append((code, ", ".join(str(v) for v in values)))
    return rows
