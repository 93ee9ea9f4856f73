"""Periodic jobs the worker runs: polling back offices, sending questionnaires, refreshing
rollups.

An app registers a job when it is ready::

    from openlocal.core import schedule

    schedule.register("performance.rollups", every=300, run=refresh_rollups)

``openlocal worker`` keeps a :class:`Schedule` and calls it on every turn. A job is due
once per period of ``every`` seconds; when several workers share a database, the first to
claim the period (an entry in the shared database cache) runs it and the others skip it,
so a job runs about once per period whichever worker takes it. A job that raises is
logged and tried again next period; it never stops the worker. ``run`` returns whether it
did something (a truthy value), which keeps the worker from sleeping while work remains.

Tests call a job's function directly, or :func:`run_all` to run every job once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger("openlocal.worker")


@dataclass(frozen=True)
class Job:
    name: str
    #: Seconds between runs.
    every: float
    run: Callable[[], object]


_jobs: dict[str, Job] = {}


def register(name: str, *, every: float, run: Callable[[], object]) -> Job:
    """Add (or replace) the job called ``name``."""
    if every <= 0:
        raise ValueError(f"A job's period must be positive; {name} has {every}.")
    job = Job(name=name, every=every, run=run)
    _jobs[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def _claim(job: Job, now: float) -> bool:
    """True for the first worker to ask for this job in the current period."""
    period = int(now // job.every)
    return bool(cache.add(f"schedule:{job.name}:{period}", "claimed", int(job.every) + 60))


def _run(job: Job) -> bool:
    started = time.monotonic()
    try:
        did = bool(job.run())
    except Exception:
        logger.exception("periodic job %s failed; it runs again next period", job.name)
        return False
    logger.debug("periodic job %s ran in %.2fs", job.name, time.monotonic() - started)
    return did


class Schedule:
    """The worker's view of the registered jobs: which are due, and running them."""

    def __init__(self, selected: list[Job] | None = None) -> None:
        self.selected = selected
        self.next_look: dict[str, float] = {}

    def __call__(self) -> bool:
        did = False
        now = time.time()
        for job in self.selected if self.selected is not None else jobs():
            if now < self.next_look.get(job.name, 0.0):
                continue
            self.next_look[job.name] = (now // job.every + 1) * job.every
            if _claim(job, now):
                did = _run(job) or did
        return did


def run_all() -> dict[str, bool]:
    """Run every registered job once, now (``openlocal worker --batch`` and tests)."""
    return {job.name: _run(job) for job in jobs()}
