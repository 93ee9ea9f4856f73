"""Events: recorded with the change that caused them, then fanned out to followers.

``event_record`` is called inside the service that makes a change, so the event commits or
rolls back with it. ``fan_out`` (run by the worker) turns one event into one delivery per
follower: every active subscription whose target matches, at most one per person or endpoint
(the most specific wins). It is idempotent: running it twice writes no second delivery.

Who hears about what:

- followers of a request hear every event about it;
- email followers of an asset, area, category, body, drawn area or circle hear of new
  requests there (one email a day at most with the digest channel);
- webhook endpoints following those broader targets receive every event about the requests
  in them, so an integration can keep a copy up to date;
- a request in a private category is told to nobody but its reporter, through their own
  follow of it: no follower of an area, category, body, asset or drawn area, no other
  follower of the request and no webhook hears of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from openlocal.core import geo
from openlocal.requests.models import CLOSED_STATUSES, OPEN_STATUSES, Request, Status, Update
from openlocal.subscriptions.models import (
    SPATIAL_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    Subscription,
    SubscriptionCell,
    TargetKind,
    WebhookEndpoint,
)

#: When a person or endpoint matches through several subscriptions, the first kind here wins.
SPECIFICITY = (
    TargetKind.REQUEST,
    TargetKind.ASSET,
    TargetKind.POINT,
    TargetKind.POLYGON,
    TargetKind.CATEGORY,
    TargetKind.AREA,
    TargetKind.BODY,
)
_RANK: dict[str, int] = {kind.value: i for i, kind in enumerate(SPECIFICITY)}


# Payloads ---------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def request_payload(request: Request) -> dict[str, Any]:
    """The public facts about a request, as sent in webhooks. Nothing private."""
    asset = request.asset
    return {
        "id": request.pk,
        "url": settings.BASE_URL + request.get_absolute_url(),
        "title": request.title,
        "description": request.description,
        "status": request.status,
        "status_label": Status(request.status).label,
        "open": request.status in OPEN_STATUSES,
        "category": {
            "code": request.category.service_code,
            "name": request.category.name,
            "group": request.category.group,
        },
        "body": {"slug": request.body.slug, "name": request.body.name},
        "latitude": request.latitude,
        "longitude": request.longitude,
        "address": request.address,
        "asset": (
            {
                "id": asset.external_id,
                "type": asset.asset_type.slug,
                "name": asset.name,
            }
            if asset is not None
            else None
        ),
        "reporter_name": request.public_reporter_name or None,
        "supporter_count": request.supporter_count,
        "follower_count": request.follower_count,
        "duplicate_of": request.duplicate_of_id,
        "created_at": _iso(request.created_at),
        "updated_at": _iso(request.updated_at),
        "closed_at": _iso(request.closed_at),
    }


def update_payload(update: Update) -> dict[str, Any]:
    """A public timeline entry as sent in webhooks (never an internal note)."""
    return {
        "id": update.pk,
        "kind": update.kind,
        "text": update.text,
        "old_status": update.old_status or None,
        "new_status": update.new_status or None,
        "author": update.author_name or None,
        "created_at": _iso(update.created_at),
    }


def status_event_kind(old: str, new: str) -> str:
    """The event for a status change: fixed and reopened are told apart from the rest."""
    if new == Status.FIXED:
        return EventKind.FIXED
    if old in CLOSED_STATUSES and new in OPEN_STATUSES:
        return EventKind.REOPENED
    return EventKind.STATUS_CHANGED


# Recording --------------------------------------------------------------------------------


def event_record(
    *,
    kind: str,
    request: Request | None,
    update: Update | None = None,
    extra: dict[str, Any] | None = None,
    at: datetime | None = None,
    recipients: Sequence[Subscription] | None = None,
) -> Event:
    """Record an event in the current transaction.

    With ``recipients``, the event goes to exactly those subscriptions (a merge tells the
    followers it moved) and its deliveries are written now; otherwise the worker fans it out.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Record events inside the transaction that makes the change.")
    now = at or timezone.now()
    data: dict[str, Any] = {}
    if request is not None:
        data["request"] = request_payload(request)
    if update is not None:
        data["update"] = update_payload(update)
    data.update(extra or {})
    event = Event.objects.create(
        kind=kind,
        request=request,
        update=update,
        payload={"type": kind, "timestamp": now.isoformat(), "data": data},
        created_at=now,
        fanned_out_at=now if recipients is not None else None,
    )
    if recipients is not None:
        _write_deliveries(event, list(recipients), now)
    return event


# Matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    subscription_id: int
    person_id: int | None
    endpoint_id: int | None
    kind: str
    channel: str


