"""Keys on real HTTP requests, and the write rate limits kept in the database cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from openlocal.apikeys.http import key_from_request, rate_text, write_limited
from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_create, apikey_revoke

pytestmark = pytest.mark.django_db

factory = RequestFactory()


@pytest.fixture
def key(place: Any) -> tuple[ApiKey, str]:
    return apikey_create(name="App", scopes=["submit"], check_permission=False)


def test_the_rate_limits_are_kept_in_the_database_shared_by_every_process() -> None:
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    cache.set("probe", 1)
    assert cache.get("probe") == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda raw: factory.post("/open311/v2/requests.json", HTTP_AUTHORIZATION=f"Bearer {raw}"),
        lambda raw: factory.post("/api/v1/requests", HTTP_AUTHORIZATION=f"bearer  {raw} "),
        lambda raw: factory.get("/api/v1/webhooks", HTTP_X_API_KEY=raw),
        lambda raw: factory.post("/open311/v2/requests.json", {"api_key": raw}),
        lambda raw: factory.post(
            "/open311/v2/requests.json",
            f"service_code=POT&api_key={raw}",
            content_type="application/x-www-form-urlencoded",
        ),
        lambda raw: factory.post(f"/open311/v2/requests.json?api_key={raw}", {"lat": "50.7"}),
        lambda raw: factory.get(f"/open311/v2/requests.json?api_key={raw}"),
    ],
    ids=[
        "bearer",
        "bearer-any-case",
        "x-api-key",
        "multipart",
        "urlencoded",
        "query-post",
        "query",
    ],
)
def test_the_key_is_found_wherever_clients_send_it(key: tuple[ApiKey, str], make: Any) -> None:
    found = key_from_request(make(key[1]))
    assert found is not None and found.pk == key[0].pk


def test_no_key_a_wrong_key_and_a_revoked_key_are_all_none(key: tuple[ApiKey, str]) -> None:
    api_key, raw = key
    assert key_from_request(factory.post("/api/v1/requests")) is None
    assert key_from_request(factory.post("/", HTTP_AUTHORIZATION="Bearer ol_nope")) is None
    assert key_from_request(factory.post("/", HTTP_AUTHORIZATION=f"Basic {raw}")) is None
    # A JSON body is data, not a place for credentials.
    body = factory.post("/api/v1/requests", {"api_key": raw}, content_type="application/json")
    assert key_from_request(body) is None
    apikey_revoke(key=api_key, check_permission=False)
    assert key_from_request(factory.post("/", HTTP_AUTHORIZATION=f"Bearer {raw}")) is None


def write(raw: str | None, address: str) -> Any:
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    request = factory.post("/api/v1/requests", headers=headers, REMOTE_ADDR=address)
    return write_limited(request, key_from_request(request))


@override_settings(API_WRITE_RATE_PER_KEY="4/d", API_WRITE_RATE_PER_ADDRESS="6/d")
def test_the_write_after_a_keys_limit_is_refused_with_when_to_try_again(place: Any) -> None:
    _key, raw = apikey_create(name="App", scopes=["submit"], check_permission=False)
    assert [write(raw, "192.0.2.1") for _ in range(4)] == [None] * 4
    limited = write(raw, "192.0.2.1")
    assert limited is not None
    assert "Too many writes from this API key" in limited.message
    assert "4 writes a day" in limited.message
    assert 0 < limited.retry_after <= 24 * 3600
    assert f"Try again in {limited.retry_after} seconds" in limited.message
    # The key is limited wherever it is used from.
    moved = write(raw, "198.51.100.7")
    assert moved is not None and "this API key" in moved.message


@override_settings(API_WRITE_RATE_PER_KEY="4/d", API_WRITE_RATE_PER_ADDRESS="6/d")
def test_keys_used_from_one_address_share_its_limit(place: Any) -> None:
    _a, first = apikey_create(name="First", scopes=["submit"], check_permission=False)
    _b, second = apikey_create(name="Second", scopes=["submit"], check_permission=False)
    address = "192.0.2.20"
    assert [write(first, address) for _ in range(4)] == [None] * 4
    assert [write(second, address) for _ in range(2)] == [None] * 2
    limited = write(second, address)
    assert limited is not None
    assert "Too many writes from this address" in limited.message
    assert "6 writes a day" in limited.message and limited.retry_after > 0
    # The second key has writes left, and another address has its own allowance.
    assert write(second, "192.0.2.21") is None


@override_settings(API_WRITE_RATE_PER_KEY="4/d", API_WRITE_RATE_PER_ADDRESS="3/d")
def test_writes_without_a_key_count_against_the_address(place: Any) -> None:
    assert [write(None, "203.0.113.5") for _ in range(3)] == [None] * 3
    limited = write(None, "203.0.113.5")
    assert limited is not None and "this address" in limited.message
    assert write(None, "203.0.113.6") is None


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("600/h", "600 writes an hour"),
        ("1/m", "1 write a minute"),
        ("100/5m", "100 writes every 5 minutes"),
        ("30/s", "30 writes a second"),
        ("2/d", "2 writes a day"),
    ],
)
def test_rates_read_as_words(rate: str, text: str) -> None:
    assert rate_text(rate) == text
