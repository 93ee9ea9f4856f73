"""Fixtures for the JSON API tests: keys with each scope and requests made through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from openlocal.apikeys.services import apikey_create
from openlocal.requests.models import Request
from openlocal.requests.services import request_create


class ApiClient:
    """A test client that speaks JSON and sends an API key when given one."""

    def __init__(self, key: str = "") -> None:
        self.client = Client()
        self.key = key

    def _headers(self, key: str | None, extra: dict[str, str]) -> dict[str, str]:
        chosen = self.key if key is None else key
        headers = dict(extra)
        if chosen:
            headers["Authorization"] = f"Bearer {chosen}"
        return headers

    def get(self, path: str, key: str | None = None, **headers: str) -> Any:
        return self.client.get(path, headers=self._headers(key, headers))

    def post(self, path: str, data: Any = None, key: str | None = None, **headers: str) -> Any:
        return self.client.post(
            path,
            data=data if data is not None else {},
            content_type="application/json",
            headers=self._headers(key, headers),
        )

    def delete(self, path: str, key: str | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(key, {}))


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def submit_key(db: Any) -> str:
    return apikey_create(name="Fix-it app", scopes=["submit"], check_permission=False)[1]


@pytest.fixture
def webhooks_key(db: Any) -> str:
    return apikey_create(
        name="Civic hackers",
        scopes=["webhooks"],
        contact_email="hackers@civic.example",
        check_permission=False,
    )[1]


@pytest.fixture
def county_key(place: Any) -> str:
    return apikey_create(
        name="Highways back office",
        scopes=["body"],
        body=place.county_council,
        check_permission=False,
    )[1]


@pytest.fixture
def west_key(place: Any) -> str:
    return apikey_create(
        name="West back office", scopes=["body"], body=place.west_council, check_permission=False
    )[1]


@pytest.fixture
def make_request(place: Any) -> Callable[..., Request]:
    def make(**overrides: Any) -> Request:
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
        return request_create(**fields)

    return make
