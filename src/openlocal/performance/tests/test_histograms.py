"""Medians from merged histograms are within the documented precision of the exact ones."""

from __future__ import annotations

import math
import random

import pytest

from openlocal.performance import histograms
from openlocal.performance.histograms import PRECISION, bucket, edge, median, merge, merged

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


def histogram_of(seconds: list[float]) -> dict[int, int]:
    found: dict[int, int] = {}
    for value in seconds:
        merge(found, {bucket(value): 1})
    return found


def middle(seconds: list[float]) -> float:
    """The time by which half had been dealt with: the value of rank n/2 from the fastest."""
    ordered = sorted(seconds)
    return ordered[math.ceil(len(ordered) / 2) - 1]


def test_buckets_start_at_a_minute_and_widen_by_the_same_ratio():
    assert bucket(0) == 0
    assert bucket(59.9) == 0
    assert bucket(60) == 1
    for k in (1, 8, 50, 120, 190):
        assert bucket(edge(k)) == k + 1
        assert bucket(edge(k) * 0.999999) == k
        assert edge(k) / edge(k - 1) == pytest.approx(1 + PRECISION)
    # A negative time (a date put in by hand) counts with the quickest.
    assert bucket(-5 * DAY) == 0
    assert bucket(100 * 365 * DAY) == histograms.TOP + 1


@pytest.mark.parametrize("seed", range(25))
def test_the_median_is_within_the_precision_of_the_exact_one(seed):
    rng = random.Random(seed)
    scale = rng.choice([MINUTE, HOUR, DAY, 30 * DAY])
    seconds = [rng.lognormvariate(math.log(scale), 1.2) for _ in range(rng.randint(1, 400))]
    exact = middle(seconds)
    estimate = median(histogram_of(seconds))
    assert estimate is not None
    if exact < MINUTE:
        assert abs(estimate - exact) <= MINUTE
    else:
        assert abs(estimate - exact) <= PRECISION * exact


def test_merging_histograms_gives_the_median_of_all_the_times():
    rng = random.Random(7)
    parts = [[rng.uniform(HOUR, 20 * DAY) for _ in range(rng.randint(1, 50))] for _ in range(12)]
    everything = [value for part in parts for value in part]
    assert merged(histogram_of(part) for part in parts) == histogram_of(everything)
    estimate = median(merged(histogram_of(part) for part in parts))
    assert estimate is not None
    assert abs(estimate - middle(everything)) <= PRECISION * middle(everything)


def test_taking_away_what_was_added_leaves_nothing():
    times = histogram_of([HOUR, 2 * DAY, 2 * DAY])
    merge(times, histogram_of([2 * DAY, HOUR]), -1)
    assert times == histogram_of([2 * DAY])
    merge(times, histogram_of([2 * DAY]), -1)
    assert times == {}
    assert median(times) is None


def test_a_single_time_is_read_back_to_within_the_precision():
    for seconds in (30.0, 90.0, 6 * HOUR, 4 * DAY, 400 * DAY):
        estimate = median(histogram_of([seconds]))
        assert estimate is not None
        tolerance = MINUTE if seconds < MINUTE else PRECISION * seconds
        assert abs(estimate - seconds) <= tolerance


def test_histograms_round_trip_through_json():
    times = histogram_of([HOUR, 3 * DAY, 3 * DAY])
    assert histograms.from_json(histograms.to_json(times)) == times
    assert all(isinstance(key, str) for key in histograms.to_json(times))
