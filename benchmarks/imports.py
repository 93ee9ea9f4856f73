"""Importing real files: Great Britain's NaPTAN stops and Boston's 311 cases of 2015.

Each import is the ``openlocal`` command itself, run in a child process as a person would
run it, so its time includes starting Python and Django, and its peak memory is that
process's own (``ru_maxrss`` from ``wait4``). Slices of each file (the first N rows, with
``--limit``) show how the cost grows with the rows; each slice is imported into emptied
tables. The largest slice is then imported again, every row unchanged.

NaPTAN: 375,664 stops in ``naptan_all_areas_Stops.csv.gz`` (gzip-compressed CSV, 43
columns); 37,165 of them have no latitude/longitude and are placed from their British
National Grid easting/northing, converted with pyproj. Boston: 121,145 cases with US dates
in America/New_York, routed within a city (a box around Boston) of sixteen wards, their
158 types translated by a mapping file; the 197 cases closed before they were opened are
left out (``--skip-invalid``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection, connections
from shapely.geometry import box

from benchmarks.harness import (
    Section,
    Verdict,
    count_label,
    database_description,
    progress,
    shared_file,
)
from openlocal.importers.models import ImportRun
from openlocal.places.models import AreaKind, Body, BodyKind
from openlocal.places.services import area_save
from openlocal.requests.models import Category, CategoryGroup, Request, RoutingRule

#: Rows read from each file: a slice at least as long as the file is the whole file.
SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [2_000, 10_000]
#: Issue 5: the whole NaPTAN file in under 60 s with peak memory under 300 MB, and the
#: whole Boston file in under 60 s.
TARGET_SECONDS = 60.0
TARGET_MEMORY_MB = 300.0

NAPTAN = "assets/naptan/naptan_all_areas_Stops.csv.gz"
NAPTAN_ROWS = 375_664
BOSTON = "service_requests/boston_311_2015/boston_311_2015_all.csv.gz"
BOSTON_ROWS = 121_145

NAPTAN_OPTIONS = [
    *("--id-column", "ATCOCode", "--name-column", "CommonName"),
    *("--type", "bus-stop", "--type-name", "Bus stop"),
    *("--latitude-column", "Latitude", "--longitude-column", "Longitude"),
    *("--easting-column", "Easting", "--northing-column", "Northing"),
    *("--attribute-columns", "Street,Indicator,Bearing,LocalityName,StopType"),
    *("--active-column", "Status"),
    *("--source-name", "NaPTAN", "--licence", "Open Government Licence v3.0"),
]
BOSTON_OPTIONS = [
    *("--id-column", "CASE_ENQUIRY_ID", "--category-column", "TYPE"),
    *("--title-column", "CASE_TITLE", "--status-column", "CASE_STATUS"),
    *("--opened-column", "OPEN_DT", "--closed-column", "CLOSED_DT"),
    *("--closing-text-column", "CLOSURE_REASON", "--address-column", "Location"),
    *("--latitude-column", "LATITUDE", "--longitude-column", "LONGITUDE"),
    *("--date-format", "MM/DD/YYYY hh:mm:ss AM", "--time-zone", "America/New_York"),
    *("--source-name", "Boston 311 (2015)", "--skip-invalid"),
]
#: Boston's commonest types and the categories they become; the rest are "other".
BOSTON_CATEGORIES = {
    "streetlight": ("Street light", CategoryGroup.LIGHTING, ["Street Light Outages"]),
    "pothole": ("Pothole", CategoryGroup.ROADS, ["Pothole Repair (Internal)"]),
    "bulk-item": ("Bulk item pick-up", CategoryGroup.WASTE, ["Schedule a Bulk Item Pickup SS"]),
    "graffiti": ("Graffiti", CategoryGroup.GRAFFITI, ["Graffiti Removal", "PWD Graffiti"]),
    "sign": ("Sign", CategoryGroup.ROADS, ["Sign Repair", "Missing Sign"]),
    "sidewalk": ("Pavement", CategoryGroup.ROADS, ["Sidewalk Repair (Make Safe)"]),
    "tree": ("Tree", CategoryGroup.PARKS, ["Tree Maintenance Requests"]),
    "other": ("Other", CategoryGroup.OTHER, ["*"]),
}
BOSTON_BOX = (-71.20, 42.22, -70.98, 42.40)
WARD_GRID = 4


def _boston_place(folder: Path) -> Path:
    """The city (a box around Boston) and its sixteen wards, one council, eight categories;
    returns the mapping file."""
    west, south, east, north = BOSTON_BOX
    city, _ = area_save(
        name="Boston", kind=AreaKind.DISTRICT, code="BOS", geometry=box(*BOSTON_BOX)
    )
    step_x, step_y = (east - west) / WARD_GRID, (north - south) / WARD_GRID
    for i in range(WARD_GRID):
        for j in range(WARD_GRID):
            x, y = west + i * step_x, south + j * step_y
            area_save(
                name=f"Ward {i * WARD_GRID + j + 1}",
                kind=AreaKind.WARD,
                code=f"BOS-{i}-{j}",
                geometry=box(x, y, x + step_x, y + step_y),
                parent=city,
            )
    council = Body.objects.create(name="City of Boston", slug="boston", kind=BodyKind.DISTRICT)
    council.areas.add(city)
    lines = ['[statuses]\n"Open" = "new"\n"Closed" = "fixed"\n\n[categories]']
    for slug, (name, group, types) in BOSTON_CATEGORIES.items():
        category = Category.objects.create(name=name, slug=slug, service_code=slug, group=group)
        RoutingRule.objects.create(category=category, area=city, body=council)
        lines += [f'"{t}" = "{slug}"' for t in types]
    mapping = folder / "boston.toml"
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mapping


_CLEARED = [
    "importers_importedrecord",
    "importers_importrun",
    "requests_cellcount",
    "requests_update",
    "requests_request_areas",
    "subscriptions_event",
    "requests_request",
    "assets_asset",
    "opendata_datasource",
]


def _clear() -> None:
    """Empty what an import writes, so that each slice starts from the same place."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(_CLEARED)} CASCADE")
        else:
            for table in _CLEARED:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our own table names)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _run(command: str, path: Path, options: list[str], limit: int | None) -> dict[str, Any]:
    """Run one import command in its own process: its time, peak memory and counts."""
    connections.close_all()
    args = [sys.executable, "-m", "openlocal", command, str(path), *options, "--quiet"]
    if limit is not None:
        args += ["--limit", str(limit)]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        # wait4 gives this child's own resource use: its peak resident memory.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            output.seek(0)
            raise SystemExit(f"{command} failed ({child.returncode}):\n{output.read()[-3000:]}")
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None
    return {
        "seconds": seconds,
        "import_seconds": run.seconds,
        "rss": usage.ru_maxrss / 1024,
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "invalid": run.invalid,
    }


