"""Display logic for the back-office pages, kept apart from the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from openlocal.backoffice.models import BackOfficeLink, Method, Sending, SendingStatus

_TAGS: dict[str, str] = {
    SendingStatus.PENDING: "govuk-tag--blue",
    SendingStatus.RETRYING: "govuk-tag--yellow",
    SendingStatus.SENT: "govuk-tag--green",
    SendingStatus.FAILED: "govuk-tag--red",
    SendingStatus.CANCELLED: "govuk-tag--grey",
}
#: Statuses a manager may retry.
RETRYABLE = frozenset({SendingStatus.PENDING, SendingStatus.RETRYING, SendingStatus.FAILED})
#: Characters of a stored API key shown, so staff can tell which key is set.
KEY_SHOWN = 4


def sending_tag(status: str) -> dict[str, str]:
    try:
        label = str(SendingStatus(status).label)
    except ValueError:
        label = status
    return {"text": label, "classes": _TAGS.get(status, "govuk-tag--grey")}


def masked_key(key: str) -> str:
    """A stored key as staff see it: never in full, only its last few characters."""
    if not key:
        return "Not set"
    if len(key) <= KEY_SHOWN * 3:
        return "Set (hidden)"
    return f"Set, ending in …{key[-KEY_SHOWN:]}"


def codes_text(codes: Mapping[str, str]) -> str:
    """The service-code mapping as the form shows it: ``OURS=THEIRS``, one a line."""
    return "\n".join(f"{ours}={theirs}" for ours, theirs in sorted(codes.items()))


def parse_codes(text: str) -> tuple[dict[str, str], list[str]]:
    """``OURS=THEIRS`` lines as a mapping, and a message for each line that is not one."""
    codes: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        ours, sep, theirs = line.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            problems.append(f"Line {number} should be our code, “=”, then theirs, like POT=HW-0042")
        elif ours.strip() in codes:
            problems.append(f"Line {number} maps “{ours.strip()}” a second time")
        else:
            codes[ours.strip()] = theirs.strip()
    return codes, problems


@dataclass(frozen=True)
class LinkSummary:
    method: str
    enabled: bool
    rows: list[tuple[str, str]]


def link_summary(link: BackOfficeLink | None) -> LinkSummary | None:
    """What the body page shows of a link: everything but the key, which is masked."""
    if link is None:
        return None
    rows: list[tuple[str, str]] = [("How requests are sent", str(link.get_method_display()))]
    if link.method == Method.EMAIL:
        rows.append(("Email address", link.email))
    else:
        rows.append(("Endpoint", link.endpoint))
        rows.append(("API key", masked_key(link.api_key)))
        if link.jurisdiction_id:
            rows.append(("Jurisdiction", link.jurisdiction_id))
        rows.append(("Format", str(link.get_format_display())))
    rows.append(
        (
            "Service codes",
            ", ".join(f"{a} → {b}" for a, b in sorted(link.service_codes.items()))
            if link.service_codes
            else "Ours, unchanged",
        )
    )
    rows.append(("Sending", "On" if link.enabled else "Off: requests wait until it is on"))
    return LinkSummary(method=link.method, enabled=link.enabled, rows=rows)


@dataclass(frozen=True)
class SendingRow:
    pk: int
    request_id: int
    request_title: str
    body_name: str
    body_slug: str
    method: str
    tag: dict[str, str]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    reference: str
    last_error: str
    retryable: bool
    created_at: datetime
    #: Whether the viewer may press "Retry now" (a manager of the body or more).
    may_retry: bool = False


def sending_row(sending: Sending, *, may_retry: bool = False) -> SendingRow:
    waiting = sending.status in (SendingStatus.PENDING, SendingStatus.RETRYING)
    reference = sending.external_id or (f"token {sending.token}" if sending.token else "")
    return SendingRow(
        pk=sending.pk,
        request_id=sending.request_id,
        request_title=sending.request.title,
        body_name=sending.link.body.name,
        body_slug=sending.link.body.slug,
        method=str(sending.link.get_method_display()),
        tag=sending_tag(sending.status),
        attempts=sending.attempts,
        next_attempt_at=sending.next_attempt_at if waiting else None,
        last_attempt_at=sending.last_attempt_at,
        sent_at=sending.sent_at,
        reference=reference,
        last_error=sending.last_error,
        retryable=sending.status in RETRYABLE and sending.link.enabled,
        created_at=sending.created_at,
        may_retry=may_retry,
    )
