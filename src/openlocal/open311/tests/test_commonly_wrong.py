"""One test for each point of OPEN311.md §5, "Things implementers commonly get wrong"."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from openlocal.open311.tests.conftest import (
    BASE,
    FORMATS,
    errors_of,
    parse_json,
    parse_xml,
    pothole_form,
    request_elements,
)
from openlocal.requests.models import Request

pytestmark = pytest.mark.django_db

W3C_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def test_1_json_lists_are_bare_arrays_and_single_request_too(client, place, report) -> None:
    request = report()
    assert isinstance(parse_json(client.get(f"{BASE}/services.json")), list)
    assert isinstance(parse_json(client.get(f"{BASE}/requests.json")), list)
    single = parse_json(client.get(f"{BASE}/requests/{request.pk}.json"))
    assert isinstance(single, list) and len(single) == 1
    assert single[0]["service_request_id"] == str(request.pk)
    errors = parse_json(client.get(f"{BASE}/services/NOPE.json"))
    assert isinstance(errors, list) and set(errors[0]) == {"code", "description"}
    assert isinstance(parse_json(client.get(f"{BASE}/discovery.json")), dict)


def test_2_xml_wrappers_and_element_names(client, place, report, keys) -> None:
    request = report()
    services = parse_xml(client.get(f"{BASE}/services.xml"))
    assert services.tag == "services" and {c.tag for c in services} == {"service"}
    definition = parse_xml(client.get(f"{BASE}/services/POT.xml"))
    assert definition.tag == "service_definition"
    value = definition.find("attributes/attribute/values/value")
    assert value is not None and [c.tag for c in value] == ["key", "name"]
    assert len(request_elements(client.get(f"{BASE}/requests.xml"))) == 1
    assert len(request_elements(client.get(f"{BASE}/requests/{request.pk}.xml"))) == 1
    posted = client.post(f"{BASE}/requests.xml", pothole_form(place, api_key=keys.submit))
    assert posted.status_code == 200
    assert len(request_elements(posted)) == 1
    error = parse_xml(client.get(f"{BASE}/requests/999999.xml"))
    assert error.tag == "errors"
    assert [c.tag for c in error[0]] == ["code", "description"]


def test_3_xml_declaration_says_utf8_and_content_type_is_text_xml(client, place) -> None:
    place.pothole.description = "Trou dans la chaussée – “deep”"
    place.pothole.save()
    response = client.get(f"{BASE}/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert "chaussée – “deep”".encode() in response.content
    description = parse_xml(response).findtext("service[service_code='POT']/description")
    assert description == "Trou dans la chaussée – “deep”"


@pytest.mark.parametrize("fmt", FORMATS)
def test_4_every_datetime_has_a_timezone_and_plus_offsets_are_accepted(
    client, place, report, fmt
) -> None:
    request = report()
    if fmt == "json":
        item = parse_json(client.get(f"{BASE}/requests/{request.pk}.json"))[0]
        stamps = [item["requested_datetime"], item["updated_datetime"]]
    else:
        element = request_elements(client.get(f"{BASE}/requests/{request.pk}.xml"))[0]
        stamps = [element.findtext("requested_datetime"), element.findtext("updated_datetime")]
    assert all(W3C_WITH_ZONE.match(s or "") for s in stamps), stamps
    # An offset sent as %2B reaches the server as "+"; an unencoded "+" arrives as a space.
    start = (timezone.now() - timedelta(hours=1)).astimezone(UTC).replace(tzinfo=None)
    for plus in ("%2B", "+"):
        url = f"{BASE}/requests.{fmt}?start_date={start:%Y-%m-%dT%H:%M:%S}{plus}01:00"
        response = client.get(url)
        assert response.status_code == 200, response.content
    naive = client.get(f"{BASE}/requests.{fmt}?start_date=2026-01-01T00:00:00")
    assert naive.status_code == 400
    assert "timezone" in errors_of(naive, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_5_statuses_404_unknown_code_400_missing_403_key(client, place, keys, fmt) -> None:
    unknown = client.post(
        f"{BASE}/requests.{fmt}", pothole_form(place, api_key=keys.submit, service_code="NOPE")
    )
    assert unknown.status_code == 404
    assert errors_of(unknown, fmt)[0]["code"] == 404
    missing = client.post(
        f"{BASE}/requests.{fmt}", pothole_form(place, api_key=keys.submit, service_code=None)
    )
    assert missing.status_code == 400
    assert "service_code" in errors_of(missing, fmt)[0]["description"]
    no_key = client.post(f"{BASE}/requests.{fmt}", pothole_form(place))
    assert no_key.status_code == 403
    assert "api_key" in errors_of(no_key, fmt)[0]["description"]
    bad_key = client.post(f"{BASE}/requests.{fmt}", pothole_form(place, api_key="ol_wrong"))
    assert bad_key.status_code == 403
    assert errors_of(bad_key, fmt)[0]["code"] == 403
    assert not Request.private_objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_6_an_empty_parameter_is_an_absent_one(client, place, report, keys, fmt) -> None:
    request = report()
    empties = "jurisdiction_id=&status=&service_code=&start_date=&end_date=&service_request_id="
    response = client.get(f"{BASE}/requests.{fmt}?{empties}&page=&page_size=&extensions=")
    assert response.status_code == 200
    if fmt == "json":
        assert [r["service_request_id"] for r in parse_json(response)] == [str(request.pk)]
    else:
        assert len(request_elements(response)) == 1
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=").status_code == 200
    posted = client.post(
        f"{BASE}/requests.{fmt}?jurisdiction_id=",
        pothole_form(place, api_key=keys.submit, email="", phone="", address_string=""),
    )
    assert posted.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_7_service_request_id_overrides_every_filter_and_lists_take_commas(
    client, place, report, fmt
) -> None:
    old = report(created_at=timezone.now() - timedelta(days=200))
    bin_report = report(category=place.missed_bin, title="Missed bin")
    light = report(category=place.streetlight, title="Lamp out")
    url = (
        f"{BASE}/requests.{fmt}?service_request_id={old.pk},{bin_report.pk}"
        "&service_code=SLT&status=closed&start_date=2026-01-01T00:00:00Z"
    )
    response = client.get(url)
    assert response.status_code == 200
    if fmt == "json":
        ids = {r["service_request_id"] for r in parse_json(response)}
    else:
        ids = {e.findtext("service_request_id") for e in request_elements(response)}
    assert ids == {str(old.pk), str(bin_report.pk)}
    both = client.get(f"{BASE}/requests.{fmt}?service_code=SLT,BIN&status=open,closed")
    if fmt == "json":
        codes = {r["service_code"] for r in parse_json(both)}
    else:
        codes = {e.findtext("service_code") for e in request_elements(both)}
    assert codes == {"SLT", "BIN"}
    lamp_only = client.get(f"{BASE}/requests.{fmt}?service_code=SLT")
    if fmt == "json":
        assert [r["service_request_id"] for r in parse_json(lamp_only)] == [str(light.pk)]
    else:
        assert len(request_elements(lamp_only)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_8_one_location_is_enough_but_lat_needs_long(client, place, keys, fmt) -> None:
    by_address = client.post(
        f"{BASE}/requests.{fmt}",
        pothole_form(place, api_key=keys.submit, lat=None, long=None, address_string="Testshire"),
    )
    assert by_address.status_code == 200, by_address.content
    by_asset = client.post(
        f"{BASE}/requests.{fmt}",
        {
            "api_key": keys.submit,
            "service_code": "SLT",
            "address_id": "SL-0001",
            "description": "Lamp flickers",
        },
    )
    assert by_asset.status_code == 200, by_asset.content
    lamp_report = Request.private_objects.get(category=place.streetlight)
    assert lamp_report.asset == place.lamp
    assert (lamp_report.latitude, lamp_report.longitude) == (50.7, -3.55)
    lat_only = client.post(
        f"{BASE}/requests.{fmt}", pothole_form(place, api_key=keys.submit, long=None)
    )
    assert lat_only.status_code == 400
    assert "lat and long" in errors_of(lat_only, fmt)[0]["description"]
    assert Request.private_objects.count() == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_9_attribute_brackets_and_required_attributes(client, place, keys, fmt) -> None:
    from openlocal.requests.models import CategoryQuestion

    CategoryQuestion.objects.create(
        category=place.pothole,
        code="hazards",
        label="What else is there?",
        datatype="multivaluelist",
        values=[{"key": "water", "name": "Water"}, {"key": "glass", "name": "Glass"}],
    )
    form = pothole_form(place, api_key=keys.submit)
    form["attribute[hazards][]"] = ["water", "glass"]
    # Clients percent-encode the brackets; the server must decode them the same.
    body = "&".join(
        f"{k.replace('[', '%5B').replace(']', '%5D')}={v}"
        for k, values in form.items()
        for v in (values if isinstance(values, list) else [values])
    )
    response = client.post(
        f"{BASE}/requests.{fmt}", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    created = Request.private_objects.get()
    assert created.answers == {"depth": "deep", "hazards": ["water", "glass"]}
    missing = client.post(
        f"{BASE}/requests.{fmt}",
        pothole_form(place, api_key=keys.submit, **{"attribute[depth]": ""}),
    )
    assert missing.status_code == 400
    message = errors_of(missing, fmt)[0]["description"]
    assert "attribute[depth]" in message and "How deep is it?" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_10_api_key_in_the_query_string_or_the_body(client, place, keys, fmt) -> None:
    in_query = client.post(f"{BASE}/requests.{fmt}?api_key={keys.submit}", pothole_form(place))
    in_body = client.post(f"{BASE}/requests.{fmt}", pothole_form(place, api_key=keys.submit))
    assert (in_query.status_code, in_body.status_code) == (200, 200)
    assert Request.private_objects.count() == 2


def test_11_booleans_are_lowercase_in_xml_and_booleans_in_json(client, place) -> None:
    from openlocal.requests.models import CategoryQuestion

    CategoryQuestion.objects.create(
        category=place.pothole, code="note", label="Drivers, take care", variable=False, order=9
    )
    services = parse_xml(client.get(f"{BASE}/services.xml"))
    assert {s.findtext("metadata") for s in services} == {"true", "false"}
    definition = parse_xml(client.get(f"{BASE}/services/POT.xml"))
    flags = [(a.findtext("variable"), a.findtext("required")) for a in definition.iter("attribute")]
    assert flags == [("true", "true"), ("false", "false")]
    as_json = parse_json(client.get(f"{BASE}/services/POT.json"))
    assert [(a["variable"], a["required"]) for a in as_json["attributes"]] == [
        (True, True),
        (False, False),
    ]
    assert all(type(s["metadata"]) is bool for s in parse_json(client.get(f"{BASE}/services.json")))


@pytest.mark.parametrize("fmt", FORMATS)
def test_12_realtime_services_return_an_id_and_no_token(client, place, keys, fmt) -> None:
    response = client.post(f"{BASE}/requests.{fmt}", pothole_form(place, api_key=keys.submit))
    created = Request.private_objects.get()
    if fmt == "json":
        item = parse_json(response)[0]
        assert item["service_request_id"] == str(created.pk)
        assert "token" not in item
    else:
        element = request_elements(response)[0]
        assert element.findtext("service_request_id") == str(created.pk)
        assert element.find("token") is None
    assert {s["type"] for s in parse_json(client.get(f"{BASE}/services.json"))} == {"realtime"}
    token = client.get(f"{BASE}/tokens/12345.{fmt}")
    assert token.status_code == 404
    assert "no tokens" in errors_of(token, fmt)[0]["description"]


def test_13_json_service_definition_is_an_object(client, place) -> None:
    definition = parse_json(client.get(f"{BASE}/services/POT.json"))
    assert isinstance(definition, dict)
    assert definition["service_code"] == "POT"
    assert isinstance(definition["attributes"], list)


@pytest.mark.parametrize("fmt", FORMATS)
def test_14_default_window_is_90_days_capped_at_1000(client, place, report, fmt, settings) -> None:
    now = timezone.now()
    recent = report(created_at=now - timedelta(days=89))
    report(created_at=now - timedelta(days=91))
    response = client.get(f"{BASE}/requests.{fmt}")
    if fmt == "json":
        ids = [r["service_request_id"] for r in parse_json(response)]
    else:
        ids = [e.findtext("service_request_id") for e in request_elements(response)]
    assert ids == [str(recent.pk)]
    over = client.get(f"{BASE}/requests.{fmt}?page_size=1001")
    assert over.status_code == 400
    assert "1000" in errors_of(over, fmt)[0]["description"]


def test_14_the_cap_applies_to_a_long_list(client, place) -> None:
    from openlocal.core import geo

    rows = [
        Request(
            title=f"Pothole {i}",
            description="Bulk",
            category=place.pothole,
            body=place.county_council,
            latitude=50.7,
            longitude=-3.55,
            cell=geo.point_cell(50.7, -3.55),
        )
        for i in range(1005)
    ]
    Request.private_objects.bulk_create(rows)
    response = client.get(f"{BASE}/requests.json")
    assert len(parse_json(response)) == 1000
    assert 'rel="next"' in response["Link"]
    second = parse_json(client.get(f"{BASE}/requests.json?page=2"))
    assert len(second) == 5
