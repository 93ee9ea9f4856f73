"""The daily snapshot as background work: a task, and the schedule the worker keeps.

``openlocal worker`` asks :class:`DailySnapshot` on every turn; about once a minute it
looks whether today's snapshot (site time) exists and, if not, queues
:func:`build_daily_snapshot` once for every worker sharing the database (a cache entry in
the shared database cache says it is queued). The task queue then runs it in whichever
worker takes it. Building takes that worker's turn for as long as it lasts (a few minutes
per million requests; see ``docs/benchmarks.md``); other workers keep delivering meanwhile.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from openlocal.opendata.snapshots import KEEP, snapshot_build, snapshot_exists

logger = logging.getLogger("openlocal.opendata")

#: Seconds between looks for today's snapshot.
CHECK_INTERVAL = 60.0
#: How long a queued build is trusted to finish before another may be queued (it failed).
CLAIM_SECONDS = 3600


@task()
def build_daily_snapshot() -> str:
    """Build today's snapshot of every dataset and prune old ones; returns its date."""
    started = time.monotonic()
    snapshot = snapshot_build(keep=KEEP)
    rows = sum(f.rows or 0 for f in snapshot.files if f.format == "csv")
    logger.info(
        "open data snapshot %s written: %d files, %d rows, in %.1fs",
        snapshot.name,
        len(snapshot.files),
        rows,
        time.monotonic() - started,
    )
    return snapshot.name


class DailySnapshot:
    """The worker's daily schedule: queue today's snapshot when it is missing.

    ``enabled`` is false when tasks do not go through a queue (the test settings run them
    at once, in the caller): then the worker does not build snapshots by itself, and
    ``openlocal data-snapshot`` builds one on demand.
    """

    def __init__(self, *, enabled: bool, interval: float = CHECK_INTERVAL) -> None:
        self.enabled = enabled
        self.interval = interval
        self.next_look = 0.0
        self.queued: list[str] = []

    def __call__(self) -> bool:
        if not self.enabled or time.monotonic() < self.next_look:
            return False
        self.next_look = time.monotonic() + self.interval
        today = timezone.localdate()
        if snapshot_exists(today):
            return False
        if not cache.add(f"opendata:snapshot:{today.isoformat()}", "queued", CLAIM_SECONDS):
            return False
        build_daily_snapshot.enqueue()
        self.queued.append(today.isoformat())
        logger.info("open data snapshot %s queued", today.isoformat())
        return True
