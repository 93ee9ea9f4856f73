"""openlocal performance-rollups: bring the /performance/ figures up to date now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openlocal.performance.rollups import Outcome, rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = (
        "Bring the figures on /performance/ up to date now, as the worker does every few "
        "minutes. With --rebuild, recount them all from the requests: after writing requests "
        "straight into the database, or to repair the figures. A rebuild holds the figures' "
        "tables until it finishes (on SQLite, every write waits for it)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Recount every figure from the requests instead of the recent changes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome: Outcome | None = rollups_rebuild() if options["rebuild"] else rollups_refresh()
        if outcome is None:
            self.stdout.write("Another worker is bringing the figures up to date; try again soon.")
            return
        if outcome.rebuilt:
            self.stdout.write(
                f"Rebuilt the figures from {outcome.examined:,} requests ({outcome.changed:,} "
                f"public) into {outcome.month_rows:,} month rows and {outcome.backlog_rows:,} "
                f"backlog rows in {outcome.seconds:.1f} s."
            )
        else:
            self.stdout.write(
                f"Looked at {outcome.examined:,} requests, {outcome.changed:,} of them changed; "
                f"{outcome.month_rows:,} month rows changed and {outcome.backlog_rows:,} backlog "
                f"rows recounted in {outcome.seconds:.1f} s."
            )
