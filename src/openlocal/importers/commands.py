"""What the three import commands share: the source options, the progress bar, the
summary, and the report of bad rows."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from openlocal.importers.engine import ImportResult, SourceDetails, error_report_csv
from openlocal.importers.files import (
    ImportFileError,
    display_name,
    looks_like_geojson,
    source_stem,
)
from openlocal.importers.mapping import Mapping, load_mapping
from openlocal.places.models import Body

#: Problems and vanished ids printed on the terminal; the rest go to the report files.
SHOWN = 50


def column_list(text: str) -> list[str]:
    """``"Street, Indicator"`` → ``["Street", "Indicator"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("give a number above 0")
    return value


class ImportCommand(BaseCommand):
    """A management command that imports one file. Subclasses add their own options and
    build the import in :meth:`build`."""

    #: What the rows are, for the summary: "assets", "requests", "areas".
    noun = "rows"
    # The system checks cost seconds at every start and check nothing an import uses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help="The file to import (.csv, .geojson; either may be gzip-compressed, .gz).",
        )
        self.add_import_arguments(parser)
        source = parser.add_argument_group(
            "the source",
            "Where the data comes from, shown with it in the open data catalogue. Importing "
            "again under the same source updates the rows it gave before.",
        )
        source.add_argument(
            "--source-name",
            default="",
            help="The source's name, e.g. 'NaPTAN (Department for Transport)' (default: the "
            "file's name without extensions).",
        )
        source.add_argument(
            "--source-slug", default="", help="Its short name (default: from --source-name)."
        )
        source.add_argument("--publisher", default="", help="Who publishes the data.")
        source.add_argument(
            "--licence", default="", help="The data's licence, e.g. 'Open Government Licence v3.0'."
        )
        source.add_argument("--licence-url", default="", help="Where to read the licence.")
        source.add_argument(
            "--attribution",
            default="",
            help="The statement the licence asks users to repeat, e.g. 'Contains OS data © "
            "Crown copyright and database right 2023'.",
        )
        source.add_argument("--source-url", default="", help="Where the data can be found.")
        checking = parser.add_argument_group("checking and reporting")
        checking.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows even when some are bad (the bad ones go to the report). "
            "Without it, nothing is written when any row is bad.",
        )
        checking.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the whole file and say what would happen, writing nothing.",
        )
        checking.add_argument(
            "--report",
            type=Path,
            default=None,
            help="Where to write the CSV report of bad rows (default: a file under "
            "OPENLOCAL_DATA_DIR/imports/).",
        )
        checking.add_argument(
            "--limit",
            type=positive,
            default=None,
            help="Read only the first N rows: to try the options on a large file. "
            "Vanished rows are not looked for.",
        )
        checking.add_argument(
            "--quiet", action="store_true", help="No progress bar (there is none off a terminal)."
        )

    def add_import_arguments(self, parser: Any) -> None:
        raise NotImplementedError

    def run_import(self, path: Path, options: dict[str, Any], **common: Any) -> ImportResult:
        """Call the import service with the command's own options and ``common`` ones
        (file name, source, checking, progress)."""
        raise NotImplementedError

    def progress_unit(self, path: Path) -> str:
        """What the progress bar counts: bytes of a CSV file, or GeoJSON features."""
        return "feature" if looks_like_geojson(path, path.name) else "B"

    # Helpers for subclasses ---------------------------------------------------------------

    def body(self, slug: str | None) -> Body | None:
        if not slug:
            return None
        body = Body.objects.filter(slug=slug).first()
        if body is None:
            known = ", ".join(Body.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"No body with slug {slug!r}. Bodies: {known or 'none yet'}.")
        return body

    def mapping(self, path: Path | None) -> Mapping:
        if path is None:
            return Mapping()
        try:
            return load_mapping(path)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

    # Running ------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist. Give the path to the file to import.")
        source = SourceDetails(
            name=options["source_name"].strip(),
            slug=options["source_slug"].strip(),
            default_name=source_stem(path.name),
            publisher=options["publisher"].strip(),
            licence_name=options["licence"].strip(),
            licence_url=options["licence_url"].strip(),
            attribution=options["attribution"].strip(),
            source_url=options["source_url"].strip(),
        )
        unit = self.progress_unit(path)
        show_bar = not options["quiet"] and self.stderr.isatty()
        bar = tqdm(
            disable=not show_bar,
            file=getattr(self.stderr, "_out", None),
            unit=unit,
            unit_scale=unit == "B",
            desc=display_name(path.name),
            leave=False,
        )
        try:
            result = self.run_import(
                path,
                options,
                file_name=path.name,
                source=source,
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
                limit=options["limit"],
                on_progress=_progress_to(bar),
            )
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        finally:
            bar.close()
        self.summarise(result, source, options)

    def summarise(
        self, result: ImportResult, source: SourceDetails, options: dict[str, Any]
    ) -> None:
        name = display_name(result.file_name)
        report_path = None
        if result.errors:
            report_path = self._write_report(result, source, options)
            for error in result.errors[:SHOWN]:
                self.stderr.write(error.describe(result.unit))
            if len(result.errors) > SHOWN:
                self.stderr.write(
                    f"... and {len(result.errors) - SHOWN:,} more problems, all in {report_path}."
                )
        for note in result.notes:
            self.stdout.write(note)
        if result.errors and not result.written and not result.dry_run:
            rows = "features" if result.unit == "feature" else "rows"
            raise CommandError(
                f"{result.invalid:,} of {result.rows:,} {rows} of {name} are bad; nothing was "
                f"imported. Every problem is listed in {report_path}. Fix them and import "
                f"again, or add --skip-invalid to import the {result.good:,} good {rows}."
            )
        saved = result.source
        source_text = f" (source “{saved.name}”, {saved.slug})" if saved else ""
        if result.dry_run:
            self.stdout.write(
                f"Checked {result.rows:,} {self.noun} in {name}{source_text}; nothing was "
                f"written. Importing it would give: {result.summary()}."
            )
            if report_path:
                self.stdout.write(f"The bad rows are listed in {report_path}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {self.noun} from {name}{source_text}: {result.summary()}."
                )
            )
            if report_path:
                self.stdout.write(
                    self.style.WARNING(
                        f"Left out {result.invalid:,} bad rows; they are listed in {report_path}."
                    )
                )
        if not result.checked_vanished:
            self.stdout.write(
                "Only part of the file was read (--limit): vanished rows not checked."
            )
        elif result.vanished_ids:
            self._vanished(result, source, options)

    def _write_report(
        self, result: ImportResult, source: SourceDetails, options: dict[str, Any]
    ) -> Path:
        path: Path | None = options.get("report")
        if path is None:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            path = (
                Path(settings.DATA_DIR) / "imports" / f"{source.resolved_slug}-{stamp}-invalid.csv"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(error_report_csv(result.errors, result.unit), encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"The report of bad rows could not be written to {path}: {exc.strerror}. "
                "Choose another place with --report."
            ) from exc
        return path

    def _vanished(
        self, result: ImportResult, source: SourceDetails, options: dict[str, Any]
    ) -> None:
        ids = result.vanished_ids
        shown = ", ".join(ids[:SHOWN])
        message = (
            f"{len(ids):,} {self.noun} imported before from this source are not in this file; "
            f"they were kept, not deleted: {shown}"
        )
        if len(ids) > SHOWN:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            report: Path | None = options.get("report")
            folder = report.parent if report else Path(settings.DATA_DIR) / "imports"
            path = folder / f"{source.resolved_slug}-{stamp}-vanished.txt"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text("\n".join(ids) + "\n", encoding="utf-8")
                message += f" and {len(ids) - SHOWN:,} more, all listed in {path}"
            except OSError:
                message += f" and {len(ids) - SHOWN:,} more"
        self.stdout.write(self.style.WARNING(message + "."))


def _progress_to(bar: Any) -> Any:
    def update(done: int, total: int, rows: int) -> None:
        if bar.disable:
            return
        if total and bar.total != total:
            bar.total = total
        bar.update(max(0, done - bar.n))
        bar.set_postfix_str(f"{rows:,} rows", refresh=False)

    return update
