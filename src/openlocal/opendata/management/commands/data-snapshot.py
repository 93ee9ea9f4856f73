"""openlocal data-snapshot: write today's open data snapshot now, as the worker does daily."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlocal.opendata.catalogue.presenters import file_size
from openlocal.opendata.snapshots import KEEP, SnapshotError, snapshot_build


class Command(BaseCommand):
    help = (
        "Write today's snapshot of every open data dataset in every format, with SHA-256 "
        f"checksums, to DATA_SNAPSHOT_DIR, and keep the newest {KEEP}. The worker does this "
        "once a day by itself; run this to make one now (it replaces today's, if any)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--keep",
            type=int,
            default=KEEP,
            help=f"How many daily snapshots to keep, the newest first (default {KEEP}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keep"] < 1:
            raise CommandError("--keep must be at least 1: today's snapshot is always kept.")
        started = time.monotonic()
        try:
            snapshot = snapshot_build(keep=options["keep"])
        except SnapshotError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] >= 1:
            self.stdout.write(f"Wrote the snapshot of {snapshot.name} to {snapshot.folder}:")
            for file in snapshot.files:
                rows = f", {file.rows:,} rows" if file.rows is not None else ""
                self.stdout.write(f"  {file.name:<22} {file_size(file.bytes):>10}{rows}")
            self.stdout.write(f"in {time.monotonic() - started:.1f}s.")
