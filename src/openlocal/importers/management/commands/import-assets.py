"""openlocal import-assets FILE --id-column ATCOCode --name-column CommonName --type bus-stop"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openlocal.importers.assets import AssetColumns
from openlocal.importers.commands import ImportCommand, column_list
from openlocal.importers.engine import ImportResult
from openlocal.importers.services import assets_import


class Command(ImportCommand):
    help = (
        "Load an asset register (bus stops, streetlights, ...) from CSV or GeoJSON. Rows are "
        "placed by latitude/longitude or by British National Grid easting/northing; assets "
        "are matched by the source's id, so importing the file again updates them and "
        "reports those no longer in it. Nothing is written if any row is bad, unless "
        "--skip-invalid."
    )
    noun = "assets"

    def add_import_arguments(self, parser: Any) -> None:
        columns = parser.add_argument_group("columns (CSV) or properties (GeoJSON)")
        columns.add_argument(
            "--id-column", required=True, help="The asset's id in the source, e.g. ATCOCode."
        )
        columns.add_argument(
            "--name-column",
            default="",
            help="The asset's name (default: the type's name and the id).",
        )
        columns.add_argument(
            "--type",
            default="",
            help="The slug of the asset type of every row, e.g. bus-stop (created if missing).",
        )
        columns.add_argument(
            "--type-name", default="", help="The name for a new --type, e.g. 'Bus stop'."
        )
        columns.add_argument(
            "--type-column",
            default="",
            help="A column naming each row's asset type (by slug, or through the mapping "
            "file's [asset_types]).",
        )
        columns.add_argument("--latitude-column", default="")
        columns.add_argument("--longitude-column", default="")
        columns.add_argument(
            "--easting-column",
            default="",
            help="British National Grid easting, used where a row has no latitude/longitude.",
        )
        columns.add_argument("--northing-column", default="")
        columns.add_argument(
            "--attribute-columns",
            type=column_list,
            default=[],
            help="Other columns to keep on each asset, separated by commas.",
        )
        columns.add_argument(
            "--active-column",
            default="",
            help="A column whose value says whether the asset is in use (inactive, no, "
            "false, 0, closed, removed: not in use).",
        )
        parser.add_argument("--body", default="", help="The slug of the body responsible.")
        parser.add_argument(
            "--mapping", type=Path, default=None, help="A TOML or JSON mapping file."
        )
        parser.add_argument(
            "--encoding", default="utf-8-sig", help="The CSV's encoding (default UTF-8)."
        )
        parser.add_argument(
            "--delimiter", default=None, help="The CSV's separator (default: from the header)."
        )

    def run_import(self, path: Path, options: dict[str, Any], **common: Any) -> ImportResult:
        columns = AssetColumns(
            id_column=options["id_column"],
            name_column=options["name_column"],
            type_slug=options["type"],
            type_name=options["type_name"],
            type_column=options["type_column"],
            latitude_column=options["latitude_column"],
            longitude_column=options["longitude_column"],
            easting_column=options["easting_column"],
            northing_column=options["northing_column"],
            attribute_columns=options["attribute_columns"],
            active_column=options["active_column"],
            body=self.body(options["body"]),
            mapping=self.mapping(options["mapping"]),
            encoding=options["encoding"],
            delimiter=options["delimiter"],
        )
        return assets_import(data=path, columns=columns, **common)
