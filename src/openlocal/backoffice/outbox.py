"""Which requests to send: read from the event outbox, so no write path needs to know.

Every request made, and every request passed to another body, records an event
(``subscriptions.Event``, kinds ``request.created`` and ``request.reassigned``) in the same
transaction as the change. This module reads those events in id order from a stored cursor
and writes a :class:`Sending` for each request now with a body whose link is enabled. A
unique (request, link) pair makes reading an event twice harmless.

Ids are handed out when a row is inserted, not when its transaction commits, so on
PostgreSQL event 11 may be visible while event 10 is still being written. The cursor keeps
such missing ids as gaps and looks for them again on every run, until they appear or are
old enough (:data:`GAP_GRACE`) to be a transaction that rolled back. On SQLite writers take
turns, so gaps are only ever rolled back or deleted rows.

Events written with ``notify=False`` (the demo, imported history) are recorded already
fanned out, at the moment they happened; they are not sent, and neither are requests
imported from another system.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openlocal.backoffice.models import BackOfficeLink, OutboxCursor, Sending, SendingStatus
from openlocal.requests.models import Request, Source
from openlocal.subscriptions.models import Event, EventKind

logger = logging.getLogger("openlocal.backoffice")

CURSOR_NAME = "back-office-sending"
#: A missing event id this old is a transaction that rolled back (or a deleted row).
GAP_GRACE = timedelta(minutes=10)
#: Events read per run; the job runs again straight away while there are more.
BATCH = 2000
_SENDING_KINDS = (EventKind.CREATED.value, EventKind.REASSIGNED.value)

_Row = tuple[int, str, int | None, datetime, datetime | None]
_FIELDS = ("id", "kind", "request_id", "created_at", "fanned_out_at")


def cursor_ensure() -> OutboxCursor:
    """The cursor, started at the newest event when it is first needed.

    Requests made before any back office was linked are not sent: the cursor starts when
    the first link is saved.
    """
    newest = Event.objects.aggregate(newest=Max("id"))["newest"] or 0
    cursor, _ = OutboxCursor.objects.get_or_create(
        name=CURSOR_NAME, defaults={"last_event_id": newest}
    )
    return cursor


def _gap_rows(gaps: list[list[object]]) -> tuple[list[_Row], list[list[object]]]:
    """Events that have appeared in the gaps, and the gaps that remain."""
    found: list[_Row] = []
    remaining: list[list[object]] = []
    for first, last, seen in gaps:
        assert isinstance(first, int) and isinstance(last, int)
        rows: list[_Row] = list(
            Event.objects.filter(id__range=(first, last)).order_by("id").values_list(*_FIELDS)
        )
        found.extend(rows)
        start = first
        for row in rows:
            if row[0] > start:
                remaining.append([start, row[0] - 1, seen])
            start = row[0] + 1
        if start <= last:
            remaining.append([start, last, seen])
    return found, remaining


def _recent(gap: list[object], cutoff: datetime) -> bool:
    seen = parse_datetime(str(gap[2]))
    return seen is not None and seen > cutoff


def sendings_from_events(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Read new events (and any that filled a gap) and write the sendings they call for.

    Returns how many events were read, so the worker knows whether to come back at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        query = OutboxCursor.objects.filter(name=CURSOR_NAME)
        if transaction.get_connection().features.has_select_for_update:
            query = query.select_for_update()
        cursor = query.first()
        if cursor is None:
            if not BackOfficeLink.objects.filter(enabled=True).exists():
                return 0
            cursor_ensure()
            return 0
        rows, gaps = _gap_rows(cursor.gaps or [])
        new: list[_Row] = list(
            Event.objects.filter(id__gt=cursor.last_event_id)
            .order_by("id")
            .values_list(*_FIELDS)[:limit]
        )
        expected = cursor.last_event_id + 1
        for row in new:
            if row[0] > expected:
                gaps.append([expected, row[0] - 1, now.isoformat()])
            expected = row[0] + 1
        if new:
            cursor.last_event_id = new[-1][0]
        cutoff = now - GAP_GRACE
        cursor.gaps = [gap for gap in gaps if _recent(gap, cutoff)]
        cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
        written = _write_sendings(rows + new, now)
    if written:
        logger.info("%d requests to send to back offices", written)
    return len(new)


def _quiet(row: _Row) -> bool:
    """Recorded with ``notify=False``: fanned out to nobody at the moment it happened."""
    return row[4] is not None and row[4] == row[3]


#: How close to a sending's try a request made by it on this very site must be.
_ECHO_WINDOW = timedelta(minutes=1)


def _echoes(found: list[tuple[int, int, str, datetime]]) -> set[int]:
    """Requests this site made itself, by posting a body's request to its own Open311
    server, that came back to the same body: sending them would go round for ever.

    That happens only when a link points at this site and its service codes route back to
    the linked body. The request is kept (staff see it, and the link's page shows the
    original as sent) but not sent again, and a warning says what to fix.
    """
    via_open311 = {pk: (body, at) for pk, body, source, at in found if source == Source.OPEN311}
    if not via_open311:
        return set()
    echoes: set[int] = set()
    rows = Sending.objects.filter(external_id__in=[str(pk) for pk in via_open311]).values_list(
        "external_id",
        "request_id",
        "link__body_id",
        "link__body__slug",
        "last_attempt_at",
        "sent_at",
    )
    for external_id, origin, body_id, slug, tried, sent in rows:
        if not external_id.isdigit() or tried is None or sent is None:
            continue
        body, at = via_open311.get(int(external_id), (None, None))
        if body == body_id and at is not None and tried - _ECHO_WINDOW <= at <= sent + _ECHO_WINDOW:
            echoes.add(int(external_id))
            logger.warning(
                "request %s came back to %s from its own back-office link (as request %s): "
                "the link points at this site and routes the request back to the same body; "
                "map its service codes to a category another body handles",
                origin,
                slug,
                external_id,
            )
    return echoes


def _write_sendings(rows: Iterable[_Row], now: datetime) -> int:
    request_ids = {
        row[2]
        for row in rows
        if row[1] in _SENDING_KINDS and row[2] is not None and not _quiet(row)
    }
    if not request_ids:
        return 0
    found = list(
        Request.private_objects.filter(pk__in=request_ids)
        .exclude(source=Source.IMPORT)
        .values_list("pk", "body_id", "source", "created_at")
    )
    echoes = _echoes(found)
    requests = [(pk, body) for pk, body, _, _ in found if pk not in echoes]
    links = {
        link.body_id: link
        for link in BackOfficeLink.objects.filter(
            enabled=True, body_id__in={body for _, body in requests}
        )
    }
    if not links:
        return 0
    wanted = {(pk, links[body].pk) for pk, body in requests if body in links}
    existing = set(
        Sending.objects.filter(request_id__in={pk for pk, _ in wanted}).values_list(
            "request_id", "link_id"
        )
    )
    sendings = [
        Sending(
            request_id=pk,
            link_id=link_id,
            status=SendingStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for pk, link_id in sorted(wanted - existing)
    ]
    Sending.objects.bulk_create(sendings, ignore_conflicts=True)
    return len(sendings)
