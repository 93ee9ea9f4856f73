"""The quality report on the generated demo place: right figures, nothing private, quick.

The demo is generated once for the module inside a transaction rolled back at the end (as
in ``demo/tests/test_demo.py``). Its figures are checked against plain computations that
read every row, which the report itself avoids.
"""

from __future__ import annotations

import io
import json
import math
import statistics
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.norms import NORM_STATUSES
from openlocal.opendata.quality.report import PUBLIC, Report
from openlocal.opendata.quality.selectors import DATASETS, quality_report
from openlocal.places.models import Body
from openlocal.requests.models import Person, Request, Update


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[datetime]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo", stdout=io.StringIO())
            yield timezone.now()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def report(demo: datetime, db: None) -> Report:
    return quality_report(scope=PUBLIC)


def counts(report: Report, dataset: str) -> dict[str, int]:
    return {c.check: c.count for c in report.dataset(dataset).checks}


def test_the_demo_place_is_consistent(report: Report) -> None:
    """The generator builds clean geography and routing: those checks find nothing."""
    assert counts(report, "areas") == {
        "invalid-geometry": 0,
        "empty-geometry": 0,
        "no-cover-cells": 0,
    }
    assert counts(report, "categories") == {
        "unrouted-in-area": 0,
        "routed-nowhere": 0,
        "asset-types-missing": 0,
    }
    requests = counts(report, "requests")
    assert requests["outside-areas"] == requests["bad-coordinates"] == 0
    assert requests["closed-before-reported"] == 0
    assert counts(report, "updates") == {"before-request": 0}
    assets = counts(report, "assets")
    assert assets["outside-areas"] == assets["bad-coordinates"] == 0


def test_row_counts_and_completeness_match_the_tables(report: Report) -> None:
    requests = report.dataset("requests")
    assert requests.rows == Request.public_objects.count()
    assert requests.completeness("address").missing == (
        Request.public_objects.filter(address="").count()
    )
    assert report.dataset("updates").rows == Update.public_objects.count()
    assert report.dataset("assets").rows == Asset.objects.count()
    bodies = report.dataset("bodies")
    assert bodies.completeness("website").missing == Body.objects.filter(website="").count()


def test_likely_duplicates_are_every_close_pair_and_no_other(report: Report) -> None:
    distance = quality_settings().duplicate_distance_m
    rows = sorted(
        Asset.objects.filter(active=True).values_list(
            "asset_type_id", "latitude", "longitude", "pk"
        )
    )
    expected = set()
    # A sweep in latitude: pairs further apart in latitude than the distance are skipped.
    rows.sort(key=lambda r: (r[0], r[1]))
    band = distance / 111_000
    for i, (type_id, lat, lon, pk) in enumerate(rows):
        for other_type, other_lat, other_lon, other_pk in rows[i + 1 :]:
            if other_type != type_id or other_lat - lat > band:
                break
            if geo.distance_m(lat, lon, other_lat, other_lon) <= distance:
                expected.add(tuple(sorted((pk, other_pk))))
    check = report.dataset("assets").check("likely-duplicates")
    assert check.count == len(expected)
    shown = {tuple(sorted((e.id, e.data["other_id"]))) for e in check.examples}
    assert shown <= expected
    assert len(shown) == min(len(expected), quality_settings().example_limit)


def test_category_norms_are_the_medians_counted_in_days(report: Report, demo: datetime) -> None:
    overdue = report.dataset("requests").check("open-too-long")
    now = timezone.now()
    assert overdue.count > 0, "the demo has requests left open for months"
    flagged_total = 0
    for row in overdue.breakdown:
        durations = [
            (closed - created).total_seconds() / 86400
            for created, closed in Request.public_objects.filter(
                category__slug=row.key, status__in=NORM_STATUSES, closed_at__isnull=False
            ).values_list("created_at", "closed_at")
            if closed is not None
        ]
        assert row.data["closed_requests"] == len(durations)
        # Counted in whole days, the median lies between the middle values' days.
        durations.sort()
        low, high = durations[(len(durations) - 1) // 2], durations[len(durations) // 2]
        assert math.floor(low) <= row.data["median_days_to_close"] <= math.floor(high) + 1
        assert abs(row.data["median_days_to_close"] - statistics.median(durations)) < high - low + 1
        threshold = row.data["threshold_days"]
        if threshold is None:
            assert row.count == 0
            continue
        open_ages = [
            (now - created).total_seconds() / 86400
            for created in Request.public_objects.open()
            .filter(category__slug=row.key)
            .values_list("created_at", flat=True)
        ]
        assert row.count == sum(1 for age in open_ages if age > threshold)
        flagged_total += row.count
    assert overdue.count == flagged_total


def test_nothing_private_reaches_the_public_report(demo: datetime, db: None) -> None:
    client = Client()
    page = client.get("/data/quality").content.decode()
    documents = [page, client.get("/data/quality.json").content.decode()] + [
        client.get(f"/data/quality/{d}.json").content.decode() for d in DATASETS
    ]
    secrets = set(Person.objects.values_list("email", flat=True))
    secrets |= {e for e in Body.objects.values_list("contact_email", flat=True) if e}
    secrets |= set(Request.private_objects.filter(hidden=True).values_list("title", flat=True))
    secrets |= {
        t for t in Update.private_objects.filter(public=False).values_list("text", flat=True) if t
    }
    assert secrets, "the demo has private data to look for"
    for text in documents:
        readable = json.loads(text) if text.startswith("{") else text
        flat = json.dumps(readable, ensure_ascii=False) if isinstance(readable, dict) else text
        found = [secret for secret in secrets if secret in flat]
        assert found == []


def test_the_whole_report_is_computed_quickly(demo: datetime, db: None) -> None:
    started = time.perf_counter()
    computed = quality_report(scope=PUBLIC)
    assert time.perf_counter() - started < 10
    assert [d.dataset for d in computed.datasets] == DATASETS
    assert all(d.seconds < 5 for d in computed.datasets)
