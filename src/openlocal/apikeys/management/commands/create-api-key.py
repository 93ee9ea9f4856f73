"""openlocal create-api-key: make a key for a program, and print it once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from openlocal.apikeys.models import Scope
from openlocal.apikeys.services import apikey_create
from openlocal.places.models import Body


class Command(BaseCommand):
    help = (
        "Create an API key and print it. The key is shown only now: store it safely. "
        f"Scopes: {', '.join(f'{s.value} ({s.label.lower()})' for s in Scope)}."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True, help="Who will use the key.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            required=True,
            help="A scope; repeat for several (e.g. --scope submit --scope body).",
        )
        parser.add_argument("--body", help="The slug of the body the key acts for.")
        parser.add_argument("--contact", default="", help="A private contact email.")

    def handle(self, *args: Any, **options: Any) -> None:
        body = None
        if options["body"]:
            body = Body.objects.filter(slug=options["body"]).first()
            if body is None:
                slugs = ", ".join(Body.objects.order_by("slug").values_list("slug", flat=True))
                raise CommandError(f"No body with slug {options['body']!r}. Bodies: {slugs}.")
        try:
            key, raw = apikey_create(
                name=options["name"],
                scopes=options["scope"],
                body=body,
                contact_email=options["contact"],
                check_permission=False,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"Created {key} with scopes {', '.join(key.scopes)}.")
        self.stdout.write(raw)
