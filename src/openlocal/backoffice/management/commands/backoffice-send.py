"""openlocal backoffice-send: send requests to back offices now, as the worker does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openlocal.backoffice import outbox, sending


class Command(BaseCommand):
    help = (
        "Find requests newly routed to bodies with a back-office link and send everything "
        "that is due (the worker does this every minute). Prints what happened."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = sending.SendResult()
        read = 0
        while True:
            batch_read = outbox.sendings_from_events()
            read += batch_read
            result = sending.send_due()
            total += result
            tried = result.sent + result.retrying + result.failed + result.cancelled
            if batch_read < outbox.BATCH and tried < sending.BATCH:
                break
        self.stdout.write(
            f"Read {read} events; sent {total.sent}, retrying {total.retrying}, "
            f"failed {total.failed}, not sent {total.cancelled}."
        )
