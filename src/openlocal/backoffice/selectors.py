"""Reads for the back-office pages and the request workspace."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openlocal.backoffice.models import BackOfficeLink, Sending
from openlocal.backoffice.presenters import SendingRow, sending_row
from openlocal.places.models import Body, Role
from openlocal.places.permissions import has_role
from openlocal.requests.models import Request

#: The roles that see a body's back-office page (sendings, "Retry now"); administrators
#: also set the link up.
VIEWING_ROLES = (Role.MANAGER, Role.ADMINISTRATOR)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def administered_bodies(user: Any) -> QuerySet[Body]:
    """Bodies whose link the user sets up: where they are an administrator (all for a
    superuser)."""
    if not _signed_in(user):
        return Body.objects.none()
    if user.is_superuser:
        return Body.objects.order_by("name")
    return Body.objects.filter(
        memberships__user=user, memberships__role=Role.ADMINISTRATOR
    ).order_by("name")


def managed_bodies(user: Any) -> QuerySet[Body]:
    """Bodies whose back-office page the user sees: manager or administrator there."""
    if not _signed_in(user):
        return Body.objects.none()
    if user.is_superuser:
        return Body.objects.order_by("name")
    return (
        Body.objects.filter(memberships__user=user, memberships__role__in=VIEWING_ROLES)
        .distinct()
        .order_by("name")
    )


def may_configure_back_office(user: Any) -> bool:
    """Whether the staff navigation offers the back-office page (administrators)."""
    if not _signed_in(user):
        return False
    return bool(user.is_superuser) or administered_bodies(user).exists()


def link_of(body: Body) -> BackOfficeLink | None:
    return BackOfficeLink.objects.filter(body=body).first()


def links_of(bodies: QuerySet[Body]) -> dict[int, BackOfficeLink]:
    return {link.body_id: link for link in BackOfficeLink.objects.filter(body__in=bodies)}


def recent_sendings(body: Body) -> QuerySet[Sending]:
    """The body's sendings, newest first (the link's index serves this)."""
    return (
        Sending.objects.filter(link__body=body)
        .select_related("request", "link", "link__body")
        .order_by("-created_at", "-id")
    )


def request_sendings(request: Request) -> list[Sending]:
    """Every sending of one request, to any body, newest first."""
    return list(
        Sending.objects.filter(request=request)
        .select_related("request", "link", "link__body")
        .order_by("-created_at", "-id")
    )


def sending_status(request: Request, user: Any) -> list[SendingRow]:
    """The request's sendings as the staff workspace shows them, with "Retry now" for the
    body's managers."""
    rows = []
    for sending in request_sendings(request):
        may_retry = has_role(user, sending.link.body, Role.MANAGER)
        rows.append(sending_row(sending, may_retry=may_retry))
    return rows
