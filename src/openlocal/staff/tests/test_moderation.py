"""Moderation: hide and show requests, redact text, hide photos; originals kept in the audit log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.core.models import AuditEntry
from openlocal.places.models import Role
from openlocal.requests.models import Photo, Request, Update, UpdateKind
from openlocal.requests.services import request_status_change
from openlocal.staff.tests.conftest import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(place, staff_user):
    return staff_user("moderator", Role.MANAGER)


def test_hide_and_unhide(client: Client, place, make_request, manager) -> None:
    request = make_request()
    public_url = reverse("web:request", args=[request.pk])
    assert Client().get(public_url).status_code == 200
    client.force_login(manager)

    response = client.post(
        reverse("staff:request_hide", args=[request.pk]), {"reason": "Names a neighbour"}
    )
    assert response["Location"] == reverse("staff:request", args=[request.pk])
    assert not Request.public_objects.filter(pk=request.pk).exists()
    assert Client().get(public_url).status_code == 404
    entry = AuditEntry.objects.get(action="request.hide", target_id=str(request.pk))
    assert entry.data["reason"] == "Names a neighbour"
    assert entry.actor == manager
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "Hidden from the public" in html
    assert "Show in public again" in html

    # Hiding twice is refused, not duplicated.
    response = client.post(reverse("staff:request_hide", args=[request.pk]), {"reason": "Again"})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action="request.hide").count() == 1

    response = client.post(reverse("staff:request_unhide", args=[request.pk]))
    assert response.status_code == 302
    assert Request.public_objects.filter(pk=request.pk).exists()
    assert Client().get(public_url).status_code == 200
    assert AuditEntry.objects.filter(action="request.unhide").count() == 1

    response = client.post(reverse("staff:request_unhide", args=[request.pk]))
    assert response.status_code == 400
    assert "The request is not hidden." in response.content.decode()


def test_hide_needs_a_reason(client: Client, make_request, manager) -> None:
    request = make_request()
    client.force_login(manager)
    response = client.post(reverse("staff:request_hide", args=[request.pk]), {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter why the request is being hidden" in html
    assert 'href="#hide-reason"' in html
    request.refresh_from_db()
    assert request.hidden is False


def test_redact_keeps_the_original_in_the_audit_log(
    client: Client, place, make_request, manager
) -> None:
    request = make_request(description="My neighbour John Smith at 4 Elm Road did this.")
    client.force_login(manager)
    response = client.post(
        reverse("staff:request_redact", args=[request.pk]),
        {
            "title": request.title,
            "description": "My neighbour [removed] did this.",
            "reason": "Personal information",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.description == "My neighbour [removed] did this."
    entry = AuditEntry.objects.get(action="request.redact")
    assert entry.data["original"] == {
        "description": "My neighbour John Smith at 4 Elm Road did this."
    }
    public = Client().get(reverse("web:request", args=[request.pk])).content.decode()
    assert "John Smith" not in public
    assert "[removed]" in public
    # Managers see the original in the audit log on the workspace.
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "Moderation and audit log" in html
    assert "John Smith at 4 Elm Road" in html
    assert "Personal information" in html


def test_redact_without_a_change_is_a_form_error(client: Client, make_request, manager) -> None:
    request = make_request()
    client.force_login(manager)
    response = client.post(
        reverse("staff:request_redact", args=[request.pk]),
        {"title": request.title, "description": request.description},
    )
    assert response.status_code == 400
    assert "Change the text to redact it." in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_redact_a_timeline_entry(client: Client, place, make_request, manager) -> None:
    request = make_request()
    update = request_status_change(
        request=request,
        actor=place.county_inspector,
        status="investigating",
        message="Call Bob on 07700 900123.",
        notify=False,
    )
    client.force_login(manager)
    url = reverse("staff:update_redact", args=[request.pk, update.pk])
    response = client.post(url, {"text": "Call Bob on 07700 900123."})
    assert response.status_code == 400
    assert "Change the text to redact it" in response.content.decode()
    response = client.post(url, {"text": "Call Bob on [removed].", "reason": "Phone number"})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.text == "Call Bob on [removed]."
    entry = AuditEntry.objects.get(action="update.redact", target_id=str(update.pk))
    assert entry.data["original"] == "Call Bob on 07700 900123."
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "07700 900123" in html  # in the audit log, for managers
    assert "07700 900123" not in Client().get(request.get_absolute_url()).content.decode()


def test_update_of_another_request_is_404(client: Client, make_request, manager) -> None:
    first, second = make_request(), make_request()
    update = Update.private_objects.get(request=second, kind=UpdateKind.CREATED)
    client.force_login(manager)
    response = client.post(
        reverse("staff:update_redact", args=[first.pk, update.pk]), {"text": "x"}
    )
    assert response.status_code == 404


def test_photo_hide(client: Client, make_request, manager) -> None:
    request = make_request(photos=[png()])
    photo = Photo.private_objects.get(request=request)
    client.force_login(manager)
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "Hide photo 1" in html
    url = reverse("staff:photo_hide", args=[request.pk, photo.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Enter why the photo is being hidden" in response.content.decode()
    response = client.post(url, {"reason": "Shows a face"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.hidden is True
    assert not Photo.public_objects.filter(pk=photo.pk).exists()
    entry = AuditEntry.objects.get(action="photo.hide", target_id=str(photo.pk))
    assert entry.data["file"] == photo.image.name
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "Photo hidden from the public" in html
    assert "Shows a face" in html
    # Already hidden: no form offered, and a replayed POST is refused.
    assert url not in html
    assert client.post(url, {"reason": "Again"}).status_code == 400


def test_photo_of_another_request_is_404(client: Client, make_request, manager) -> None:
    first = make_request()
    second = make_request(photos=[png()])
    photo = Photo.private_objects.get(request=second)
    client.force_login(manager)
    response = client.post(reverse("staff:photo_hide", args=[first.pk, photo.pk]), {"reason": "x"})
    assert response.status_code == 404
    photo.refresh_from_db()
    assert photo.hidden is False
