"""Keeping the performance rollups current: a full rebuild, and the worker's refresh.

Every public request (neither hidden nor private) contributes to the month rows of
:class:`~openlocal.performance.models.MonthFigures`:

- to the month it was **made** (site time): one request, its supporters and followers;
- to the month it was **acknowledged**: one acknowledgement, and its time from being made
  to being acknowledged in the histogram;
- to the month it was **closed as fixed** (status fixed): one fix, its time from being made
  to being closed in the histogram, and whether it was fixed by its due date.

Each contribution goes to the row of the request's body and category for no area in
particular and to the row for each of its areas; rows without a category are the sums of
the body's categories. What each request contributed is kept (:class:`CountedRequest`),
so a change is applied exactly: its old contribution is taken away and its new one added.

:func:`rollups_rebuild` recounts everything from the requests, in one transaction.
:func:`rollups_refresh` (the worker's job, every few minutes) recounts only the requests
that may have changed since it last ran, found through indexes:

- requests whose ``updated_at`` is recent, and requests with a recent timeline entry (a
  status change, a merge, hiding and showing again all write one);
- requests and supporters ("me too"s) with ids above the highest seen;
- and, so that whatever these miss (a follower confirming, a change written straight into
  the database) is put right, a sweep of the next ``PERFORMANCE_SWEEP_REQUESTS`` requests
  in order of id, round and round.

"Recent" reaches back :data:`CHANGE_OVERLAP` before the last refresh began, so a change
whose transaction was still open when that refresh read the tables is not missed.
The backlog (open requests by age) changes as time passes, so every refresh recounts it
from the open requests' stored facts.

Two workers never write the rollups at once: every writer first locks the one
:class:`RollupState` row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer at
a time), and a refresh that finds it locked leaves the work to the worker holding it.
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from openlocal.opendata.expressions import DaysBetween, IsoText
from openlocal.performance import histograms
from openlocal.performance.figures import Figures
from openlocal.performance.models import (
    BAND_EDGES_DAYS,
    BacklogFigures,
    CountedRequest,
    MonthFigures,
    RollupState,
)
from openlocal.requests.models import OPEN_STATUSES, Request, Status, Supporter, Update

logger = logging.getLogger("openlocal.performance")

#: How far before the last refresh's start a change's timestamp may be and still be looked
#: at: longer than any transaction that changes a request stays open.
CHANGE_OVERLAP = timedelta(minutes=10)
#: Requests read from the database at a time.
CHUNK_SIZE = 2000
#: Requests asked for by id in one query.
IDS_PER_QUERY = 500
#: Rows written by one statement.
INSERT_BATCH = 2000

#: A month row's key: (first day of the month, body id, category id or None, area id or None).
Key = tuple[date, int, int | None, int | None]


class Months:
    """The site-time month of a moment given as ISO 8601 text in UTC.

    The start of every month from 1900 to 2200, as UTC text, is worked out once; a moment's
    month is then a binary search among them (text in one format sorts as time does).
    """

    FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"

    def __init__(self) -> None:
        self.starts: list[str] = []
        self.months: list[date] = []
        for year in range(1900, 2201):
            for month in range(1, 13):
                start = timezone.make_aware(datetime(year, month, 1))
                self.starts.append(start.astimezone(UTC).strftime(self.FORMAT))
                self.months.append(date(year, month, 1))

    def of(self, moment: str) -> date:
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.months[max(index, 0)]


class Fact(NamedTuple):
    """What one public request contributes to the month rows."""

    body_id: int
    category_id: int
    areas: tuple[int, ...]
    made_month: date
    supporters: int
    followers: int
    acknowledged_month: date | None
    acknowledge_bucket: int | None
    fixed_month: date | None
    fix_bucket: int | None
    with_level: bool
    in_time: bool
    #: Whether the request is open, when it was made and when it is due (UTC text, as
    #: :data:`Months.FORMAT`): its place in the backlog.
    open: bool
    made_at: str
    due_at: str | None

    @classmethod
    def of_stored(cls, row: Sequence[Any]) -> Fact:
        """From a row of :data:`FACT_COLUMNS` (without the request id)."""
        areas = row[2]
        return cls(
            row[0],
            row[1],
            tuple(int(a) for a in areas.split(",")) if areas else (),
            *row[3:],
        )

    def stored(self, request_id: int) -> tuple[Any, ...]:
        """As a row of :data:`FACT_COLUMNS`."""
        return (
            request_id,
            self.body_id,
            self.category_id,
            ",".join(map(str, self.areas)),
            *self[3:],
        )


#: The columns of :class:`CountedRequest`, in the order of :class:`Fact` after the id.
FACT_COLUMNS = (
    "request_id",
    "body_id",
    "category_id",
    "areas",
    "made_month",
    "supporters",
    "followers",
    "acknowledged_month",
    "acknowledge_bucket",
    "fixed_month",
    "fix_bucket",
    "with_level",
    "in_time",
    "open",
    "made_at",
    "due_at",
)
#: The columns of :class:`MonthFigures` the refresh writes.
FIGURE_COLUMNS = (
    "requests",
    "supporters",
    "followers",
    "acknowledged",
    "acknowledge_times",
    "fixed",
    "fix_times",
    "fixed_with_level",
    "fixed_in_time",
)
_KEY_COLUMNS = ("month", "body_id", "category_id", "area_id")
OPEN = frozenset(str(status) for status in OPEN_STATUSES)


def _adapter(field: Any, *, copy: bool) -> Callable[[Any], Any] | None:
    """How a value of ``field`` is passed to the database in plain SQL (or PostgreSQL's
    ``COPY``), if not as it is."""
    kind = field.get_internal_type()
    ops = connection.ops
    if kind == "JSONField":
        if copy:
            return lambda value: json.dumps(value, separators=(",", ":"))
        return lambda value: ops.adapt_json_value(value, None)
    if kind == "DateField" and not copy:
        return ops.adapt_datefield_value
    return None


def _insert(model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows with plain SQL: ``COPY`` on PostgreSQL, batches of ``INSERT`` on SQLite.
    The ORM's ``bulk_create`` spends most of a rebuild compiling statements."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    copy = connection.vendor == "postgresql"
    adapters = [_adapter(column, copy=copy) for column in columns]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(c.column) for c in columns)

    def adapted(row: Sequence[Any]) -> list[Any]:
        return [v if a is None else a(v) for a, v in zip(adapters, row, strict=True)]

    count = 0
    with connection.cursor() as cursor:
        if copy:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(adapted(row))
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(adapted(row))
            if len(batch) >= INSERT_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


#: The request fields a fact is worked out from.
_FIELDS = (
    "pk",
    "body_id",
    "category_id",
    "hidden",
    "private",
    "status",
    "supporter_count",
    "follower_count",
    "made",
    "acknowledged",
    "closed",
    "due",
    "acknowledge_days",
    "fix_days",
)


def _requests() -> QuerySet[Request]:
    """Every request (hidden and private ones too: they must be taken out if counted
    before), with its times as UTC text and its durations worked out by the database."""
    return Request.private_objects.annotate(
        made=IsoText("created_at"),
        acknowledged=IsoText("acknowledged_at"),
        closed=IsoText("closed_at"),
        due=IsoText("due_at"),
        acknowledge_days=DaysBetween("created_at", "acknowledged_at"),
        fix_days=DaysBetween("created_at", "closed_at"),
    ).order_by("pk")


def _areas_of(first: int, last: int, ids: Sequence[int] | None) -> dict[int, tuple[int, ...]]:
    """The area ids of the requests with ids from ``first`` to ``last`` (of ``ids`` only,
    when given), read in one query."""
    through = Request.areas.through._meta.db_table
    if ids is None:
        where, params = "request_id >= %s AND request_id <= %s", [first, last]
    else:
        where, params = f"request_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    found: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT request_id, area_id FROM {connection.ops.quote_name(through)} "  # noqa: S608
            f"WHERE {where} ORDER BY request_id, area_id",
            params,
        )
        for request_id, area_id in cursor.fetchall():
            found.setdefault(request_id, []).append(area_id)
    return {pk: tuple(areas) for pk, areas in found.items()}


@functools.cache
def _months(zone: str) -> Months:
    return Months()


class FactReader:
    """Works out requests' facts, a chunk at a time."""

    def __init__(self) -> None:
        self.months = _months(settings.TIME_ZONE)

    def fact(self, row: Sequence[Any], areas: tuple[int, ...]) -> Fact | None:
        (
            _pk,
            body_id,
            category_id,
            hidden,
            private,
            status,
            supporters,
            followers,
            made,
            acknowledged,
            closed,
            due,
            acknowledge_days,
            fix_days,
        ) = row
        if hidden or private:
            return None
        month = self.months.of
        acknowledged_month = acknowledge_bucket = None
        if acknowledged is not None and acknowledge_days is not None:
            acknowledged_month = month(str(acknowledged))
            acknowledge_bucket = histograms.bucket(float(acknowledge_days) * 86400)
        fixed_month = fix_bucket = None
        with_level = in_time = False
        if status == Status.FIXED and closed is not None and fix_days is not None:
            fixed_month = month(str(closed))
            fix_bucket = histograms.bucket(float(fix_days) * 86400)
            with_level = due is not None
            in_time = with_level and str(closed) <= str(due)
        return Fact(
            body_id=int(body_id),
            category_id=int(category_id),
            areas=areas,
            made_month=month(str(made)),
            supporters=int(supporters),
            followers=int(followers),
            acknowledged_month=acknowledged_month,
            acknowledge_bucket=acknowledge_bucket,
            fixed_month=fixed_month,
            fix_bucket=fix_bucket,
            with_level=with_level,
            in_time=in_time,
            open=status in OPEN,
            made_at=str(made),
            due_at=None if due is None else str(due),
        )

    def by_range(self, after: int, limit: int) -> list[tuple[int, Fact | None]]:
        """The next ``limit`` requests with ids above ``after``, with their facts."""
        rows: list[Any] = list(_requests().filter(pk__gt=after).values_list(*_FIELDS)[:limit])
        if not rows:
            return []
        areas = _areas_of(int(rows[0][0]), int(rows[-1][0]), None)
        return [(int(r[0]), self.fact(r, areas.get(int(r[0]), ()))) for r in rows]

    def by_ids(self, ids: Sequence[int]) -> dict[int, Fact | None]:
        """The facts of these requests; ids of requests that no longer exist map to None."""
        rows: list[Any] = list(_requests().filter(pk__in=ids).values_list(*_FIELDS))
        areas = _areas_of(0, 0, ids) if rows else {}
        found: dict[int, Fact | None] = dict.fromkeys(ids)
        for r in rows:
            pk = int(r[0])
            found[pk] = self.fact(r, areas.get(pk, ()))
        return found


