"""Fixtures for the open data tests: requests with awkward text, and a snapshot folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Request
from openlocal.requests.services import (
    request_comment,
    request_create,
    request_hide,
    request_note_add,
    request_redact,
    request_status_change,
)

REPORTER_EMAIL = "rosalind.private@reporter.example"
PRIVATE_NAME = "Rosalind Privateperson"
PUBLIC_NAME = "Sam Shown"
NOTE = "Internal note: crew B says the lamp column is rotten"
HIDDEN_TITLE = "Hidden report with abuse in it"
REDACTED = "Ring me on 07700 900123 after six"
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'


@dataclass
class Published:
    """Public requests with awkward text, and private things that must never be published."""

    lamp: Request
    awkward: Request
    formula: Request
    fixed: Request
    hidden: Request
    redacted: Request


@pytest.fixture
def snapshot_dir(settings, tmp_path: Path) -> Path:
    """``DATA_SNAPSHOT_DIR`` in a folder of the test's own."""
    folder = tmp_path / "snapshots"
    settings.DATA_SNAPSHOT_DIR = folder
    return folder


@pytest.fixture
def published(place) -> Published:
    lat, lon = place.west_point
    lamp = request_create(
        category=place.streetlight,
        latitude=50.7,
        longitude=-3.55,
        asset=place.lamp,
        title="Lamp out by the school",
        description="Dark at night",
        reporter_email=REPORTER_EMAIL,
        reporter_name=PRIVATE_NAME,
        reporter_name_public=False,
        notify=False,
    )
    request_status_change(
        request=lamp,
        actor=place.county_inspector,
        status="investigating",
        message="Looking into it",
        notify=False,
    )
    request_note_add(request=lamp, actor=place.county_inspector, text=NOTE)
    awkward = request_create(
        category=place.pothole,
        latitude=50.65,
        longitude=-3.45,
        answers={"depth": "deep"},
        title='Hole, "huge", by the café',
        description='First line, with a comma\nSecond line with “quotes” and "straight" ones',
        reporter_name=PUBLIC_NAME,
        reporter_name_public=True,
        address="1 High Street, Westbury",
        notify=False,
    )
    formula = request_create(
        category=place.missed_bin,
        latitude=lat,
        longitude=lon,
        title=FORMULA_TITLE,
        description="-1 bins collected, @everyone",
        notify=False,
    )
    fixed = request_create(
        category=place.missed_bin,
        latitude=lat,
        longitude=lon,
        title="Bins left out",
        description="Not collected on Tuesday",
        notify=False,
    )
    request_status_change(
        request=fixed, actor=place.west_manager, status="fixed", message="Collected", notify=False
    )
    request_comment(request=fixed, actor=place.west_manager, text="Sorry for the delay")
    hidden = request_create(
        category=place.missed_bin,
        latitude=lat,
        longitude=lon,
        title=HIDDEN_TITLE,
        description="Spam spam spam",
        reporter_email="spammer@reporter.example",
        notify=False,
    )
    request_hide(request=hidden, actor=place.west_manager, reason="Abuse")
    redacted = request_create(
        category=place.missed_bin,
        latitude=lat,
        longitude=lon,
        title="Bin not emptied",
        description=f"Bin not emptied. {REDACTED}",
        notify=False,
    )
    request_redact(
        request=redacted,
        actor=place.west_manager,
        description="Bin not emptied. [removed]",
        reason="Phone number",
    )
    assert Membership.objects.filter(user=place.west_manager, role=Role.MANAGER).exists()
    return Published(lamp, awkward, formula, fixed, hidden, redacted)
