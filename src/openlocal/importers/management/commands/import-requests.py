"""openlocal import-requests FILE.csv --id-column CASE_ENQUIRY_ID --category-column TYPE ..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openlocal.importers.commands import ImportCommand
from openlocal.importers.engine import ImportResult
from openlocal.importers.history import RequestColumns
from openlocal.importers.services import requests_import


class Command(ImportCommand):
    help = (
        "Load the history of requests from another system (a CSV file, possibly .csv.gz). "
        "Each request is routed like a new report at its place (or to --body), gets its "
        "areas, a 'Reported' timeline entry and, when closed, a status entry at its closing "
        "date; nobody is notified. Statuses and categories are translated by a mapping file. "
        "Requests are matched by the source's id, so importing again updates them. Nothing "
        "is written if any row is bad, unless --skip-invalid."
    )
    noun = "requests"

    def add_import_arguments(self, parser: Any) -> None:
        columns = parser.add_argument_group("columns")
        columns.add_argument("--id-column", required=True, help="The request's id in the source.")
        columns.add_argument(
            "--category-column",
            required=True,
            help="The request's category or type (translated by the mapping file).",
        )
        columns.add_argument("--opened-column", required=True, help="When the request was made.")
        columns.add_argument(
            "--title-column", default="", help="A short title (default: the category's name)."
        )
        columns.add_argument(
            "--description-column", default="", help="The description (default: the title)."
        )
        columns.add_argument(
            "--status-column",
            default="",
            help="The status (translated by the mapping file). Without it, requests with a "
            "closing date are fixed and the others new.",
        )
        columns.add_argument("--closed-column", default="", help="When the request was closed.")
        columns.add_argument(
            "--closing-text-column",
            default="",
            help="The body's public message when closing it, shown on the timeline.",
        )
        columns.add_argument("--address-column", default="")
        columns.add_argument("--latitude-column", default="")
        columns.add_argument("--longitude-column", default="")
        columns.add_argument("--easting-column", default="")
        columns.add_argument("--northing-column", default="")
        dates = parser.add_argument_group("dates")
        dates.add_argument(
            "--date-format",
            default="iso",
            help="How the dates are written: iso (the default, e.g. 2015-01-05 12:40:41), a "
            "pattern such as 'MM/DD/YYYY hh:mm:ss AM', or a strptime format "
            "such as '%%m/%%d/%%Y %%I:%%M:%%S %%p'.",
        )
        dates.add_argument(
            "--time-zone",
            default="",
            help="The time zone of dates without an offset, e.g. America/New_York "
            "(default: the site's, OPENLOCAL_TIME_ZONE).",
        )
        parser.add_argument(
            "--mapping",
            type=Path,
            default=None,
            help="A TOML or JSON file translating statuses and categories: see docs/importing.md.",
        )
        parser.add_argument(
            "--body",
            default="",
            help="The slug of the body every request goes to (default: routed by category "
            "and place, like a new report).",
        )
        parser.add_argument("--encoding", default="utf-8-sig")
        parser.add_argument("--delimiter", default=None)

    def run_import(self, path: Path, options: dict[str, Any], **common: Any) -> ImportResult:
        columns = RequestColumns(
            id_column=options["id_column"],
            category_column=options["category_column"],
            opened_column=options["opened_column"],
            title_column=options["title_column"],
            description_column=options["description_column"],
            status_column=options["status_column"],
            closed_column=options["closed_column"],
            closing_text_column=options["closing_text_column"],
            address_column=options["address_column"],
            latitude_column=options["latitude_column"],
            longitude_column=options["longitude_column"],
            easting_column=options["easting_column"],
            northing_column=options["northing_column"],
            date_format=options["date_format"],
            time_zone=options["time_zone"],
            body=self.body(options["body"]),
            mapping=self.mapping(options["mapping"]),
            encoding=options["encoding"],
            delimiter=options["delimiter"],
        )
        return requests_import(data=path, columns=columns, **common)
