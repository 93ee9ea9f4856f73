"""The rollups hold the figures worked out by hand for the scenario in conftest.py."""

from __future__ import annotations

import pytest

from openlocal.performance import histograms
from openlocal.performance.figures import Figures
from openlocal.performance.models import BacklogFigures, CountedRequest, MonthFigures
from openlocal.performance.rollups import rollups_rebuild, rollups_refresh

HOURS = 1 / 24


def figures(month, body, category=None, area=None) -> Figures:
    rows = MonthFigures.objects.filter(month=month, body=body)
    rows = (
        rows.filter(category__isnull=True) if category is None else rows.filter(category=category)
    )
    rows = rows.filter(area__isnull=True) if area is None else rows.filter(area=area)
    found = list(rows)
    assert len(found) <= 1
    return Figures.of_row(found[0]) if found else Figures()


def near(value: float | None, expected: float) -> bool:
    """Within the histograms' promised precision of the exact value."""
    assert value is not None
    return abs(value - expected) <= histograms.PRECISION * expected


@pytest.fixture
def rebuilt(scenario):
    rollups_rebuild()
    return scenario


def test_a_body_month_counts_what_happened_that_month(rebuilt):
    s = rebuilt
    county = figures(s.month, s.place.county_council)
    # A, B, C, D, E made; H hidden and X private are left out.
    assert county.requests == 5
    assert county.supporters == 3
    assert county.followers == 5
    # A 6 h, B 24 h, C 2 h, D 1 h, E 240 h: the third fastest is A's 6 hours.
    assert county.acknowledged == 5
    assert near(county.median_acknowledge_days, 6 * HOURS)
    # A 2, G 3, C 4, B 8, E 10 days (G was made the month before but fixed in this one).
    assert county.fixed == 5
    assert near(county.median_fix_days, 4)
    # Potholes have a service level: A, C and G in time, B late; E's category has none.
    assert county.fixed_with_level == 4
    assert county.fixed_in_time == 3
    assert county.in_time_percent == 75.0


def test_requests_count_in_the_month_they_were_made_and_fixes_in_the_month_of_fixing(rebuilt):
    s = rebuilt
    before = figures(s.previous, s.place.county_council)
    assert (before.requests, before.acknowledged, before.fixed) == (1, 1, 0)
    assert near(before.median_acknowledge_days, 3 * HOURS)
    assert figures(s.month, s.place.county_council).fixed == 5


def test_a_category_within_a_body_has_its_own_figures(rebuilt):
    s = rebuilt
    pothole = figures(s.month, s.place.county_council, s.place.pothole)
    assert pothole.requests == 4
    assert pothole.fixed == 4
    # Fixed in 2, 3, 4 and 8 days: half were fixed within 3 days.
    assert near(pothole.median_fix_days, 3)
    assert pothole.in_time_percent == 75.0
    streetlight = figures(s.month, s.place.county_council, s.place.streetlight)
    assert (streetlight.requests, streetlight.fixed, streetlight.fixed_with_level) == (1, 1, 0)
    assert streetlight.in_time_percent is None


def test_each_request_counts_in_every_area_it_lies_in(rebuilt):
    s = rebuilt
    body = s.place.county_council
    west = figures(s.month, body, area=s.place.west)
    east = figures(s.month, body, area=s.place.east)
    whole = figures(s.month, body, area=s.place.county)
    assert (west.requests, west.fixed) == (4, 4)
    assert (east.requests, east.fixed) == (1, 1)
    assert (whole.requests, whole.fixed) == (5, 5)
    assert whole.fix_times == figures(s.month, body).fix_times
    by_category = figures(s.month, body, s.place.pothole, s.place.west)
    assert (by_category.requests, by_category.fixed) == (4, 4)


def test_closing_without_fixing_is_not_a_fix(rebuilt):
    s = rebuilt
    west = figures(s.month, s.place.west_council)
    assert (west.requests, west.acknowledged, west.fixed) == (1, 1, 0)
    assert west.median_fix_days is None
    assert near(west.median_acknowledge_days, 3 * HOURS)


def test_hidden_and_private_requests_are_in_no_figure(rebuilt):
    s = rebuilt
    counted = set(CountedRequest.objects.values_list("request_id", flat=True))
    assert s.requests["H"].pk not in counted
    assert s.requests["X"].pk not in counted
    assert not MonthFigures.objects.filter(category=s.abuse).exists()
    assert not BacklogFigures.objects.filter(category=s.abuse).exists()
    total_made = sum(
        MonthFigures.objects.filter(category__isnull=True, area__isnull=True).values_list(
            "requests", flat=True
        )
    )
    # A, B, C, D, E, G (county), F (west) and the five fly-tipping requests.
    assert total_made == 12


def test_the_backlog_counts_open_requests_by_age_and_past_their_due_date(rebuilt):
    s = rebuilt
    rows = BacklogFigures.objects.filter(
        body=s.place.east_council, category__isnull=True, area__isnull=True
    )
    assert {row.band: row.open for row in rows} == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1}
    # Fly-tipping's service level is 7 days: all but the 2-day-old one are past it.
    assert sum(row.overdue for row in rows) == 4
    in_east = BacklogFigures.objects.filter(
        body=s.place.east_council, category=s.place.fly_tipping, area=s.place.east
    )
    assert sum(row.open for row in in_east) == 5
    county = BacklogFigures.objects.filter(
        body=s.place.county_council, category__isnull=True, area__isnull=True
    )
    # D is the county's only open request (hidden H and private X are closed and left out).
    assert sum(row.open for row in county) == 1


def test_the_first_refresh_builds_the_rollups(scenario):
    outcome = rollups_refresh()
    assert outcome is not None and outcome.rebuilt
    assert figures(scenario.month, scenario.place.county_council).requests == 5
