"""How long each category's requests usually stay open, and which have been open far longer.

Categories have no service level of their own, so a category's norm is learnt from its
closed requests: the median time from report to closing. It is computed from a histogram of
whole days per category (one aggregate query over closed requests, however many there are)
and interpolated within the median's day, so that a category closed within hours gets a norm
of hours, not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Func, IntegerField, Q

from openlocal.opendata.quality.conf import QualitySettings
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Request,
    RequestQuerySet,
    Status,
)

#: Merged duplicates close when they are merged, not when the problem is fixed: they would
#: make every norm look shorter than it is.
NORM_STATUSES = sorted(CLOSED_STATUSES - {Status.DUPLICATE})


class DaysBetween(Func):
    """Whole days from the first datetime to the second, rounded down (SQLite, PostgreSQL)."""

    arity = 2
    output_field = IntegerField()

    def _operands(self, compiler: Any) -> tuple[str, str, tuple[Any, ...]]:
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, (*end_params, *start_params)

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        start, end, params = self._operands(compiler)
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", params

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        start, end, params = self._operands(compiler)
        return f"FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 86400)::integer", params

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        raise NotImplementedError(
            f"Days between two times is written for SQLite and PostgreSQL, not {connection.vendor}."
        )


def grouped_median(histogram: dict[int, int]) -> float | None:
    """The median of values counted per whole day, interpolated within the median's day."""
    total = sum(histogram.values())
    if not total:
        return None
    half = total / 2
    seen = 0
    for day in sorted(histogram):
        count = histogram[day]
        if seen + count >= half:
            return day + (half - seen) / count
        seen += count
    return float(max(histogram))  # unreachable: the loop reaches the total


@dataclass(frozen=True)
class CategoryNorm:
    category_id: int
    #: Closed requests the norm is learnt from.
    closed: int
    median_days: float | None
    #: Open longer than this many days is "far longer than the norm"; None without a norm.
    threshold_days: float | None


def category_norms(*, config: QualitySettings) -> dict[int, CategoryNorm]:
    """Each category's median days to close, from its public closed requests."""
    histograms: dict[int, dict[int, int]] = {}
    closed = (
        # "Not open, not a duplicate" rather than "one of the closed statuses": the same rows,
        # but a condition no index serves, so SQLite scans the table instead of reading
        # most of it through the status index, one row at a time.
        Request.public_objects.exclude(status__in=[*OPEN_STATUSES, Status.DUPLICATE])
        .filter(closed_at__isnull=False, closed_at__gte=F("created_at"))
        .order_by()
        .annotate(days=DaysBetween("created_at", "closed_at"))
        .values("category_id", "days")
        .annotate(n=Count("pk"))
    )
    for row in closed:
        histograms.setdefault(row["category_id"], {})[row["days"]] = row["n"]
    norms = {}
    for category_id, histogram in histograms.items():
        count = sum(histogram.values())
        median = grouped_median(histogram)
        threshold = None
        if median is not None and count >= config.norm_minimum_closed:
            threshold = max(config.overdue_factor * median, config.overdue_minimum_days)
        norms[category_id] = CategoryNorm(
            category_id=category_id,
            closed=count,
            median_days=round(median, 2) if median is not None else None,
            threshold_days=round(threshold, 2) if threshold is not None else None,
        )
    return norms


def overdue_filter(norms: dict[int, CategoryNorm], *, now: datetime) -> Q | None:
    """Open requests reported before their category's threshold, as one filter."""
    condition = None
    for norm in norms.values():
        if norm.threshold_days is None:
            continue
        cutoff = now - timedelta(days=norm.threshold_days)
        term = Q(category_id=norm.category_id, created_at__lt=cutoff)
        condition = term if condition is None else condition | term
    return condition


def overdue_counts(requests: RequestQuerySet, condition: Q) -> dict[int, int]:
    """Open requests far over their norm, per category id."""
    rows = (
        requests.open()
        .filter(condition)
        .order_by()
        .values("category_id")
        .annotate(n=Count("pk"))
        .values_list("category_id", "n")
    )
    return dict(rows)
