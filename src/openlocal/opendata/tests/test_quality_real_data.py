"""The geographic checks on real data: Devon's NaPTAN bus stops against Devon's boundary.

7,063 real stops and the county's generalised boundary (its coast is simplified, so some
stops on the shore fall just outside it): the report's H3 index and anti-join must count
exactly the stops a plain polygon test of every stop finds outside, and its duplicate
buckets exactly the close pairs a plain comparison finds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapely

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.datasets import dataset_report_compute
from openlocal.opendata.quality.report import PUBLIC
from openlocal.places.models import AreaKind
from openlocal.places.services import area_save

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


@pytest.fixture
def devon(shared_data: Path) -> shapely.Geometry:
    data = json.loads(
        (shared_data / "boundaries/devon_county_derived_from_lad_may2023_buc.geojson").read_text()
    )
    feature = data["features"][0]
    area, _ = area_save(
        name="Devon",
        kind=AreaKind.COUNTY,
        code=feature["properties"]["CTY_code"],
        geometry=feature["geometry"],
    )
    stops = AssetType.objects.create(name="Bus stop", slug="bus-stop", identifier_label="ATCO")
    with (shared_data / "assets/naptan/110Stops.csv").open(encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    Asset.objects.bulk_create(
        [
            Asset(
                asset_type=stops,
                external_id=row["ATCOCode"],
                name=row["CommonName"],
                latitude=float(row["Latitude"]),
                longitude=float(row["Longitude"]),
                cell=geo.point_cell(float(row["Latitude"]), float(row["Longitude"])),
                active=row["Status"] == "active",
            )
            for row in rows
        ],
        batch_size=2000,
    )
    return shapely.from_wkb(bytes(area.geometry))


def test_stops_outside_devon_are_exactly_those_a_polygon_test_finds(devon) -> None:
    assets = list(Asset.objects.values_list("pk", "latitude", "longitude"))
    assert len(assets) == 7063
    inside = shapely.covers(
        devon,
        shapely.points([lon for _pk, _lat, lon in assets], [lat for _pk, lat, _lon in assets]),
    )
    expected = sorted(
        pk for (pk, _lat, _lon), covered in zip(assets, inside, strict=True) if not covered
    )
    assert expected, "some stops on the coast lie outside the generalised boundary"
    report = dataset_report_compute(dataset="assets", scope=PUBLIC, config=quality_settings())
    outside = report.check("outside-areas")
    assert outside.count == len(expected)
    assert {e.id for e in outside.examples} <= set(expected)
    assert len(outside.examples) == min(len(expected), quality_settings().example_limit)


def test_close_stops_are_exactly_the_pairs_a_plain_comparison_finds(devon) -> None:
    distance = quality_settings().duplicate_distance_m
    rows = sorted(Asset.objects.filter(active=True).values_list("latitude", "longitude", "pk"))
    band = distance / 111_000
    expected = set()
    for i, (lat, lon, pk) in enumerate(rows):
        for other_lat, other_lon, other_pk in rows[i + 1 :]:
            if other_lat - lat > band:
                break
            if geo.distance_m(lat, lon, other_lat, other_lon) <= distance:
                expected.add(tuple(sorted((pk, other_pk))))
    report = dataset_report_compute(dataset="assets", scope=PUBLIC, config=quality_settings())
    check = report.check("likely-duplicates")
    assert check.count == len(expected)
    assert {tuple(sorted((e.id, e.data["other_id"]))) for e in check.examples} <= expected
