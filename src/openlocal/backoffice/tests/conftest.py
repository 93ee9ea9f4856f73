"""Fixtures for back-office links: a back office for Testshire's county council, staff in
every role, and a resident's pothole report.

The back office is "the same site, another body": Testshire Highways Back Office, a body
on this site with no link of its own, handles the category ``HWY-POT`` across the county.
The county council's link maps its ``POT`` to ``HWY-POT``, so a pothole reported to the
county is posted to the site's own Open311 server and lands with the back office, whose
staff then work it like any request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from openlocal.apikeys.models import Scope
from openlocal.apikeys.services import apikey_create
from openlocal.backoffice.models import BackOfficeLink, Method
from openlocal.backoffice.services import link_save
from openlocal.places.models import Body, BodyKind, Membership, Role
from openlocal.requests.models import (
    Category,
    CategoryGroup,
    CategoryQuestion,
    Request,
    RoutingRule,
)
from openlocal.requests.services import request_create
from openlocal.subscriptions.testing import SMTPServer, smtp_server

RESIDENT = "rita.resident@example.org"


@pytest.fixture(autouse=True)
def _loopback_back_offices(settings: Any) -> None:
    """Back offices in these tests listen on 127.0.0.1, which the site refuses by default."""
    settings.BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES = True


@dataclass
class BackOffice:
    body: Body
    category: Category
    #: An inspector of the back-office body: the back office's staff.
    officer: Any
    #: The county council's administrator, who sets the link up.
    county_admin: Any
    county_manager: Any
    #: A key for the county's link to submit requests to the back office with.
    api_key: str


@pytest.fixture
def back_office(place: Any) -> BackOffice:
    body = Body.objects.create(
        name="Testshire Highways Back Office", slug="highways-crm", kind=BodyKind.COUNTY
    )
    body.areas.add(place.county)
    category = Category.objects.create(
        name="Carriageway defect",
        slug="carriageway-defect",
        service_code="HWY-POT",
        group=CategoryGroup.ROADS,
    )
    CategoryQuestion.objects.create(
        category=category,
        code="depth",
        label="Depth",
        datatype="singlevaluelist",
        values=[{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}],
    )
    RoutingRule.objects.create(category=category, area=place.county, body=body)
    users = get_user_model().objects
    officer = users.create_user(
        "olly@highways.example", email="olly@highways.example", password="pw", first_name="Olly"
    )
    Membership.objects.create(user=officer, body=body, role=Role.INSPECTOR)
    county_admin = users.create_user(
        "ada@testshire.example", email="ada@testshire.example", password="pw", first_name="Ada"
    )
    Membership.objects.create(user=county_admin, body=place.county_council, role=Role.ADMINISTRATOR)
    county_manager = users.create_user(
        "mo@testshire.example", email="mo@testshire.example", password="pw", first_name="Mo"
    )
    Membership.objects.create(user=county_manager, body=place.county_council, role=Role.MANAGER)
    _, raw = apikey_create(
        name="Testshire County Council link",
        scopes=[Scope.SUBMIT],
        contact_email="digital@testshire.example",
        check_permission=False,
    )
    return BackOffice(body, category, officer, county_admin, county_manager, raw)


@pytest.fixture
def open311_link(back_office: BackOffice, place: Any) -> Callable[..., BackOfficeLink]:
    """Link the county council to an Open311 endpoint (the live server's, usually)."""

    def make(endpoint: str, **changes: Any) -> BackOfficeLink:
        fields: dict[str, Any] = {
            "method": Method.OPEN311,
            "endpoint": endpoint,
            "api_key": back_office.api_key,
            "service_codes": {"POT": "HWY-POT"},
        }
        fields.update(changes)
        return link_save(body=place.county_council, actor=back_office.county_admin, **fields)

    return make


@pytest.fixture
def report(place: Any) -> Callable[..., Request]:
    """A resident's pothole report in the west of the county (the county council's)."""

    def make(**changes: Any) -> Request:
        fields: dict[str, Any] = {
            "category": place.pothole,
            "latitude": place.west_point[0],
            "longitude": place.west_point[1],
            "title": "Deep pothole outside the school",
            "description": "It has burst two tyres this week.",
            "answers": {"depth": "deep"},
            "reporter_email": RESIDENT,
            "reporter_name": "Rita Resident",
        }
        fields.update(changes)
        return request_create(**fields)

    return make


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as server, override_settings(**server.settings()):
        yield server