def active_subscriptions() -> Q:
    """Confirmed, not stopped, and (for webhooks) on a confirmed endpoint still enabled."""
    return (
        Q(confirmed_at__isnull=False)
        & ~Q(channel=Channel.OFF)
        & (
            Q(endpoint__isnull=True)
            | Q(endpoint__confirmed_at__isnull=False, endpoint__disabled_at__isnull=True)
        )
    )


def target_keys(request: Request, area_ids: Iterable[int]) -> list[str]:
    """The keys of the broader targets a request falls under (not the request itself)."""
    areas = list(area_ids)
    keys = [f"category:{request.category_id}", f"body:{request.body_id}"]
    if request.asset_id:
        keys.append(f"asset:{request.asset_id}")
    keys += [f"area:{pk}" for pk in areas]
    keys += [f"category:{request.category_id}@area:{pk}" for pk in areas]
    return keys


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _spatial_candidates(latitude: float, longitude: float) -> tuple[set[int], set[int]]:
    """Drawn-area and circle subscriptions whose H3 cover holds the point: one indexed query.

    Returns ``(interior, boundary)``: a point in an interior cell is inside the shape; a
    boundary cell needs an exact test.
    """
    cells = geo.cell_and_parents(
        geo.point_cell(latitude, longitude, settings.AREA_COVER_RESOLUTION)
    )
    interior: set[int] = set()
    boundary: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT subscription_id, interior FROM {SubscriptionCell._meta.db_table} "  # noqa: S608
            f"WHERE cell IN ({_placeholders(cells)})",
            cells,
        )
        for pk, is_interior in cursor.fetchall():
            (interior if is_interior else boundary).add(pk)
    return interior, boundary - interior


def _inside_polygons(pks: list[int], latitude: float, longitude: float) -> set[int]:
    """The drawn areas among ``pks`` that contain the point (an exact shapely test)."""
    if not pks:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, geometry FROM {Subscription._meta.db_table} "  # noqa: S608
            f"WHERE id IN ({_placeholders(pks)})",
            pks,
        )
        shapes = cursor.fetchall()
    return {
        pk
        for pk, wkb in shapes
        if wkb is not None and geo.contains(bytes(wkb), latitude, longitude)
    }


def _spatial_hit(
    kind: str,
    pk: int,
    interior: set[int],
    circle: tuple[float | None, float | None, int | None],
    point: tuple[float, float],
) -> bool | None:
    """True or False when the row decides it; None when a polygon needs the exact test."""
    if kind == TargetKind.POINT:
        # Circles are checked by distance: their cover is of a circumscribed polygon.
        return _in_circle(*circle, *point)
    return True if pk in interior else None


def spatial_subscription_ids(latitude: float, longitude: float) -> list[int]:
    """Drawn-area and circle subscriptions containing the point, through their H3 cover."""
    interior, boundary = _spatial_candidates(latitude, longitude)
    if not interior and not boundary:
        return []
    found: set[int] = set()
    polygons: list[int] = []
    ids = sorted(interior | boundary)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, latitude, longitude, radius_m "  # noqa: S608
            f"FROM {Subscription._meta.db_table} "
            f"WHERE id IN ({_placeholders(ids)})",
            ids,
        )
        rows = cursor.fetchall()
    for pk, kind, lat, lon, radius in rows:
        hit = _spatial_hit(kind, pk, interior, (lat, lon, radius), (latitude, longitude))
        if hit is None:
            polygons.append(pk)
        elif hit:
            found.add(pk)
    return sorted(found | _inside_polygons(polygons, latitude, longitude))


def _in_circle(
    lat: float | None, lon: float | None, radius: int | None, latitude: float, longitude: float
) -> bool:
    if lat is None or lon is None or radius is None:
        return False
    return geo.distance_m(lat, lon, latitude, longitude) <= radius


