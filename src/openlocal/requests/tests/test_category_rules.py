"""The rules a category sets for its requests, enforced by the services whatever calls them:
private requests, required photos, stop notices, and privacy that follows recategorising."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from openlocal.requests.models import Request, Update
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_counts_rebuild, cell_totals
from openlocal.requests.services import (
    CategoryStopped,
    category_privacy_apply,
    person_for_email,
    request_category_change,
    request_create,
    request_support,
)
from openlocal.requests.tests.category_rules import GAS_NOTICE, jpeg_content, rule_categories

pytestmark = pytest.mark.django_db

RESOLUTION = ROLLUP_RESOLUTIONS[-1]


def counted(category_ids: list[int] | None = None) -> int:
    """How many requests the map's rollup counts, at its finest resolution."""
    return sum(t.requests for t in cell_totals(RESOLUTION, None, category_ids=category_ids))


def needles_report(place, rules, **overrides):
    fields = {
        "category": rules.needles,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": "Needles behind the bus shelter",
        "description": "Three used syringes in the grass.",
        "reporter_email": "reporter@example.org",
        "notify": False,
    }
    fields.update(overrides)
    return request_create(**fields)


def test_a_request_in_a_private_category_is_private_and_not_counted_on_the_map(place):
    rules = rule_categories(place)
    private = needles_report(place, rules)
    public = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bin not emptied",
        description="Missed again.",
        notify=False,
    )

    assert private.private is True and public.private is False
    assert list(Request.public_objects.values_list("pk", flat=True)) == [public.pk]
    assert not Update.public_objects.filter(request=private).exists()
    assert counted() == 1
    assert counted([rules.needles.pk]) == 0
    # A rebuild from the stored requests agrees with the counts kept as they changed.
    cell_counts_rebuild()
    assert counted() == 1 and counted([rules.needles.pk]) == 0


def test_recategorising_into_a_private_category_takes_it_off_the_map_at_once(place):
    rules = rule_categories(place)
    request = request_create(
        category=place.fly_tipping,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Syringes dumped with rubbish",
        description="A bag of needles by the lay-by.",
        notify=False,
    )
    assert counted() == 1

    request_category_change(request=request, actor=place.west_manager, category=rules.needles)

    request.refresh_from_db()
    assert request.private is True
    assert not Request.public_objects.filter(pk=request.pk).exists()
    assert counted() == 0

    request_category_change(request=request, actor=place.west_manager, category=place.fly_tipping)

    request.refresh_from_db()
    assert request.private is False
    assert Request.public_objects.filter(pk=request.pk).exists()
    assert counted([place.fly_tipping.pk]) == 1


def test_a_failed_recategorisation_changes_neither_privacy_nor_the_map(place):
    rules = rule_categories(place)
    request = request_create(
        category=place.fly_tipping,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Syringes dumped",
        description="By the lay-by.",
        notify=False,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        request_category_change(request=request, actor=place.west_manager, category=rules.needles)
        raise RuntimeError("something later in the same transaction failed")

    request.refresh_from_db()
    assert request.private is False and request.category_id == place.fly_tipping.pk
    assert counted([place.fly_tipping.pk]) == 1


def test_making_a_category_private_applies_to_the_requests_already_in_it(place):
    for n in range(3):
        request_create(
            category=place.missed_bin,
            latitude=place.west_point[0],
            longitude=place.west_point[1] + n * 0.001,
            title=f"Bin {n} missed",
            description="Not emptied.",
            notify=False,
        )
    assert counted([place.missed_bin.pk]) == 3

    place.missed_bin.private = True
    place.missed_bin.save()
    assert category_privacy_apply(category=place.missed_bin) == 3

    assert not Request.public_objects.filter(category=place.missed_bin).exists()
    assert counted([place.missed_bin.pk]) == 0

    place.missed_bin.private = False
    place.missed_bin.save()
    assert category_privacy_apply(category=place.missed_bin) == 3
    assert counted([place.missed_bin.pk]) == 3
    # Nothing left to change: a second call does nothing.
    assert category_privacy_apply(category=place.missed_bin) == 0


def test_nobody_can_say_me_too_to_a_private_request(place):
    rules = rule_categories(place)
    private = needles_report(place, rules)
    with pytest.raises(ValidationError, match="private request cannot be supported"):
        request_support(request=private, person=person_for_email("other@example.org"))
    private.refresh_from_db()
    assert private.supporter_count == 0


def test_a_category_with_a_stop_notice_takes_no_request_and_says_why(place):
    rules = rule_categories(place)
    with pytest.raises(CategoryStopped) as caught:
        request_create(
            category=rules.gas,
            latitude=place.west_point[0],
            longitude=place.west_point[1],
            title="Smell of gas",
            description="Strong smell in the street.",
        )
    assert caught.value.notice == GAS_NOTICE
    assert GAS_NOTICE in caught.value.message_dict["category"][0]
    assert not Request.private_objects.exists()


def test_a_category_that_needs_a_photo_refuses_a_request_without_one(place):
    rules = rule_categories(place)
    fields = {
        "category": rules.vehicle,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": "Abandoned car",
        "description": "Untaxed for months.",
        "notify": False,
    }
    with pytest.raises(ValidationError) as caught:
        request_create(**fields)
    assert "Add a photo" in caught.value.message_dict["photos"][0]
    assert not Request.private_objects.exists()

    created = request_create(**fields, photos=[jpeg_content()])
    assert created.photos.count() == 1