class Tally:
    """Month rows being added up.

    Requests are first added up by the areas they lie in together (every request in a ward
    lies in the same district and county), which is far fewer additions than one per area;
    :meth:`rows` then hands each area its share.
    """

    def __init__(self) -> None:
        self.groups: dict[tuple[date, int, int, tuple[int, ...]], Figures] = {}

    def count(self, fact: Fact, sign: int = 1) -> None:
        """Add a request's contribution (``sign`` -1: take it away)."""
        groups = self.groups
        body_id, category_id, areas = fact.body_id, fact.category_id, fact.areas
        key = (fact.made_month, body_id, category_id, areas)
        made = groups.get(key)
        if made is None:
            made = groups[key] = Figures()
        made.requests += sign
        made.supporters += sign * fact.supporters
        made.followers += sign * fact.followers
        if fact.acknowledged_month is not None and fact.acknowledge_bucket is not None:
            key = (fact.acknowledged_month, body_id, category_id, areas)
            found = groups.get(key)
            if found is None:
                found = groups[key] = Figures()
            found.acknowledged += sign
            times = found.acknowledge_times
            n = times.get(fact.acknowledge_bucket, 0) + sign
            if n:
                times[fact.acknowledge_bucket] = n
            else:
                del times[fact.acknowledge_bucket]
        if fact.fixed_month is not None and fact.fix_bucket is not None:
            key = (fact.fixed_month, body_id, category_id, areas)
            found = groups.get(key)
            if found is None:
                found = groups[key] = Figures()
            found.fixed += sign
            times = found.fix_times
            n = times.get(fact.fix_bucket, 0) + sign
            if n:
                times[fact.fix_bucket] = n
            else:
                del times[fact.fix_bucket]
            if fact.with_level:
                found.fixed_with_level += sign
                if fact.in_time:
                    found.fixed_in_time += sign

    def rows(self) -> dict[Key, Figures]:
        """The month rows: each group's figures for no area and for each of its areas, and
        for each (month, body, area) the sum of its categories."""
        found: dict[Key, Figures] = {}
        for (month, body_id, category_id, areas), figures in self.groups.items():
            if figures.empty:
                continue
            for area in (None, *areas):
                for category in (category_id, None):
                    key: Key = (month, body_id, category, area)
                    row = found.get(key)
                    if row is None:
                        found[key] = figures.copy()
                    else:
                        row.add(figures)
        return found


