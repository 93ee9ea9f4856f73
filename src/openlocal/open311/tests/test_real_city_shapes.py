"""Our documents have the shape of real cities' Open311 responses (../shared/data)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import parse

from openlocal.open311.tests.conftest import BASE, parse_json, parse_xml, request_elements
from openlocal.requests.models import CategoryQuestion
from openlocal.requests.services import request_status_change

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def _types_agree(ours: dict, theirs: dict, label: str) -> None:
    """Every key the city sends, we send, with a value of the same JSON type (when neither
    is null, and counting ints and floats as numbers)."""
    missing = set(theirs) - set(ours)
    assert not missing, f"{label}: we lack {sorted(missing)}"
    for key, value in theirs.items():
        if value is None or ours[key] is None:
            continue
        kinds = (
            (int, float)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else type(value)
        )
        assert isinstance(ours[key], kinds), f"{label}.{key}: {ours[key]!r} vs {value!r}"


def _element_names(root: Element) -> tuple[str, set[str]]:
    child_tags = {grandchild.tag for child in root for grandchild in child}
    return root.tag, child_tags


def test_services_have_the_city_shape(client, place, shared_data) -> None:
    ours = parse_json(client.get(f"{BASE}/services.json"))
    for name in ("service_list.json", "bloomington_services.json"):
        theirs = json.loads((shared_data / "open311_fixtures" / name).read_text())
        for service in theirs:
            _types_agree(ours[0], service, name)
    giessen = parse(str(shared_data / "open311_fixtures" / "services_giessen.xml")).getroot()
    our_xml = parse_xml(client.get(f"{BASE}/services.xml"))
    their_root, their_children = _element_names(giessen)
    our_root, our_children = _element_names(our_xml)
    assert our_root == their_root == "services"
    assert {child.tag for child in our_xml} == {child.tag for child in giessen} == {"service"}
    assert their_children <= our_children


def test_requests_have_the_city_shape(client, place, report, shared_data) -> None:
    request = report(address="1 High Street")
    request_status_change(
        request=request, actor=place.county_inspector, status="in_progress", message="Booked"
    )
    ours = parse_json(client.get(f"{BASE}/requests.json"))[0]
    for name in ("bloomington_requests.json", "service_requests.json"):
        for theirs in json.loads((shared_data / "open311_fixtures" / name).read_text()):
            _types_agree(ours, theirs, name)
    for name in ("requests_many.xml", "requests_single.xml"):
        theirs_root = parse(str(shared_data / "open311_fixtures" / name)).getroot()
        our_root = request_elements(client.get(f"{BASE}/requests.xml"))
        single = request_elements(client.get(f"{BASE}/requests/{request.pk}.xml"))
        assert theirs_root.tag == "service_requests"
        their_fields = {child.tag for req in theirs_root for child in req}
        for element in (our_root[0], single[0]):
            assert their_fields <= {child.tag for child in element}
            # Flat, like theirs: no nesting inside a request.
            assert all(len(child) == 0 for child in element)


def test_service_definition_has_the_spec_example_shape(client, place) -> None:
    """No city definition is recorded; the spec's own example is the reference."""
    CategoryQuestion.objects.create(
        category=place.pothole,
        code="size",
        label="How wide?",
        datatype="number",
        hint="In centimetres",
        order=2,
    )
    spec_example: dict[str, Any] = {
        "service_code": "DMV66",
        "attributes": [
            {
                "variable": True,
                "code": "WHISHETN",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "What is the ticket/tag/DL number?",
                "values": [{"key": "123", "name": "Ford"}],
            }
        ],
    }
    ours = parse_json(client.get(f"{BASE}/services/POT.json"))
    assert set(ours) == set(spec_example)
    _types_agree(ours["attributes"][0], spec_example["attributes"][0], "attribute")
    _types_agree(
        ours["attributes"][0]["values"][0], spec_example["attributes"][0]["values"][0], "value"
    )
    number = ours["attributes"][1]
    assert number["datatype_description"] == "In centimetres" and "values" not in number
    assert [a["order"] for a in ours["attributes"]] == [1, 2]
