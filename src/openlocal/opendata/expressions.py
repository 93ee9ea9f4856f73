"""SQL the exports need that Django does not provide, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField, FloatField, Func, Value


class Joined(Aggregate):
    """The values of a group joined by semicolons (``GROUP_CONCAT`` / ``STRING_AGG``).

    The values must be text: cast numbers first.
    """

    function = "GROUP_CONCAT"
    output_field = CharField()

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, Value(";"), **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra)


class IsoText(Func):
    """A date-time as ISO 8601 text in UTC to the second, written by the database.

    Formatting in SQL spares the Python conversion of every date-time of every row (parse
    the database's value, make it aware, format it again), most of the cost of a download.
    """

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Stored as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC. "%%%%" reaches SQLite as "%".
        template = "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%S+00:00', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


class DaysBetween(Func):
    """Days (a decimal) from the first date-time to the second; NULL when either is."""

    output_field = FloatField()
    arity = 2

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return start_sql, end_sql, [*end_params, *start_params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._parts(compiler)
        return f"(julianday({end}) - julianday({start}))", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._parts(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)", params
