"""HTTP details: formats, methods, caching, CORS, and 404s anywhere under the endpoint."""

from __future__ import annotations

import pytest

from openlocal.open311.tests.conftest import BASE, errors_of, parse_json, parse_xml

pytestmark = pytest.mark.django_db


def test_reads_are_cacheable_for_a_minute_and_open_to_other_origins(client, place) -> None:
    for path in ("discovery.xml", "services.json", "services/POT.xml", "requests.json"):
        response = client.get(f"{BASE}/{path}", headers={"Origin": "https://civic.example"})
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=60"
        assert response["Access-Control-Allow-Origin"] == "*"


def test_errors_and_writes_are_not_cached(client, place, keys) -> None:
    assert client.get(f"{BASE}/requests/1.json")["Cache-Control"] == "no-store"
    posted = client.post(f"{BASE}/requests.json", {"api_key": keys.submit})
    assert posted["Cache-Control"] == "no-store"


def test_an_unknown_extension_is_404_with_an_xml_error_document(client, place) -> None:
    for path in ("services.html", "requests.csv", "services/POT.yaml", "discovery.txt"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404
        assert ".xml and .json" in errors_of(response, "xml")[0]["description"]


def test_anything_else_under_the_endpoint_is_a_404_error_document(client, place) -> None:
    response = client.get(f"{BASE}/reports.json")
    assert response.status_code == 404
    assert errors_of(response, "json")[0]["code"] == 404
    assert client.get(f"{BASE}/").status_code == 404
    assert parse_xml(client.get(f"{BASE}/")).tag == "errors"


def test_methods_other_than_those_offered_are_405(client, place) -> None:
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert errors_of(response, "json")[0]["code"] == 405
    assert client.delete(f"{BASE}/requests.xml").status_code == 405
    assert client.head(f"{BASE}/services.xml").status_code == 200


def test_discovery_in_both_formats_advertises_the_extensions(client, place, settings) -> None:
    as_json = parse_json(client.get(f"{BASE}/discovery.json"))
    assert set(as_json) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = as_json["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{settings.BASE_URL}/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    names = {e["name"] for e in endpoint["extensions"]}
    assert {
        "page",
        "updated_after",
        "radius",
        "bbox",
        "extensions",
        "servicerequestupdates",
    } <= names
    as_xml = parse_xml(client.get(f"{BASE}/discovery.xml"))
    assert as_xml.tag == "discovery"
    assert [f.text for f in as_xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert {e.text for e in as_xml.findall("endpoints/endpoint/extensions/extension/name")} == names


def test_services_list_active_categories_with_group_labels_and_keywords(client, place) -> None:
    place.fly_tipping.active = False
    place.fly_tipping.save()
    place.pothole.keywords = "road, hole"
    place.pothole.save()
    services = {s["service_code"]: s for s in parse_json(client.get(f"{BASE}/services.json"))}
    assert set(services) == {"POT", "SLT", "BIN"}
    assert services["POT"] == {
        "service_code": "POT",
        "service_name": "Pothole",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "road, hole",
        "group": "Roads and pavements",
    }
    assert services["BIN"]["metadata"] is False
    assert client.get(f"{BASE}/services/FLY.json").status_code == 404


def test_the_open311_clients_singular_service_path_answers_too(client, place) -> None:
    assert parse_xml(client.get(f"{BASE}/service/POT.xml")).tag == "service_definition"


def test_control_characters_never_break_the_xml(client, place, report) -> None:
    report(description="Bell\x07 and form feed\x0c in text & <tags>")
    root = parse_xml(client.get(f"{BASE}/requests.xml"))
    assert root.findtext("request/description") == "Bell and form feed in text & <tags>"
