"""A cache backend for rate-limit counters: one indexed statement per count.

django-ratelimit counts with ``cache.add`` and ``cache.incr``. Django's database cache does
each as several statements (a read, a write, savepoints) and counts the whole cache table
before every write to decide whether to cull it, so a write through the APIs paid about
twenty queries for its two rate limits, growing with the table. Here ``add`` is one upsert
and ``incr`` one ``UPDATE ... RETURNING`` on a table of integers, shared by every web process
through the database (nothing is held in process memory). Expired rows are removed now and
then by ``add``. Values must be integers: this backend is for counters only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connection, transaction
from django.utils import timezone

from openlocal.core.models import RateCounter


@contextmanager
def counting() -> Iterator[None]:
    """Several counts in one transaction, committed without waiting for the disk.

    Each count on its own would be a transaction of its own, and on PostgreSQL each commit
    waits for the write-ahead log to reach the disk, which cost more than the counting. A
    count lost in a database crash only lets a few more writes through before the limit.
    Inside a caller's transaction this changes nothing.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


#: Roughly one ``add`` in this many also deletes expired counters.
PURGE_EVERY = 200


class CounterCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _names(self) -> tuple[str, str, str, str]:
        """The table and its key, count and expiry columns, quoted for this database."""
        quote = connection.ops.quote_name
        return (quote(RateCounter._meta.db_table), quote("key"), quote("count"), quote("expires"))

    def _expires(self, timeout: Any) -> Any:
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            seconds = 10 * 365 * 24 * 3600
        return timezone.now() + timedelta(seconds=seconds)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        now = timezone.now()
        if random.randrange(PURGE_EVERY) == 0:
            RateCounter.objects.filter(expires__lte=now).delete()
        table, k, n, e = self._names()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({k}, {n}, {e}) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT ({k}) DO UPDATE SET {n} = excluded.{n}, "
                f"{e} = excluded.{e} WHERE {table}.{e} <= %s",
                [key, int(value), self._expires(timeout), now],
            )
            return cursor.rowcount == 1

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        table, k, n, e = self._names()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {n} = {n} + %s "  # noqa: S608
                f"WHERE {k} = %s AND {e} > %s RETURNING {n}",
                [int(delta), key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            raise ValueError(f"Key {key!r} not found.")
        return int(row[0])

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        row = (
            RateCounter.objects.filter(key=key, expires__gt=timezone.now())
            .values_list("count", flat=True)
            .first()
        )
        return default if row is None else row

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        RateCounter.objects.update_or_create(
            key=key, defaults={"count": int(value), "expires": self._expires(timeout)}
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(RateCounter.objects.filter(key=key).update(expires=self._expires(timeout)))

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        deleted, _ = RateCounter.objects.filter(key=key).delete()
        return bool(deleted)

    def has_key(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return RateCounter.objects.filter(key=key, expires__gt=timezone.now()).exists()

    def clear(self) -> None:
        RateCounter.objects.all().delete()
