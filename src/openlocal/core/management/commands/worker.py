"""openlocal worker: runs background tasks and delivers notifications (email, webhooks).

One process does both, taking turns: the Django task queue (confirmation emails and other
deferred work, from ``django_tasks_db``) and the delivery dispatcher
(``openlocal.subscriptions.delivery``). Any number of workers can run side by side: each
claims queued tasks and batches of deliveries from the database. Once a day the first
worker to notice queues the open data snapshot (``openlocal.opendata.tasks``), which the
task queue then runs; and the periodic jobs apps register (``openlocal.core.schedule``:
back-office polling, questionnaires, performance rollups) run when due.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from openlocal.core.schedule import Schedule
from openlocal.opendata.tasks import DailySnapshot
from openlocal.subscriptions import delivery

#: Tasks run per turn before the worker looks at deliveries again.
TASKS_PER_TURN = 50

logger = logging.getLogger("openlocal.worker")


class TaskQueue:
    """One turn of the database task queue: run what is ready (up to a limit), then return.

    With another task backend (the test settings run tasks at once), there is no queue.
    """

    def __init__(self) -> None:
        self.worker_id = get_random_string(32)
        self.enabled = isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)
        self.ran = 0

    def __call__(self) -> bool:
        if not self.enabled:
            return False
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=TASKS_PER_TURN,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        worker.run()
        self.ran += worker._run_tasks
        return worker._run_tasks > 0


class Command(BaseCommand):
    help = (
        "Run a background worker: queued tasks and notification deliveries (email, digests, "
        "webhooks). Any number can run side by side. Ctrl-C or SIGTERM stops it once the "
        "batch in hand is sent and recorded."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when idle (default 1)."
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run everything that is due, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        for name in ("django_tasks", "django_tasks_db"):
            logging.getLogger(name).setLevel(logging.WARNING if verbosity < 2 else logging.DEBUG)
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            self.stderr.write("Stopping once the batch in hand is sent (again to force).")
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, request_stop)
            signal.signal(signal.SIGTERM, request_stop)

        tasks = TaskQueue()
        # The snapshot is queued like any task, so only where tasks are queued.
        snapshot = DailySnapshot(enabled=tasks.enabled)
        periodic = Schedule()

        def other_work() -> bool:
            queued = snapshot()
            ran = tasks()
            jobs = periodic()
            return queued or ran or jobs

        def report(result: delivery.BatchResult) -> None:
            if verbosity >= 1:
                self.stdout.write(
                    f"fanned out {result.fanned_out} events; sent {result.sent}, "
                    f"retrying {result.retried}, failed {result.failed}, "
                    f"skipped {result.skipped} deliveries"
                )

        total = delivery.work(
            until_idle=options["batch"],
            interval=options["interval"],
            stop=stop,
            also=other_work,
            on_batch=report,
        )
        if options["batch"] and verbosity >= 1:
            self.stdout.write(
                f"Done: {tasks.ran} tasks; {total.sent} deliveries sent, {total.retried} to "
                f"retry, {total.failed} failed, {total.skipped} skipped."
            )
