"""Each quality check finds the bad rows it is for, and a clean place reports none.

Testshire (the shared ``place`` fixture) is clean. ``bad_place`` adds one of every problem
the report looks for, the way real imports go wrong: a boundary that crosses itself, an
empty boundary, two streetlights 2 m apart, requests outside every area, a request open for
months in a category usually fixed in days, and a category nobody handles in one district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import shapely
from django.utils import timezone
from shapely.geometry import Polygon, box

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.opendata.quality import spatial
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.datasets import dataset_report_compute
from openlocal.opendata.quality.report import PUBLIC, DatasetReport, Scope
from openlocal.places.models import Area, AreaKind, Body, BodyKind
from openlocal.places.services import area_save
from openlocal.requests.models import (
    Category,
    CategoryGroup,
    Request,
    RoutingRule,
    Status,
    Update,
    UpdateKind,
)
from openlocal.requests.services import request_create, request_hide, request_status_change

#: 2 m north of Testshire's lamp at (50.7, -3.55).
TWO_METRES = 2 / 111_195


def report(dataset: str, scope: Scope = PUBLIC) -> DatasetReport:
    return dataset_report_compute(dataset=dataset, scope=scope, config=quality_settings())


def make_request(place: Any, *, category: Category | None = None, days_old: float = 0, **kw: Any):
    category = category or place.missed_bin
    latitude, longitude = kw.pop("point", place.west_point)
    created = timezone.now() - timedelta(days=days_old) if days_old else None
    return request_create(
        category=category,
        latitude=latitude,
        longitude=longitude,
        title=kw.pop("title", "Bins not collected"),
        description="The bins on the street were missed this week.",
        created_at=created,
        notify=False,
        **kw,
    )


def close(request: Request, *, after_days: float) -> None:
    request_status_change(
        request=request,
        actor=None,
        status=Status.FIXED,
        at=request.created_at + timedelta(days=after_days),
        check_permission=False,
        notify=False,
    )


def imported_request(place: Any, latitude: float, longitude: float, title: str) -> Request:
    """A request written as a careless import writes it: no routing, no area check."""
    return Request.private_objects.create(
        title=title,
        description="Imported from the old system.",
        category=place.missed_bin,
        body=place.west_council,
        latitude=latitude,
        longitude=longitude,
        cell=geo.point_cell(latitude, longitude),
    )


@dataclass
class BadPlace:
    place: Any
    crossed: Area
    empty: Area
    twin_lamp: Asset
    far_away: Request
    just_outside: Request
    at_null_island: Request
    long_open: Request
    recent: Request
    dog_fouling: Category


@pytest.fixture
def bad_place(place: Any) -> BadPlace:
    return build_bad_place(place)


def build_bad_place(place: Any) -> BadPlace:
    """Testshire with one of every problem the report looks for."""
    # A bow tie: its two triangles meet at a point where the boundary crosses itself.
    # area_save repairs GeoJSON, but a shape given directly is stored as it is.
    bow_tie = Polygon([(-3.58, 50.62), (-3.52, 50.68), (-3.52, 50.62), (-3.58, 50.68)])
    assert not bow_tie.is_valid
    crossed, _ = area_save(name="Crossed Ward", kind=AreaKind.WARD, code="W1", geometry=bow_tie)
    empty = Area.objects.create(
        name="Empty Parish",
        slug="empty-parish",
        kind=AreaKind.PARISH,
        code="P1",
        geometry=shapely.to_wkb(Polygon()),
        min_latitude=0,
        min_longitude=0,
        max_latitude=0,
        max_longitude=0,
        centre_latitude=0,
        centre_longitude=0,
    )
    twin_lamp = Asset.objects.create(
        asset_type=place.streetlight_type,
        external_id="SL-0001-DUP",
        name="Column 1, High Street (again)",
        latitude=50.7 + TWO_METRES,
        longitude=-3.55,
        cell=geo.point_cell(50.7 + TWO_METRES, -3.55),
        body=place.county_council,
    )
    # Near, but not duplicates: 8 m away, or another type of asset 1 m away.
    Asset.objects.create(
        asset_type=place.streetlight_type,
        external_id="SL-0002",
        name="Column 2, High Street",
        latitude=50.7 - 4 * TWO_METRES,
        longitude=-3.55,
        cell=geo.point_cell(50.7 - 4 * TWO_METRES, -3.55),
    )
    bench = AssetType.objects.create(name="Bench", slug="bench")
    Asset.objects.create(
        asset_type=bench,
        external_id="BN-1",
        name="Bench by column 1",
        latitude=50.7 + TWO_METRES / 2,
        longitude=-3.55,
        cell=geo.point_cell(50.7 + TWO_METRES / 2, -3.55),
    )

    far_away = imported_request(place, 51.5, -0.12, "Bins missed in London")
    # 50 m north of the county's edge: in a cell the county's cover holds, yet outside it.
    just_outside = imported_request(place, 50.8 + 50 / 111_195, -3.45, "Bins missed over the edge")
    at_null_island = imported_request(place, 0.0, 0.0, "Bins missed nowhere")

    # Missed bins are usually collected within two days ...
    for n in range(12):
        close(make_request(place, days_old=30 + n, title=f"Missed bin {n}"), after_days=1 + n % 3)
    # ... so one open for 40 days is far over the norm; one open for a day is not.
    long_open = make_request(place, days_old=40, title="Bins missed for weeks")
    recent = make_request(place, days_old=1, title="Bins missed yesterday")

    # Dog fouling: the west district handles it, and nobody in the east.
    dog_fouling = Category.objects.create(
        name="Dog fouling", slug="dog-fouling", service_code="DOG", group=CategoryGroup.PARKS
    )
    RoutingRule.objects.create(category=dog_fouling, area=place.west, body=place.west_council)
    return BadPlace(
        place,
        crossed,
        empty,
        twin_lamp,
        far_away,
        just_outside,
        at_null_island,
        long_open,
        recent,
        dog_fouling,
    )


def example_ids(dataset: DatasetReport, check: str) -> list[Any]:
    return [e.id for e in dataset.check(check).examples]


@pytest.mark.django_db
def test_a_clean_place_reports_no_problem(place: Any) -> None:
    for n in range(3):
        make_request(place, title=f"Bins missed {n}")
    make_request(place, category=place.pothole, answers={"depth": "deep"}, title="Pothole")
    for dataset in ("requests", "updates", "assets", "areas", "bodies", "categories"):
        found = report(dataset)
        assert found.rows > 0, dataset
        problems = {c.check: c.count for c in found.checks if c.count}
        assert problems == {}, f"{dataset}: {problems}"
        assert all(not c.examples for c in found.checks)


@pytest.mark.django_db
def test_a_boundary_that_crosses_itself_is_invalid_and_says_where(bad_place: BadPlace) -> None:
    areas = report("areas")
    invalid = areas.check("invalid-geometry")
    assert invalid.count == 1
    [example] = invalid.examples
    assert example.id == bad_place.crossed.pk
    assert example.name == "Crossed Ward"
    assert example.detail.startswith("Self-intersection")
    assert example.url == "/areas/crossed-ward"


@pytest.mark.django_db
def test_an_empty_boundary_is_reported_and_missing_from_the_index(bad_place: BadPlace) -> None:
    areas = report("areas")
    assert example_ids(areas, "empty-geometry") == [bad_place.empty.pk]
    assert areas.check("empty-geometry").count == 1
    # It has no cover cells either, so nothing can ever be routed to it.
    assert example_ids(areas, "no-cover-cells") == [bad_place.empty.pk]
    assert areas.completeness("geometry").missing == 0  # stored, but an empty shape
    assert areas.completeness("code").missing == 0


@pytest.mark.django_db
def test_two_lamps_two_metres_apart_are_likely_duplicates(bad_place: BadPlace) -> None:
    assets = report("assets")
    duplicates = assets.check("likely-duplicates")
    assert duplicates.count == 1
    [example] = duplicates.examples
    assert example.id == bad_place.twin_lamp.pk
    assert example.data["other_id"] == bad_place.place.lamp.pk
    assert example.data["distance_m"] == pytest.approx(2.0, abs=0.05)
    assert "2 m from Column 1, High Street (SL-0001)" in example.detail
    assert [(b.key, b.count) for b in duplicates.breakdown] == [("streetlight", 1)]


@pytest.mark.django_db
def test_the_duplicate_distance_is_a_setting(bad_place: BadPlace, settings: Any) -> None:
    settings.QUALITY_DUPLICATE_DISTANCE_M = 9
    # Now the column 8 m from the lamp is a duplicate of it, but not of the twin (10 m away).
    assert report("assets").check("likely-duplicates").count == 2
    settings.QUALITY_DUPLICATE_DISTANCE_M = 1
    assert report("assets").check("likely-duplicates").count == 0


@pytest.mark.django_db
def test_inactive_assets_are_not_duplicates(bad_place: BadPlace) -> None:
    Asset.objects.filter(pk=bad_place.twin_lamp.pk).update(active=False)
    assert report("assets").check("likely-duplicates").count == 0


@pytest.mark.django_db
def test_requests_outside_every_area_far_away_or_just_over_the_edge(
    bad_place: BadPlace, settings: Any
) -> None:
    requests = report("requests")
    outside = requests.check("outside-areas")
    assert outside.count == 2
    assert set(example_ids(requests, "outside-areas")) == {
        bad_place.far_away.pk,
        bad_place.just_outside.pk,
    }
    # The first is in a cell no area's cover holds; the second in one the county's cover
    # holds as a boundary cell, so only the exact test of the polygon finds it outside.
    outside_cells, edge_cells = spatial._uncovered_cells(Request.public_objects.all())
    cover = settings.AREA_COVER_RESOLUTION
    assert spatial.parent_cell(bad_place.far_away.cell, cover) in dict(outside_cells)
    assert spatial.parent_cell(bad_place.just_outside.cell, cover) in edge_cells
    # (0, 0) is reported as a bad location, not also as outside.
    assert example_ids(requests, "bad-coordinates") == [bad_place.at_null_island.pk]
    assert requests.completeness("location").missing == 1


@pytest.mark.django_db
def test_assets_outside_every_area_and_at_null_island(bad_place: BadPlace) -> None:
    place = bad_place.place
    stray = Asset.objects.create(
        asset_type=place.streetlight_type,
        external_id="SL-9",
        name="Column in the sea",
        latitude=50.0,
        longitude=-4.5,
        cell=geo.point_cell(50.0, -4.5),
    )
    nowhere = Asset.objects.create(
        asset_type=place.streetlight_type,
        external_id="SL-10",
        name="Column with no location",
        latitude=0.0,
        longitude=0.0,
        cell=geo.point_cell(0.0, 0.0),
    )
    assets = report("assets")
    assert example_ids(assets, "outside-areas") == [stray.pk]
    assert example_ids(assets, "bad-coordinates") == [nowhere.pk]
    assert assets.completeness("location").missing == 1


@pytest.mark.django_db
def test_a_request_open_for_weeks_where_bins_take_days_is_far_over_the_norm(
    bad_place: BadPlace,
) -> None:
    overdue = report("requests").check("open-too-long")
    assert [e.id for e in overdue.examples] == [bad_place.long_open.pk]
    assert overdue.count == 1
    [example] = overdue.examples
    assert example.detail.startswith("Open 40 days; Missed bin collection requests usually close")
    [bins] = [row for row in overdue.breakdown if row.key == "missed-bin"]
    assert bins.count == 1
    assert bins.data["closed_requests"] == 12
    # Closed after 1, 2, 3, 1, 2, 3, ... days: the median is 2 days, within the day.
    assert 1.5 <= bins.data["median_days_to_close"] <= 2.5
    assert bins.data["threshold_days"] == pytest.approx(3 * bins.data["median_days_to_close"])


@pytest.mark.django_db
def test_without_enough_closed_requests_a_category_has_no_norm(
    bad_place: BadPlace, settings: Any
) -> None:
    settings.QUALITY_NORM_MINIMUM_CLOSED = 13
    overdue = report("requests").check("open-too-long")
    assert overdue.count == 0
    [bins] = [row for row in overdue.breakdown if row.key == "missed-bin"]
    assert bins.data["threshold_days"] is None


@pytest.mark.django_db
def test_a_category_nobody_handles_in_the_east_is_unrouted_there(bad_place: BadPlace) -> None:
    categories = report("categories")
    gaps = categories.check("unrouted-in-area")
    assert gaps.count == 1
    [example] = gaps.examples
    assert example.name == "Dog fouling in East Testshire"
    assert example.data == {
        "category": "dog-fouling",
        "area": "east-testshire",
        "area_kind": "district",
    }
    assert [(b.key, b.count) for b in gaps.breakdown] == [("dog-fouling", 1)]


@pytest.mark.django_db
def test_a_parish_without_its_own_rule_is_routed_by_its_district(place: Any) -> None:
    """Routing rules at a parish add its kind to the check; its district still covers it."""
    parish, _ = area_save(
        name="Little Parish",
        kind=AreaKind.PARISH,
        code="P2",
        geometry=box(-3.58, 50.62, -3.56, 50.64),
        parent=place.west,
    )
    parish_council = Body.objects.create(name="Little PC", slug="little", kind=BodyKind.PARISH)
    parish_council.areas.add(parish)
    RoutingRule.objects.create(
        category=place.missed_bin, area=parish, body=parish_council, preference=50
    )
    assert report("categories").check("unrouted-in-area").count == 0
    RoutingRule.objects.filter(category=place.fly_tipping, area=place.west).delete()
    gaps = report("categories").check("unrouted-in-area")
    assert sorted(e.name for e in gaps.examples) == [
        "Fly-tipping in Little Parish",
        "Fly-tipping in West Testshire",
    ]


@pytest.mark.django_db
def test_categories_offered_nowhere_or_needing_assets_they_lack(place: Any) -> None:
    Category.objects.create(name="Orphan", slug="orphan", service_code="ORP", group="other")
    needy = Category.objects.create(
        name="Needs a sign", slug="sign", service_code="SGN", group="roads", asset_required=True
    )
    RoutingRule.objects.create(category=needy, area=place.county, body=place.county_council)
    categories = report("categories")
    assert [e.name for e in categories.check("routed-nowhere").examples] == ["Orphan"]
    assert [e.name for e in categories.check("asset-types-missing").examples] == ["Needs a sign"]


@pytest.mark.django_db
def test_bodies_with_no_area_or_nothing_to_handle(place: Any) -> None:
    Body.objects.create(name="Friends of the Park", slug="friends", kind=BodyKind.COMMUNITY)
    bodies = report("bodies")
    assert [e.name for e in bodies.check("no-areas").examples] == ["Friends of the Park"]
    assert [e.name for e in bodies.check("handles-nothing").examples] == ["Friends of the Park"]
    assert bodies.completeness("website").missing == 4


@pytest.mark.django_db
def test_timelines_out_of_order_are_reported(bad_place: BadPlace) -> None:
    request = bad_place.long_open
    Request.private_objects.filter(pk=request.pk).update(
        closed_at=request.created_at - timedelta(days=1)
    )
    requests = report("requests")
    assert example_ids(requests, "closed-before-reported") == [request.pk]
    # A comment dated before the request it is on (a history imported with bad times).
    early = Update.private_objects.create(
        request=request,
        kind=UpdateKind.COMMENT,
        text="We have sent someone.",
        body=request.body,
        created_at=request.created_at - timedelta(hours=2),
    )
    # The request's own "reported" entry may be a moment early: that is not a problem.
    request.updates.filter(kind=UpdateKind.CREATED).update(
        created_at=request.created_at - timedelta(microseconds=300)
    )
    updates = report("updates")
    assert example_ids(updates, "before-request") == [early.pk]
    assert updates.check("before-request").count == 1


@pytest.mark.django_db
def test_completeness_counts_each_field_among_the_rows_it_applies_to(bad_place: BadPlace) -> None:
    requests = report("requests")
    closed = requests.completeness("closed_at")
    assert (closed.rows, closed.missing) == (12, 0)
    Request.private_objects.filter(pk=bad_place.recent.pk).update(status=Status.FIXED)
    closed = report("requests").completeness("closed_at")
    assert (closed.rows, closed.filled, closed.missing) == (13, 12, 1)
    assert closed.share_filled == pytest.approx(12 / 13, abs=1e-4)
    address = requests.completeness("address")
    assert address.rows == requests.rows == Request.public_objects.count()
    assert address.missing == Request.public_objects.filter(address="").count()


@pytest.mark.django_db
def test_hidden_requests_are_left_out_of_the_public_report(bad_place: BadPlace) -> None:
    place = bad_place.place
    before = report("requests")
    Request.private_objects.filter(pk=bad_place.far_away.pk).update(hidden=True)
    request_hide(request=bad_place.long_open, actor=_manager(place), reason="Abusive")
    public = report("requests")
    assert public.rows == before.rows - 2
    assert example_ids(public, "outside-areas") == [bad_place.just_outside.pk]
    assert public.check("open-too-long").count == 0
    # Staff of the body see them, marked hidden, to fix them.
    staff = report("requests", Scope.for_bodies([place.west_council.pk]))
    assert bad_place.far_away.pk in example_ids(staff, "outside-areas")
    [overdue] = staff.check("open-too-long").examples
    assert overdue.id == bad_place.long_open.pk and overdue.hidden and overdue.url is None


@pytest.mark.django_db
def test_a_staff_scope_counts_only_its_bodies_requests(bad_place: BadPlace) -> None:
    place = bad_place.place
    west = report("requests", Scope.for_bodies([place.west_council.pk]))
    county = report("requests", Scope.for_bodies([place.county_council.pk]))
    assert west.rows == Request.private_objects.filter(body=place.west_council).count()
    assert county.rows == 0
    assert county.check("outside-areas").count == 0


def _manager(place: Any) -> Any:
    return place.west_manager
