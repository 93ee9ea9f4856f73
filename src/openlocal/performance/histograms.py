"""Times as histograms with fixed, logarithmically spaced buckets, and their medians.

A rollup row cannot keep every request's time to fix, yet a page must show the median of
any combination of rows (a body across all its categories, a county across its bodies, a
year across its months). A histogram with the same buckets everywhere can be added up
exactly, so the rows are merged first and the median is read from the merged histogram.

Bucket 0 holds times under a minute. Bucket ``k`` (1 to :data:`TOP`) holds times from
``60 × 2^((k-1)/8)`` up to ``60 × 2^(k/8)`` seconds: each bucket is 2^(1/8) ≈ 1.09 times as
wide as the one before, from a minute to about 32 years, in :data:`TOP` buckets. Times of
:data:`TOP`'s upper edge or more share one last bucket (``TOP + 1``).

The median is the time by which half of the requests had been dealt with: the value of
rank ``n/2`` counted from the fastest. It is read by finding the bucket holding that rank
and interpolating inside it, geometrically (the buckets are evenly spaced on a log scale),
as if the bucket's requests were spread evenly across it. The true value lies in the same
bucket, so the estimate is never more than 9% (one bucket's width) away from it, and under
a minute never more than a minute away; in practice it is much closer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

#: Buckets per doubling of the time.
PER_DOUBLING = 8
#: The lower edge of bucket 1, in seconds.
FIRST_EDGE = 60.0
#: The last bucket with an upper edge: 60 s × 2^24 ≈ 32 years.
TOP = 24 * PER_DOUBLING
#: How far a median can be from the true value, as a fraction of it.
PRECISION = 2 ** (1 / PER_DOUBLING) - 1

#: A histogram: how many times fell in each bucket (absent buckets hold none).
Histogram = dict[int, int]


def edge(k: int) -> float:
    """The upper edge (seconds) of bucket ``k``, which is the lower edge of ``k + 1``."""
    return FIRST_EDGE * 2 ** (k / PER_DOUBLING)


def bucket(seconds: float) -> int:
    """The bucket a time falls in. A negative time (a date put in by hand before the request
    was made) falls in bucket 0, with the times under a minute."""
    if seconds < FIRST_EDGE:
        return 0
    k = math.floor(PER_DOUBLING * math.log2(seconds / FIRST_EDGE)) + 1
    # Rounding in log2 can put a time a hair over an edge one bucket low; edges decide.
    if seconds >= edge(k):
        k += 1
    elif k > 1 and seconds < edge(k - 1):
        k -= 1
    return min(k, TOP + 1)


def merge(into: Histogram, other: Mapping[int, int], sign: int = 1) -> Histogram:
    """Add ``other`` (times ``sign``) to ``into`` and return it; emptied buckets go."""
    for k, n in other.items():
        total = into.get(k, 0) + sign * n
        if total:
            into[k] = total
        else:
            into.pop(k, None)
    return into


def merged(histograms: Iterable[Mapping[int, int]]) -> Histogram:
    total: Histogram = {}
    for histogram in histograms:
        merge(total, histogram)
    return total


def count(histogram: Mapping[int, int]) -> int:
    return sum(histogram.values())


def median(histogram: Mapping[int, int]) -> float | None:
    """The median time in seconds, or None for an empty histogram."""
    total = count(histogram)
    if total <= 0:
        return None
    rank = total / 2
    below = 0
    for k in sorted(histogram):
        n = histogram[k]
        if n <= 0:
            continue
        if below + n >= rank:
            fraction = (rank - below) / n
            if k == 0:
                return FIRST_EDGE * fraction
            if k > TOP:
                return edge(TOP)
            low, high = edge(k - 1), edge(k)
            return low * (high / low) ** fraction
        below += n
    return None  # pragma: no cover - the ranks always reach the total


def to_json(histogram: Mapping[int, int]) -> dict[str, int]:
    """The form stored in a JSON column (JSON object keys are text)."""
    return {str(k): n for k, n in sorted(histogram.items()) if n}


def from_json(stored: Mapping[str, int] | None) -> Histogram:
    return {int(k): int(n) for k, n in (stored or {}).items() if n}
