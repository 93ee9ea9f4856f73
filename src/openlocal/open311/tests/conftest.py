"""Helpers for the Open311 contract tests: keys, requests, and both formats parsed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from openlocal.apikeys.models import Scope
from openlocal.apikeys.services import apikey_create
from openlocal.requests.services import request_create

BASE = "/open311/v2"
FORMATS = ("xml", "json")


def parse_xml(response: Any) -> Element:
    """The document's root element, after checking the declaration and the content type."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return fromstring(response.content)


def parse_json(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def xml_to_python(element: Element) -> Any:
    """An XML element as the Python value its JSON twin should hold (text only, no types)."""
    children = list(element)
    if not children:
        return element.text
    tags = [child.tag for child in children]
    if len(set(tags)) == 1 and len(tags) > 1:
        return [xml_to_python(child) for child in children]
    return {child.tag: xml_to_python(child) for child in children}


def errors_of(response: Any, fmt: str) -> list[dict[str, Any]]:
    """The ``{code, description}`` errors of an error document in either format."""
    if fmt == "json":
        body = parse_json(response)
        assert isinstance(body, list)
        return body
    root = parse_xml(response)
    assert root.tag == "errors"
    assert [child.tag for child in root] == ["error"] * len(root)
    return [
        {"code": int(error.findtext("code") or 0), "description": error.findtext("description")}
        for error in root
    ]


def request_elements(response: Any) -> list[Element]:
    root = parse_xml(response)
    assert root.tag == "service_requests"
    assert all(child.tag == "request" for child in root)
    return list(root)


@dataclass
class Keys:
    submit: str
    body: str
    west_body: str
    webhooks: str


@pytest.fixture
def keys(place) -> Keys:
    _, submit = apikey_create(name="Fix-it app", scopes=[Scope.SUBMIT], check_permission=False)
    _, body = apikey_create(
        name="Highways back office",
        scopes=[Scope.BODY],
        body=place.county_council,
        check_permission=False,
    )
    _, west_body = apikey_create(
        name="West back office",
        scopes=[Scope.BODY],
        body=place.west_council,
        check_permission=False,
    )
    _, webhooks = apikey_create(name="Hooks", scopes=[Scope.WEBHOOKS], check_permission=False)
    return Keys(submit, body, west_body, webhooks)


@pytest.fixture
def report(place) -> Callable[..., Any]:
    """Make a request through the service (Pothole at the west point unless told otherwise)."""

    def make(**overrides: Any) -> Any:
        fields: dict[str, Any] = {
            "category": place.pothole,
            "latitude": place.west_point[0],
            "longitude": place.west_point[1],
            "title": "Pothole on the High Street",
            "description": "A deep pothole by the bus stop.",
            "answers": {"depth": "deep"},
            "notify": False,
        }
        fields.update(overrides)
        if fields["category"] != place.pothole and "answers" not in overrides:
            fields["answers"] = {}
        return request_create(**fields)

    return make


def pothole_form(place, **extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "service_code": "POT",
        "lat": str(place.west_point[0]),
        "long": str(place.west_point[1]),
        "description": "A deep pothole outside number 4.",
        "attribute[depth]": "deep",
    }
    form.update(extra)
    return {k: v for k, v in form.items() if v is not None}
