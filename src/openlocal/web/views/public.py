"""Helpers shared by the public page views: list rows, map data and rendering."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import json_script

from openlocal.requests import access
from openlocal.requests.models import Photo, Request, RequestQuerySet, Update
from openlocal.web import presenters

#: Default map view when nothing better is known: Great Britain.
UK_CENTRE = (54.0, -2.5, 6)


def public_requests() -> RequestQuerySet:
    """Every request the public may see. Public pages read requests only through this."""
    return Request.public_objects.get_queryset()


def viewable_request(request: HttpRequest, pk: int) -> Request | None:
    """A request this visitor may see on its page, or None (shown as the same 404).

    Anyone may see a public request. A request in a private category may be seen only by a
    browser its reporter has opened a reporter link in, or that sent the report
    (:mod:`openlocal.requests.access`); staff work it in the staff pages. A request hidden
    by moderation is seen by nobody here.
    """
    found = public_requests().with_related().filter(pk=pk).first()
    if found is None and access.may_see(request.session, pk):
        found = (
            Request.private_objects.with_related().filter(pk=pk, hidden=False, private=True).first()
        )
    return found


def timeline_updates(obj: Request) -> Any:
    """The public entries of a request's timeline, for a request its viewer may see.

    ``Update.public_objects`` leaves out every entry of a private request; its reporter,
    looking at their own request, sees the same entries as the public would see of a public
    one (never internal notes or hidden entries).
    """
    if obj.private:
        return Update.private_objects.filter(request=obj, public=True, hidden=False)
    return Update.public_objects.filter(request=obj)


def request_photos(obj: Request) -> Any:
    """The visible photos of a request its viewer may see (see :func:`timeline_updates`)."""
    if obj.private:
        return Photo.private_objects.filter(request=obj, hidden=False)
    return Photo.public_objects.filter(request=obj)


def keep_private(response: HttpResponse) -> HttpResponse:
    """Headers for a page only its reporter may see: not stored, not indexed, and its
    address never sent to another site."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


@dataclass(frozen=True)
class RequestRow:
    """A public request as one line of a list or table."""

    id: int
    title: str
    url: str
    status: str
    status_tag: dict[str, str]
    category: str
    body: str
    created_at: datetime
    reported: str
    supporters: int
    distance: str = ""


def request_rows(
    requests: Iterable[Request], *, distances: dict[int, float] | None = None
) -> list[RequestRow]:
    """Rows for requests that came from ``Request.public_objects``."""
    now = timezone.now()
    rows = []
    for req in requests:
        rows.append(
            RequestRow(
                id=req.pk,
                title=req.title,
                url=req.get_absolute_url(),
                status=req.get_status_display(),
                status_tag=presenters.status_tag(req.status),
                category=req.category.name,
                body=req.body.name,
                created_at=req.created_at,
                reported=presenters.reported_line(req.created_at, req.public_reporter_name, now),
                supporters=req.supporter_count,
                distance=(
                    presenters.distance_text(distances[req.pk])
                    if distances and req.pk in distances
                    else ""
                ),
            )
        )
    return rows


def point_map(latitude: float, longitude: float, *, zoom: int = 17) -> dict[str, str]:
    """``data-`` attributes for a map showing one point (mode ``show``)."""
    return {"lat": f"{latitude:.6f}", "lon": f"{longitude:.6f}", "zoom": str(zoom)}


def json_data(value: Any, element_id: str) -> str:
    """A ``<script type="application/json">`` element: data for scripts, never executed."""
    return json_script(value, element_id)


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a public page, passing on any one-off messages for the layout to show."""
    context.setdefault("messages", list(get_messages(request)))
    return render(request, template, context, status=status)
