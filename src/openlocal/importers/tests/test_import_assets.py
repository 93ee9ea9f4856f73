"""openlocal import-assets: registers by latitude/longitude or grid reference, re-imports,
bad rows, and the source recorded for the open data catalogue."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.importers.models import ImportedRecord, ImportRun
from openlocal.opendata.models import DataSource

pytestmark = pytest.mark.django_db

NAPTAN_DEVON = "assets/naptan/110Stops.csv"
OGL = "Open Government Licence v3.0"


def naptan_rows(shared_data: Path, count: int) -> tuple[list[str], list[list[str]]]:
    with open(shared_data / NAPTAN_DEVON, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [row for _, row in zip(range(count), reader, strict=False)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


STOPS = ["--id-column", "ATCOCode", "--name-column", "CommonName", "--type", "bus-stop"]


@pytest.mark.shared_data
def test_naptan_devon_by_latitude_longitude_and_by_grid_reference_agree(
    shared_data, run_command, report_folder
):
    stops = shared_data / NAPTAN_DEVON
    out = run_command(
        "import-assets",
        stops,
        *STOPS,
        "--type-name",
        "Bus stop",
        "--latitude-column",
        "Latitude",
        "--longitude-column",
        "Longitude",
        "--attribute-columns",
        "Street,Indicator,Bearing",
        "--active-column",
        "Status",
        "--source-name",
        "NaPTAN Devon",
        "--licence",
        OGL,
        "--licence-url",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "--attribution",
        "Contains public sector information licensed under the Open Government Licence v3.0.",
    )
    assert "7,063 created, 0 updated, 0 unchanged, 0 vanished, 0 invalid" in out.stdout
    assert "Created the asset type “Bus stop” (bus-stop)" in out.stdout
    # The same file placed by its British National Grid references instead.
    run_command(
        "import-assets",
        stops,
        "--id-column",
        "ATCOCode",
        "--name-column",
        "CommonName",
        "--type",
        "bus-stop-by-grid",
        "--easting-column",
        "Easting",
        "--northing-column",
        "Northing",
        "--source-name",
        "NaPTAN Devon by grid",
    )
    by_degrees = {a.external_id: a for a in Asset.objects.filter(asset_type__slug="bus-stop")}
    by_grid = {a.external_id: a for a in Asset.objects.filter(asset_type__slug="bus-stop-by-grid")}
    assert len(by_degrees) == len(by_grid) == 7063
    worst = max(
        geo.distance_m(a.latitude, a.longitude, by_grid[k].latitude, by_grid[k].longitude)
        for k, a in by_degrees.items()
    )
    assert worst < 1.5

    stop = by_degrees["1100DEA10109"]
    assert stop.name == "Bus Station"
    assert stop.attributes == {"Indicator": "Stand A"}
    assert (stop.latitude, stop.longitude) == (50.28307, -3.7772)
    assert stop.cell == geo.point_cell(50.28307, -3.7772)
    assert Asset.objects.filter(asset_type__slug="bus-stop", active=False).exists()

    source = DataSource.objects.get(slug="naptan-devon")
    assert (source.dataset, source.rows, source.licence_name) == ("assets", 7063, OGL)
    assert source.attribution.startswith("Contains public sector information")
    assert source.imported_at is not None
    run = ImportRun.objects.get(source=source)
    assert (run.created, run.invalid, run.options["id_column"]) == (7063, 0, "ATCOCode")

    again = run_command(
        "import-assets",
        stops,
        *STOPS,
        "--source-name",
        "NaPTAN Devon",
        "--attribute-columns",
        "Street,Indicator,Bearing",
        "--active-column",
        "Status",
        "--latitude-column",
        "Latitude",
        "--longitude-column",
        "Longitude",
    )
    assert "0 created, 0 updated, 7,063 unchanged, 0 vanished, 0 invalid" in again.stdout
    assert Asset.objects.filter(asset_type__slug="bus-stop").count() == 7063


def test_reimport_updates_by_id_never_duplicates_and_reports_vanished(
    tmp_path, run_command, report_folder
):
    header = ["ATCOCode", "CommonName", "Latitude", "Longitude"]
    rows = [[f"STOP{i}", f"Stop {i}", f"{50.7 + i / 1000}", "-3.5"] for i in range(10)]
    first = write_csv(tmp_path / "stops.csv", header, rows)
    run_command("import-assets", first, *STOPS)

    rows[3][1] = "Stop three, renamed"
    del rows[7:]
    second = write_csv(tmp_path / "stops.csv", header, rows)
    out = run_command("import-assets", second, *STOPS)

    assert "0 created, 1 updated, 6 unchanged, 3 vanished, 0 invalid" in out.stdout
    assert "3 assets imported before from this source are not in this file" in out.stdout
    assert "kept, not deleted: STOP7, STOP8, STOP9" in out.stdout
    assert Asset.objects.count() == 10
    assert Asset.objects.get(external_id="STOP3").name == "Stop three, renamed"
    assert ImportedRecord.objects.count() == 10
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None
    assert run.vanished_ids == ["STOP7", "STOP8", "STOP9"]


BAD_HEADER = ["ATCOCode", "CommonName", "Latitude", "Longitude", "Postcode"]
BAD_ROWS = [
    ["GOOD1", "Good stop", "50.70", "-3.50", ""],
    ["", "No id", "50.71", "-3.50", ""],
    ["GOOD2", "Good stop two", "50.72", "-3.50", ""],
    ["GOOD1", "Same id again", "50.73", "-3.50", ""],
    ["BAD3", "Words for a latitude", "north", "-3.50", ""],
    ["BAD4", "Too far north", "95.2", "-3.50", ""],
    ["BAD5", "Only a postcode", "", "", "EX1 1AA"],
]


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_written(
    tmp_path, run_command, report_folder
):
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)
    with pytest.raises(CommandError) as raised:
        run_command("import-assets", path, *STOPS)
    message = str(raised.value)
    assert "5 of 7 rows of bad.csv are bad; nothing was imported" in message
    assert "--skip-invalid to import the 2 good rows" in message
    assert not Asset.objects.exists()
    assert not AssetType.objects.exists()
    assert not DataSource.objects.exists()

    reports = list(report_folder.glob("bad-*-invalid.csv"))
    assert len(reports) == 1
    with open(reports[0], newline="", encoding="utf-8") as f:
        report = list(csv.DictReader(f))
    assert [(r["line"], r["column"]) for r in report] == [
        ("3", "ATCOCode"),
        ("5", "ATCOCode"),
        ("6", "Latitude"),
        ("7", "Latitude"),
        ("8", "Latitude"),
    ]
    reasons = [r["reason"] for r in report]
    assert reasons[0].startswith("no id")
    assert "also on line 2" in reasons[1]
    assert "“north” is not a number" in reasons[2]
    assert "out of range" in reasons[3]
    assert "the row gives only a postcode, EX1 1AA" in reasons[4]


def test_skip_invalid_writes_the_good_rows_and_says_where_the_report_is(tmp_path, run_command):
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)
    report = tmp_path / "left-out.csv"
    out = run_command("import-assets", path, *STOPS, "--skip-invalid", "--report", report)
    assert "2 created, 0 updated, 0 unchanged, 0 vanished, 5 invalid" in out.stdout
    assert f"Left out 5 bad rows; they are listed in {report}" in out.stdout
    assert "Line 6 (id BAD3), Latitude: “north” is not a number" in out.stderr
    assert sorted(Asset.objects.values_list("external_id", flat=True)) == ["GOOD1", "GOOD2"]
    assert report.read_text(encoding="utf-8").startswith("line,id,column,value,reason\n")
    run = ImportRun.objects.get()
    assert run.invalid == 5
    assert "Words for a latitude" not in run.report and "north" in run.report


def test_gzip_compressed_csv_is_read(tmp_path, run_command):
    header = ["ATCOCode", "CommonName", "Latitude", "Longitude"]
    plain = write_csv(tmp_path / "stops.csv", header, [["Z1", "Zed", "50.7", "-3.5"]])
    packed = tmp_path / "stops.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    out = run_command("import-assets", packed, *STOPS)
    assert "1 created" in out.stdout
    assert DataSource.objects.get().slug == "stops"


@pytest.mark.shared_data
def test_libraries_with_only_postcodes_are_reported_clearly(
    shared_data, run_command, report_folder
):
    libraries = shared_data / "assets/libraries/devon_county_council.csv"
    with pytest.raises(CommandError, match="53 of 53 rows"):
        run_command(
            "import-assets",
            libraries,
            "--id-column",
            "Library name",
            "--type",
            "library",
        )
    report = next(report_folder.glob("*-invalid.csv")).read_text(encoding="utf-8")
    assert (
        "no latitude/longitude or easting/northing; this file gives only a postcode (EX39 1QS)"
        in report
    )
    assert not Asset.objects.exists()


def test_geojson_assets_with_a_type_column_translated_by_the_mapping(tmp_path, run_command, place):
    features = [
        {
            "type": "Feature",
            "properties": {"ref": "G1", "label": "Grit bin by the school", "kind": "GRIT"},
            "geometry": {"type": "Point", "coordinates": [-3.55, 50.70]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "L9", "label": "Column 9", "kind": "LAMP"},
            "geometry": {"type": "Point", "coordinates": [-3.45, 50.71]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "X1", "label": "Unknown thing", "kind": "ODD"},
            "geometry": {"type": "Point", "coordinates": [-3.45, 50.72]},
        },
    ]
    path = tmp_path / "things.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    mapping = tmp_path / "types.json"
    mapping.write_text(json.dumps({"asset_types": {"GRIT": "grit-bin", "LAMP": "streetlight"}}))
    AssetType.objects.create(name="Grit bin", slug="grit-bin")
    out = run_command(
        "import-assets",
        path,
        "--id-column",
        "ref",
        "--name-column",
        "label",
        "--type-column",
        "kind",
        "--mapping",
        mapping,
        "--body",
        "testshire",
        "--skip-invalid",
        "--report",
        tmp_path / "report.csv",
    )
    assert "2 created" in out.stdout and "1 invalid" in out.stdout
    assert "Feature 3 (id X1), kind: no asset type for “ODD”" in out.stderr
    grit = Asset.objects.get(external_id="G1")
    assert (grit.asset_type.slug, grit.body, grit.latitude) == (
        "grit-bin",
        place.county_council,
        50.7,
    )
    assert Asset.objects.get(external_id="L9").asset_type == place.streetlight_type


def test_an_asset_already_on_the_site_is_taken_over_not_copied(tmp_path, run_command, place):
    path = write_csv(
        tmp_path / "lights.csv",
        ["Column", "Where", "Latitude", "Longitude"],
        [["SL-0001", "Column 1, High Street (moved)", "50.701", "-3.55"]],
    )
    out = run_command(
        "import-assets",
        path,
        "--id-column",
        "Column",
        "--name-column",
        "Where",
        "--type",
        "streetlight",
    )
    assert "0 created, 1 updated" in out.stdout
    place.lamp.refresh_from_db()
    assert (place.lamp.name, place.lamp.latitude) == ("Column 1, High Street (moved)", 50.701)
    assert Asset.objects.count() == 1


def test_missing_column_lists_the_file_columns(tmp_path, run_command):
    path = write_csv(tmp_path / "x.csv", ["ref", "lat", "lon"], [["1", "50.7", "-3.5"]])
    with pytest.raises(
        CommandError, match=r"no 'ATCOCode' column\. Columns in this file: ref, lat, lon"
    ):
        run_command("import-assets", path, *STOPS)


def test_dry_run_writes_nothing(tmp_path, run_command):
    path = write_csv(
        tmp_path / "x.csv", ["ATCOCode", "CommonName", "lat", "lon"], [["1", "A", "50.7", "-3.5"]]
    )
    out = run_command("import-assets", path, *STOPS, "--dry-run")
    assert "nothing was written" in out.stdout and "1 created" in out.stdout
    assert "The asset type “Bus stop” (bus-stop) would be created." in out.stdout
    assert not Asset.objects.exists() and not DataSource.objects.exists()
