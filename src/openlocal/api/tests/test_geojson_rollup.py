"""Clusters read from the rollup are the clusters grouping the requests themselves gives."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from openlocal.api.lookups import parse_bbox
from openlocal.api.routers.geojson import cluster_resolution
from openlocal.requests.models import CellCount, Status
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS
from openlocal.requests.services import request_hide, request_status_change

pytestmark = pytest.mark.django_db

COUNTY = "-3.6,50.6,-3.4,50.8"
#: A filter matching every request: it makes the endpoint group the requests themselves.
LIVE = "updated_since=2000-01-01T00:00:00Z"


@pytest.fixture
def scattered(place, make_request):
    """Sixty requests across Testshire in four categories, some closed, one hidden."""
    rng = random.Random(7)
    made = []
    for index in range(60):
        category = [place.pothole, place.missed_bin, place.fly_tipping, place.pothole][index % 4]
        made.append(
            make_request(
                category=category,
                latitude=rng.uniform(50.62, 50.78),
                # The districts meet at -3.5: keep clear of the line.
                longitude=rng.choice([rng.uniform(-3.58, -3.51), rng.uniform(-3.49, -3.42)]),
                answers={"depth": "deep"} if category == place.pothole else {},
            )
        )
    for request in made[::5]:
        if request.category_id == place.pothole.pk:
            request_status_change(
                request=request, actor=place.county_inspector, status=Status.FIXED, notify=False
            )
    hidden = next(r for r in made if r.body_id == place.west_council.pk)
    request_hide(request=hidden, actor=place.west_manager, reason="Abusive text.")
    return made


def clusters(body):
    return {
        f["properties"]["cell"]: (f["properties"]["count"], f["geometry"]["coordinates"])
        for f in body["features"]
    }


def assert_same_clusters(counted, live):
    assert counted["clustered"] is live["clustered"] is True
    assert counted["total"] == live["total"]
    mine, theirs = clusters(counted), clusters(live)
    assert mine.keys() == theirs.keys()
    for cell, (count, (lon, lat)) in theirs.items():
        assert mine[cell][0] == count
        assert mine[cell][1][0] == pytest.approx(lon, abs=1e-6)
        assert mine[cell][1][1] == pytest.approx(lat, abs=1e-6)


@override_settings(GEOJSON_CLUSTER_THRESHOLD=5)
@pytest.mark.parametrize(
    "query",
    [
        f"bbox={COUNTY}",
        f"bbox={COUNTY}&status=open",
        f"bbox={COUNTY}&status=closed",
        f"bbox={COUNTY}&status=new,fixed&category=BIN,POT",
        f"bbox={COUNTY}&category=fly-tipping",
        "bbox=-3.9,50.4,-3.1,51.0",  # a district-sized box around the county
        "bbox=-8,49,2,59",  # a country: counted cells added up into coarser ones
        "",  # no box at all
    ],
)
def test_counted_clusters_equal_grouping_the_requests(api, scattered, query):
    counted = api.get(f"/api/v1/requests.geojson?{query}").json()
    live = api.get(f"/api/v1/requests.geojson?{query}&{LIVE}").json()
    assert_same_clusters(counted, live)


@override_settings(GEOJSON_CLUSTER_THRESHOLD=5)
def test_clusters_count_public_requests_only(api, scattered):
    body = api.get(f"/api/v1/requests.geojson?bbox={COUNTY}").json()
    assert body["total"] == len(scattered) - 1
    assert sum(f["properties"]["count"] for f in body["features"]) == len(scattered) - 1


@override_settings(GEOJSON_CLUSTER_THRESHOLD=5)
def test_a_county_map_reads_the_rollup_not_the_requests(api, scattered):
    assert cluster_resolution(parse_bbox(COUNTY)) == 7
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/v1/requests.geojson?bbox={COUNTY}").json()
    assert body["clustered"] is True
    table = CellCount._meta.db_table
    assert any(table in q["sql"] for q in queries.captured_queries)
    assert not any("requests_request" in q["sql"] for q in queries.captured_queries)


@override_settings(GEOJSON_CLUSTER_THRESHOLD=5)
def test_a_status_change_shows_on_the_counted_map_at_once(api, place, scattered):
    before = api.get(f"/api/v1/requests.geojson?bbox={COUNTY}&status=closed").json()["total"]
    still_open = next(
        r
        for r in scattered
        if r.category_id == place.pothole.pk and r.status == Status.NEW and not r.hidden
    )
    request_status_change(
        request=still_open, actor=place.county_inspector, status=Status.FIXED, notify=False
    )
    after = api.get(f"/api/v1/requests.geojson?bbox={COUNTY}&status=closed").json()
    assert after["total"] == before + 1
    live = api.get(f"/api/v1/requests.geojson?bbox={COUNTY}&status=closed&{LIVE}").json()
    assert_same_clusters(after, live)


@override_settings(GEOJSON_CLUSTER_THRESHOLD=5)
def test_a_box_finer_than_the_rollup_groups_its_requests(api, place, make_request):
    street = "-3.56,50.695,-3.54,50.705"
    assert cluster_resolution(parse_bbox(street)) > max(ROLLUP_RESOLUTIONS)
    for index in range(6):
        make_request(latitude=50.7 + index * 0.0001)
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/v1/requests.geojson?bbox={street}").json()
    assert body["clustered"] is True
    assert body["total"] == 6
    assert [f["properties"]["count"] for f in body["features"]] == [6]
    assert not any(CellCount._meta.db_table in q["sql"] for q in queries.captured_queries)
