"""Feeds of new requests around a point or within a drawn area, and their address checks."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from openlocal.feeds import links
from openlocal.feeds.tests.atom import metres_north, parse_feed, report

SITE = "http://127.0.0.1:8000"


def within(**params: str) -> str:
    return f"/feeds/within?{urlencode(params)}"


@pytest.fixture
def ring(place):
    """Requests 0, 450, 600 and 5,000 metres north of the west point."""
    lat, lon = place.west_point
    return {
        metres: report(place, f"{metres} m north", at=(metres_north(lat, metres), lon))
        for metres in (0, 450, 600, 5000)
    }


def test_around_a_point_is_measured_exactly(place, ring, client) -> None:
    lat, lon = place.west_point
    feed = parse_feed(client.get(links.around_feed_url(lat, lon, 500)))
    assert sorted(feed.titles) == ["0 m north", "450 m north"]
    assert feed.title == "New requests within 500 m of 50.70000, -3.55000 – OpenLocal"
    assert feed.self_link == f"{SITE}/feeds/around?lat=50.700000&lon=-3.550000&radius=500"
    assert feed.alternate == f"{SITE}/around?lat=50.700000&lon=-3.550000"
    wide = parse_feed(client.get(links.around_feed_url(lat, lon, 20_000)))
    assert sorted(wide.titles) == ["0 m north", "450 m north", "5000 m north", "600 m north"]


def test_around_without_a_radius_means_one_kilometre(place, ring, client) -> None:
    feed = parse_feed(client.get("/feeds/around?lat=50.7&lon=-3.55"))
    assert sorted(feed.titles) == ["0 m north", "450 m north", "600 m north"]
    assert feed.self_link.endswith("radius=1000")


def test_within_a_box(place, ring, client) -> None:
    top = metres_north(place.west_point[0], 500)
    feed = parse_feed(client.get(within(bbox=f"-3.56,50.69,-3.54,{top}")))
    assert sorted(feed.titles) == ["0 m north", "450 m north"]
    assert feed.self_link.startswith(f"{SITE}/feeds/within?bbox=")


def test_within_a_drawn_polygon_is_exact(place, ring, client) -> None:
    lat, lon = place.west_point
    top = metres_north(lat, 700)
    # A right triangle whose box holds the 0, 450 and 600 m requests but whose slanted edge
    # crosses their line of longitude about 300 m north: only the first is inside.
    corners = [(lon - 0.001, lat - 0.001), (lon + 0.001, lat - 0.001), (lon - 0.001, top)]
    triangle = {"type": "Polygon", "coordinates": [[*corners, corners[0]]]}
    feed = parse_feed(client.get(within(polygon=json.dumps(triangle))))
    assert sorted(feed.titles) == ["0 m north"]
    feature = {"type": "Feature", "properties": {}, "geometry": triangle}
    assert parse_feed(client.get(within(polygon=json.dumps(feature)))).titles == ["0 m north"]


BAD_AROUND = [
    ("", "The address needs lat=..., for example lat=50.7236."),
    ("lat=50.7", "The address needs lon=..., for example lon=-3.5275."),
    ("lat=north&lon=-3.5", "lat=north is not a number."),
    ("lat=nan&lon=-3.5", "lat must be a finite number"),
    ("lat=95&lon=-3.5", "lat=95 is out of range: latitude is between -90 and 90."),
    ("lat=50.7&lon=-190", "lon=-190 is out of range: longitude is between -180 and 180."),
    ("lat=50.7&lon=-3.5&radius=lots", "radius=lots is not a whole number of metres."),
    ("lat=50.7&lon=-3.5&radius=2.5", "radius=2.5 is not a whole number of metres."),
    ("lat=50.7&lon=-3.5&radius=5", "radius=5 is out of range: choose between 10 and 20000"),
    ("lat=50.7&lon=-3.5&radius=25000", "choose between 10 and 20000 metres (20 km)"),
]


@pytest.mark.parametrize(("query", "message"), BAD_AROUND)
def test_a_bad_around_address_is_explained(place, client, query: str, message: str) -> None:
    response = client.get(f"/feeds/around?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


BAD_WITHIN = [
    ({}, "The address needs the area to look in: bbox=min_lon,min_lat,max_lon,max_lat"),
    ({"bbox": "-3.6,50.6,-3.5"}, "bbox needs four numbers separated by commas"),
    ({"bbox": "a,b,c,d"}, "bbox must contain only numbers"),
    ({"bbox": "-3.6,50.6,-3.5,inf"}, "bbox must contain finite numbers"),
    ({"bbox": "-3.6,50.8,-3.5,50.6"}, "must go from the south-west corner to the north-east"),
    ({"bbox": "-3.5,50.6,-3.6,50.8"}, "must go from the south-west corner to the north-east"),
    ({"bbox": "-3.6,95,-3.5,96"}, "bbox latitudes must be between -90 and 90"),
    ({"bbox": "-200,50,-3.5,51"}, "bbox longitudes must be between -180 and 180"),
    ({"bbox": "-6,50,-1,53"}, "larger than 2,500 km²"),
    ({"bbox": "-3.6,50.6,-3.5,50.8", "polygon": "{}"}, "Give either bbox=... or polygon="),
    ({"polygon": "{not json"}, "polygon is not valid JSON"),
    ({"polygon": '{"type": "Point", "coordinates": [-3.5, 50.7]}'}, "must be a GeoJSON Polygon"),
    ({"polygon": '{"type": "Polygon", "coordinates": [[[1, 2]]]}'}, "not a polygon we can use"),
    ({"polygon": '{"type": "Polygon", "coordinates": "x"}'}, "not a polygon we can use"),
    ({"polygon": '{"type": "Polygon", "coordinates": [[]]}'}, "not a polygon we can use"),
    ({"polygon": '{"type": "Polygon"}'}, "not a polygon we can use"),
    ({"polygon": "[1, 2, 3]"}, "must be a GeoJSON Polygon"),
    ({"polygon": "x" * 20_001}, "longer than 20,000 characters"),
]


@pytest.mark.parametrize(("params", "message"), BAD_WITHIN)
def test_a_bad_drawn_area_is_explained(place, client, params: dict, message: str) -> None:
    response = client.get(within(**params))
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()
