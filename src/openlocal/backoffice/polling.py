"""Polling Open311 back offices for the changes their staff make.

For each enabled Open311 link that has sent something, the worker asks the back office for
``servicerequestupdates`` (mySociety's extension) since a little before the latest
``updated_datetime`` it has seen (:data:`OVERLAP`, for updates its back office commits
late), applies each update about a request this site sent through
:func:`services.remote_update_apply`, and moves the link's cursor on. Updates about
requests this site did not send are ignored (counted in one log line per poll). Each
``update_id`` is applied once, however often a window is read.

Before that, batch services' tokens are turned into ids (``tokens/{token}``), so updates
about those requests are recognised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import httpx
from django.db.models import Min
from django.utils import timezone

from openlocal.backoffice import client
from openlocal.backoffice.models import BackOfficeLink, Method, Sending, SendingStatus
from openlocal.backoffice.services import remote_update_apply

logger = logging.getLogger("openlocal.backoffice")

#: How far before the cursor each poll starts again.
OVERLAP = timedelta(minutes=10)
#: The end of the window is this far ahead of our clock, for a back office whose clock is.
AHEAD = timedelta(minutes=1)
#: Their request ids looked up per query (a poll may read thousands of updates).
LOOKUP_CHUNK = 500


@dataclass
class PollResult:
    links: int = 0
    #: Updates that put an entry on a request's timeline.
    applied: int = 0
    #: New updates recorded without an entry: they changed and said nothing for us.
    unchanged: int = 0
    ignored: int = 0
    tokens: int = 0
    errors: int = 0

    def __add__(self, other: PollResult) -> PollResult:
        return PollResult(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def resolve_tokens(http: httpx.Client, link: BackOfficeLink) -> int:
    """Turn the link's outstanding tokens into ids; returns how many were resolved."""
    resolved = 0
    waiting = Sending.objects.filter(link=link, status=SendingStatus.SENT, external_id="").exclude(
        token=""
    )
    for sending in waiting.order_by("id")[:200]:
        found = client.resolve_token(http, link, sending.token)
        if found:
            Sending.objects.filter(pk=sending.pk, external_id="").update(external_id=found[:100])
            resolved += 1
    return resolved


def _window_start(link: BackOfficeLink) -> datetime | None:
    if link.poll_cursor is not None:
        return link.poll_cursor - OVERLAP
    first = Sending.objects.filter(link=link, status=SendingStatus.SENT).aggregate(
        first=Min("sent_at")
    )["first"]
    return first - OVERLAP if first is not None else None


def poll_link(link: BackOfficeLink, *, http: httpx.Client, now: datetime) -> PollResult:
    """Read and apply one back office's updates. Raises :class:`client.BackOfficeError`."""
    result = PollResult(links=1)
    result.tokens = resolve_tokens(http, link)
    start = _window_start(link)
    if start is None:
        return result  # nothing sent yet: nothing to hear about
    page = client.fetch_updates(http, link, start, now + AHEAD)
    updates = sorted(
        page.updates,
        key=lambda u: (u.updated_at or now, u.update_id),
    )
    ids = sorted({u.service_request_id for u in updates})
    sendings: dict[str, Sending] = {}
    for start_at in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start_at : start_at + LOOKUP_CHUNK]
        for found in Sending.objects.filter(
            link=link, status=SendingStatus.SENT, external_id__in=chunk
        ).select_related("link", "link__body"):
            sendings[found.external_id] = found
    for update in updates:
        sending = sendings.get(update.service_request_id)
        if sending is None:
            result.ignored += 1
            logger.debug(
                "update %s from %s's back office is about request %s, which this site did "
                "not send: ignored",
                update.update_id,
                link.body.slug,
                update.service_request_id,
            )
            continue
        applied = remote_update_apply(sending=sending, remote=update, now=now)
        if applied is None:
            continue  # applied by an earlier poll
        if applied.update_id is not None:
            result.applied += 1
        else:
            result.unchanged += 1
    latest = max((u.updated_at for u in updates if u.updated_at is not None), default=None)
    cursor = link.poll_cursor
    if page.complete and latest is not None and (cursor is None or latest > cursor):
        cursor = min(latest, now)
    BackOfficeLink.objects.filter(pk=link.pk).update(
        poll_cursor=cursor, last_polled_at=now, last_poll_error=""
    )
    link.poll_cursor, link.last_polled_at, link.last_poll_error = cursor, now, ""
    if result.ignored or page.unusable:
        logger.info(
            "%s's back office: %d updates applied, %d about requests this site did not send "
            "ignored, %d without an update_id or service_request_id",
            link.body.slug,
            result.applied,
            result.ignored,
            page.unusable,
        )
    if not page.complete:
        logger.warning(
            "%s's back office had more than %d pages of updates since %s: the rest are read "
            "next time",
            link.body.slug,
            client.MAX_PAGES,
            client.w3c(start),
        )
    return result


def poll(*, now: datetime | None = None, body_slug: str | None = None) -> PollResult:
    """Poll every enabled Open311 link (or one body's); a failing back office is recorded on
    its link and the others are still polled."""
    now = now or timezone.now()
    links = BackOfficeLink.objects.filter(enabled=True, method=Method.OPEN311).select_related(
        "body"
    )
    if body_slug is not None:
        links = links.filter(body__slug=body_slug)
    total = PollResult()
    with client.http_client() as http:
        for link in links.order_by("id"):
            try:
                total += poll_link(link, http=http, now=now)
            except client.BackOfficeError as error:
                total += PollResult(links=1, errors=1)
                message = client.redact(error.message, link)[:500]
                BackOfficeLink.objects.filter(pk=link.pk).update(
                    last_polled_at=now, last_poll_error=message
                )
                logger.warning("polling %s's back office failed: %s", link.body.slug, message)
    return total