class RollupsDisagree(Exception):
    """A change would count something below zero: the rows no longer match the requests."""


def _figure_values(figures: Figures) -> list[Any]:
    """The values of :data:`FIGURE_COLUMNS`."""
    return [
        figures.requests,
        figures.supporters,
        figures.followers,
        figures.acknowledged,
        histograms.to_json(figures.acknowledge_times),
        figures.fixed,
        histograms.to_json(figures.fix_times),
        figures.fixed_with_level,
        figures.fixed_in_time,
    ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _stored_rows(keys: Sequence[Key]) -> dict[Key, tuple[int, Figures]]:
    """The stored month rows of these keys, with their ids: one query per month and body,
    for the categories and areas asked about (and their totals)."""
    wanted: dict[tuple[date, int], tuple[set[int], set[int]]] = {}
    for month, body_id, category_id, area_id in keys:
        categories, areas = wanted.setdefault((month, body_id), (set(), set()))
        if category_id is not None:
            categories.add(category_id)
        if area_id is not None:
            areas.add(area_id)
    found: dict[Key, tuple[int, Figures]] = {}
    quote = connection.ops.quote_name
    table = quote(MonthFigures._meta.db_table)
    columns = ", ".join(quote(c) for c in ("id", "category_id", "area_id", *FIGURE_COLUMNS))
    month_value = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for (month, body_id), (categories, areas) in wanted.items():
            where = [f"{quote('month')} = %s", f"{quote('body_id')} = %s"]
            params: list[Any] = [month_value(month), body_id]
            for column, ids in (("category_id", categories), ("area_id", areas)):
                condition = f"{quote(column)} IS NULL"
                if ids:
                    condition = (
                        f"({condition} OR {quote(column)} IN ({', '.join(['%s'] * len(ids))}))"
                    )
                    params += sorted(ids)
                where.append(condition)
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)}",  # noqa: S608
                params,
            )
            for pk, category_id, area_id, *values in cursor.fetchall():
                figures = Figures(
                    requests=values[0],
                    supporters=values[1],
                    followers=values[2],
                    acknowledged=values[3],
                    acknowledge_times=histograms.from_json(_json(values[4])),
                    fixed=values[5],
                    fix_times=histograms.from_json(_json(values[6])),
                    fixed_with_level=values[7],
                    fixed_in_time=values[8],
                )
                found[(month, body_id, category_id, area_id)] = (pk, figures)
    return found


