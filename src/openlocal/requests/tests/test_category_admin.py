"""The site administration edits a category's rules, explains each, and applies a change of
privacy to the requests already in the category."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from openlocal.requests.models import Category, Request
from openlocal.requests.rollups import ROLLUP_RESOLUTIONS, cell_totals
from openlocal.requests.services import request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests")
    client.force_login(user)
    return client


def category_form(category: Category, **changes) -> dict:
    data = {
        "name": category.name,
        "slug": category.slug,
        "service_code": category.service_code,
        "group": category.group,
        "description": category.description,
        "keywords": category.keywords,
        "active": "on",
        "stop_notice": category.stop_notice,
        "duplicate_radius_m": str(category.duplicate_radius_m),
        "service_level_days": "",
        "reopen_within_days": str(category.reopen_within_days),
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_change_page_offers_every_rule_with_its_help(place, admin_client):
    page = admin_client.get(f"/admin/requests/category/{place.missed_bin.pk}/change/")
    html = page.content.decode()
    for name in ("private", "photo_required", "stop_notice", "service_level_days"):
        assert f'name="{name}"' in html, name
    assert "Requests are seen only by their reporter" in html
    assert "nobody can report in this category on any interface" in html
    assert "making it public publishes all of them" in html
    rules = admin_client.get("/admin/requests/routingrule/add/").content.decode()
    assert "the lowest preference wins" in rules


def test_saving_the_rules_and_making_a_category_private_hides_its_requests(place, admin_client):
    existing = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bin missed on Elm Road",
        description="Again.",
        notify=False,
    )
    url = f"/admin/requests/category/{place.missed_bin.pk}/change/"

    response = admin_client.post(
        url,
        category_form(
            place.missed_bin,
            private="on",
            photo_required="on",
            stop_notice="  Call 01234 567890 instead.  ",
            service_level_days="3",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(pk=place.missed_bin.pk)
    assert (category.private, category.photo_required, category.service_level_days) == (
        True,
        True,
        3,
    )
    assert category.stop_notice == "Call 01234 567890 instead."
    existing.refresh_from_db()
    assert existing.private is True
    assert not Request.public_objects.exists()
    assert not cell_totals(ROLLUP_RESOLUTIONS[-1], None)
    followed = admin_client.get(response["Location"]).content.decode()
    assert "1 request in “Missed bin collection” is now private." in followed
