"""Figures that add up: the counts and time histograms of one or many rollup rows.

:class:`Figures` is what a :class:`~openlocal.performance.models.MonthFigures` row holds,
in memory. The refresh adds requests' contributions into them (and takes them out again);
the pages add rows together (a body's months, an area's bodies) and read the medians and
shares from the sum. Everything here is plain Python, testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openlocal.performance import histograms

SECONDS_PER_DAY = 86400.0

#: The counts a rollup row holds, in the order of the model's fields.
COUNTS = (
    "requests",
    "supporters",
    "followers",
    "acknowledged",
    "fixed",
    "fixed_with_level",
    "fixed_in_time",
)


@dataclass(slots=True)
class Figures:
    requests: int = 0
    supporters: int = 0
    followers: int = 0
    acknowledged: int = 0
    fixed: int = 0
    fixed_with_level: int = 0
    fixed_in_time: int = 0
    #: Histograms of the times to acknowledge and to fix (see :mod:`.histograms`).
    acknowledge_times: histograms.Histogram = field(default_factory=dict)
    fix_times: histograms.Histogram = field(default_factory=dict)

    @classmethod
    def of_row(cls, row: Any) -> Figures:
        """The figures of a ``MonthFigures`` row (or anything with its fields)."""
        return cls(
            **{name: getattr(row, name) for name in COUNTS},
            acknowledge_times=histograms.from_json(row.acknowledge_times),
            fix_times=histograms.from_json(row.fix_times),
        )

    def add(self, other: Figures, sign: int = 1) -> Figures:
        """Add ``other`` (times ``sign``: -1 takes it away) to these figures; returns self."""
        self.requests += sign * other.requests
        self.supporters += sign * other.supporters
        self.followers += sign * other.followers
        self.acknowledged += sign * other.acknowledged
        self.fixed += sign * other.fixed
        self.fixed_with_level += sign * other.fixed_with_level
        self.fixed_in_time += sign * other.fixed_in_time
        histograms.merge(self.acknowledge_times, other.acknowledge_times, sign)
        histograms.merge(self.fix_times, other.fix_times, sign)
        return self

    def copy(self) -> Figures:
        return Figures().add(self)

    @property
    def empty(self) -> bool:
        """Nothing counted (after taking away as much as was added)."""
        return not (
            self.requests
            or self.supporters
            or self.followers
            or self.acknowledged
            or self.fixed
            or self.fixed_with_level
            or self.fixed_in_time
            or self.acknowledge_times
            or self.fix_times
        )

    @property
    def negative(self) -> bool:
        """Something counted below zero: a sign that the rows and the requests disagree."""
        return (
            min(getattr(self, name) for name in COUNTS) < 0
            or any(n < 0 for n in self.acknowledge_times.values())
            or any(n < 0 for n in self.fix_times.values())
        )

    @property
    def demand(self) -> int:
        """Supporters and followers together: how many people want it dealt with."""
        return self.supporters + self.followers

    @property
    def median_acknowledge_days(self) -> float | None:
        seconds = histograms.median(self.acknowledge_times)
        return None if seconds is None else seconds / SECONDS_PER_DAY

    @property
    def median_fix_days(self) -> float | None:
        seconds = histograms.median(self.fix_times)
        return None if seconds is None else seconds / SECONDS_PER_DAY

    @property
    def in_time_percent(self) -> float | None:
        """The share (0 to 100) of requests fixed with a service level that were fixed
        within it; None when none were."""
        if not self.fixed_with_level:
            return None
        return 100.0 * self.fixed_in_time / self.fixed_with_level


def total(rows: Any) -> Figures:
    """The sum of some figures."""
    found = Figures()
    for row in rows:
        found.add(row)
    return found


@dataclass(slots=True)
class Backlog:
    """Open requests now, by age band, and how many of them are past their due date."""

    #: Open requests in each band of :class:`~openlocal.performance.models.BacklogBand`.
    bands: dict[int, int] = field(default_factory=dict)
    #: Of those, the ones past their due date, by band.
    overdue_bands: dict[int, int] = field(default_factory=dict)

    def add(self, band: int, open_count: int, overdue: int) -> Backlog:
        self.bands[band] = self.bands.get(band, 0) + open_count
        self.overdue_bands[band] = self.overdue_bands.get(band, 0) + overdue
        return self

    @property
    def open(self) -> int:
        return sum(self.bands.values())

    @property
    def overdue(self) -> int:
        return sum(self.overdue_bands.values())
