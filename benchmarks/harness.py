"""What every benchmark shares: its throwaway database, bulk loading, timing and results."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")

#: The real public data beside the project (``../shared/data``).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
#: The dedicated PostgreSQL database each benchmark creates and drops.
#: The throwaway PostgreSQL database (``OPENLOCAL_BENCH_DATABASE`` names another, so that
#: two benchmark runs can share a server).
POSTGRES_DATABASE = os.environ.get("OPENLOCAL_BENCH_DATABASE") or "openlocal_bench"
#: The columns given when loading webhook endpoints in bulk.
ENDPOINT_FIELDS = [
    *("id", "owner_id", "url", "description", "secret", "confirmed_at"),
    *("disabled_reason", "consecutive_failures", "created_at", "updated_at"),
]


def shared_file(relative: str) -> Path:
    """A file of the shared real data, or a clear error saying where it was looked for."""
    path = SHARED_DATA / relative
    if not path.is_file():
        raise SystemExit(
            f"This benchmark reads real public data from {path}, which is not on this "
            "machine. Put the project's shared data folder beside the checkout (../shared/data)."
        )
    return path


def progress(message: str) -> None:
    """A progress line on standard error, so the result tables stay readable."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The database -----------------------------------------------------------------------------


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in {"postgres", "postgresql", "pgsql"}


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """A fresh, migrated database for one benchmark process, removed afterwards.

    With no URL (or a SQLite one) it is a SQLite file in a temporary folder. With a
    PostgreSQL URL it is the database ``openlocal_bench`` on that server: the URL only says
    which server and how to connect, so a production database named in
    ``OPENLOCAL_DATABASE_URL`` is never touched. Django is set up here, on
    :mod:`benchmarks.settings`.
    """
    folder = Path(tempfile.mkdtemp(prefix="openlocal-bench-"))
    os.environ["OPENLOCAL_DATA_DIR"] = str(folder)
    if is_postgres(url):
        assert url is not None
        bench_url, maintenance_url = _postgres_urls(url)
        _postgres_admin(maintenance_url, f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}"')
        _postgres_admin(maintenance_url, f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    else:
        bench_url, maintenance_url = f"sqlite:///{folder / 'bench.sqlite3'}", ""
    os.environ["OPENLOCAL_DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        yield bench_url
    finally:
        from django.db import connections

        connections.close_all()
        if maintenance_url:
            _postgres_admin(
                maintenance_url, f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)'
            )
        shutil.rmtree(folder, ignore_errors=True)


def _postgres_urls(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    named = parts.path.lstrip("/") or "postgres"
    maintenance = "postgres" if named == POSTGRES_DATABASE else named
    bench = urlunsplit(parts._replace(path=f"/{POSTGRES_DATABASE}"))
    return bench, urlunsplit(parts._replace(path=f"/{maintenance}"))


def _postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def database_description() -> str:
    """The database this process uses, with its version: "SQLite 3.40.1", ..."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    return f"SQLite {sqlite3.sqlite_version} (file, WAL)"


def vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def bulk_insert(model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows fast (COPY on PostgreSQL, executemany on SQLite), bypassing the ORM.

    ``fields`` are model field attribute names (``category_id``); every column without a
    database default must be given. Date-times are aware; booleans and JSON text as usual.
    """
    from django.core.management.color import no_style
    from django.db import connection, transaction

    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    table = meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        # A throwaway database: skip the syncs and give index building a large page cache
        # while loading, then put back the settings every connection has.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
    with transaction.atomic(), connection.cursor() as cursor:
        if not sqlite:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            if "id" in fields:
                # Rows given their own ids: move the sequence past them for later inserts.
                for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(statement)
            return count
        kinds = [meta.get_field(name).get_internal_type() for name in fields]
        moments = [i for i, kind in enumerate(kinds) if kind == "DateTimeField"]
        adapt = connection.ops.adapt_datetimefield_value
        # Names come from the model's metadata, values are parameters.
        places = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({places})"  # noqa: S608
        batch: list[Sequence[Any]] = []
        raw = cursor.cursor
        for row in rows:
            if moments:
                values = list(row)
                for i in moments:
                    values[i] = adapt(values[i])
                row = values
            batch.append(row)
            if len(batch) >= 20_000:
                raw.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            count += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size=-2000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return count


def analyse() -> None:
    """Settle the database after a bulk load, as a production database would be settled.

    The planner's statistics are refreshed and the write-ahead log checkpointed. On
    PostgreSQL the new rows are also vacuumed: otherwise the server's own background work on
    a million new rows (autovacuum, and checkpoints flushing gigabytes of write-ahead log)
    falls in the timed part and is measured as the endpoint's. Only a superuser may ask for
    a checkpoint; without one the timings are less steady.
    """
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
            with contextlib.suppress(DatabaseError):
                cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def explain(sql: str, params: Sequence[Any] | None = None) -> str:
    """The database's plan for one query: EXPLAIN QUERY PLAN, or EXPLAIN ANALYZE."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


# Timing -----------------------------------------------------------------------------------


def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Seconds one call takes."""
    return timed_result(function, *args, **kwargs)[0]


def timed_result(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Seconds one call takes, and what it returned."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "–"


def count_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


# Results ----------------------------------------------------------------------------------


@dataclass
class Verdict:
    """One target of issue 3 and what was measured against it."""

    target: str
    measured: str
    met: bool


@dataclass
class Section:
    """What one benchmark measured: a table, the targets, and what explains the figures."""

    name: str
    title: str
    database: str
    setup: str
    headers: list[str]
    rows: list[list[str]]
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    seconds: float = 0.0
    #: The machine's one-minute load average when the benchmark finished: how busy it was.
    load: float = 0.0
    date: str = field(default_factory=lambda: dt.date.today().isoformat())

    @property
    def key(self) -> str:
        return f"{self.name}-{self.database.split()[0].lower()}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        verdicts = [Verdict(**v) for v in data.pop("verdicts", [])]
        return cls(**data, verdicts=verdicts)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, with the columns padded so that it also reads as plain text."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def machine() -> dict[str, str]:
    """The machine the figures come from: they mean little without it."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "System": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite library": sqlite3.sqlite_version,
    }
