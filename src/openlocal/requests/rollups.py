"""Counts of public requests per H3 cell, kept current so a map of a county reads little.

Public means neither hidden by moderation nor in a private category: a private request is
never counted, so no map shows even that something was reported there.

:class:`~openlocal.requests.models.CellCount` holds, for each resolution of
:data:`ROLLUP_RESOLUTIONS`, how many public requests of each category and status lie in
each cell, with the sums of their positions. A request belongs to the parent, at that
resolution, of its stored cell (the same cell the live clustering groups by), so reading
the rollup gives the clusters grouping the requests themselves would give.

Every change to a request's category, status, visibility or location calls
:func:`cell_counts_move` (or :func:`cell_counts_adjust` on creation) inside the same
transaction. The write is one ``INSERT ... ON CONFLICT DO UPDATE`` adding to the stored
values, which both PostgreSQL and SQLite apply atomically, so concurrent changes to the
same cell all count. Rows whose requests have all gone keep a count of 0; readers skip
them and :func:`cell_counts_rebuild` removes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Sum

from openlocal.requests.models import CellCount, Request

#: The resolutions counted, coarsest first. A box whose clusters are finer than the last
#: one (smaller than about 200 km², holding few requests) is grouped from the requests.
ROLLUP_RESOLUTIONS = (4, 5, 6, 7, 8)
#: At most this many cells go in one ``IN (...)`` list.
CELLS_PER_QUERY = 500
_RESOLUTION_SHIFT = 52
_MAX_INDEX = 2**63 - 1
_COLUMNS = ("resolution", "cell", "category_id", "status", "count", "latitude_sum", "longitude_sum")


def parent_masks(resolution: int) -> tuple[int, int]:
    """``(keep, set)``: ``(cell & keep) | set`` is the cell's parent at ``resolution``.

    H3's bit layout: the resolution field is set and the digits below it are set to 7,
    which is what ``h3.cell_to_parent`` does.
    """
    below = (1 << ((15 - resolution) * 3)) - 1
    keep = _MAX_INDEX & ~(0xF << _RESOLUTION_SHIFT) & ~below
    return keep, (resolution << _RESOLUTION_SHIFT) | below


def cell_parent(cell: int, resolution: int) -> int:
    keep, set_bits = parent_masks(resolution)
    return (cell & keep) | set_bits


class RequestSnapshot(NamedTuple):
    """What decides where and whether a request is counted."""

    latitude: float
    longitude: float
    category_id: int
    status: str
    hidden: bool
    #: The stored H3 cell of the point (``Request.cell``), whose parents are counted.
    cell: int
    #: In a private category: seen only by its reporter and staff, so never counted.
    private: bool = False

    @property
    def counted(self) -> bool:
        """Whether the rollup counts a request like this: only public ones are."""
        return not self.hidden and not self.private

    @classmethod
    def of(cls, request: Request) -> RequestSnapshot:
        return cls(
            request.latitude,
            request.longitude,
            request.category_id,
            request.status,
            request.hidden,
            request.cell,
            request.private,
        )


def request_snapshot_locked(pk: int) -> RequestSnapshot:
    """The request as stored now, its row locked until the transaction ends.

    A change computes the counts to take away from this rather than from a copy in memory,
    which another transaction may have changed since it was read.
    """
    row = (
        Request.private_objects.select_for_update()
        .filter(pk=pk)
        .values_list(*RequestSnapshot._fields)
        .get()
    )
    return RequestSnapshot(*row)


def _quoted(connection: BaseDatabaseWrapper, names: Iterable[str]) -> list[str]:
    return [connection.ops.quote_name(n) for n in names]


def cell_counts_adjust(snapshot: RequestSnapshot, delta: int, *, using: str | None = None) -> None:
    """Add ``delta`` requests like ``snapshot`` to the rollup (nothing for a hidden or
    private one).

    Call with -1 for a request's state before a change and +1 for its state after, in the
    transaction that makes the change; with +1 when a request is created.
    """
    if not snapshot.counted or delta == 0:
        return
    connection = connections[using or router.db_for_write(CellCount)]
    table = connection.ops.quote_name(CellCount._meta.db_table)
    count, latitude_sum, longitude_sum = _quoted(
        connection, ("count", "latitude_sum", "longitude_sum")
    )
    params: list[Any] = []
    for resolution in ROLLUP_RESOLUTIONS:
        params += [
            resolution,
            cell_parent(snapshot.cell, resolution),
            snapshot.category_id,
            snapshot.status,
            delta,
            delta * snapshot.latitude,
            delta * snapshot.longitude,
        ]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(ROLLUP_RESOLUTIONS))
    key = ", ".join(_quoted(connection, _COLUMNS[:4]))
    sql = (
        f"INSERT INTO {table} ({', '.join(_quoted(connection, _COLUMNS))}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = {table}.{count} + excluded.{count}, "
        f"{latitude_sum} = {table}.{latitude_sum} + excluded.{latitude_sum}, "
        f"{longitude_sum} = {table}.{longitude_sum} + excluded.{longitude_sum}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def cell_counts_move(old: RequestSnapshot, new: RequestSnapshot) -> None:
    """A request changed from ``old`` to ``new``: move it in the rollup if that matters."""
    if old == new:
        return
    cell_counts_adjust(old, -1)
    cell_counts_adjust(new, +1)


def rebuild_tables(
    connection: BaseDatabaseWrapper,
    request_table: str,
    cell_count_table: str,
    *,
    category_id: int | None = None,
) -> None:
    """Recompute the rollup in ``cell_count_table`` from the requests in ``request_table``
    (only the rows of one category when ``category_id`` is given).

    The finest resolution is grouped from the requests, each coarser one from the one
    below it. On PostgreSQL the requests are locked against writes meanwhile, so no change
    is counted twice or lost; SQLite has one writer at a time anyway. Requests in private
    categories are left out, once the table has the column that says so (an early
    migration rebuilds the rollup before it existed).
    """
    requests = connection.ops.quote_name(request_table)
    table = connection.ops.quote_name(cell_count_table)
    columns = ", ".join(_quoted(connection, _COLUMNS))
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, request_table)
        names = {column.name for column in described}
        public = f"{q('hidden')} = FALSE"
        if "private" in names:
            public += f" AND {q('private')} = FALSE"
        only = ""
        params: list[Any] = []
        if category_id is not None:
            only, params = f" AND {q('category_id')} = %s", [category_id]
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {requests} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {table} WHERE 1 = 1{only}", params)  # noqa: S608 (our own table names)
        finer = None
        for resolution in sorted(ROLLUP_RESOLUTIONS, reverse=True):
            keep, set_bits = parent_masks(resolution)
            parent = f"(({q('cell')} & {keep:d}) | {set_bits:d})"
            if finer is None:
                source = (
                    f"SELECT {resolution:d}, {parent}, {q('category_id')}, {q('status')}, "  # noqa: S608
                    f"COUNT(*), SUM({q('latitude')}), SUM({q('longitude')}) "
                    f"FROM {requests} WHERE {public}{only}"
                )
            else:
                source = (
                    f"SELECT {resolution:d}, {parent}, {q('category_id')}, {q('status')}, "  # noqa: S608
                    f"SUM({q('count')}), SUM({q('latitude_sum')}), SUM({q('longitude_sum')}) "
                    f"FROM {table} WHERE {q('resolution')} = {finer:d} AND {q('count')} > 0{only}"
                )
            cursor.execute(f"INSERT INTO {table} ({columns}) {source} GROUP BY 2, 3, 4", params)
            finer = resolution


def cell_counts_rebuild(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Recompute the whole rollup from the requests; returns the number of rows written.

    For after a bulk import that bypassed the services, or to repair the table.
    """
    with transaction.atomic(using=using):
        rebuild_tables(connections[using], Request._meta.db_table, CellCount._meta.db_table)
        return CellCount.objects.using(using).count()


