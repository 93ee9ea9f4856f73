"""GET requests and requests/{id}: fields, status mapping, filters and extensions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from openlocal.open311.tests.conftest import BASE, FORMATS, errors_of, parse_json, request_elements
from openlocal.requests.merging import request_merge
from openlocal.requests.models import Request, Status
from openlocal.requests.services import (
    request_comment,
    request_hide,
    request_status_change,
    request_support,
)

pytestmark = pytest.mark.django_db


def _ids(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in parse_json(response)]


def _tiny_jpeg() -> ContentFile[bytes]:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(out, format="JPEG")
    return ContentFile(out.getvalue(), name="p.jpg")


def test_a_request_has_every_field_with_our_status_mapped(client, place, report) -> None:
    lamp = report(
        category=place.streetlight,
        asset=place.lamp,
        address="High Street",
        title="Lamp out",
        description="Dark at night",
        photos=[_tiny_jpeg()],
    )
    request_status_change(
        request=lamp, actor=place.county_inspector, status=Status.FIXED, message="New bulb fitted"
    )
    item = parse_json(client.get(f"{BASE}/requests/{lamp.pk}.json"))[0]
    lamp.refresh_from_db()
    assert item["status"] == "closed"
    assert item["status_notes"] == "New bulb fitted"
    assert item["service_name"] == "Street light not working"
    assert item["service_code"] == "SLT"
    assert item["agency_responsible"] == "Testshire County Council"
    assert item["address"] == "High Street"
    assert item["address_id"] == "SL-0001"
    assert (item["lat"], item["long"]) == (50.7, -3.55)
    assert item["media_url"].startswith("http://") and "/media/photos/" in item["media_url"]
    assert item["expected_datetime"] is None
    assert item["updated_datetime"] == lamp.closed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The photo address really serves the photo.
    path = item["media_url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (Status.ACKNOWLEDGED, "open"),
        (Status.INVESTIGATING, "open"),
        (Status.IN_PROGRESS, "open"),
        (Status.ACTION_SCHEDULED, "open"),
        (Status.FIXED, "closed"),
        (Status.NOT_FIXED, "closed"),
        (Status.NOT_RESPONSIBLE, "closed"),
        (Status.NO_FURTHER_ACTION, "closed"),
        (Status.REFERRED, "closed"),
    ],
)
def test_status_mapping(client, place, report, ours, theirs) -> None:
    request = report()
    request_status_change(request=request, actor=place.county_inspector, status=ours)
    item = parse_json(client.get(f"{BASE}/requests/{request.pk}.json?extensions=true"))[0]
    assert item["status"] == theirs
    assert item["extended_attributes"]["detailed_status"] == ours


def test_status_filter_takes_open_closed_and_our_detailed_statuses(client, place, report) -> None:
    open_one = report()
    fixed = report()
    request_status_change(request=fixed, actor=place.county_inspector, status=Status.FIXED)
    assert _ids(client, f"{BASE}/requests.json?status=open") == [str(open_one.pk)]
    assert _ids(client, f"{BASE}/requests.json?status=closed") == [str(fixed.pk)]
    assert _ids(client, f"{BASE}/requests.json?status=fixed") == [str(fixed.pk)]
    bad = client.get(f"{BASE}/requests.json?status=pending")
    assert bad.status_code == 400
    assert "open or closed" in errors_of(bad, "json")[0]["description"]


def test_date_filters(client, place, report) -> None:
    now = timezone.now()
    old = report(created_at=now - timedelta(days=120))
    mid = report(created_at=now - timedelta(days=30))
    new = report()
    start = (now - timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"{BASE}/requests.json?start_date={start}&end_date={end}") == [
        str(mid.pk),
        str(old.pk),
    ]
    assert str(new.pk) not in _ids(client, f"{BASE}/requests.json?end_date={end}")
    reversed_range = client.get(f"{BASE}/requests.json?start_date={end}&end_date={start}")
    assert reversed_range.status_code == 400
    garbage = client.get(f"{BASE}/requests.xml?start_date=yesterday")
    assert garbage.status_code == 400
    assert "W3C" in errors_of(garbage, "xml")[0]["description"]


def test_updated_after_and_before(client, place, report) -> None:
    first = report(created_at=timezone.now() - timedelta(days=400))
    second = report()
    cutoff = timezone.now()
    request_comment(request=first, actor=place.county_inspector, text="Still on the list")
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    # An old request changed recently is found, whatever the default window.
    assert _ids(client, f"{BASE}/requests.json?updated_after={stamp}") == [str(first.pk)]
    assert _ids(client, f"{BASE}/requests.json?updated_before={stamp}") == [str(second.pk)]


def test_page_and_page_size(client, place, report) -> None:
    made = [report(created_at=timezone.now() - timedelta(minutes=i)) for i in range(5)]
    newest_first = [str(r.pk) for r in made]
    assert _ids(client, f"{BASE}/requests.json?page_size=2") == newest_first[:2]
    assert _ids(client, f"{BASE}/requests.json?page_size=2&page=3") == newest_first[4:]
    assert _ids(client, f"{BASE}/requests.json?page_size=2&page=9") == []
    assert client.get(f"{BASE}/requests.json?page=0").status_code == 400
    assert client.get(f"{BASE}/requests.json?page_size=ten").status_code == 400


def test_radius_and_bbox(client, place, report) -> None:
    here = report(latitude=50.7, longitude=-3.55)
    # About 700 m east of it.
    there = report(latitude=50.7, longitude=-3.54)
    far = report(category=place.missed_bin, latitude=50.7, longitude=-3.45)
    near = f"{BASE}/requests.json?lat=50.7&long=-3.55&radius=300"
    assert _ids(client, near) == [str(here.pk)]
    wider = _ids(client, f"{BASE}/requests.json?lat=50.7&long=-3.55&radius=1000")
    assert set(wider) == {str(here.pk), str(there.pk)}
    west_half = _ids(client, f"{BASE}/requests.json?bbox=50.8,-3.5,50.6,-3.6")
    assert set(west_half) == {str(here.pk), str(there.pk)}
    assert str(far.pk) in _ids(client, f"{BASE}/requests.json?bbox=50.8,-3.4,50.6,-3.5")
    lon_first = client.get(f"{BASE}/requests.json?bbox=-3.6,50.6,-3.4,50.8")
    assert lon_first.status_code == 400
    assert "lat_ne,long_ne,lat_sw,long_sw" in errors_of(lon_first, "json")[0]["description"]
    assert client.get(f"{BASE}/requests.json?radius=50").status_code == 400
    assert client.get(f"{BASE}/requests.json?lat=50.7&long=-3.55&radius=99999").status_code == 400


def test_extensions_true_adds_our_facts(client, place, report) -> None:
    original = report(asset=None)
    duplicate = report()
    request_support(request=original, session_key="visitor-1")
    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector)
    items = {
        r["service_request_id"]: r
        for r in parse_json(client.get(f"{BASE}/requests.json?extensions=true"))
    }
    ours = items[str(original.pk)]["extended_attributes"]
    assert ours["title"] == "Pothole on the High Street"
    assert ours["supporters"] == 1
    assert ours["body_slug"] == "testshire"
    assert ours["body_name"] == "Testshire County Council"
    assert ours["detailed_status"] == "new"
    theirs = items[str(duplicate.pk)]
    assert theirs["extended_attributes"]["duplicate_of"] == str(original.pk)
    assert theirs["status"] == "closed"
    assert str(original.pk) in theirs["service_notice"]
    plain = parse_json(client.get(f"{BASE}/requests.json"))
    assert all("extended_attributes" not in r for r in plain)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_and_hidden_requests_are_404(client, place, report, fmt) -> None:
    hidden = report(category=place.missed_bin)
    request_hide(request=hidden, actor=place.west_manager, reason="Abusive")
    for path in (f"requests/{hidden.pk}", "requests/999999", "requests/abc"):
        response = client.get(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt)[0]["code"] == 404
    assert _ids(client, f"{BASE}/requests.json?service_request_id={hidden.pk}") == []
    assert Request.private_objects.filter(pk=hidden.pk).exists()


def test_xml_request_matches_json(client, place, report) -> None:
    request = report(address="1 High St")
    as_json = parse_json(client.get(f"{BASE}/requests/{request.pk}.json"))[0]
    element = request_elements(client.get(f"{BASE}/requests/{request.pk}.xml"))[0]
    assert [child.tag for child in element] == list(as_json)
    for child in element:
        expected = as_json[child.tag]
        assert child.text == (None if expected is None else str(expected))
