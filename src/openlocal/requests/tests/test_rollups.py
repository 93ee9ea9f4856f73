"""The map's rollup of public requests per cell stays equal to counting the requests."""

from __future__ import annotations

import threading
from collections import defaultdict
from io import StringIO

import h3.api.basic_int as h3i
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from openlocal.requests.merging import request_merge, request_unmerge
from openlocal.requests.models import Category, CategoryGroup, CellCount, Request, Status
from openlocal.requests.rollups import (
    ROLLUP_RESOLUTIONS,
    RequestSnapshot,
    cell_counts_adjust,
    cell_counts_rebuild,
)
from openlocal.requests.services import (
    request_category_change,
    request_create,
    request_hide,
    request_status_change,
    request_unhide,
)

Key = tuple[int, int, int, str]
Sums = dict[Key, tuple[int, float, float]]


def counted() -> Sums:
    """The rollup's rows that count something."""
    return {
        (r.resolution, r.cell, r.category_id, r.status): (r.count, r.latitude_sum, r.longitude_sum)
        for r in CellCount.objects.exclude(count=0)
    }


def recounted() -> Sums:
    """The rollup worked out from the public requests here, with H3's own parent function."""
    sums: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for request in Request.public_objects.all():
        for resolution in ROLLUP_RESOLUTIONS:
            parent = h3i.cell_to_parent(request.cell, resolution)
            row = sums[(resolution, parent, request.category_id, request.status)]
            row[0] += 1
            row[1] += request.latitude
            row[2] += request.longitude
    return {key: (int(n), lat, lon) for key, (n, lat, lon) in sums.items()}


def assert_same(actual: Sums, expected: Sums) -> None:
    assert actual.keys() == expected.keys()
    for key, (n, lat, lon) in expected.items():
        got = actual[key]
        assert got[0] == n, key
        assert got[1] == pytest.approx(lat, abs=1e-6), key
        assert got[2] == pytest.approx(lon, abs=1e-6), key


def assert_consistent() -> None:
    """The maintained rollup equals a recount, and equals what a rebuild writes."""
    maintained = counted()
    assert_same(maintained, recounted())
    cell_counts_rebuild()
    assert_same(counted(), maintained)
    assert not CellCount.objects.filter(count=0).exists()


def report(place, category=None, *, north: float = 0.0, east: float = 0.0) -> Request:
    category = category or place.pothole
    return request_create(
        category=category,
        latitude=place.west_point[0] + north,
        longitude=place.west_point[1] + east,
        title="A problem",
        description="Something needs doing.",
        answers={"depth": "deep"} if category == place.pothole else {},
        notify=False,
    )


@pytest.mark.django_db
def test_every_kind_of_change_keeps_the_rollup_equal_to_a_recount(place):
    first = report(place)
    second = report(place, north=0.0004)
    bins = report(place, place.missed_bin, north=-0.05, east=0.02)
    report(place, place.fly_tipping, east=0.1)  # in the east district
    assert_consistent()
    assert CellCount.objects.filter(resolution=8).exclude(count=0).count() >= 3

    for status in (Status.FIXED, Status.IN_PROGRESS, Status.NOT_FIXED, Status.NEW):
        request_status_change(request=first, actor=place.county_inspector, status=status)
        assert_consistent()
    # A message without a change of status moves nothing.
    request_status_change(
        request=first, actor=place.county_inspector, status=Status.NEW, message="Still on it."
    )
    assert_consistent()

    request_category_change(request=bins, actor=place.west_manager, category=place.fly_tipping)
    assert_consistent()
    request_hide(request=bins, actor=place.west_manager, reason="Offensive words.")
    assert_consistent()
    assert (
        not CellCount.objects.filter(
            category=place.fly_tipping, cell=h3i.cell_to_parent(bins.cell, 8)
        )
        .exclude(count=0)
        .exists()
    )
    request_unhide(request=bins, actor=place.west_manager)
    assert_consistent()

    request_merge(duplicate=second, into=first, actor=None, check_permission=False, notify=False)
    assert_consistent()
    assert (
        counted()[(8, h3i.cell_to_parent(second.cell, 8), place.pothole.pk, Status.DUPLICATE)][0]
        == 1
    )
    request_unmerge(duplicate=second, actor=None, check_permission=False)
    assert_consistent()


@pytest.mark.django_db
def test_a_status_change_from_a_stale_copy_moves_the_stored_status(place):
    request = report(place)
    stale = Request.private_objects.get(pk=request.pk)
    request_status_change(request=request, actor=place.county_inspector, status=Status.FIXED)
    # Another screen still shows the request as new, and reopens it.
    request_status_change(request=stale, actor=place.county_inspector, status=Status.IN_PROGRESS)
    assert_consistent()


@pytest.mark.django_db
def test_rebuild_command_counts_requests_loaded_without_the_services(place):
    for north in (0.0, 0.01, 0.02):
        report(place, north=north)
    hidden = report(place, north=0.03)
    Request.private_objects.filter(pk=hidden.pk).update(hidden=True)
    CellCount.objects.all().delete()  # as after loading requests straight into the database
    out = StringIO()
    call_command("rebuild-cell-counts", stdout=out)
    assert "Counted 3 public requests" in out.getvalue()
    assert_same(counted(), recounted())
    assert sum(n for (res, *_), (n, _, _) in counted().items() if res == 4) == 3


@pytest.mark.django_db
def test_the_demo_leaves_the_rollup_equal_to_a_recount():
    from openlocal.demo.generate import demo_generate

    demo_generate()
    assert Request.private_objects.filter(hidden=True).exists()
    assert Request.private_objects.filter(status=Status.DUPLICATE).exists()
    assert_same(counted(), recounted())


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)


def _in_threads(work, count: int) -> None:
    """Run ``work(index)`` in ``count`` threads at once, each with its own connection."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_to_one_cell_all_count():
    category = Category.objects.create(
        name="Pothole", slug="pothole", service_code="POT", group=CategoryGroup.ROADS
    )
    snapshot = RequestSnapshot(
        50.7, -3.55, category.pk, Status.NEW, False, h3i.latlng_to_cell(50.7, -3.55, 9)
    )
    rounds = 25

    def add(_index: int) -> None:
        for _ in range(rounds):
            with transaction.atomic():
                cell_counts_adjust(snapshot, +1)

    _in_threads(add, 8)
    rows = CellCount.objects.filter(category=category)
    assert rows.count() == len(ROLLUP_RESOLUTIONS)
    for row in rows:
        assert row.count == 8 * rounds
        assert row.latitude_sum == pytest.approx(8 * rounds * 50.7)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_status_changes_to_one_request_keep_the_rollup_right(place):
    request = report(place)
    others = [report(place, north=0.0002 * i) for i in range(1, 4)]
    statuses = [Status.FIXED, Status.IN_PROGRESS, Status.NOT_FIXED, Status.ACKNOWLEDGED]

    def change(index: int) -> None:
        # Each writer read the request before any of them changed it.
        copy = Request.private_objects.get(pk=request.pk)
        request_status_change(
            request=copy, actor=place.county_inspector, status=statuses[index], notify=False
        )
        request_status_change(
            request=others[index % 3],
            actor=place.county_inspector,
            status=statuses[index],
            message=f"Writer {index}",
            notify=False,
        )

    _in_threads(change, len(statuses))
    assert_same(counted(), recounted())