def _slices(sizes: list[int], total: int) -> list[int | None]:
    """Row limits: None for the whole file (once, for any size at least as long)."""
    limits: list[int | None] = [s for s in sizes if s < total]
    if any(s >= total for s in sizes):
        limits.append(None)
    return limits


def _measure(
    label: str, command: str, path: Path, options: list[str], sizes: list[int], total: int
) -> list[dict[str, Any]]:
    results = []
    limits = _slices(sizes, total)
    for limit in limits:
        _clear()
        progress(f"imports: {label}, {count_label(limit) if limit else 'the whole file'}")
        result = _run(command, path, options, limit)
        results.append(
            {"file": label, "label": "first " + count_label(limit) if limit else "all", **result}
        )
    progress(f"imports: {label}, the same rows again (unchanged)")
    again = _run(command, path, options, limits[-1])
    results.append({"file": label, "label": "again, unchanged", **again})
    return results


def run(*, sizes: list[int], quick: bool) -> Section:
    naptan = shared_file(NAPTAN)
    boston = shared_file(BOSTON)
    with tempfile.TemporaryDirectory(prefix="openlocal-bench-imports-") as folder:
        mapping = _boston_place(Path(folder))
        results = _measure(
            "NaPTAN stops", "import-assets", naptan, NAPTAN_OPTIONS, sizes, NAPTAN_ROWS
        )
        results += _measure(
            "Boston 311",
            "import-requests",
            boston,
            [*BOSTON_OPTIONS, "--mapping", str(mapping)],
            sizes,
            BOSTON_ROWS,
        )
        imported = Request.private_objects.count()
    return _section(results, quick, imported)


