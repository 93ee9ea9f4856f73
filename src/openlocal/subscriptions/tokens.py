"""Signed tokens in email links: confirm a subscription, stop one, open the preference centre.

Tokens are signed with the site's secret key and carry only a row id. Confirmation tokens
expire; stop and preference links keep working as long as the subscription or person exists,
because people click them from old emails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

CONFIRM_MAX_AGE = timedelta(days=7)

_CONFIRM = "openlocal.subscriptions.confirm"
_ENDPOINT_CONFIRM = "openlocal.subscriptions.endpoint-confirm"
_STOP = "openlocal.subscriptions.stop"
_MANAGE = "openlocal.subscriptions.manage"


class BadToken(Exception):
    """A link that was altered, forged, or has expired. ``reason`` is shown to the visitor."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True)
class _Kind:
    salt: str
    max_age: timedelta | None
    what: str


CONFIRM = _Kind(_CONFIRM, CONFIRM_MAX_AGE, "confirmation link")
ENDPOINT_CONFIRM = _Kind(_ENDPOINT_CONFIRM, CONFIRM_MAX_AGE, "confirmation link")
STOP = _Kind(_STOP, None, "link to stop emails")
MANAGE = _Kind(_MANAGE, None, "link to your subscriptions")


def make(kind: _Kind, pk: int) -> str:
    return signing.dumps(pk, salt=kind.salt, compress=False)


def read(kind: _Kind, token: str) -> int:
    """The id in a token, or :class:`BadToken` saying what is wrong with it."""
    try:
        value = signing.loads(
            token,
            salt=kind.salt,
            max_age=kind.max_age,
        )
    except signing.SignatureExpired as exc:
        days = kind.max_age.days if kind.max_age else 0
        raise BadToken(
            f"This {kind.what} has expired: links like it work for {days} days. "
            "Follow again to get a new one.",
            expired=True,
        ) from exc
    except signing.BadSignature as exc:
        raise BadToken(
            f"This {kind.what} is not valid. It may have been copied incompletely: try "
            "opening it from the email again, or copy the whole address."
        ) from exc
    if not isinstance(value, int):
        raise BadToken(f"This {kind.what} is not valid.")
    return value


def confirm_token(subscription_id: int) -> str:
    return make(CONFIRM, subscription_id)


def stop_token(subscription_id: int) -> str:
    return make(STOP, subscription_id)


def manage_token(person_id: int) -> str:
    return make(MANAGE, person_id)


def endpoint_confirm_token(endpoint_id: int) -> str:
    return make(ENDPOINT_CONFIRM, endpoint_id)