def _apply(changes: dict[Key, Figures]) -> int:
    """Add ``changes`` to the stored month rows; returns how many rows changed."""
    keys = [key for key, figures in changes.items() if not figures.empty]
    if not keys:
        return 0
    stored = _stored_rows(keys)
    created: list[list[Any]] = []
    updated: list[list[Any]] = []
    emptied: list[int] = []
    for key in keys:
        pk, figures = stored.get(key, (None, None))
        figures = changes[key].copy() if figures is None else figures.add(changes[key])
        if figures.negative:
            raise RollupsDisagree(f"Month row {key} would fall below zero.")
        if pk is None:
            created.append([*key, *_figure_values(figures)])
        elif figures.empty:
            emptied.append(pk)
        else:
            updated.append([*_figure_values(figures), pk])
    quote = connection.ops.quote_name
    table = quote(MonthFigures._meta.db_table)
    with connection.cursor() as cursor:
        if emptied:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(emptied))})",  # noqa: S608
                emptied,
            )
        if updated:
            for values in updated:
                values[4] = connection.ops.adapt_json_value(values[4], None)
                values[6] = connection.ops.adapt_json_value(values[6], None)
            assignments = ", ".join(f"{quote(c)} = %s" for c in FIGURE_COLUMNS)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                updated,
            )
    if created:
        _insert(MonthFigures, [*_KEY_COLUMNS, *FIGURE_COLUMNS], created)
    return len(created) + len(updated) + len(emptied)


