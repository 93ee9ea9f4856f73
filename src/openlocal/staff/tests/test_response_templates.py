"""The response templates page: managers and administrators of a body keep its templates."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.core.models import AuditEntry
from openlocal.places.models import Role
from openlocal.staff.models import ResponseTemplate

pytestmark = pytest.mark.django_db

LIST = "/staff/templates/"


@pytest.fixture
def manager(staff_user: Any) -> Any:
    return staff_user("Mona", Role.MANAGER)


def test_inspectors_and_viewers_are_told_who_can(client: Client, place, staff_user) -> None:
    template = ResponseTemplate.objects.create(
        body=place.county_council, title="Thanks", text="Thank you."
    )
    for user in (place.county_inspector, staff_user("viewer", Role.VIEWER)):
        client.force_login(user)
        for url in (
            LIST,
            reverse("staff:template_create"),
            reverse("staff:template_edit", args=[template.pk]),
            reverse("staff:template_delete", args=[template.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 403, url
            assert "Only managers can change response templates" in response.content.decode()
        response = client.post(
            reverse("staff:template_create"),
            {"body": place.county_council.pk, "title": "Sneaky", "text": "Words"},
        )
        assert response.status_code == 403
    assert list(ResponseTemplate.objects.values_list("title", flat=True)) == ["Thanks"]
    assert client.get(LIST).status_code == 403
    assert Client().get(LIST)["Location"].startswith(reverse("staff:login"))


def test_manager_adds_changes_and_deletes_a_template(client: Client, place, manager) -> None:
    client.force_login(manager)
    html = client.get(reverse("staff:queue")).content.decode()
    assert f'href="{LIST}"' in html  # the staff bar links to the page
    form = client.get(reverse("staff:template_create")).content.decode()
    # One body: it is not asked for.
    assert "For the staff of <strong>Testshire County Council</strong>" in form
    response = client.post(
        reverse("staff:template_create"),
        {
            "body": place.county_council.pk,
            "category": place.pothole.pk,
            "status": "fixed",
            "title": "Pothole filled",
            "text": "We filled this pothole today.",
        },
    )
    assert response.status_code == 302
    template = ResponseTemplate.objects.get()
    assert (template.category, template.status) == (place.pothole, "fixed")
    html = client.get(LIST).content.decode()
    assert "Added the template “Pothole filled”." in html
    assert "We filled this pothole today." in html and "Fixed" in html

    response = client.post(
        reverse("staff:template_edit", args=[template.pk]),
        {"body": place.county_council.pk, "title": "Pothole filled", "text": "Filled today."},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.category, template.status, template.text) == (None, "", "Filled today.")
    changed = AuditEntry.objects.get(action="template.update")
    assert changed.data["original"]["text"] == "We filled this pothole today."

    confirm = client.get(reverse("staff:template_delete", args=[template.pk])).content.decode()
    assert "Delete the template “Pothole filled”?" in confirm
    response = client.post(reverse("staff:template_delete", args=[template.pk]))
    assert response.status_code == 302
    assert not ResponseTemplate.objects.exists()
    assert AuditEntry.objects.get(action="template.delete").data["original"]["text"] == (
        "Filled today."
    )


def test_form_errors(client: Client, place, manager) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("staff:template_create"),
        {"body": place.county_council.pk, "title": "", "text": " ", "status": "duplicate"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert '<a href="#template-title">Enter a title, so staff can tell templates apart</a>' in html
    assert "Enter the message" in html
    assert "Select one of the statuses listed" in html
    assert not ResponseTemplate.objects.exists()


def test_another_bodys_templates_are_out_of_reach(client: Client, place, manager) -> None:
    west = ResponseTemplate.objects.create(body=place.west_council, title="West", text="W")
    client.force_login(manager)
    assert "West" not in client.get(LIST).content.decode().split("<main")[1]
    assert client.get(reverse("staff:template_edit", args=[west.pk])).status_code == 404
    assert client.post(reverse("staff:template_delete", args=[west.pk])).status_code == 404
    # Nor can one be made for a body one does not manage.
    response = client.post(
        reverse("staff:template_create"),
        {"body": place.west_council.pk, "title": "Mine now", "text": "Words"},
    )
    assert response.status_code == 400
    assert ResponseTemplate.objects.count() == 1


def test_managers_of_several_bodies_choose_the_body(client: Client, place, manager) -> None:
    manager.memberships.create(body=place.west_council, role=Role.ADMINISTRATOR)
    client.force_login(manager)
    form = client.get(reverse("staff:template_create")).content.decode()
    assert 'name="body"' in form and "West Testshire District Council" in form
    response = client.post(
        reverse("staff:template_create"),
        {"body": place.west_council.pk, "title": "Bins", "text": "Collected."},
    )
    assert response.status_code == 302
    assert ResponseTemplate.objects.get().body == place.west_council