def _active_matching_rows(
    *,
    keys: Sequence[str],
    ids: Sequence[int],
    request_key: str,
    created: bool,
    reporter_id: int | None,
    shapes_of: Sequence[int] = (),
) -> list[tuple[Any, ...]]:
    """The active subscriptions under ``keys`` or among ``ids`` that should hear an event.

    Each row ends with the subscription's shape when it is a drawn area among ``shapes_of``
    (those whose edge passes near the point, which need an exact test), so that the shapes
    come with the rows rather than in a query of their own.

    Plain SQL rather than the ORM: this runs for every event, and building the query costs
    more than running it. The rule for "active" is :func:`active_subscriptions`; the webhook
    endpoint's state is looked up per matched row (a correlated scalar subquery, which the
    database cannot turn into a scan of every endpoint), so the cost does not grow with the
    number of endpoints.
    """
    subscription = Subscription._meta.db_table
    endpoint = WebhookEndpoint._meta.db_table
    broad = [f"s.target_key IN ({_placeholders(keys)})"]
    params: list[Any] = [*keys]
    if ids:
        broad.append(f"s.id IN ({_placeholders(ids)})")
        params += ids
    wanted = f"({' OR '.join(broad)})"
    if created:
        # The reporter already has the report confirmation: no "new request" email too.
        if reporter_id is not None:
            wanted += " AND (s.person_id IS NULL OR s.person_id <> %s)"
            params.append(reporter_id)
    else:
        # Email followers of broad targets hear only of new requests; webhooks hear all.
        wanted = f"(s.target_key = %s OR ({wanted} AND s.endpoint_id IS NOT NULL))"
        params.insert(0, request_key)
    shape, shape_params = "NULL", []
    if shapes_of:
        shape = f"CASE WHEN s.id IN ({_placeholders(shapes_of)}) THEN s.geometry END"
        shape_params = list(shapes_of)
    # Table names come from the models; every value is a parameter.
    sql = (
        "SELECT s.id, s.person_id, s.endpoint_id, s.kind, s.channel, s.latitude, "  # noqa: S608
        f"s.longitude, s.radius_m, {shape} FROM {subscription} s "
        f"WHERE s.confirmed_at IS NOT NULL AND s.channel <> %s AND {wanted} "
        "AND (s.endpoint_id IS NULL OR (SELECT e.confirmed_at IS NOT NULL AND "
        f"e.disabled_at IS NULL FROM {endpoint} e WHERE e.id = s.endpoint_id))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*shape_params, Channel.OFF.value, *params])
        return cursor.fetchall()


def matching_subscriptions(event: Event) -> list[Match]:
    """Every active subscription that should hear of the event, one per person or endpoint.

    Three indexed queries whatever the number of subscriptions: the request's areas, the
    cover cells at its point, and the subscriptions under its keys or those cells, with the
    shapes of drawn areas whose edge passes near the point for an exact test.
    """
    request = event.request
    if request is None:
        return []
    if request.private:
        return _reporter_only(event, request)
    point = (request.latitude, request.longitude)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT area_id FROM {Request.areas.through._meta.db_table} "  # noqa: S608
            "WHERE request_id = %s",
            [request.pk],
        )
        area_ids = [row[0] for row in cursor.fetchall()]
    interior, boundary = _spatial_candidates(*point)
    rows = _active_matching_rows(
        keys=target_keys(request, area_ids),
        ids=sorted(interior | boundary),
        request_key=f"request:{request.pk}",
        created=event.kind == EventKind.CREATED,
        reporter_id=request.reporter_id,
        shapes_of=sorted(boundary),
    )
    matches: list[Match] = []
    for pk, person_id, endpoint_id, kind, channel, lat, lon, radius, shape in rows:
        match = Match(pk, person_id, endpoint_id, kind, channel)
        if kind not in SPATIAL_KINDS:
            matches.append(match)
            continue
        hit = _spatial_hit(kind, pk, interior, (lat, lon, radius), point)
        if hit is None:
            hit = shape is not None and geo.contains(bytes(shape), *point)
        if hit:
            matches.append(match)
    best: dict[tuple[str, int | None], Match] = {}
    for match in matches:
        who = ("p", match.person_id) if match.person_id is not None else ("e", match.endpoint_id)
        current = best.get(who)
        key = (_RANK[match.kind], match.subscription_id)
        if current is None or key < (_RANK[current.kind], current.subscription_id):
            best[who] = match
    return sorted(best.values(), key=lambda m: m.subscription_id)


def _reporter_only(event: Event, request: Request) -> list[Match]:
    """A private request's followers: its reporter alone, through their follow of it.

    Not on creation: the reporter has the report confirmation already.
    """
    if event.kind == EventKind.CREATED or request.reporter_id is None:
        return []
    rows = (
        Subscription.objects.filter(
            active_subscriptions(),
            target_key=f"request:{request.pk}",
            person_id=request.reporter_id,
        )
        .order_by("pk")
        .values_list("pk", "person_id", "endpoint_id", "kind", "channel")
    )
    return [Match(*row) for row in rows]


# Fan-out ----------------------------------------------------------------------------------


def next_digest_at(now: datetime) -> datetime:
    """The next daily digest time (``DIGEST_HOUR`` in the site's time zone)."""
    local = timezone.localtime(now)
    due = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


def _delivery_channel(endpoint_id: int | None, channel: str) -> str:
    return Channel.WEBHOOK if endpoint_id is not None else channel


def _write_deliveries(event: Event, subscriptions: Sequence[Subscription], now: datetime) -> int:
    if not subscriptions:
        return 0
    # Read back from the database: a subscription is live only if its endpoint is too.
    rows = (
        Subscription.objects.filter(active_subscriptions(), pk__in=[s.pk for s in subscriptions])
        .order_by("pk")
        .values_list("pk", "person_id", "endpoint_id", "kind", "channel")
    )
    return _create_deliveries(event, [Match(*row) for row in rows], now)


