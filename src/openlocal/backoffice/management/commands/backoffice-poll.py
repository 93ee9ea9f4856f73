"""openlocal backoffice-poll: read the Open311 back offices' updates now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlocal.backoffice.models import BackOfficeLink, Method
from openlocal.backoffice.polling import poll


class Command(BaseCommand):
    help = (
        "Poll the back offices of Open311 links for their updates and put them on the "
        "requests' timelines (the worker does this every five minutes)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--body", help="Poll only this body's back office (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["body"]
        if (
            slug
            and not BackOfficeLink.objects.filter(
                body__slug=slug, method=Method.OPEN311, enabled=True
            ).exists()
        ):
            raise CommandError(f"No body with slug {slug!r} has an Open311 link switched on.")
        result = poll(body_slug=slug)
        self.stdout.write(
            f"Polled {result.links} back offices: {result.applied} updates applied, "
            f"{result.ignored} about requests not sent from here ignored, "
            f"{result.tokens} tokens resolved, {result.errors} back offices failed."
        )
        if result.errors:
            raise CommandError(
                "Some back offices could not be polled: see /staff/back-office/ for why."
            )