# The backlog ----------------------------------------------------------------------------


def backlog_recount(now: datetime) -> int:
    """Replace the backlog rows with a count of the open public requests now, by age band
    (:data:`~openlocal.performance.models.BAND_EDGES_DAYS`) and past their due date.

    Read from the counted requests (an index holds the open ones), which the refresh has
    just brought up to date: the cost follows the size of the backlog, not of the history.
    """
    text = Months.FORMAT
    edges = [
        (now - timedelta(days=days)).astimezone(UTC).strftime(text) for days in BAND_EDGES_DAYS
    ]
    today = now.astimezone(UTC).strftime(text)
    oldest = len(edges)
    counts: dict[tuple[int, int | None, int | None, int], list[int]] = {}
    rows = CountedRequest.objects.filter(open=True).values_list(
        "body_id", "category_id", "areas", "made_at", "due_at"
    )
    for body_id, category_id, areas, made_at, due_at in rows.iterator(chunk_size=CHUNK_SIZE):
        band = next((i for i, edge in enumerate(edges) if made_at > edge), oldest)
        late = 1 if due_at is not None and due_at < today else 0
        for area in (None, *(int(a) for a in areas.split(",") if a)):
            for category in (category_id, None):
                found = counts.get((body_id, category, area, band))
                if found is None:
                    counts[(body_id, category, area, band)] = [1, late]
                else:
                    found[0] += 1
                    found[1] += late
    BacklogFigures.objects.all().delete()
    return _insert(
        BacklogFigures,
        ["body_id", "category_id", "area_id", "band", "open", "overdue"],
        ((*key, n, late) for key, (n, late) in counts.items()),
    )


# Locking and the two ways of refreshing ---------------------------------------------------


def _locked_state(*, wait: bool) -> RollupState | None:
    """The state row, locked until the transaction ends; None when another worker holds it
    and ``wait`` is false. Must be called inside a transaction."""
    RollupState.objects.bulk_create([RollupState(pk=1)], ignore_conflicts=True)
    rows = RollupState.objects.select_for_update(skip_locked=not wait).filter(pk=1)
    return rows.first()


@dataclass
class Outcome:
    """What a refresh or rebuild did."""

    rebuilt: bool
    #: Requests whose contribution was worked out again.
    examined: int
    #: Requests whose contribution changed (all counted ones, for a rebuild).
    changed: int
    month_rows: int
    backlog_rows: int
    seconds: float