#: Rows per INSERT when writing deliveries (12 parameters each, within SQLite's limit).
_INSERT_ROWS = 1000


def _create_deliveries(event: Event, matches: Sequence[Match], now: datetime) -> int:
    """Write one pending delivery per match; an (event, subscription) pair already written is
    left alone. Plain multi-row INSERTs: building ten thousand model instances for
    ``bulk_create`` cost more than the database's own work. Returns the rows written."""
    if not matches:
        return 0
    ops = connection.ops
    adapt = ops.adapt_datetimefield_value
    at, digest_at = adapt(now), adapt(next_digest_at(now))
    columns = (
        "event_id",
        "subscription_id",
        "endpoint_id",
        "channel",
        "status",
        "due_at",
        "leased_until",
        "attempts",
        "last_error",
        "response_status",
        "created_at",
        "sent_at",
    )
    table = ops.quote_name(Delivery._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        return _create_deliveries_postgres(event, matches, table, names, at, digest_at)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    conflict = f"ON CONFLICT ({ops.quote_name('event_id')}, {ops.quote_name('subscription_id')})"
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(matches), _INSERT_ROWS):
            chunk = matches[start : start + _INSERT_ROWS]
            params: list[Any] = []
            for m in chunk:
                digest = m.channel == Channel.DIGEST and m.endpoint_id is None
                params += [
                    event.pk,
                    m.subscription_id,
                    m.endpoint_id,
                    _delivery_channel(m.endpoint_id, m.channel),
                    DeliveryStatus.PENDING.value,
                    digest_at if digest else at,
                    None,
                    0,
                    "",
                    None,
                    at,
                    None,
                ]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - names are quoted
                f"{', '.join([row] * len(chunk))} {conflict} DO NOTHING",
                params,
            )
            written += max(cursor.rowcount, 0)
    return written


def _create_deliveries_postgres(
    event: Event, matches: Sequence[Match], table: str, names: str, at: Any, digest_at: Any
) -> int:
    """The same rows in one statement, as arrays: a query with tens of thousands of
    placeholders costs the driver more time to prepare than the database takes to insert."""
    subscriptions: list[int] = []
    endpoints: list[int | None] = []
    channels: list[str] = []
    due: list[Any] = []
    for m in matches:
        subscriptions.append(m.subscription_id)
        endpoints.append(m.endpoint_id)
        channels.append(_delivery_channel(m.endpoint_id, m.channel))
        due.append(digest_at if m.channel == Channel.DIGEST and m.endpoint_id is None else at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) "  # noqa: S608 - names are quoted
            "SELECT %s, u.subscription_id, u.endpoint_id, u.channel, %s, u.due_at, NULL, 0, "
            "'', NULL, %s, NULL FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], "
            "%s::timestamptz[]) AS u(subscription_id, endpoint_id, channel, due_at) "
            "ON CONFLICT (event_id, subscription_id) DO NOTHING",
            [
                event.pk,
                DeliveryStatus.PENDING.value,
                at,
                subscriptions,
                endpoints,
                channels,
                due,
            ],
        )
        return max(cursor.rowcount, 0)


@transaction.atomic
def fan_out(event: Event, *, now: datetime | None = None) -> int:
    """Write the event's deliveries and mark it fanned out. Returns how many were written.

    An event already fanned out is left alone: its followers were those of the moment it
    happened, and someone who follows later is not told of it.
    """
    now = now or timezone.now()
    done = (
        Event.objects.select_for_update()
        .filter(pk=event.pk)
        .values_list("fanned_out_at", flat=True)
        .first()
    )
    if done is not None:
        event.fanned_out_at = done
        return 0
    if event.request_id is not None and event.request is not None and event.request.hidden:
        count = 0  # hidden by moderation: followers hear nothing more of it
    else:
        count = _create_deliveries(event, matching_subscriptions(event), now)
    Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
    event.fanned_out_at = now
    return count


def fan_out_pending(*, limit: int = 100, now: datetime | None = None) -> int:
    """Fan out up to ``limit`` waiting events, oldest first; returns how many were done.

    Each event is claimed with ``FOR UPDATE SKIP LOCKED`` (on PostgreSQL) in its own
    transaction, so several workers share the work and a crash leaves the event waiting.
    """
    done = 0
    for _ in range(limit):
        with transaction.atomic():
            query = Event.objects.filter(fanned_out_at__isnull=True).order_by("id")
            if transaction.get_connection().features.has_select_for_update_skip_locked:
                query = query.select_for_update(skip_locked=True, of=("self",))
            event = query.first()
            if event is None:
                break
            fan_out(event, now=now)
            done += 1
    return done
