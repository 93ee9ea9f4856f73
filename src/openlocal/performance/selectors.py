"""Reads for the performance pages: a bounded number of rollup rows, whatever the data.

Every read names a body, category or area and a run of months, and goes through one of
the rollup tables' indexes, so a page reads (months × the things it breaks down by) rows:
never the requests themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from openlocal.performance.figures import Backlog, Figures
from openlocal.performance.models import BacklogFigures, MonthFigures
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category


@dataclass
class Breakdown:
    """One row of a breakdown: a body, category or area, its figures and its backlog."""

    key: int
    figures: Figures = field(default_factory=Figures)
    backlog: Backlog = field(default_factory=Backlog)


@dataclass
class Performance:
    """What a performance page shows for one body, category or area (or the whole site)."""

    months: list[date]
    #: Everything over the months.
    figures: Figures = field(default_factory=Figures)
    #: Each month's figures, oldest first.
    by_month: dict[date, Figures] = field(default_factory=dict)
    #: Open requests now.
    backlog: Backlog = field(default_factory=Backlog)
    #: Breakdowns by kind ("bodies", "categories", "areas"): id → figures.
    breakdowns: dict[str, dict[int, Breakdown]] = field(default_factory=dict)

    def breakdown(self, kind: str, key: int) -> Breakdown:
        rows = self.breakdowns.setdefault(kind, {})
        found = rows.get(key)
        if found is None:
            found = rows[key] = Breakdown(key)
        return found


_FIGURE_FIELDS = (
    "month",
    "body_id",
    "category_id",
    "area_id",
    "requests",
    "supporters",
    "followers",
    "acknowledged",
    "acknowledge_times",
    "fixed",
    "fix_times",
    "fixed_with_level",
    "fixed_in_time",
)


def _month_rows(condition: Q, months: list[date]) -> QuerySet[MonthFigures]:
    return (
        MonthFigures.objects.filter(condition, month__gte=months[0], month__lte=months[-1])
        .only(*_FIGURE_FIELDS)
        .order_by()
    )


def _backlog_rows(condition: Q) -> Iterable[Any]:
    return (
        BacklogFigures.objects.filter(condition)
        .values_list("body_id", "category_id", "area_id", "band", "open", "overdue")
        .order_by()
    )


def _id(value: int | None) -> int:
    """A foreign key the query's condition says is there."""
    assert value is not None
    return value


def _whole(performance: Performance, rows: Iterable[MonthFigures]) -> None:
    """Add rows to the totals and the months."""
    for row in rows:
        figures = Figures.of_row(row)
        performance.figures.add(figures)
        performance.by_month.setdefault(row.month, Figures()).add(figures)


def _start(months: list[date]) -> Performance:
    return Performance(months=months, by_month={month: Figures() for month in months})


def body_performance(body: Body, months: list[date]) -> Performance:
    """A body's figures, by month, by category and by area."""
    found = _start(months)
    _whole(found, _month_rows(Q(body=body, category__isnull=True, area__isnull=True), months))
    for row in _month_rows(Q(body=body, area__isnull=True, category__isnull=False), months):
        found.breakdown("categories", _id(row.category_id)).figures.add(Figures.of_row(row))
    for row in _month_rows(Q(body=body, category__isnull=True, area__isnull=False), months):
        found.breakdown("areas", _id(row.area_id)).figures.add(Figures.of_row(row))
    for _body, category_id, area_id, band, n, late in _backlog_rows(
        Q(body=body) & (Q(category__isnull=True) | Q(area__isnull=True))
    ):
        if category_id is None and area_id is None:
            found.backlog.add(band, n, late)
        elif area_id is None:
            found.breakdown("categories", category_id).backlog.add(band, n, late)
        elif category_id is None:
            found.breakdown("areas", area_id).backlog.add(band, n, late)
    return found


def area_performance(area: Area, children: list[Area], months: list[date]) -> Performance:
    """The figures of everything in an area: by month, by body, by category, and by each
    of the areas within it."""
    found = _start(months)
    child_ids = [child.pk for child in children]
    for row in _month_rows(Q(area=area, category__isnull=True), months):
        figures = Figures.of_row(row)
        found.figures.add(figures)
        found.by_month.setdefault(row.month, Figures()).add(figures)
        found.breakdown("bodies", row.body_id).figures.add(figures)
    for row in _month_rows(Q(area=area, category__isnull=False), months):
        found.breakdown("categories", _id(row.category_id)).figures.add(Figures.of_row(row))
    if children:
        for row in _month_rows(Q(area_id__in=child_ids, category__isnull=True), months):
            found.breakdown("areas", _id(row.area_id)).figures.add(Figures.of_row(row))
    for body_id, category_id, _area, band, n, late in _backlog_rows(Q(area=area)):
        if category_id is None:
            found.backlog.add(band, n, late)
            found.breakdown("bodies", body_id).backlog.add(band, n, late)
        else:
            found.breakdown("categories", category_id).backlog.add(band, n, late)
    if children:
        for _body, _category, area_id, band, n, late in _backlog_rows(
            Q(area_id__in=child_ids, category__isnull=True)
        ):
            found.breakdown("areas", area_id).backlog.add(band, n, late)
    return found


def category_performance(category: Category, months: list[date]) -> Performance:
    """A category's figures, by month and by the body that handles it."""
    found = _start(months)
    for row in _month_rows(Q(category=category, area__isnull=True), months):
        figures = Figures.of_row(row)
        found.figures.add(figures)
        found.by_month.setdefault(row.month, Figures()).add(figures)
        found.breakdown("bodies", row.body_id).figures.add(figures)
    for body_id, _category, _area, band, n, late in _backlog_rows(
        Q(category=category, area__isnull=True)
    ):
        found.backlog.add(band, n, late)
        found.breakdown("bodies", body_id).backlog.add(band, n, late)
    return found


def site_performance(months: list[date]) -> Performance:
    """Every body's figures (the overview): by month, and by body."""
    found = _start(months)
    for row in _month_rows(Q(category__isnull=True, area__isnull=True), months):
        figures = Figures.of_row(row)
        found.figures.add(figures)
        found.by_month.setdefault(row.month, Figures()).add(figures)
        found.breakdown("bodies", row.body_id).figures.add(figures)
    for body_id, _category, _area, band, n, late in _backlog_rows(
        Q(category__isnull=True, area__isnull=True)
    ):
        found.backlog.add(band, n, late)
        found.breakdown("bodies", body_id).backlog.add(band, n, late)
    return found


def names(model: type[Body] | type[Category] | type[Area], ids: Iterable[int]) -> dict[int, Any]:
    """The rows of ``model`` with these ids (names and slugs only), by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    fields = ["pk", "name", "slug"] + (["kind"] if model is not Category else [])
    return {row.pk: row for row in model.objects.filter(pk__in=wanted).only(*fields)}
