"""openlocal import-areas: ONS boundaries, parents by code, re-imports, bad features."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError

from openlocal.importers.models import ImportedRecord
from openlocal.opendata.models import DataSource
from openlocal.places.models import Area, AreaCell, Body, BodyKind
from openlocal.places.selectors import areas_containing

pytestmark = pytest.mark.django_db

ONS = "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
EXETER_CATHEDRAL = (50.7226, -3.5300)


@pytest.mark.shared_data
def test_devon_county_districts_and_wards_with_parents_by_code(shared_data, run_command):
    b = shared_data / "boundaries"
    run_command(
        "import-areas",
        b / "devon_county_derived_from_lad_may2023_buc.geojson",
        "--kind",
        "county",
        "--code-field",
        "CTY_code",
        "--name-field",
        "name",
        "--attribution",
        ONS,
    )
    county = Area.objects.get(kind="county")
    out = run_command(
        "import-areas",
        b / "devon_districts_lad_may2023_buc.geojson",
        "--kind",
        "district",
        "--code-field",
        "LAD23CD",
        "--name-field",
        "LAD23NM",
        "--parent",
        county.slug,
    )
    assert "8 created, 0 updated, 0 unchanged, 0 vanished, 0 invalid" in out.stdout
    council = Body.objects.create(name="Exeter City Council", slug="exeter", kind=BodyKind.DISTRICT)
    out = run_command(
        "import-areas",
        b / "exeter_wards_dec2023_bsc.geojson",
        "--kind",
        "ward",
        "--code-field",
        "WD23CD",
        "--name-field",
        "WD23NM",
        "--parent-code-field",
        "LAD23CD",
        "--body",
        "exeter",
        "--source-name",
        "Exeter wards (ONS, December 2023)",
    )
    assert "13 created" in out.stdout
    exeter = Area.objects.get(kind="district", code="E07000041")
    assert set(Area.objects.filter(kind="ward").values_list("parent", flat=True)) == {exeter.pk}
    assert exeter.parent == county
    assert council.areas.count() == 13
    assert [a.code for a in areas_containing(*EXETER_CATHEDRAL)] == [
        "E10000008",
        "E07000041",
        "E05011020",
    ]
    source = DataSource.objects.get(slug="exeter-wards-ons-december-2023")
    assert (source.dataset, source.rows) == ("areas", 13)
    assert DataSource.objects.get(attribution=ONS).rows == 1

    cells = AreaCell.objects.count()
    again = run_command(
        "import-areas",
        b / "exeter_wards_dec2023_bsc.geojson",
        "--kind",
        "ward",
        "--code-field",
        "WD23CD",
        "--name-field",
        "WD23NM",
        "--parent-code-field",
        "LAD23CD",
        "--source-name",
        "Exeter wards (ONS, December 2023)",
    )
    assert "0 created, 0 updated, 13 unchanged, 0 vanished" in again.stdout
    assert AreaCell.objects.count() == cells
    assert Area.objects.count() == 1 + 8 + 13


def square(x: float, y: float) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]],
    }


def test_bad_features_are_reported_by_number_and_nothing_is_written(
    tmp_path, run_command, report_folder
):
    features = [
        {
            "type": "Feature",
            "properties": {"code": "A1", "name": "Good"},
            "geometry": square(0, 50),
        },
        {"type": "Feature", "properties": {"code": "A2"}, "geometry": square(1, 50)},
        {
            "type": "Feature",
            "properties": {"code": "A3", "name": "Line"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        },
        {
            "type": "Feature",
            "properties": {"code": "A4", "name": "Orphan", "parent": "NOPE"},
            "geometry": square(2, 50),
        },
    ]
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(CommandError, match=r"4 of 4 features of wards\.geojson are bad"):
        run_command(
            "import-areas",
            path,
            "--kind",
            "ward",
            "--code-field",
            "code",
            "--name-field",
            "name",
            "--parent-code-field",
            "parent",
        )
    assert not Area.objects.exists()
    report = next(report_folder.glob("wards-*-invalid.csv")).read_text(encoding="utf-8")
    lines = report.splitlines()
    assert lines[0] == "feature,id,column,value,reason"
    assert lines[1].startswith("1,A1,parent,,the property is empty")
    assert lines[2].startswith("2,A2,name,,no 'name' property")
    assert "Expected a Polygon or MultiPolygon, got LineString" in report
    assert "no area has the code NOPE: import the parent areas first" in report


def test_vanished_areas_are_reported_and_kept(tmp_path, run_command):
    path = tmp_path / "parishes.geojson"

    def write(codes: list[str]) -> None:
        features = [
            {
                "type": "Feature",
                "properties": {"code": c, "name": f"Parish {c}"},
                "geometry": square(i, 50),
            }
            for i, c in enumerate(codes)
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    write(["P1", "P2", "P3"])
    run_command(
        "import-areas", path, "--kind", "parish", "--code-field", "code", "--name-field", "name"
    )
    write(["P1", "P3"])
    out = run_command(
        "import-areas", path, "--kind", "parish", "--code-field", "code", "--name-field", "name"
    )
    assert "1 vanished" in out.stdout and "kept, not deleted: P2" in out.stdout
    assert Area.objects.count() == 3
    assert ImportedRecord.objects.count() == 3


@pytest.mark.shared_data
def test_every_uk_local_authority_district(shared_data, run_command):
    out = run_command(
        "import-areas",
        shared_data / "boundaries" / "uk_lad_may2023_buc.geojson",
        "--kind",
        "district",
        "--code-field",
        "LAD23CD",
        "--name-field",
        "LAD23NM",
        "--attribution",
        ONS,
    )

    assert "361 created, 0 updated, 0 unchanged, 0 vanished, 0 invalid" in out.stdout
    # Points in each of the four nations fall in the right district.
    for (lat, lon), code in [
        (EXETER_CATHEDRAL, "E07000041"),  # Exeter
        ((55.9486, -3.1999), "S12000036"),  # Edinburgh Castle
        ((51.4816, -3.1791), "W06000015"),  # Cardiff
        ((54.5973, -5.9301), "N09000003"),  # Belfast
    ]:
        assert [a.code for a in areas_containing(lat, lon)] == [code], (lat, lon)
