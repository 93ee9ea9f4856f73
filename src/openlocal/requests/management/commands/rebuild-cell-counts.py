"""openlocal rebuild-cell-counts: recount the map's rollup of requests per cell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from openlocal.requests.models import Request
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_counts_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the counts of public requests per H3 cell that the GeoJSON map reads, "
        "from the requests themselves. Run it after importing requests without going "
        "through OpenLocal (e.g. straight into the database), or to repair the counts. "
        "Writes to requests wait until it finishes."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database to rebuild in."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = cell_counts_rebuild(using=options["database"])
        public = Request.public_objects.using(options["database"]).count()
        resolutions = ", ".join(map(str, ROLLUP_RESOLUTIONS))
        self.stdout.write(
            f"Counted {public:,} public requests in {rows:,} rows at resolutions {resolutions}."
        )
