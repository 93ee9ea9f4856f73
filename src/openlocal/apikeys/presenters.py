"""How API keys read on the staff pages; no database access, so it is easy to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openlocal.apikeys.models import ApiKey, Scope

#: What each scope lets a program do, in the words the create form uses.
SCOPE_HINTS: dict[str, str] = {
    Scope.SUBMIT: "Create requests, say “me too” and follow requests, through Open311 "
    "(POST requests) and the JSON API.",
    Scope.WEBHOOKS: "Register webhook endpoints without an email confirmation, and read "
    "their delivery logs.",
    Scope.BODY: "Post status changes and updates on the body’s requests, as a back-office "
    "system would. The key acts as an inspector of the body.",
}


def scope_labels(scopes: list[str]) -> str:
    """``["body", "submit"]`` → "Submit requests, Act for a body" (in the order of Scope)."""
    return ", ".join(str(s.label) for s in Scope if s.value in scopes) or "None"


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


@dataclass(frozen=True)
class KeyRow:
    pk: int
    name: str
    body: str
    prefix: str
    scopes: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    contact_email: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_row(key: ApiKey) -> KeyRow:
    return KeyRow(
        pk=key.pk,
        name=key.name,
        body=key.body.name if key.body_id and key.body else "Site-wide",
        prefix=f"{key.prefix}…",
        scopes=scope_labels(list(key.scopes)),
        created_by=person_name(key.created_by) or "The command line",
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        contact_email=key.contact_email,
    )
