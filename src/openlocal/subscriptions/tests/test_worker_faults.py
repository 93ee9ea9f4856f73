"""Workers as real processes: one killed mid-way through a fan-out, and two sharing one.

Each test runs ``openlocal worker`` in subprocesses against a database they can all reach
(a SQLite file in a temporary folder, or the PostgreSQL test database) and an SMTP server
on loopback in this process, then counts what every follower received.

``OPENLOCAL_FAULT_TEST_FOLLOWERS`` sets how many follow (default 10,000, as the fault the
tests stand for is a worker dying in a fan-out of that size; about a minute each here).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from openlocal.subscriptions.testing import smtp_server

FOLLOWERS = int(os.environ.get("OPENLOCAL_FAULT_TEST_FOLLOWERS", "10000"))
BATCH = 200
LEASE_SECONDS = 5


def seed(followers: int, fan_out: bool = False) -> None:
    """A request with ``followers`` confirmed email followers, and a status change to tell.

    Run in a subprocess with the workers' settings (see :func:`_run`).
    """
    from django.db import transaction
    from django.utils import timezone

    from openlocal.core import geo
    from openlocal.places.models import Body, BodyKind
    from openlocal.requests.models import Category, CategoryGroup, Person, Request, Status
    from openlocal.subscriptions.events import event_record, fan_out_pending
    from openlocal.subscriptions.models import EventKind, Subscription, TargetKind

    now = timezone.now()
    body = Body.objects.create(name="Testshire County Council", slug="t", kind=BodyKind.COUNTY)
    category = Category.objects.create(
        name="Pothole", slug="pothole", service_code="POT", group=CategoryGroup.ROADS
    )
    request = Request.private_objects.create(
        title="Deep pothole outside the school",
        description="It has burst two tyres this week.",
        category=category,
        body=body,
        latitude=50.7,
        longitude=-3.55,
        cell=geo.point_cell(50.7, -3.55),
        status=Status.IN_PROGRESS,
    )
    people = Person.objects.bulk_create(
        [Person(email=f"follower{i}@example.org") for i in range(followers)], batch_size=1000
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                person=person,
                kind=TargetKind.REQUEST,
                target_key=f"request:{request.pk}",
                label=f"Request #{request.pk}",
                request=request,
                confirmed_at=now,
            )
            for person in people
        ],
        batch_size=1000,
    )
    with transaction.atomic():
        event_record(kind=EventKind.STATUS_CHANGED, request=request)
    if fan_out:
        fan_out_pending()


def delivery_counts() -> None:
    """Print how many deliveries have each status, as JSON (run in a subprocess)."""
    from django.db.models import Count

    from openlocal.subscriptions.models import Delivery

    rows = Delivery.objects.values("status").annotate(n=Count("id"))
    print(json.dumps({row["status"]: row["n"] for row in rows}))


class Workers:
    """Runs Django commands and code in subprocesses sharing one database and mail server."""

    def __init__(self, tmp_path: Path, database: dict[str, Any], smtp_port: int) -> None:
        self.tmp_path = tmp_path
        module = tmp_path / "fault_settings.py"
        module.write_text(
            "from openlocal.settings.test import *  # noqa\n"
            f"DATABASES = {{'default': {database!r}}}\n"
            "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n"
            f"EMAIL_HOST = '127.0.0.1'\nEMAIL_PORT = {smtp_port}\n"
            f"DELIVERY_LEASE_SECONDS = {LEASE_SECONDS}\n"
            f"DELIVERY_BATCH_SIZE = {BATCH}\n"
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fault_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
        }

    def python(self, code: str) -> str:
        script = f"import django\ndjango.setup()\n{code}\n"
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def command(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "openlocal", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def worker(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "openlocal", "worker", "--interval", "0.2", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def seed(self, followers: int, *, fan_out: bool = False) -> None:
        self.python(
            "from openlocal.subscriptions.tests.test_worker_faults import seed\n"
            f"seed({followers}, fan_out={fan_out})"
        )

    def delivery_counts(self) -> dict[str, int]:
        out = self.python(
            "from openlocal.subscriptions.tests.test_worker_faults import delivery_counts\n"
            "delivery_counts()"
        )
        return dict(json.loads(out.strip().splitlines()[-1]))


def _database(tmp_path: Path) -> dict[str, Any]:
    """The database the subprocesses share: PostgreSQL's test database, or a SQLite file."""
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        return {
            key: settings[key]
            for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "openlocal.sqlite3"),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        },
        "CONN_MAX_AGE": 0,
    }


def _workers(tmp_path: Path, smtp_port: int) -> Workers:
    workers = Workers(tmp_path, _database(tmp_path), smtp_port)
    if connection.vendor != "postgresql":
        workers.command("migrate", "--no-input", "-v", "0")
    return workers


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_fan_out_loses_nothing(tmp_path):
    with smtp_server() as smtp:
        workers = _workers(tmp_path, smtp.port)
        workers.seed(FOLLOWERS)
        first = workers.worker("first")
        try:
            assert smtp.wait_for(FOLLOWERS // 3, timeout=120), workers.log("first")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            _stop(first)
        before_kill = len(smtp.messages)
        assert before_kill < FOLLOWERS, "the first worker finished before it was killed"
        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out

        second = workers.worker("second", "--batch")
        try:
            assert second.wait(timeout=300) == 0, workers.log("second")
        finally:
            _stop(second)

        received = Counter(smtp.recipients())
    expected = {f"follower{i}@example.org" for i in range(FOLLOWERS)}
    assert set(received) == expected  # every follower got the message
    duplicates = sum(received.values()) - FOLLOWERS
    print(
        f"\n{FOLLOWERS} followers; worker killed after {before_kill} messages; "
        f"{duplicates} sent twice (at most one batch of {BATCH} allowed)"
    )
    assert duplicates <= BATCH
    assert max(received.values()) <= 2
    assert workers.delivery_counts() == {"sent": FOLLOWERS}


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_fan_out_exactly_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (FOR UPDATE SKIP LOCKED): set OPENLOCAL_DATABASE_URL=postgres://..."
        )
    with smtp_server() as smtp:
        workers = _workers(tmp_path, smtp.port)
        workers.seed(FOLLOWERS, fan_out=True)
        pair = [workers.worker(name, "--batch") for name in ("one", "two")]
        try:
            for process in pair:
                assert process.wait(timeout=300) == 0
        finally:
            for process in pair:
                _stop(process)
        received = Counter(smtp.recipients())
    assert len(received) == FOLLOWERS  # none got none
    assert set(received.values()) == {1}  # none got two
    shares = [workers.log(name).count("sent ") for name in ("one", "two")]
    print(f"\n{FOLLOWERS} followers, each told once; batches sent by each worker: {shares}")
    assert all(shares), "one worker did all the work: the test did not exercise sharing"
    assert workers.delivery_counts() == {"sent": FOLLOWERS}
