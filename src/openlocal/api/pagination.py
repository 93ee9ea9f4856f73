"""Cursor pagination: pages that stay right while rows are added.

A cursor is an opaque, signed token holding the sort key and id of the last row of a page.
The next page starts strictly after it, so rows inserted meanwhile never shift a page (as
offsets would) and the cost of a page does not grow with how deep it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from openlocal.api.problems import VALIDATION, Problem

_SALT = "openlocal.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Order:
    """A keyset order: one datetime field and the id, both ascending or both descending."""

    name: str
    field: str
    descending: bool

    def order_by(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.field}", f"{sign}id")

    def after(self, value: datetime, pk: int) -> Q:
        op = "lt" if self.descending else "gt"
        return Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"id__{op}": pk})


def _bad_cursor() -> Problem:
    message = "This cursor is not valid here: use the `next` link of the previous page unchanged."
    return Problem(VALIDATION, message, errors=[{"field": "query.cursor", "message": message}])


def decode(cursor: str, order: Order) -> tuple[datetime, int]:
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise _bad_cursor() from exc
    if not isinstance(data, list) or len(data) != 3 or data[0] != order.name:
        raise _bad_cursor()
    value = parse_datetime(str(data[1]))
    if value is None or not isinstance(data[2], int):
        raise _bad_cursor()
    return value, data[2]


def encode(order: Order, value: datetime, pk: int) -> str:
    return signing.dumps([order.name, value.isoformat(), pk], salt=_SALT, compress=False)


@dataclass
class Page:
    rows: list[Any]
    next_url: str | None


def paginate(
    request: HttpRequest, queryset: QuerySet[M], order: Order, *, cursor: str, limit: int
) -> Page:
    """One page of ``queryset`` in ``order``; ``next_url`` is None on the last page."""
    queryset = queryset.order_by(*order.order_by())
    if cursor:
        value, pk = decode(cursor, order)
        queryset = queryset.filter(order.after(value, pk))
    rows = list(queryset[: limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        params = request.GET.copy()
        params["cursor"] = encode(order, getattr(last, order.field), last.pk)
        next_url = request.build_absolute_uri(request.path + "?" + params.urlencode())
    return Page(rows, next_url)


def link_header(next_url: str | None) -> dict[str, str]:
    return {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