def _rebuild_locked(state: RollupState, started: float) -> Outcome:
    now = timezone.now()
    last_supporter = Supporter.objects.aggregate(m=Max("pk"))["m"] or 0
    CountedRequest.objects.all().delete()
    MonthFigures.objects.all().delete()
    reader = FactReader()
    tally = Tally()
    after = examined = counted = 0
    while chunk := reader.by_range(after, CHUNK_SIZE):
        after = chunk[-1][0]
        examined += len(chunk)
        rows = []
        for pk, fact in chunk:
            if fact is not None:
                tally.count(fact)
                rows.append(fact.stored(pk))
        counted += _insert(CountedRequest, FACT_COLUMNS, rows)
    month_rows = _insert(
        MonthFigures,
        [*_KEY_COLUMNS, *FIGURE_COLUMNS],
        ([*key, *_figure_values(figures)] for key, figures in tally.rows().items()),
    )
    backlog_rows = backlog_recount(now)
    # Whatever changed while the requests were being read is stamped after ``now`` or has
    # a higher id, so the next refresh looks at it.
    state.rebuilt_at = now
    state.changes_since = now
    state.last_request_id = after
    state.last_supporter_id = last_supporter
    state.sweep_after_id = 0
    state.refreshed_at = timezone.now()
    state.save()
    return Outcome(
        rebuilt=True,
        examined=examined,
        changed=counted,
        month_rows=month_rows,
        backlog_rows=backlog_rows,
        seconds=time.perf_counter() - started,
    )


def rollups_rebuild() -> Outcome:
    """Recount every rollup from the requests, in one transaction (for operators, and the
    first refresh). Other writers of the rollups wait; pages show the old figures until it
    commits. On SQLite, writes to the whole database wait until it finishes."""
    started = time.perf_counter()
    with transaction.atomic():
        state = _locked_state(wait=True)
        assert state is not None  # waiting, the row is always had
        return _rebuild_locked(state, started)


def _changed_ids(state: RollupState) -> tuple[set[int], int]:
    """Requests that may have changed since the last refresh (other than new ones), found
    through indexes only; and the highest supporter id now."""
    assert state.changes_since is not None
    since = state.changes_since - CHANGE_OVERLAP
    # Unordered: ordered by the model's default (newest made first), SQLite would walk
    # every request in that order instead of the few recently updated.
    ids: set[int] = set(
        Request.private_objects.filter(updated_at__gte=since)
        .order_by()
        .values_list("pk", flat=True)
    )
    ids.update(
        Update.private_objects.filter(created_at__gte=since)
        .order_by()
        .values_list("request_id", flat=True)
        .distinct()
    )
    new_supporters = list(
        Supporter.objects.filter(pk__gt=state.last_supporter_id)
        .order_by()
        .values_list("pk", "request_id")
    )
    ids.update(request_id for _pk, request_id in new_supporters)
    last_supporter = max((pk for pk, _ in new_supporters), default=state.last_supporter_id)
    return {pk for pk in ids if pk <= state.last_request_id}, last_supporter


def _recount(
    pairs: Iterable[tuple[int, Fact | None]],
    tally: Tally,
    stored_rows: QuerySet[CountedRequest] | None = None,
) -> int:
    """Compare requests' facts with those stored; count the differences into ``tally`` and
    store the new facts. Returns how many requests changed.

    The stored facts are read afresh (those of the requests in ``pairs``, or
    ``stored_rows``), so a request met twice in one refresh (new, and in the sweep) is
    counted once: the second time its fact is already stored.
    """
    pairs = list(pairs)
    if stored_rows is None:
        stored_rows = CountedRequest.objects.filter(pk__in=[pk for pk, _ in pairs])
    stored = {row[0]: Fact.of_stored(row[1:]) for row in stored_rows.values_list(*FACT_COLUMNS)}
    gone: list[int] = []
    fresh: list[tuple[Any, ...]] = []
    changed = 0
    for pk, fact in pairs:
        old = stored.get(pk)
        if old == fact:
            continue
        changed += 1
        if old is not None:
            tally.count(old, -1)
            gone.append(pk)
        if fact is not None:
            tally.count(fact, +1)
            fresh.append(fact.stored(pk))
    if gone:
        CountedRequest.objects.filter(pk__in=gone).delete()
    if fresh:
        _insert(CountedRequest, FACT_COLUMNS, fresh)
    return changed