def _section(results: list[dict[str, Any]], quick: bool, imported: int) -> Section:
    rows = []
    for r in results:
        good = r["created"] + r["updated"] + r["unchanged"]
        per_row = r["seconds"] / r["rows"] * 1e6 if r["rows"] else 0.0
        rows.append(
            [
                r["file"],
                r["label"],
                f"{r['rows']:,}",
                f"{r['created']:,} / {r['updated']:,} / {r['unchanged']:,}",
                f"{r['invalid']:,}",
                f"{r['seconds']:.1f} s",
                f"{r['import_seconds']:.1f} s",
                f"{per_row:.0f} µs",
                f"{good / r['seconds']:,.0f}",
                f"{r['rss']:.0f} MiB",
            ]
        )
    verdicts = []
    whole = {r["file"]: r for r in results if r["label"] == "all"}
    if not quick and "NaPTAN stops" in whole:
        naptan = whole["NaPTAN stops"]
        verdicts += [
            Verdict(
                f"the {NAPTAN_ROWS:,} NaPTAN stops in under {TARGET_SECONDS:.0f} s",
                f"{naptan['seconds']:.1f} s",
                naptan["seconds"] < TARGET_SECONDS,
            ),
            Verdict(
                f"peak memory under {TARGET_MEMORY_MB:.0f} MB",
                f"{naptan['rss']:.0f} MiB",
                naptan["rss"] * 1.048576 < TARGET_MEMORY_MB,
            ),
        ]
    if not quick and "Boston 311" in whole:
        cases = whole["Boston 311"]
        verdicts.append(
            Verdict(
                f"the {BOSTON_ROWS:,} Boston cases in under {TARGET_SECONDS:.0f} s",
                f"{cases['seconds']:.1f} s ({cases['rss']:.0f} MiB)",
                cases["seconds"] < TARGET_SECONDS,
            )
        )
    notes = [
        "“Command” is the whole `openlocal import-…` process as a person runs it (starting "
        "Python and Django included); “Import” is the import's own time (reading, checking, "
        "writing and committing) as recorded in its run. Each slice is the first N rows of "
        "the file, imported into emptied tables; "
        "“again, unchanged” imports the largest slice a second time, when every row is "
        "unchanged and nothing is written. Peak RSS is the command process's own.",
        "NaPTAN rows without latitude/longitude (37,165 in the whole file) are placed from "
        "their easting/northing. Boston's bad rows are cases closed before they were opened "
        f"(left out with `--skip-invalid`); {imported:,} requests were in the database after "
        "the last import.",
    ]
    return Section(
        name="imports",
        title="Importing real files",
        database=database_description(),
        setup=(
            "The `openlocal import-assets` and `openlocal import-requests` commands on real "
            "files from `../shared/data`, each in its own process. Columns: rows read, "
            "new / changed / unchanged, bad rows, the command's time, the import's own time, "
            "time per row read, good rows per second, peak RSS."
        ),
        headers=[
            "File",
            "Slice",
            "Rows",
            "New / changed / unchanged",
            "Bad",
            "Command",
            "Import",
            "Per row",
            "Rows/s",
            "Peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )
