"""Fixtures for the importers: running a command, a small place that covers Boston."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from shapely.geometry import box

from openlocal.places.models import Area, AreaKind, Body, BodyKind
from openlocal.places.services import area_save
from openlocal.requests.models import Category, CategoryGroup, RoutingRule

#: Boston's 2015 cases lie within 42.2304–42.3952 N, 71.1857–70.9943 W.
BOSTON_BOUNDS = (-71.20, 42.22, -70.98, 42.40)
#: Where the city is split into the two test wards.
BOSTON_SPLIT_LONGITUDE = -71.08

BOSTON_MAPPING = """
[statuses]
"Open" = "new"
"Closed" = "fixed"

[categories]
"Street Light Outages" = "streetlight"
"Pothole Repair (Internal)" = "pothole"
"Abandoned Bicycle" = "abandoned-bicycle"
"*" = "other"
"""


@dataclass
class Outcome:
    """What a command printed."""

    stdout: str
    stderr: str


@pytest.fixture
def run_command(tmp_path: Path) -> Callable[..., Outcome]:
    """Run an import command; its report files go to ``tmp_path`` unless told otherwise."""

    def run(name: str, *args: Any, **options: Any) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        call_command(name, *[str(a) for a in args], stdout=out, stderr=err, **options)
        return Outcome(out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def report_folder(tmp_path: Path, settings: Any) -> Path:
    """Reports written without --report go here (the data folder's imports/)."""
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path / "data" / "imports"


@dataclass
class Boston:
    city: Area
    west: Area
    east: Area
    council: Body
    streetlight: Category
    pothole: Category
    bicycle: Category
    other: Category


@pytest.fixture
def boston(db: Any) -> Boston:
    """A city covering Boston (a bounding box), split into two wards, with one council that
    handles four categories across the city."""
    west_lon, south, east_lon, north = BOSTON_BOUNDS
    city, _ = area_save(
        name="Boston", kind=AreaKind.DISTRICT, code="BOS", geometry=box(*BOSTON_BOUNDS)
    )
    west, _ = area_save(
        name="Boston West",
        kind=AreaKind.WARD,
        code="BOS-W",
        geometry=box(west_lon, south, BOSTON_SPLIT_LONGITUDE, north),
        parent=city,
    )
    east, _ = area_save(
        name="Boston East",
        kind=AreaKind.WARD,
        code="BOS-E",
        geometry=box(BOSTON_SPLIT_LONGITUDE, south, east_lon, north),
        parent=city,
    )
    council = Body.objects.create(name="City of Boston", slug="boston", kind=BodyKind.DISTRICT)
    council.areas.add(city)
    made = {}
    for slug, name, group in (
        ("streetlight", "Street light out", CategoryGroup.LIGHTING),
        ("pothole", "Pothole", CategoryGroup.ROADS),
        ("abandoned-bicycle", "Abandoned bicycle", CategoryGroup.OTHER),
        ("other", "Something else", CategoryGroup.OTHER),
    ):
        made[slug] = Category.objects.create(
            name=name, slug=slug, service_code=f"BOS-{slug}", group=group
        )
        RoutingRule.objects.create(category=made[slug], area=city, body=council)
    return Boston(
        city,
        west,
        east,
        council,
        made["streetlight"],
        made["pothole"],
        made["abandoned-bicycle"],
        made["other"],
    )


@pytest.fixture
def boston_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "boston.toml"
    path.write_text(BOSTON_MAPPING, encoding="utf-8")
    return path


#: The options that read Boston's 311 file.
BOSTON_COLUMNS = {
    "id_column": "CASE_ENQUIRY_ID",
    "category_column": "TYPE",
    "title_column": "CASE_TITLE",
    "status_column": "CASE_STATUS",
    "opened_column": "OPEN_DT",
    "closed_column": "CLOSED_DT",
    "closing_text_column": "CLOSURE_REASON",
    "address_column": "Location",
    "latitude_column": "LATITUDE",
    "longitude_column": "LONGITUDE",
    "date_format": "MM/DD/YYYY hh:mm:ss AM",
    "time_zone": "America/New_York",
}
