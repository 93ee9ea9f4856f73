"""Periodic jobs: due once per period across workers, and a failing job never stops one."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from openlocal.core import schedule


@pytest.fixture(autouse=True)
def _clear_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_a_job_runs_once_per_period_however_many_workers_ask():
    runs: list[str] = []

    def once() -> bool:
        runs.append("x")
        return True

    job = schedule.Job(name="test.once", every=3600, run=once)
    first, second = schedule.Schedule([job]), schedule.Schedule([job])

    assert first() is True
    assert second() is False  # the other worker finds the period claimed
    assert first() is False  # and the first does not look again before the next period
    assert runs == ["x"]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    ran: list[str] = []

    def broken() -> bool:
        raise RuntimeError("back office unreachable")

    def fine() -> bool:
        ran.append("fine")
        return True

    jobs = [
        schedule.Job(name="test.broken", every=60, run=broken),
        schedule.Job(name="test.fine", every=60, run=fine),
    ]
    assert schedule.Schedule(jobs)() is True
    assert ran == ["fine"]
    assert "periodic job test.broken failed" in caplog.text


def test_register_rejects_a_period_that_is_not_positive():
    with pytest.raises(ValueError, match="period must be positive"):
        schedule.register("test.bad", every=0, run=lambda: None)
