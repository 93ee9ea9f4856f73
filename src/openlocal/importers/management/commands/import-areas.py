"""openlocal import-areas FILE.geojson --kind ward --code-field WD23CD --name-field WD23NM"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from openlocal.importers.areas import AreaColumns, parent_area
from openlocal.importers.commands import ImportCommand
from openlocal.importers.engine import ImportResult
from openlocal.importers.services import areas_import
from openlocal.places.models import AreaKind


class Command(ImportCommand):
    help = (
        "Load area boundaries from a GeoJSON file (WGS84, or British National Grid with a "
        "crs member). Areas are matched by kind and code, so importing the same file again "
        "updates them (and leaves unchanged ones alone). Nothing is written if any feature "
        "is bad, unless --skip-invalid."
    )
    noun = "areas"

    def add_import_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", required=True, choices=AreaKind.values)
        parser.add_argument(
            "--code-field", required=True, help="The property holding the official code."
        )
        parser.add_argument("--name-field", required=True, help="The property holding the name.")
        parser.add_argument(
            "--parent",
            help="The slug or the official code of the area that contains every area in the "
            "file, e.g. E10000008 for Devon's districts.",
        )
        parser.add_argument(
            "--parent-code-field",
            default="",
            help="A property holding each area's parent's code, e.g. LAD23CD for wards.",
        )
        parser.add_argument(
            "--body", help="The slug of a body that covers every imported area (optional)."
        )

    def progress_unit(self, path: Path) -> str:
        return "feature"

    def run_import(self, path: Path, options: dict[str, Any], **common: Any) -> ImportResult:
        parent = None
        if options.get("parent"):
            parent = parent_area(options["parent"], kind=options["kind"])
            if parent is None:
                raise CommandError(
                    f"No area has the slug or code {options['parent']!r}: import the parent "
                    "area first, or check its slug on its page."
                )
        columns = AreaColumns(
            kind=options["kind"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            parent=parent,
            parent_code_field=options.get("parent_code_field") or "",
            body=self.body(options.get("body")),
        )
        return areas_import(data=path, columns=columns, **common)
