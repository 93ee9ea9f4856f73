"""Fixtures for feedback: requests in Testshire, closed at a chosen time, and a real SMTP
server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_create, request_status_change
from openlocal.subscriptions.testing import SMTPServer, smtp_server

from .helpers import REPORTER


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as server, override_settings(**server.settings()):
        yield server


@pytest.fixture
def make_request(place: Any) -> Callable[..., Request]:
    """A pothole in West Testshire, reported by :data:`REPORTER` unless told otherwise."""

    def make(title: str = "Deep pothole outside the school", **kwargs: Any) -> Request:
        values: dict[str, Any] = {
            "category": place.pothole,
            "latitude": place.west_point[0],
            "longitude": place.west_point[1],
            "title": title,
            "description": "It has burst two tyres this week.",
            "answers": {"depth": "deep"},
            "reporter_email": REPORTER,
        }
        values.update(kwargs)
        return request_create(**values)

    return make


@pytest.fixture
def close(place: Any) -> Callable[..., Request]:
    """Close a request as the county inspector, ``days_ago`` days ago (telling followers)."""

    def do(
        request: Request,
        *,
        days_ago: float = 0,
        status: str = Status.FIXED,
        notify: bool = True,
    ) -> Request:
        at: datetime = timezone.now() - timedelta(days=days_ago)
        request_status_change(
            request=request,
            actor=place.county_inspector,
            status=status,
            message="Filled and rolled.",
            at=at,
            notify=notify,
        )
        request.refresh_from_db()
        return request

    return do
