"""Who may do what for a body. Every staff action checks here before it acts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from openlocal.places.models import ROLE_RANK, Body, Membership, Role


def role_in(user: Any, body: Body | int) -> Role | None:
    """The user's role in the body, or None. Superusers act as administrators everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    body_id = body if isinstance(body, int) else body.pk
    role = (
        Membership.objects.filter(user=user, body_id=body_id).values_list("role", flat=True).first()
    )
    return Role(role) if role else None


def has_role(user: Any, body: Body | int, role: Role) -> bool:
    actual = role_in(user, body)
    return actual is not None and ROLE_RANK[actual] >= ROLE_RANK[role]


def require_role(user: Any, body: Body | int, role: Role) -> None:
    if not has_role(user, body, role):
        name = body.name if isinstance(body, Body) else f"body {body}"
        raise PermissionDenied(f"This needs the {role.label.lower()} role (or higher) at {name}.")


def bodies_for(user: Any) -> list[Body]:
    """The bodies whose requests the user may see as staff."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return list(Body.objects.all())
    return list(Body.objects.filter(memberships__user=user).distinct())
