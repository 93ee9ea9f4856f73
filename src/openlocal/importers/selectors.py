"""Who may import what: the upload page's permissions, for the page and its link."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openlocal.importers.models import ImportKind
from openlocal.places.models import Body, Role


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def administered_bodies(user: Any) -> QuerySet[Body]:
    """The bodies whose data the user may import: where they are an administrator (every
    body for a superuser)."""
    if not _signed_in(user):
        return Body.objects.none()
    if user.is_superuser:
        return Body.objects.order_by("name")
    return Body.objects.filter(
        memberships__user=user, memberships__role=Role.ADMINISTRATOR
    ).order_by("name")


def allowed_kinds(user: Any) -> list[str]:
    """What the user may import: boundaries change routing for everyone, so only
    superusers; assets and requests also a body's administrators, for their own body."""
    if not _signed_in(user):
        return []
    if user.is_superuser:
        return list(ImportKind.values)
    if administered_bodies(user).exists():
        return [ImportKind.ASSETS, ImportKind.REQUESTS]
    return []


def may_import(user: Any) -> bool:
    """Whether the upload page is open to the user at all."""
    return bool(allowed_kinds(user))
