"""Reading Open311 parameters: empty means absent, and every bad value is a clear 400."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from openlocal.open311.formats import Open311Error

#: A ``+HH:MM`` offset whose ``+`` a client forgot to encode arrives as a space.
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def text(params: Mapping[str, Any], name: str) -> str:
    """The parameter's value, stripped; "" when absent or empty (the spec treats them alike)."""
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def comma_list(params: Mapping[str, Any], name: str) -> list[str]:
    return [item.strip() for item in text(params, name).split(",") if item.strip()]


def w3c_datetime(params: Mapping[str, Any], name: str) -> datetime | None:
    """A W3C-DTF date or date-time; a time must carry its timezone (``Z`` or ``±HH:MM``)."""
    raw = text(params, name)
    if not raw:
        return None
    raw = _SPACE_OFFSET.sub(r"+\1", raw)
    example = "like 2026-01-31T00:00:00Z or 2026-01-31T09:30:00+01:00"
    try:
        value = parse_datetime(raw)
    except ValueError:
        raise Open311Error(
            400, f"{name} is not a real date and time: use W3C format, {example}."
        ) from None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise Open311Error(400, f"{name} must be a W3C date and time, {example}.")
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a timezone (Z or ±HH:MM), {example}.")
    return value


def number(params: Mapping[str, Any], name: str) -> float | None:
    raw = text(params, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number, like 50.7 or -3.52.") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} must be a finite number.")
    return value


def positive_int(params: Mapping[str, Any], name: str, *, default: int, maximum: int) -> int:
    raw = text(params, name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Open311Error(400, f"{name} must be a whole number of 1 or more.")
    value = int(raw)
    if value > maximum:
        raise Open311Error(400, f"{name} may be at most {maximum}.")
    return value


def ids(params: Mapping[str, Any], name: str, *, maximum: int) -> list[int]:
    """A comma list of request or update ids (our ids are whole numbers)."""
    values = comma_list(params, name)
    bad = [v for v in values if not v.isdigit() or len(v) > 18]
    if bad:
        raise Open311Error(
            400, f"{name} must be ids separated by commas, like 12,15; got {bad[0]!r}."
        )
    if len(values) > maximum:
        raise Open311Error(400, f"{name} may list at most {maximum} ids.")
    return [int(v) for v in values]


def true(params: Mapping[str, Any], name: str) -> bool:
    return text(params, name).lower() in {"true", "1", "yes"}
