"""Which keys and bodies a member of staff may manage."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openlocal.apikeys.models import ApiKey
from openlocal.places.models import Body, Role


def _signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def administered_bodies(user: Any) -> QuerySet[Body]:
    """The bodies whose keys the user manages: where they are an administrator (all of them
    for a superuser)."""
    if not _signed_in(user):
        return Body.objects.none()
    if user.is_superuser:
        return Body.objects.order_by("name")
    return Body.objects.filter(
        memberships__user=user, memberships__role=Role.ADMINISTRATOR
    ).order_by("name")


def may_manage_keys(user: Any) -> bool:
    """Whether the API keys page is open to the user at all."""
    if not _signed_in(user):
        return False
    return bool(user.is_superuser) or administered_bodies(user).exists()


def manageable_keys(user: Any) -> QuerySet[ApiKey]:
    """Keys the user may see and revoke: their bodies' keys, and site-wide keys for
    superusers. Newest first."""
    keys = ApiKey.objects.select_related("body", "created_by")
    if not _signed_in(user):
        return keys.none()
    if user.is_superuser:
        return keys.all()
    return keys.filter(body__in=administered_bodies(user))
