"""Fixtures shared by every test: a small two-tier place built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from shapely.geometry import box

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.places.models import Area, AreaKind, Body, BodyKind, Membership, Role
from openlocal.places.services import area_save
from openlocal.requests.models import Category, CategoryGroup, CategoryQuestion, RoutingRule

#: The browser fixtures (one Chromium for the session) serve every test that needs a page,
#: wherever it lives: loading them once keeps a single Playwright for the whole run.
pytest_plugins = ["tests.e2e.browser"]

SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real public data beside the project; tests skip, saying why, when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared real data at {SHARED_DATA}, which is not on this machine")
    return SHARED_DATA


@dataclass
class Place:
    county: Area
    west: Area
    east: Area
    county_council: Body
    west_council: Body
    east_council: Body
    pothole: Category
    streetlight: Category
    missed_bin: Category
    fly_tipping: Category
    streetlight_type: AssetType
    lamp: Asset
    county_inspector: object
    west_manager: object
    #: A point in the west district, and one in the east.
    west_point: tuple[float, float]
    east_point: tuple[float, float]


@pytest.fixture
def place(db) -> Place:
    """Testshire: a county split into West and East districts, each with its own council."""
    county, _ = area_save(
        name="Testshire",
        kind=AreaKind.COUNTY,
        code="T10000001",
        geometry=box(-3.6, 50.6, -3.4, 50.8),
    )
    west, _ = area_save(
        name="West Testshire",
        kind=AreaKind.DISTRICT,
        code="T07000001",
        geometry=box(-3.6, 50.6, -3.5, 50.8),
        parent=county,
    )
    east, _ = area_save(
        name="East Testshire",
        kind=AreaKind.DISTRICT,
        code="T07000002",
        geometry=box(-3.5, 50.6, -3.4, 50.8),
        parent=county,
    )
    county_council = Body.objects.create(
        name="Testshire County Council",
        slug="testshire",
        kind=BodyKind.COUNTY,
        contact_email="highways@testshire.example",
    )
    west_council = Body.objects.create(
        name="West Testshire District Council", slug="west", kind=BodyKind.DISTRICT
    )
    east_council = Body.objects.create(
        name="East Testshire District Council", slug="east", kind=BodyKind.DISTRICT
    )
    county_council.areas.add(county)
    west_council.areas.add(west)
    east_council.areas.add(east)

    streetlight_type = AssetType.objects.create(
        name="Streetlight", slug="streetlight", identifier_label="Column number"
    )
    pothole = Category.objects.create(
        name="Pothole", slug="pothole", service_code="POT", group=CategoryGroup.ROADS
    )
    CategoryQuestion.objects.create(
        category=pothole,
        code="depth",
        label="How deep is it?",
        datatype="singlevaluelist",
        required=True,
        values=[
            {"key": "shallow", "name": "Shallower than 5 cm"},
            {"key": "deep", "name": "5 cm or deeper"},
        ],
    )
    streetlight = Category.objects.create(
        name="Street light not working",
        slug="streetlight",
        service_code="SLT",
        group=CategoryGroup.LIGHTING,
    )
    streetlight.asset_types.add(streetlight_type)
    missed_bin = Category.objects.create(
        name="Missed bin collection",
        slug="missed-bin",
        service_code="BIN",
        group=CategoryGroup.WASTE,
    )
    fly_tipping = Category.objects.create(
        name="Fly-tipping", slug="fly-tipping", service_code="FLY", group=CategoryGroup.FLY_TIPPING
    )
    for category in (pothole, streetlight):
        RoutingRule.objects.create(category=category, area=county, body=county_council)
    for category in (missed_bin, fly_tipping):
        RoutingRule.objects.create(category=category, area=west, body=west_council)
        RoutingRule.objects.create(category=category, area=east, body=east_council)

    lamp = Asset.objects.create(
        asset_type=streetlight_type,
        external_id="SL-0001",
        name="Column 1, High Street",
        latitude=50.7,
        longitude=-3.55,
        cell=geo.point_cell(50.7, -3.55),
        body=county_council,
    )
    User = get_user_model()
    county_inspector = User.objects.create_user(
        "inspector@testshire.example",
        password="pw",
        first_name="Ivy",
        last_name="Inspector",
        email="inspector@testshire.example",
    )
    Membership.objects.create(user=county_inspector, body=county_council, role=Role.INSPECTOR)
    west_manager = User.objects.create_user(
        "manager@west.example",
        password="pw",
        first_name="Max",
        last_name="Manager",
        email="manager@west.example",
    )
    Membership.objects.create(user=west_manager, body=west_council, role=Role.MANAGER)
    return Place(
        county,
        west,
        east,
        county_council,
        west_council,
        east_council,
        pothole,
        streetlight,
        missed_bin,
        fly_tipping,
        streetlight_type,
        lamp,
        county_inspector,
        west_manager,
        (50.7, -3.55),
        (50.7, -3.45),
    )
