"""Writing many rows at once, on SQLite and PostgreSQL alike, in the caller's transaction.

Going through the ORM one object at a time costs a few hundred microseconds a row; a
register of 375,000 bus stops would take half an hour. Here rows are plain tuples: COPY on
PostgreSQL, one prepared ``executemany`` on SQLite. Ids are taken before inserting (from
the table's sequence on PostgreSQL; on SQLite, whose single writer the import's
transaction already is, after the largest id ever given), so that rows pointing at new
rows (a request's areas, its timeline, the importers' records) go in the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

#: At most this many values in one ``IN (...)`` list.
IN_CHUNK = 500


class Writer:
    """Bulk writes through one database connection. Use inside ``transaction.atomic``."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self._next_id: dict[str, int] = {}

    def _quote(self, name: str) -> str:
        return str(self.connection.ops.quote_name(name))

    def _columns(self, model: type[Model], fields: Sequence[str]) -> list[str]:
        meta = model._meta
        return [str(meta.get_field(name).column) for name in fields]  # type: ignore[union-attr]

    def allocate_ids(self, model: type[Model], count: int) -> list[int]:
        """``count`` new primary keys for ``model``'s table, never given to anyone else."""
        if count <= 0:
            return []
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if table not in self._next_id:
                cursor.execute(f"SELECT MAX(id) FROM {self._quote(table)}")  # noqa: S608
                largest = cursor.fetchone()[0] or 0
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                self._next_id[table] = max(largest, row[0] if row else 0) + 1
        first = self._next_id[table]
        self._next_id[table] = first + count
        return list(range(first, first + count))

    def insert(
        self, model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows of values for ``fields`` (attribute names, e.g. ``category_id``).

        Every column without a database default must be given; date-times are aware,
        JSON is text.
        """
        if not rows:
            return
        columns = self._columns(model, fields)
        table = self._quote(model._meta.db_table)
        quoted = ", ".join(self._quote(c) for c in columns)
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            places = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({places})",  # noqa: S608
                self._adapted(model, fields, rows),
            )

    def update(
        self, model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Set ``fields`` on existing rows: each row is the values, then the primary key."""
        if not rows:
            return
        columns = self._columns(model, fields)
        table = self._quote(model._meta.db_table)
        assignments = ", ".join(f"{self._quote(c)} = %s" for c in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {self._quote('id')} = %s"  # noqa: S608
        values = rows if self.postgres else self._adapted(model, [*fields, "id"], rows)
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, values)

    def delete_where_in(self, model: type[Model], field: str, values: Iterable[Any]) -> None:
        """Delete the rows whose ``field`` is one of ``values``."""
        items = list(values)
        column = self._quote(self._columns(model, [field])[0])
        table = self._quote(model._meta.db_table)
        with self.connection.cursor() as cursor:
            for i in range(0, len(items), IN_CHUNK):
                chunk = items[i : i + IN_CHUNK]
                places = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"DELETE FROM {table} WHERE {column} IN ({places})",  # noqa: S608
                    chunk,
                )

    def _adapted(
        self, model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[Sequence[Any]]:
        """SQLite's driver stores date-times as Django reads them: naive text in the
        connection's time zone (UTC), as ``adapt_datetimefield_value`` writes them."""
        meta = model._meta
        moments = [
            i
            for i, name in enumerate(fields)
            if meta.get_field(name).get_internal_type() == "DateTimeField"
        ]
        if not moments:
            return list(rows)
        zone = self.connection.timezone
        adapt = self.connection.ops.adapt_datetimefield_value
        # Many rows share a moment (the time of the import): adapt each moment once.
        seen: dict[Any, Any] = {}
        adapted: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for i in moments:
                value = values[i]
                if value is None:
                    continue
                text = seen.get(value)
                if text is None:
                    if value.tzinfo is not None:
                        text = str(value.astimezone(zone).replace(tzinfo=None))
                    else:
                        text = adapt(value)
                    seen[value] = text
                values[i] = text
            adapted.append(values)
        return adapted


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
