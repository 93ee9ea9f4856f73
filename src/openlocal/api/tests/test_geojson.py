"""requests.geojson: one feature per request, or H3 clusters when a box holds many."""

from __future__ import annotations

import h3.api.basic_int as h3i
import pytest
from django.test import override_settings

from openlocal.api.lookups import Box
from openlocal.api.routers.geojson import cluster_resolution, parent_masks
from openlocal.core import geo

pytestmark = pytest.mark.django_db


def test_features_for_the_requests_in_the_box(api, place, make_request):
    west = make_request()
    make_request(latitude=place.east_point[0], longitude=place.east_point[1])
    response = api.get("/api/v1/requests.geojson?bbox=-3.6,50.6,-3.5,50.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["clustered"] is False
    assert body["total"] == 1
    (feature,) = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-3.55, 50.7]}
    assert feature["properties"]["id"] == west.pk
    assert feature["properties"]["cluster"] is False
    assert feature["properties"]["category"] == "POT"


@override_settings(GEOJSON_CLUSTER_THRESHOLD=3)
def test_clusters_when_the_box_holds_more_than_the_threshold(api, place, make_request):
    points = [(50.7, -3.55), (50.7001, -3.5501), (50.7002, -3.5499), (50.65, -3.45)]
    for lat, lon in points:
        make_request(latitude=lat, longitude=lon)
    body = api.get("/api/v1/requests.geojson?bbox=-3.6,50.6,-3.4,50.8").json()
    assert body["clustered"] is True
    assert body["total"] == 4
    counts = sorted(f["properties"]["count"] for f in body["features"])
    assert counts == [1, 3]
    assert all(f["properties"]["cluster"] for f in body["features"])
    big = max(body["features"], key=lambda f: f["properties"]["count"])
    cell = int(big["properties"]["cell"], 16)
    resolution = h3i.get_resolution(cell)
    assert cell == h3i.cell_to_parent(geo.point_cell(50.7, -3.55), resolution)


def test_parent_masks_match_h3():
    cell = geo.point_cell(50.7, -3.55)
    for resolution in range(0, 10):
        keep, set_bits = parent_masks(resolution)
        assert (cell & keep) | set_bits == h3i.cell_to_parent(cell, resolution)


def test_resolution_is_coarser_for_bigger_boxes():
    street = cluster_resolution(Box(-3.551, 50.699, -3.549, 50.701))
    county = cluster_resolution(Box(-3.7, 50.7, -2.9, 51.2))
    country = cluster_resolution(Box(-8, 50, 2, 59))
    assert 9 >= street > county > country >= 0
