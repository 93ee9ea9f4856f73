"""The statistics dataset: requests reported per month, by site, category, body and area.

One pass over the public requests in the order they were reported (the ``created_at``
index, so the database sorts nothing) counts every dimension at once. Months are calendar
months in the site's time zone; when the pass reaches the next month, the finished month's
groups are written out and forgotten, so memory holds one month's groups (and the closing
times of that month's closed requests, for the medians), however long the history.
"""

from __future__ import annotations

import statistics as stats
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from openlocal.opendata.columns import datetime_text
from openlocal.opendata.expressions import DaysBetween, IsoText, Joined
from openlocal.places.models import Area, Body
from openlocal.requests.models import OPEN_STATUSES, Category, Request

#: Rows fetched from the database at a time.
CHUNK_SIZE = 5000
#: The order dimensions are written in within a month.
DIMENSIONS = ("site", "category", "body", "area")


@dataclass
class Group:
    reported: int = 0
    open: int = 0
    closed: int = 0
    days: list[float] = field(default_factory=list)

    def median_days(self) -> float | None:
        return round(stats.median(self.days), 1) if self.days else None


class Months:
    """The site-time month of a moment given as ISO 8601 text in UTC, worked out once per
    month: the rows come in time order, so most only compare with the month's bounds."""

    def __init__(self) -> None:
        self.start = self.end = ""
        self.label = ""

    def of(self, moment: str) -> str:
        if self.start <= moment < self.end:
            return self.label
        local = timezone.localtime(datetime.fromisoformat(moment))
        start = timezone.make_aware(datetime(local.year, local.month, 1))
        following = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        self.start = datetime_text(start)
        self.end = datetime_text(timezone.make_aware(datetime(*following, 1)))
        self.label = f"{local.year:04d}-{local.month:02d}"
        return self.label


def _rows(with_areas: bool) -> Iterator[Sequence[Any]]:
    requests = Request.public_objects.annotate(
        reported=IsoText("created_at"),
        days=DaysBetween("created_at", "closed_at"),
    )
    fields = ["reported", "status", "days", "category_id", "body_id"]
    if with_areas:
        areas = (
            Request.areas.through.objects.filter(request_id=OuterRef("pk"))
            .order_by()
            .values("request_id")
            .annotate(ids=Joined(Cast("area_id", CharField())))
            .values("ids")  # type: ignore[misc]  # an annotation the plugin cannot see
        )
        requests = requests.annotate(area_ids=Subquery(areas, output_field=CharField()))
        fields.append("area_ids")
    return (
        requests.order_by("created_at", "pk").values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
    )


def _names(dimension: str) -> dict[Any, tuple[str, str, str | None]]:
    """Each key's code, name and (for areas) kind."""
    if dimension == "site":
        return {"all": ("all", settings.SITE_NAME, None)}
    if dimension == "category":
        rows = Category.objects.values_list("pk", "service_code", "name")
        return {pk: (code, name, None) for pk, code, name in rows}
    if dimension == "body":
        bodies = Body.objects.values_list("pk", "slug", "name")
        return {pk: (slug, name, None) for pk, slug, name in bodies}
    return {
        pk: (slug, name, kind)
        for pk, slug, name, kind in Area.objects.values_list("pk", "slug", "name", "kind")
    }


def statistic_records(fields: Sequence[str], chosen: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    """Rows for the statistics dataset, with the fields its columns name."""
    form = chosen.get("form")
    only = form.cleaned_data.get("dimension", "") if form is not None else ""
    dimensions = [d for d in DIMENSIONS if not only or d == only]
    names = {d: _names(d) for d in dimensions}
    open_statuses = frozenset(str(s) for s in OPEN_STATUSES)
    months = Months()
    current = ""
    groups: dict[tuple[str, Any], Group] = {}

    def finished() -> Iterator[Sequence[Any]]:
        ordered = sorted(
            groups.items(),
            key=lambda item: (DIMENSIONS.index(item[0][0]), names[item[0][0]][item[0][1]][0]),
        )
        for (dimension, key), group in ordered:
            code, name, kind = names[dimension][key]
            values = {
                "dimension": dimension,
                "key": code,
                "name": name,
                "area_kind": kind,
                "month": current,
                "reported": group.reported,
                "open_count": group.open,
                "closed_count": group.closed,
                "median_days": group.median_days(),
            }
            yield tuple(values[f] for f in fields)

    for row in _rows(with_areas="area" in dimensions):
        reported, status, days, category_id, body_id = row[:5]
        month = months.of(reported)
        if month != current:
            yield from finished()
            groups = {}
            current = month
        keys: list[tuple[str, Any]] = []
        if "site" in dimensions:
            keys.append(("site", "all"))
        if "category" in dimensions:
            keys.append(("category", category_id))
        if "body" in dimensions:
            keys.append(("body", body_id))
        if "area" in dimensions and row[5]:
            keys += [("area", int(pk)) for pk in row[5].split(";")]
        is_open = status in open_statuses
        for key in keys:
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group()
            group.reported += 1
            if is_open:
                group.open += 1
            else:
                group.closed += 1
                if days is not None and days >= 0:
                    group.days.append(days)
    yield from finished()
