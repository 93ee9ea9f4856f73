"""The report's small parts, without the database: medians, H3 arithmetic, geometry, text."""

from __future__ import annotations

from typing import Any

import h3.api.basic_int as h3i
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from openlocal.opendata.quality import spatial
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.datasets import _days, _geometry_problem
from openlocal.opendata.quality.norms import grouped_median
from openlocal.opendata.quality.presenters import Viewer, fix_link, share_text
from openlocal.opendata.quality.report import FieldCompleteness, FixTarget


def test_the_median_of_whole_days_is_interpolated_within_its_day() -> None:
    assert grouped_median({}) is None
    assert grouped_median({3: 1}) == 3.5
    # Ten closed the same day, ten within the next: the middle is the end of day 0.
    assert grouped_median({0: 10, 1: 10}) == 1.0
    # Most close within hours: a norm of hours, not zero.
    assert grouped_median({0: 9, 5: 1}) == pytest.approx(5 / 9)
    assert grouped_median({2: 1, 4: 1, 9: 1}) == 4.5


@pytest.mark.parametrize("resolution", range(0, 10))
def test_parents_by_bit_arithmetic_match_h3(resolution: int) -> None:
    for latitude, longitude in [(50.7, -3.5), (-33.9, 151.2), (64.1, -21.9), (0.0, 0.0)]:
        cell = h3i.latlng_to_cell(latitude, longitude, 9)
        assert spatial.parent_cell(cell, resolution) == h3i.cell_to_parent(cell, resolution)


def test_duplicate_buckets_are_at_least_twice_the_distance_wide() -> None:
    for distance in (0.5, 5, 20, 100):
        res = spatial.bucket_resolution(distance)
        assert h3i.average_hexagon_edge_length(res, unit="m") >= 2 * distance
        if res < 15:
            assert h3i.average_hexagon_edge_length(res + 1, unit="m") < 2 * distance


def test_geometry_problems_say_what_is_wrong() -> None:
    assert _geometry_problem(shapely.to_wkb(box(0, 0, 1, 1))) is None
    assert _geometry_problem(b"") == ("empty", "No boundary is stored.")
    assert _geometry_problem(shapely.to_wkb(Polygon())) == (
        "empty",
        "The boundary is an empty shape.",
    )
    kind, reason = _geometry_problem(b"not a boundary") or ("", "")
    assert kind == "invalid" and reason.startswith("The stored boundary cannot be read")
    assert _geometry_problem(shapely.to_wkb(LineString([(0, 0), (1, 1)]))) == (
        "invalid",
        "The boundary is a LineString, not a polygon.",
    )
    bow_tie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    kind, reason = _geometry_problem(shapely.to_wkb(bow_tie)) or ("", "")
    assert kind == "invalid" and reason == "Self-intersection[0.5 0.5]."


def test_durations_read_as_people_say_them() -> None:
    assert _days(0.2) == "5 hours"
    assert _days(1) == "1 day"
    assert _days(2.04) == "2 days"
    assert _days(7.25) == "7.2 days"
    assert _days(32.6) == "33 days"


def test_shares_never_round_a_missing_value_away() -> None:
    def share(rows: int, filled: int) -> str:
        return share_text(FieldCompleteness("f", "F", "every row", rows, filled))

    assert share(0, 0) == "No rows"
    assert share(4, 4) == "100%"
    assert share(3, 1) == "33.3%"
    assert share(100_000, 99_999) == "99.9%"


def test_thresholds_come_from_settings_and_bad_ones_are_refused(settings: Any) -> None:
    assert quality_settings().duplicate_distance_m == 5.0
    settings.QUALITY_EXAMPLE_LIMIT = "7"
    assert quality_settings().example_limit == 7
    settings.QUALITY_DUPLICATE_DISTANCE_M = 0
    with pytest.raises(ValueError, match="QUALITY_DUPLICATE_DISTANCE_M must be a positive"):
        quality_settings()


def test_the_public_never_gets_a_link_to_fix() -> None:
    fix = FixTarget(kind="workspace", pk=1, body_id=2)
    assert fix_link(Viewer(), fix) is None
    assert fix_link(Viewer(staff=True, body_ids=frozenset({3})), fix) is None
    assert fix_link(Viewer(staff=True, body_ids=frozenset({2})), fix) == {
        "href": "/staff/requests/1",
        "text": "Open in the staff workspace",
    }
