"""openlocal demo [--if-empty]: load the generated demo place, Wyvernshire."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlocal.demo.generate import (
    Credential,
    DemoApiKey,
    DemoSummary,
    demo_api_keys,
    demo_credentials,
    demo_generate,
)
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request


class Command(BaseCommand):
    help = (
        "Load Wyvernshire, a generated two-tier demo county with a year of requests, into an "
        "empty database, then print the staff logins. The same place comes out every time; "
        "its dates end now."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load the demo only if the database has no places yet; either way, print "
            "the demo logins that exist. `make run` uses this on every start.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = {
            "bodies": Body.objects.count(),
            "areas": Area.objects.count(),
            "categories": Category.objects.count(),
            "requests": Request.private_objects.count(),
        }
        if any(existing.values()):
            if options["if_empty"]:
                self.log(options, "The database already has data, so the demo was not loaded.")
                self.print_credentials(options, demo_credentials())
                self.print_api_keys(options, demo_api_keys())
                return
            found = ", ".join(f"{n} {what}" for what, n in existing.items() if n)
            raise CommandError(
                f"The database already has data ({found}); the demo only loads into an empty "
                "one. Use `openlocal demo --if-empty` to skip loading, or point "
                "OPENLOCAL_DATA_DIR (or OPENLOCAL_DATABASE_URL) at a new database, run "
                "`openlocal migrate`, then `openlocal demo`."
            )
        self.log(options, "Generating the Wyvernshire demo place…")
        summary = demo_generate()
        self.print_summary(options, summary)
        self.print_credentials(options, demo_credentials())
        self.print_api_keys(options, demo_api_keys())

    def log(self, options: dict[str, Any], text: str) -> None:
        if options["verbosity"] > 0:
            self.stdout.write(text)

    def print_summary(self, options: dict[str, Any], summary: DemoSummary) -> None:
        if options["verbosity"] == 0:
            return
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo in {summary.seconds:.1f} s:"))
        for what, n in summary.counts.items():
            self.stdout.write(f"  {n:>6}  {what}")
        self.stdout.write("  Requests by status:")
        for status, n in summary.requests_by_status.items():
            self.stdout.write(f"  {n:>6}  {status}")
        self.stdout.write("  Assets by type:")
        for asset_type, n in summary.assets_by_type.items():
            self.stdout.write(f"  {n:>6}  {asset_type}")

    def print_credentials(self, options: dict[str, Any], credentials: list[Credential]) -> None:
        if options["verbosity"] == 0 or not credentials:
            return
        rows = [("Body", "Role", "Email (username)", "Password")] + [
            (c.body, c.role, c.email, c.password) for c in credentials
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Demo logins (staff screens at /staff/, admin at /admin/):")
        )
        for n, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            )
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
        self.stdout.write(
            "These passwords are public: never load the demo into a site on the internet."
        )

    def print_api_keys(self, options: dict[str, Any], keys: list[DemoApiKey]) -> None:
        if options["verbosity"] == 0 or not keys:
            return
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                "Demo API key (for writes to /open311/v2/ and /api/v1/; send it as "
                "`Authorization: Bearer KEY` or as api_key=KEY):"
            )
        )
        for key in keys:
            self.stdout.write(f"  {key.key}  {key.body}, scopes: {key.scopes}")
        self.stdout.write("Like the passwords, this key is public.")