def cell_counts_rebuild_category(category_id: int) -> None:
    """Recompute one category's part of the rollup, in the caller's transaction.

    For when many of its requests changed visibility at once (the category was made private,
    or public again): cheaper than moving each request, and exact.
    """
    using = router.db_for_write(CellCount)
    rebuild_tables(
        connections[using],
        Request._meta.db_table,
        CellCount._meta.db_table,
        category_id=category_id,
    )


class CellTotal(NamedTuple):
    """The public requests counted in one cell: how many, and the sums of their positions."""

    cell: int
    requests: int
    latitude_sum: float
    longitude_sum: float


def cell_totals(
    resolution: int,
    cells: Sequence[int] | None,
    *,
    statuses: Iterable[str] | None = None,
    category_ids: Iterable[int] | None = None,
) -> list[CellTotal]:
    """The counted requests in each of ``cells`` (every cell when None), at a resolution of
    :data:`ROLLUP_RESOLUTIONS`, of the given statuses and categories when given."""
    if resolution not in ROLLUP_RESOLUTIONS:
        raise ValueError(
            f"Resolution {resolution} is not counted: use one of {ROLLUP_RESOLUTIONS}."
        )
    rows = CellCount.objects.filter(resolution=resolution, count__gt=0)
    if statuses is not None:
        rows = rows.filter(status__in=sorted(set(statuses)))
    if category_ids is not None:
        rows = rows.filter(category_id__in=sorted(set(category_ids)))
    grouped = rows.values("cell").annotate(
        n=Sum("count"), lat=Sum("latitude_sum"), lon=Sum("longitude_sum")
    )
    chunks: list[Any]
    if cells is None:
        chunks = [grouped.order_by()]
    else:
        ordered = sorted(set(cells))
        chunks = [
            grouped.filter(cell__in=ordered[i : i + CELLS_PER_QUERY]).order_by()
            for i in range(0, len(ordered), CELLS_PER_QUERY)
        ]
    return [
        CellTotal(row["cell"], row["n"], row["lat"], row["lon"])
        for chunk in chunks
        for row in chunk
        if row["n"] > 0
    ]
