"""API keys on HTTP requests, and the write rate limits shared by Open311 and the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_authenticate
from openlocal.core.ratelimits import counting


def presented_key(request: HttpRequest) -> str:
    """The key string a client sent: ``Authorization: Bearer``, ``X-Api-Key``, or ``api_key``
    in the form body or the query string (Open311 clients use the last two)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.headers.get("X-Api-Key"):
        return request.headers["X-Api-Key"].strip()
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        value = request.POST.get("api_key")
        if value:
            return value.strip()
    return request.GET.get("api_key", "").strip()


def key_from_request(request: HttpRequest) -> ApiKey | None:
    """The active API key the request carries, or None (missing, unknown or revoked)."""
    raw = presented_key(request)
    return apikey_authenticate(raw) if raw else None


@dataclass(frozen=True)
class Limited:
    """A write over its rate limit: what to tell the client."""

    message: str
    retry_after: int


def write_limited(request: HttpRequest, key: ApiKey | None) -> Limited | None:
    """Count one write against the key's limit and the address's; None when it may go ahead."""
    # Without a client address (only seen from in-process test clients) the key alone counts.
    checks: list[tuple[str, Any, str, str]] = []
    if request.META.get("REMOTE_ADDR") or getattr(settings, "RATELIMIT_IP_META_KEY", None):
        checks.append(
            ("api-write-address", "ip", settings.API_WRITE_RATE_PER_ADDRESS, "this address")
        )
    if key is not None:
        checks.insert(
            0,
            (
                "api-write-key",
                lambda _group, _request: f"key:{key.pk}",
                settings.API_WRITE_RATE_PER_KEY,
                "this API key",
            ),
        )
    with counting():
        for group, keyer, rate, who in checks:
            usage = get_usage(request, group=group, key=keyer, rate=rate, increment=True)
            if usage is not None and usage["should_limit"]:
                retry_after = max(int(usage["time_left"]), 1)
                return Limited(
                    f"Too many writes from {who}: the limit is {rate_text(rate)}. "
                    f"Try again in {retry_after} seconds.",
                    retry_after,
                )
    return None


_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def rate_text(rate: str) -> str:
    """A rate in django-ratelimit's notation as words: ``"600/h"`` → "600 writes an hour",
    ``"100/5m"`` → "100 writes every 5 minutes"."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*", rate)
    if match is None:
        return rate
    count, multiple, unit = int(match[1]), int(match[2] or 1), _UNITS[match[3]]
    writes = "1 write" if count == 1 else f"{count} writes"
    if multiple == 1:
        return f"{writes} {'an' if unit == 'hour' else 'a'} {unit}"
    return f"{writes} every {multiple} {unit}s"
