"""openlocal import-requests: another system's history, routed and shaped like reports
made here, told to nobody."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError
from django.db import transaction

from openlocal.importers.models import ImportedRecord
from openlocal.importers.tests.conftest import BOSTON_COLUMNS
from openlocal.opendata.models import DataSource
from openlocal.requests.models import CellCount, Request, Source, Status, Update, UpdateKind
from openlocal.requests.rollups import cell_counts_rebuild
from openlocal.requests.services import request_create
from openlocal.subscriptions.models import Event

pytestmark = pytest.mark.django_db

BOSTON_311 = "service_requests/boston_311_2015/boston_311_2015_all.csv.gz"


def options(columns: dict[str, str]) -> list[str]:
    args = []
    for key, value in columns.items():
        args += [f"--{key.replace('_', '-')}", value]
    return args


def rollup() -> list[tuple[object, ...]]:
    return sorted(
        CellCount.objects.filter(count__gt=0).values_list(
            "resolution", "cell", "category_id", "status", "count"
        )
    )


def assert_counts_match_a_rebuild() -> None:
    kept = rollup()
    with transaction.atomic():
        cell_counts_rebuild()
        rebuilt = rollup()
        transaction.set_rollback(True)
    assert kept == rebuilt


@pytest.mark.shared_data
def test_a_slice_of_boston_311_lands_routed_on_the_map_and_told_to_nobody(
    shared_data, boston, boston_mapping, run_command, report_folder
):
    out = run_command(
        "import-requests",
        shared_data / BOSTON_311,
        *options(BOSTON_COLUMNS),
        "--mapping",
        boston_mapping,
        "--limit",
        "3000",
        "--source-name",
        "Boston 311",
        "--licence",
        "Open Data Commons Public Domain Dedication and License",
        "--skip-invalid",
    )
    assert "Only part of the file was read (--limit): vanished rows not checked." in out.stdout
    imported = Request.private_objects.filter(source=Source.IMPORT)
    created = imported.count()
    assert created > 2900
    assert f"{created:,} created" in out.stdout

    # The first case: 01/05/2015 12:40:41 PM in Boston is 17:40:41 UTC; closed the next day.
    bicycle = imported.get(external_id="101001242404")
    assert bicycle.created_at == datetime(2015, 1, 5, 17, 40, 41, tzinfo=UTC)
    assert bicycle.closed_at == datetime(2015, 1, 6, 18, 46, 56, tzinfo=UTC)
    assert (bicycle.category, bicycle.body, bicycle.status) == (
        boston.bicycle,
        boston.council,
        Status.FIXED,
    )
    assert bicycle.title == "Abandoned Bicycle"
    assert bicycle.address == "29 Hereford St  Boston  MA  02115"
    # -71.0867 is west of the split at -71.08.
    assert list(bicycle.areas.order_by("kind")) == [boston.city, boston.west]
    timeline = list(bicycle.updates.order_by("created_at"))
    assert [(u.kind, u.new_status, u.created_at) for u in timeline] == [
        (UpdateKind.CREATED, Status.NEW, bicycle.created_at),
        (UpdateKind.STATUS, Status.FIXED, bicycle.closed_at),
    ]
    assert timeline[1].text.startswith("Case Closed Case Noted no bicycle")
    assert timeline[1].author_name == "City of Boston"

    assert imported.filter(status=Status.NEW).exists()
    assert not imported.filter(status=Status.NEW, closed_at__isnull=False).exists()
    assert not imported.exclude(status=Status.NEW).filter(closed_at__isnull=True).exists()
    assert not imported.filter(reporter__isnull=False).exists()
    assert not Event.objects.exists()
    assert mail.outbox == []
    assert_counts_match_a_rebuild()

    source = DataSource.objects.get(slug="boston-311")
    assert (source.dataset, source.rows) == ("requests", created)

    again = run_command(
        "import-requests",
        shared_data / BOSTON_311,
        *options(BOSTON_COLUMNS),
        "--mapping",
        boston_mapping,
        "--limit",
        "3000",
        "--source-name",
        "Boston 311",
        "--skip-invalid",
    )
    assert f"0 created, 0 updated, {created:,} unchanged" in again.stdout
    assert imported.count() == created


ROWS_HEADER = ["id", "type", "status", "opened", "closed", "lat", "lon", "note"]


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(ROWS_HEADER)
        writer.writerows(rows)
    return path


HISTORY = [
    "--id-column",
    "id",
    "--category-column",
    "type",
    "--status-column",
    "status",
    "--opened-column",
    "opened",
    "--closed-column",
    "closed",
    "--closing-text-column",
    "note",
    "--latitude-column",
    "lat",
    "--longitude-column",
    "lon",
    "--time-zone",
    "Europe/London",
]


def test_imported_rows_have_the_shape_of_reports_made_through_the_service(
    tmp_path, place, run_command
):
    path = write_rows(
        tmp_path / "history.csv",
        [["H1", "BIN", "new", "2024-03-01 09:30:00", "", "50.7", "-3.45", ""]],
    )
    run_command("import-requests", path, *HISTORY)
    imported = Request.private_objects.get(external_id="H1")
    made = request_create(
        category=place.missed_bin,
        latitude=50.7,
        longitude=-3.45,
        title="Missed bin collection",
        description="Missed bin collection",
        created_at=imported.created_at,
        notify=False,
        source=Source.IMPORT,
        external_id="H1",
    )
    ignored = {"id", "_state"}
    assert {k: v for k, v in vars(imported).items() if k not in ignored} == {
        k: v for k, v in vars(made).items() if k not in ignored
    }
    assert list(imported.areas.order_by("pk")) == list(made.areas.order_by("pk"))
    fields = [
        "kind",
        "public",
        "text",
        "old_status",
        "new_status",
        "author_id",
        "author_name",
        "body_id",
        "data",
        "hidden",
        "created_at",
    ]
    assert list(imported.updates.values(*fields)) == list(made.updates.values(*fields))
    assert imported.body == place.east_council
    assert_counts_match_a_rebuild()


def test_every_bad_row_is_reported_and_nothing_is_written(
    tmp_path, place, run_command, report_folder
):
    path = write_rows(
        tmp_path / "history.csv",
        [
            ["H1", "POT", "new", "2024-03-01 09:30", "", "50.7", "-3.55", ""],
            ["H2", "BIN", "new", "2024-03-01 09:30", "", "48.85", "2.35", ""],
            ["H3", "Noise", "new", "2024-03-01 09:30", "", "50.7", "-3.55", ""],
            ["H4", "BIN", "Sorted", "2024-03-01 09:30", "", "50.7", "-3.55", ""],
            ["H5", "BIN", "new", "1 March", "", "50.7", "-3.55", ""],
            ["H6", "BIN", "fixed", "2024-03-02 09:30", "2024-03-01 10:00", "50.7", "-3.55", ""],
            ["H7", "BIN", "fixed", "2024-03-02 09:30", "", "50.7", "-3.55", ""],
        ],
    )
    with pytest.raises(
        CommandError, match=r"6 of 7 rows of history\.csv are bad; nothing was imported"
    ):
        run_command("import-requests", path, *HISTORY)
    assert not Request.private_objects.exists()
    report = next(report_folder.glob("history-*-invalid.csv")).read_text(encoding="utf-8")
    lines = report.splitlines()
    assert lines[0] == "line,id,column,value,reason"
    expected = [
        ("3,H2,lat", "48.85000, 2.35000 is outside every area on this site"),
        ("4,H3,type", "“Noise” is not a category here"),
        ("5,H4,status", "“Sorted” is not a status here"),
        ("6,H5,opened", "“1 March” is not an ISO 8601 date"),
        ("7,H6,closed", "closed (2024-03-01 10:00) before it was opened (2024-03-02 09:30)"),
        ("8,H7,status", "the status “fixed” is closed, but closed is empty"),
    ]
    for (start, reason), line in zip(expected, lines[1:], strict=True):
        assert line.startswith(start) and reason in line


def test_reimport_moves_a_closed_request_on_its_timeline_and_on_the_map(
    tmp_path, place, run_command
):
    path = tmp_path / "history.csv"
    write_rows(path, [["H1", "FLY", "open", "2024-03-01 09:30", "", "50.7", "-3.55", ""]])
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[statuses]\n"open" = "new"\n"done" = "fixed"\n', encoding="utf-8")
    run_command("import-requests", path, *HISTORY, "--mapping", mapping)
    write_rows(
        path,
        [
            [
                "H1",
                "FLY",
                "done",
                "2024-03-01 09:30",
                "2024-03-04 16:00",
                "50.7",
                "-3.55",
                "Cleared.",
            ]
        ],
    )
    out = run_command("import-requests", path, *HISTORY, "--mapping", mapping)
    assert "0 created, 1 updated, 0 unchanged" in out.stdout
    request = Request.private_objects.get()
    assert request.status == Status.FIXED
    assert request.closed_at == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    status = request.updates.get(kind=UpdateKind.STATUS)
    assert (status.old_status, status.new_status, status.text) == ("new", "fixed", "Cleared.")
    assert status.created_at == request.closed_at
    assert status.author_name == "West Testshire District Council"
    assert Update.private_objects.filter(request=request).count() == 2
    assert ImportedRecord.objects.get().request == request
    assert_counts_match_a_rebuild()


def test_a_body_can_be_given_instead_of_routing(tmp_path, place, run_command):
    path = write_rows(
        tmp_path / "history.csv",
        [["H1", "POT", "new", "2024-03-01T09:30:00+00:00", "", "50.7", "-3.55", ""]],
    )
    run_command("import-requests", path, *HISTORY, "--body", "west")
    assert Request.private_objects.get().body == place.west_council


def test_history_in_a_private_category_stays_private_and_off_the_map(tmp_path, place, run_command):
    place.missed_bin.private = True
    place.missed_bin.save(update_fields=["private"])
    path = tmp_path / "history.csv"
    write_rows(path, [["H1", "BIN", "new", "2024-03-01 09:30", "", "50.7", "-3.45", ""]])
    run_command("import-requests", path, *HISTORY)
    imported = Request.private_objects.get(external_id="H1")
    assert imported.private
    assert not Request.public_objects.filter(pk=imported.pk).exists()
    assert rollup() == []
    assert_counts_match_a_rebuild()

    # Closed on a second import: still private, still off the map.
    write_rows(
        path,
        [["H1", "BIN", "fixed", "2024-03-01 09:30", "2024-03-02 10:00", "50.7", "-3.45", ""]],
    )
    run_command("import-requests", path, *HISTORY)
    imported.refresh_from_db()
    assert imported.private and imported.status == Status.FIXED
    assert rollup() == []
    assert_counts_match_a_rebuild()
