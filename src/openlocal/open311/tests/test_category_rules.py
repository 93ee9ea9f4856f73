"""Open311 and categories with rules: services marked in their keywords (a stop notice also as
their description and an informational attribute), and POST requests refused with an error
document that says why: the notice, or how to send the photo a service needs."""

from __future__ import annotations

import pytest

from openlocal.open311.tests.conftest import BASE, FORMATS, errors_of, parse_json, parse_xml
from openlocal.requests.models import Request
from openlocal.requests.tests.category_rules import GAS_NOTICE, jpeg_upload, rule_categories

pytestmark = pytest.mark.django_db


def form(place, code: str, **extra) -> dict:
    return {
        "service_code": code,
        "lat": str(place.west_point[0]),
        "long": str(place.west_point[1]),
        "description": "Something to report 77d2.",
        **extra,
    }


@pytest.fixture
def rules(place):
    return rule_categories(place)


def test_the_service_list_marks_each_rule_and_shows_a_stop_notice(client, place, rules):
    services = {s["service_code"]: s for s in parse_json(client.get(f"{BASE}/services.json"))}

    gas = services["GAS"]
    assert gas["description"] == GAS_NOTICE
    assert "stop_notice" in gas["keywords"].split(", ")
    assert gas["metadata"] is True
    assert "private" in services["NDL"]["keywords"].split(", ")
    assert "only the reporter and staff" in services["NDL"]["description"]
    assert "photo_required" in services["ABV"]["keywords"].split(", ")
    assert "A photo is required" in services["ABV"]["description"]
    assert services["POT"]["keywords"] == ""

    root = parse_xml(client.get(f"{BASE}/services.xml"))
    [gas_xml] = [s for s in root if s.findtext("service_code") == "GAS"]
    assert gas_xml.findtext("description") == GAS_NOTICE
    assert gas_xml.findtext("metadata") == "true"

    definition = parse_json(client.get(f"{BASE}/services/GAS.json"))
    [notice] = definition["attributes"]
    assert notice == {
        "variable": False,
        "code": "stop_notice",
        "datatype": "string",
        "required": False,
        "datatype_description": None,
        "order": 1,
        "description": GAS_NOTICE,
    }
    discovery = parse_json(client.get(f"{BASE}/discovery.json"))
    names = [e["name"] for e in discovery["endpoints"][0]["extensions"]]
    assert {"stop_notice", "private", "photo_required"} <= set(names)


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_to_a_stopped_service_is_refused_with_its_notice(client, place, keys, rules, fmt):
    response = client.post(f"{BASE}/requests.{fmt}", form(place, "GAS", api_key=keys.submit))

    assert response.status_code == 400
    [error] = errors_of(response, fmt)
    assert GAS_NOTICE in error["description"]
    assert "takes no requests" in error["description"]
    assert not Request.private_objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_that_needs_a_photo_refuses_a_post_without_a_media_file(
    client, place, keys, rules, fmt
):
    for extra in ({}, {"media_url": "https://photos.example.org/car.jpg"}):
        response = client.post(
            f"{BASE}/requests.{fmt}", form(place, "ABV", api_key=keys.submit, **extra)
        )
        assert response.status_code == 400, extra
        [error] = errors_of(response, fmt)
        assert "needs a photo" in error["description"]
        assert "multipart/form-data" in error["description"]
        assert "media_url is not enough" in error["description"]
    assert not Request.private_objects.exists()

    sent = client.post(
        f"{BASE}/requests.{fmt}", form(place, "ABV", api_key=keys.submit, media=jpeg_upload())
    )
    assert sent.status_code == 200
    assert Request.private_objects.get().photos.count() == 1


def test_a_private_report_is_acknowledged_then_never_listed_or_shown(client, place, keys, rules):
    posted = client.post(
        f"{BASE}/requests.json",
        form(place, "NDL", api_key=keys.submit, email="reporter@example.org"),
    )
    assert posted.status_code == 200
    [answer] = parse_json(posted)
    assert "private" in answer["service_notice"]
    pk = answer["service_request_id"]

    for fmt in FORMATS:
        single = client.get(f"{BASE}/requests/{pk}.{fmt}")
        assert single.status_code == 404
        for path in (
            f"requests.{fmt}",
            f"requests.{fmt}?service_request_id={pk}",
            f"requests.{fmt}?service_code=NDL",
            f"servicerequestupdates.{fmt}?service_request_id={pk}",
        ):
            assert "77d2" not in client.get(f"{BASE}/{path}").content.decode(), path
