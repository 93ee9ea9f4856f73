"""openlocal import-areas FILE.geojson --kind ward --code-field WD23CD --name-field WD23NM"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlocal.places.models import Area, AreaKind, Body
from openlocal.places.services import areas_import, iter_geojson_features


class Command(BaseCommand):
    help = (
        "Load area boundaries from a GeoJSON file. Areas are matched by kind and code, so "
        "importing the same file again updates them. Nothing is written if any feature is bad."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="A GeoJSON FeatureCollection (WGS84).")
        parser.add_argument("--kind", required=True, choices=AreaKind.values)
        parser.add_argument("--code-field", required=True, help="Property holding the code.")
        parser.add_argument("--name-field", required=True, help="Property holding the name.")
        parser.add_argument("--parent", help="Slug of the area that contains these areas.")
        parser.add_argument(
            "--body", help="Slug of a body that covers every imported area (optional)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path} does not exist. Give the path to a GeoJSON file.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features = list(iter_geojson_features(data))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path} is not valid GeoJSON: {exc}") from exc
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if features and options["code_field"] not in (features[0].get("properties") or {}):
            available = ", ".join(sorted((features[0].get("properties") or {}).keys()))
            raise CommandError(
                f"The features have no {options['code_field']!r} property. "
                f"Properties in this file: {available or 'none'}."
            )
        parent = None
        if options["parent"]:
            parent = Area.objects.filter(slug=options["parent"]).first()
            if parent is None:
                raise CommandError(f"No area with slug {options['parent']!r}.")
        body = None
        if options["body"]:
            body = Body.objects.filter(slug=options["body"]).first()
            if body is None:
                raise CommandError(f"No body with slug {options['body']!r}.")
        result = areas_import(
            features=features,
            kind=options["kind"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            parent=parent,
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(result.errors)} of {len(features)} features are bad; nothing was imported."
            )
        if body is not None:
            body.areas.add(*result.created, *result.updated)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(features)} {options['kind']} areas from {path.name}: "
                f"{len(result.created)} new, {len(result.updated)} updated."
            )
        )
