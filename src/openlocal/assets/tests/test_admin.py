"""The site administration keeps an asset's map index with its position."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from openlocal.core import geo

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests")
    client.force_login(user)
    return client


def _form(place, **changes):
    lamp = place.lamp
    data = {
        "asset_type": lamp.asset_type_id,
        "external_id": lamp.external_id,
        "name": lamp.name,
        "latitude": lamp.latitude,
        "longitude": lamp.longitude,
        "attributes": "{}",
        "body": "",
        "active": "on",
    }
    return {**data, **changes}


def test_moving_an_asset_moves_its_cell(place, admin_client) -> None:
    url = f"/admin/assets/asset/{place.lamp.pk}/change/"
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, _form(place, latitude="50.7301", longitude="-3.5402"))

    assert response.status_code == 302
    place.lamp.refresh_from_db()
    assert (place.lamp.latitude, place.lamp.longitude) == (50.7301, -3.5402)
    assert place.lamp.cell == geo.point_cell(50.7301, -3.5402)


def test_an_impossible_position_is_a_form_error(place, admin_client) -> None:
    url = f"/admin/assets/asset/{place.lamp.pk}/change/"
    before = place.lamp.cell

    response = admin_client.post(url, _form(place, latitude="95", longitude="-3.54"))

    assert response.status_code == 200
    assert b"errornote" in response.content and b"atitude" in response.content
    place.lamp.refresh_from_db()
    assert place.lamp.cell == before and place.lamp.latitude != 95


def test_the_catalogue_and_places_are_administered(place, admin_client) -> None:
    for path in (
        "/admin/requests/category/",
        f"/admin/requests/category/{place.streetlight.pk}/change/",
        "/admin/requests/routingrule/",
        "/admin/places/area/",
        f"/admin/places/area/{place.west.pk}/change/",
        "/admin/places/body/",
        "/admin/assets/assettype/",
    ):
        assert admin_client.get(path).status_code == 200, path
