"""Rollups of how bodies deal with requests, kept current by the worker for /performance/.

Three tables serve the pages, and two keep the worker's place:

- :class:`MonthFigures`: per calendar month (site time), body, category and area, the
  counts and time histograms of what happened that month. Each request lies in several
  areas (county, district, ward...), so there are rows for each of its areas and rows for
  no area in particular (the body's or category's whole figures); and rows with no
  category, the sum of the body's categories, so that a body's totals are one row a month.
- :class:`BacklogFigures`: open requests now, per body, category, area and age band,
  recounted on every refresh (an open request grows older without changing).
- :class:`CountedRequest`: what each public request contributed when last counted, so that
  a change to it can be taken out of the month rows exactly and its new state put in.
- :class:`RollupState`: one row, the refresh's cursors and when the figures were worked
  out; every writer of these tables locks it first.

Only public requests are counted: hidden and private ones have no :class:`CountedRequest`
row and are in no figure. See :mod:`openlocal.performance.rollups` and
``docs/performance.md``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


class MonthFigures(models.Model):
    """What happened in one month to the requests of a body, category and area.

    Kinds of row, told apart by which of ``category`` and ``area`` are empty:

    - category and area: a body's requests in one category within one area;
    - category, no area: a body's requests in one category, wherever they are;
    - area, no category: a body's requests of any category within one area;
    - neither: everything of the body's.

    Each count is attributed to the month its event happened in: a request to the month it
    was made, an acknowledgement to the month it was acknowledged, a fix to the month the
    request was closed as fixed.
    """

    #: The first day of the month, in the site's time zone.
    month = models.DateField()
    body = models.ForeignKey(
        "places.Body", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        "requests.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    area = models.ForeignKey(
        "places.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    #: Requests made this month.
    requests = models.PositiveIntegerField(default=0)
    #: The "me too"s and followers of the requests made this month (their counts now).
    supporters = models.PositiveIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)
    #: Requests acknowledged this month, and a histogram of how long each took.
    acknowledged = models.PositiveIntegerField(default=0)
    acknowledge_times: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: Requests closed as fixed this month, and a histogram of how long each took.
    fixed = models.PositiveIntegerField(default=0)
    fix_times: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: Of those fixed, how many had a due date (their category had a service level), and
    #: how many of those were fixed by it.
    fixed_with_level = models.PositiveIntegerField(default=0)
    fixed_in_time = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "month figures"
        # One row per key; each unique index is also the index of the pages' reads.
        constraints = [
            models.UniqueConstraint(
                fields=["area", "body", "category", "month"],
                condition=Q(area__isnull=False, category__isnull=False),
                name="monthfigures_unique_area_category",
            ),
            models.UniqueConstraint(
                fields=["body", "category", "month"],
                condition=Q(area__isnull=True, category__isnull=False),
                name="monthfigures_unique_category",
            ),
            models.UniqueConstraint(
                fields=["body", "area", "month"],
                condition=Q(area__isnull=False, category__isnull=True),
                name="monthfigures_unique_area",
            ),
            models.UniqueConstraint(
                fields=["body", "month"],
                condition=Q(area__isnull=True, category__isnull=True),
                name="monthfigures_unique_body",
            ),
        ]
        indexes = [
            # A category's page: its rows for every body.
            models.Index(
                fields=["category", "month"],
                condition=Q(area__isnull=True, category__isnull=False),
                name="monthfigures_by_category",
            ),
            # An area's page: its rows for every body.
            models.Index(
                fields=["area", "month"],
                condition=Q(area__isnull=False, category__isnull=True),
                name="monthfigures_by_area",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} body {self.body_id} "
            f"category {self.category_id} area {self.area_id}"
        )


class BacklogBand(models.IntegerChoices):
    """How long an open request has been open."""

    UNDER_WEEK = 0, "Under 1 week"
    WEEKS = 1, "1 to 4 weeks"
    MONTHS = 2, "1 to 3 months"
    YEAR = 3, "3 to 12 months"
    OVER_YEAR = 4, "Over a year"


#: The lower edge (days open) of each band after the first: 1 week, 4 weeks, 13 weeks, a year.
BAND_EDGES_DAYS = (7, 28, 91, 365)


class BacklogFigures(models.Model):
    """Open requests now, of a body, category and area, in one age band.

    Rows as :class:`MonthFigures` (no category: all the body's categories; no area:
    wherever they are). Replaced as a whole on every refresh.
    """

    body = models.ForeignKey("places.Body", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "requests.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    area = models.ForeignKey(
        "places.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    band = models.PositiveSmallIntegerField(choices=BacklogBand.choices)
    open = models.PositiveIntegerField(default=0)
    #: Of those open, how many are past their due date.
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "backlog figures"
        indexes = [
            models.Index(fields=["area", "body"], name="backlogfigures_by_area"),
            models.Index(fields=["category", "body"], name="backlogfigures_by_category"),
        ]

    def __str__(self) -> str:
        return f"{self.open} open ({self.get_band_display()}) body {self.body_id}"


class CountedRequest(models.Model):
    """What one public request contributes to :class:`MonthFigures`, as last counted.

    Not a foreign key: the row must outlive nothing and cascade nothing, and the refresh
    compares it with the request by id.
    """

    request_id = models.BigIntegerField(primary_key=True)
    body_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    #: The ids of the request's areas, ascending, separated by commas.
    areas = models.TextField(blank=True)
    made_month = models.DateField()
    supporters = models.PositiveIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)
    acknowledged_month = models.DateField(null=True, blank=True)
    acknowledge_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_month = models.DateField(null=True, blank=True)
    fix_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Fixed with a due date, and fixed by it.
    with_level = models.BooleanField(default=False)
    in_time = models.BooleanField(default=False)
    #: Open now, when it was made and when it is due (UTC, ISO 8601 to the second, as text
    #: that sorts as time does): what places it in the backlog.
    open = models.BooleanField(default=False)
    made_at = models.CharField(max_length=32)
    due_at = models.CharField(max_length=32, null=True, blank=True)

    class Meta:
        indexes = [
            # The backlog is recounted from the open requests alone.
            models.Index(fields=["body_id"], condition=Q(open=True), name="countedrequest_open")
        ]

    def __str__(self) -> str:
        return f"Counted request {self.request_id}"


class RollupState(models.Model):
    """The refresh's place: one row (id 1), locked by whoever writes the rollups."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    #: When the figures were last worked out (a refresh or a rebuild finished).
    refreshed_at = models.DateTimeField(null=True, blank=True)
    #: When the last full rebuild read the requests; None until there has been one.
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    #: Changes stamped from a little before this are looked at by the next refresh.
    changes_since = models.DateTimeField(null=True, blank=True)
    #: The highest request and supporter ids seen: higher ones are new.
    last_request_id = models.BigIntegerField(default=0)
    last_supporter_id = models.BigIntegerField(default=0)
    #: The sweep re-checks requests in order of id from after this one.
    sweep_after_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Performance rollups refreshed at {self.refreshed_at}"