def _refresh_locked(state: RollupState, started: float) -> Outcome:
    now = timezone.now()
    reader = FactReader()
    tally = Tally()
    examined = changed = 0
    ids, last_supporter = _changed_ids(state)
    for chunk in iter_chunks(sorted(ids), IDS_PER_QUERY):
        changed += _recount(reader.by_ids(chunk).items(), tally)
        examined += len(chunk)
    # New requests, in order of id.
    last_request = state.last_request_id
    while new := reader.by_range(last_request, CHUNK_SIZE):
        last_request = new[-1][0]
        changed += _recount(new, tally)
        examined += len(new)
    # The sweep: the next requests by id, round and round, with any counted request in the
    # same range whose request has gone.
    sweep_size = settings.PERFORMANCE_SWEEP_REQUESTS
    if sweep_size > 0:
        low = state.sweep_after_id
        swept = reader.by_range(low, sweep_size)
        at_end = len(swept) < sweep_size
        high = swept[-1][0] if swept else low
        found: dict[int, Fact | None] = dict(swept)
        counted = CountedRequest.objects.filter(request_id__gt=low)
        if not at_end:
            counted = counted.filter(request_id__lte=high)
        for pk in counted.values_list("pk", flat=True):
            found.setdefault(pk, None)
        changed += _recount(found.items(), tally, counted)
        examined += len(found)
        state.sweep_after_id = 0 if at_end else high
    month_rows = _apply(tally.rows())
    backlog_rows = backlog_recount(now)
    state.changes_since = now
    state.last_request_id = last_request
    state.last_supporter_id = max(state.last_supporter_id, last_supporter)
    state.refreshed_at = timezone.now()
    state.save()
    return Outcome(
        rebuilt=False,
        examined=examined,
        changed=changed,
        month_rows=month_rows,
        backlog_rows=backlog_rows,
        seconds=time.perf_counter() - started,
    )


def rollups_refresh() -> Outcome | None:
    """Bring the rollups up to date with the requests that may have changed since the last
    refresh (a full rebuild the first time). None when another worker is refreshing."""
    started = time.perf_counter()
    try:
        with transaction.atomic():
            state = _locked_state(wait=False)
            if state is None:
                return None
            if state.rebuilt_at is None or state.changes_since is None:
                return _rebuild_locked(state, started)
            return _refresh_locked(state, started)
    except RollupsDisagree:
        logger.exception("performance rollups disagree with the requests: rebuilding them")
        return rollups_rebuild()


def refresh_job() -> bool:
    """The worker's periodic job: True when something changed."""
    outcome = rollups_refresh()
    if outcome is None:
        return False
    logger.info(
        "performance rollups %s: %d requests examined, %d changed, %d month rows, %.2fs",
        "rebuilt" if outcome.rebuilt else "refreshed",
        outcome.examined,
        outcome.changed,
        outcome.month_rows,
        outcome.seconds,
    )
    return outcome.changed > 0


def last_refreshed() -> datetime | None:
    """When the figures were last worked out, or None if never."""
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def months_back(count: int, now: datetime | None = None) -> list[date]:
    """The first days of the last ``count`` months (site time), oldest first, ending with
    the current month."""
    local = timezone.localtime(now or timezone.now())
    year, month = local.year, local.month
    found = []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def iter_chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
