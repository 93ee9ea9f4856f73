"""The staff upload page: who may use it, upload, columns, preview, confirm."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from openlocal.assets.models import Asset
from openlocal.importers.forms import UPLOAD_MAX_BYTES
from openlocal.importers.models import ImportRun, Upload
from openlocal.opendata.models import DataSource
from openlocal.places.models import Area, Membership, Role

pytestmark = pytest.mark.django_db

START = "/staff/imports/"

LIGHTS = (
    "Column,Where,Latitude,Longitude,Height\n"
    "C1,Column 1 by the church,50.70,-3.55,8\n"
    "C2,Column 2 by the school,50.71,-3.56,10\n"
    "C3,Column 3 nowhere,north,-3.56,10\n"
)


@pytest.fixture
def staff_user(place: Any) -> Callable[..., Any]:
    def make(name: str, role: Role | str | None = None, body: Any = None) -> Any:
        users = get_user_model().objects
        email = f"{name}@example.org"
        if role == "superuser":
            return users.create_superuser(email, email=email, password="pw", first_name=name)
        user = users.create_user(email, email=email, password="pw", first_name=name)
        if role is not None:
            Membership.objects.create(user=user, body=body or place.county_council, role=role)
        return user

    return make


def client_for(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def upload(
    client: Client, content: str | bytes, name: str = "lights.csv", kind: str = "assets"
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(START, {"kind": kind, "file": SimpleUploadedFile(name, data)})


def mapping(place: Any, **changes: Any) -> dict[str, Any]:
    return {
        "id_column": "Column",
        "name_column": "Where",
        "type_slug": "streetlight",
        "type_name": "",
        "type_column": "",
        "latitude_column": "Latitude",
        "longitude_column": "Longitude",
        "easting_column": "",
        "northing_column": "",
        "attribute_columns": ["Height"],
        "active_column": "",
        "body": str(place.county_council.pk),
        "mapping": "",
        "source_name": "Testshire street lights",
        "licence_name": "Open Government Licence v3.0",
        "licence_url": "",
        "attribution": "Contains Testshire County Council data.",
        "source_url": "",
        "publisher": "Testshire County Council",
        **changes,
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("viewer", 403),
        ("inspector", 403),
        ("manager", 403),
        ("administrator", 200),
        ("superuser", 200),
    ],
)
def test_only_administrators_and_superusers_may_import(who, status, staff_user):
    user = staff_user(who.title(), "superuser" if who == "superuser" else Role(who))
    response = client_for(user).get(START)
    assert response.status_code == status
    if status == 403:
        assert "Only administrators can import data" in response.content.decode()


def test_signing_in_is_needed():
    response = Client().get(START)
    assert response.status_code == 302 and "/staff/login" in response["Location"]


def test_boundaries_are_for_superusers_only(staff_user):
    admin = client_for(staff_user("Ada", Role.ADMINISTRATOR))
    page = admin.get(START).content.decode()
    assert 'value="assets"' in page and 'value="areas"' not in page
    geojson = b'{"type": "FeatureCollection", "features": []}'
    response = upload(admin, geojson, "wards.geojson", kind="areas")
    assert response.status_code == 400
    assert not Upload.objects.exists()


def test_upload_preview_and_confirm_an_asset_register(staff_user, place):
    admin_user = staff_user("Ada", Role.ADMINISTRATOR)
    admin = client_for(admin_user)
    response = upload(admin, LIGHTS)
    assert response.status_code == 302
    item = Upload.objects.get()
    columns_page = admin.get(response["Location"]).content.decode()
    # The file's own columns are offered, and its latitude/longitude found.
    for column in ("Column", "Where", "Height"):
        assert f'<option value="{column}"' in columns_page
    assert re.search(r'<option value="Latitude" selected', columns_page)

    preview = admin.post(f"{START}{item.pk}", mapping(place))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Check the import" in page
    assert "Column 1 by the church" in page and "Height: 8" in page
    # Every bad row, with its line and column.
    assert re.search(r"<td[^>]*>4</td>\s*<td[^>]*>C3</td>\s*<td[^>]*>Latitude</td>", page)
    assert "“north” is not a number" in page
    assert not Asset.objects.filter(external_id__in=["C1", "C2"]).exists()
    assert not DataSource.objects.exists()

    # Confirming without leaving out the bad row imports nothing.
    refused = admin.post(f"{START}{item.pk}/import")
    assert refused.status_code == 400
    assert "Nothing was imported" in refused.content.decode()
    assert not Asset.objects.filter(external_id="C1").exists()

    report = admin.get(f"{START}{item.pk}/bad-rows.csv")
    assert report["Content-Type"].startswith("text/csv")
    assert b"4,C3,Latitude,north," in report.content

    done = admin.post(f"{START}{item.pk}/import", {"skip_invalid": "yes"})
    assert done.status_code == 302
    run = ImportRun.objects.get()
    assert (run.created, run.invalid, run.actor) == (2, 1, admin_user)
    light = Asset.objects.get(external_id="C1")
    assert (light.body, light.asset_type, light.attributes) == (
        place.county_council,
        place.streetlight_type,
        {"Height": "8"},
    )
    source = DataSource.objects.get()
    assert (source.name, source.attribution, source.rows) == (
        "Testshire street lights",
        "Contains Testshire County Council data.",
        2,
    )
    summary = admin.get(done["Location"]).content.decode()
    assert "Import of lights.csv" in summary and "Download the list of bad rows" in summary
    # The upload is done with: it cannot be imported twice.
    assert admin.post(f"{START}{item.pk}/import").status_code == 404


def test_an_administrator_changes_only_their_own_bodies_assets(staff_user, place):
    west_admin = client_for(staff_user("Wes", Role.ADMINISTRATOR, place.west_council))
    upload(west_admin, "Column,Where,Latitude,Longitude\nSL-0001,Moved lamp,50.7,-3.5\n")
    item = Upload.objects.get()
    page = west_admin.post(
        f"{START}{item.pk}", mapping(place, attribute_columns=[], body=str(place.west_council.pk))
    ).content.decode()
    assert "belongs to Testshire County Council: only its administrators" in page
    # Another body's choice is refused outright.
    refused = west_admin.post(f"{START}{item.pk}", mapping(place, attribute_columns=[]))
    assert refused.status_code == 400
    place.lamp.refresh_from_db()
    assert place.lamp.name == "Column 1, High Street"


def test_uploads_are_private_to_whoever_made_them(staff_user, place):
    upload(client_for(staff_user("Ada", Role.ADMINISTRATOR)), LIGHTS)
    item = Upload.objects.get()
    other = client_for(staff_user("Root", "superuser"))
    assert other.get(f"{START}{item.pk}").status_code == 404
    assert other.post(f"{START}{item.pk}/import").status_code == 404


def test_forms_need_the_csrf_token(staff_user):
    client = client_for(staff_user("Root", "superuser"), enforce_csrf_checks=True)
    response = upload(client, LIGHTS)
    assert response.status_code == 403
    assert not Upload.objects.exists()


def test_files_are_size_limited_and_must_parse(staff_user):
    client = client_for(staff_user("Root", "superuser"))
    too_big = upload(client, b"a" * (UPLOAD_MAX_BYTES + 1))
    assert too_big.status_code == 400
    assert "The file is larger than 10 MB" in too_big.content.decode()
    duplicated = upload(client, "id,id\n1,2\n")
    assert "appears twice in the header (line 1)" in duplicated.content.decode()
    assert not Upload.objects.exists()


def test_a_superuser_imports_boundaries(staff_user, place):
    client = client_for(staff_user("Root", "superuser"))
    geojson = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
        b'"properties": {"CODE": "P1", "NAME": "Lowcombe"}, "geometry": {"type": "Polygon", '
        b'"coordinates": [[[-3.58, 50.65], [-3.52, 50.65], [-3.52, 50.7], [-3.58, 50.65]]]}}]}'
    )
    upload(client, geojson, "parishes.geojson", kind="areas")
    item = Upload.objects.get()
    data = {
        "code_field": "CODE",
        "name_field": "NAME",
        "kind": "parish",
        "parent_code_field": "",
        "parent": place.west.slug,
        "body": "",
        "source_name": "",
        "licence_name": "",
        "licence_url": "",
        "attribution": "",
        "source_url": "",
        "publisher": "",
    }
    preview = client.post(f"{START}{item.pk}", data).content.decode()
    assert "Lowcombe" in preview and "Within:" in preview
    assert client.post(f"{START}{item.pk}/import").status_code == 302
    parish = Area.objects.get(kind="parish")
    assert (parish.code, parish.parent) == ("P1", place.west)
