"""Queueing background tasks as part of the change that needs them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_change(task: Any, *args: Any) -> None:
    """Queue ``task(*args)`` so that it happens if and only if the current change commits.

    With the database queue (production) the task's row is written in the same transaction
    as the change: it commits or rolls back with it, and costs no commit of its own. Other
    backends run or hand off the task at once, so there it is queued once the transaction
    has committed.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))
