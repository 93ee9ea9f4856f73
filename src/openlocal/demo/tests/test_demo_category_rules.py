"""The demo place shows off categories with rules and a body that is not a council.

Generated once for the module inside a transaction rolled back at the end, like the other
demo tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from openlocal.places.models import Body, BodyKind, Membership
from openlocal.places.selectors import routes_at
from openlocal.requests.models import Category, Photo, Request
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_totals


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_a_private_category_has_requests_nobody_else_sees(demo: None) -> None:
    category = Category.objects.get(private=True)
    requests = Request.private_objects.filter(category=category)
    assert requests.count() >= 5
    assert all(r.private for r in requests)
    assert not Request.public_objects.filter(category=category).exists()
    assert not cell_totals(ROLLUP_RESOLUTIONS[-1], None, category_ids=[category.pk])
    assert all(r.supporter_count == 0 for r in requests)
    # Staff work them: some have moved on from "new".
    assert requests.exclude(status="new").exists()
    client = Client()
    for request in requests:
        assert client.get(request.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_every_request_in_the_photo_category_has_a_photo(demo: None) -> None:
    category = Category.objects.get(photo_required=True)
    requests = Request.private_objects.filter(category=category)
    assert requests.count() >= 5
    for request in requests:
        assert Photo.private_objects.filter(request=request).exists(), request


@pytest.mark.django_db
def test_the_gas_category_stops_the_journey_with_the_emergency_number(demo: None) -> None:
    category = Category.objects.get(service_code="GAS")
    assert "0800 111 999" in category.stop_notice
    assert not Request.private_objects.filter(category=category).exists()


@pytest.mark.django_db
def test_the_water_company_is_a_body_and_takes_water_leaks(demo: None) -> None:
    water = Body.objects.get(kind=BodyKind.UTILITY)
    leak = Category.objects.get(service_code="WLK")
    requests = Request.private_objects.filter(category=leak)
    assert requests.count() >= 5
    assert {r.body_id for r in requests} == {water.pk}
    sample = requests[0]
    assert routes_at(sample.latitude, sample.longitude)[leak.pk].body == water
    # Its own staff work them, named on the public timeline.
    assert Membership.objects.filter(body=water).exists()


@pytest.mark.django_db
def test_the_main_categories_have_service_levels_and_due_dates(demo: None) -> None:
    for code in ("POT", "SLT", "BIN", "FLY"):
        category = Category.objects.get(service_code=code)
        assert category.service_level_days, code
        request = Request.private_objects.filter(category=category).first()
        assert request is not None and request.due_at is not None
        assert (request.due_at - request.created_at).days == category.service_level_days
