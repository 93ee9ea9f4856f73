"""Absolute links put in emails: confirm, stop, preference centre.

The views behind these names live in ``openlocal.subscriptions.views`` under the
``subscriptions`` URL namespace.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from openlocal.subscriptions import tokens


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def confirm_url(subscription_id: int) -> str:
    return absolute(reverse("subscriptions:confirm", args=[tokens.confirm_token(subscription_id)]))


def stop_url(subscription_id: int) -> str:
    """The one-click stop link (GET shows a page; POST, per RFC 8058, stops at once)."""
    return absolute(reverse("subscriptions:stop", args=[tokens.stop_token(subscription_id)]))


def manage_url(person_id: int) -> str:
    """The person's preference centre: every subscription and endpoint they have."""
    return absolute(reverse("subscriptions:manage", args=[tokens.manage_token(person_id)]))


def endpoint_confirm_url(endpoint_id: int) -> str:
    return absolute(
        reverse("subscriptions:endpoint-confirm", args=[tokens.endpoint_confirm_token(endpoint_id)])
    )


def digest_stop_url(person_id: int) -> str:
    """The one-click stop of every daily digest a person gets (for a digest's headers)."""
    return absolute(reverse("subscriptions:digest-stop", args=[tokens.manage_token(person_id)]))
