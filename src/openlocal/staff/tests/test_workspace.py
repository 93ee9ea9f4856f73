"""The request workspace: details, the full timeline, and the inspector's actions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.places.models import Role
from openlocal.requests.models import Status, Update, UpdateKind

pytestmark = pytest.mark.django_db


def public_html(pk: int) -> str:
    """The public request page, as anyone would see it."""
    response = Client().get(reverse("web:request", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def workspace(pk: int) -> str:
    return reverse("staff:request", args=[pk])


def test_workspace_shows_private_details(client: Client, place, make_request) -> None:
    request = make_request(reporter_email="Resident@Example.org", reporter_name="Rita Resident")
    client.force_login(place.county_inspector)
    response = client.get(workspace(request.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Private" in html
    assert "Rita Resident" in html
    assert "resident@example.org" in html
    assert "Anonymous in public" in html
    assert "5 cm or deeper" in html  # the answer, with its label
    assert request.description in html
    assert reverse("web:request", args=[request.pk]) in html


def test_workspace_404s_for_another_bodys_request(client: Client, place, make_request) -> None:
    pothole = make_request()
    client.force_login(place.west_manager)
    assert client.get(workspace(pothole.pk)).status_code == 404
    assert client.get(workspace(999999)).status_code == 404


def test_status_change_is_on_the_public_timeline(client: Client, place, make_request) -> None:
    request = make_request(reporter_email="resident@example.org")
    client.force_login(place.county_inspector)
    response = client.post(
        reverse("staff:request_status", args=[request.pk]),
        {"status": Status.ACTION_SCHEDULED, "message": "Booked for Tuesday."},
    )
    assert response.status_code == 302
    assert response["Location"] == workspace(request.pk)
    request.refresh_from_db()
    assert request.status == Status.ACTION_SCHEDULED
    assert request.acknowledged_at is not None
    update = Update.public_objects.get(request=request, kind=UpdateKind.STATUS)
    assert update.text == "Booked for Tuesday."
    assert update.author == place.county_inspector
    assert "Booked for Tuesday." in public_html(request.pk)
    # The success message is shown on the workspace.
    html = client.get(workspace(request.pk)).content.decode()
    assert "Status changed to Action scheduled." in html


def test_same_status_with_a_message_posts_a_public_update(
    client: Client, place, make_request
) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    response = client.post(
        reverse("staff:request_status", args=[request.pk]),
        {"status": Status.NEW, "message": "We will look at this next week."},
    )
    assert response.status_code == 302
    assert Update.public_objects.filter(
        request=request, kind=UpdateKind.COMMENT, text="We will look at this next week."
    ).exists()


def test_same_status_without_a_message_is_a_form_error(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    before = Update.private_objects.count()
    response = client.post(reverse("staff:request_status", args=[request.pk]), {"status": "new"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The request already has this status" in html
    assert 'href="#status-status"' in html
    assert "<title>Error: " in html
    assert Update.private_objects.count() == before


def test_invalid_status_values_are_form_errors(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    url = reverse("staff:request_status", args=[request.pk])
    for data in ({}, {"status": "duplicate"}, {"status": "made-up"}):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "There is a problem" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_duplicate_is_not_offered(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = client.get(workspace(request.pk)).content.decode()
    assert 'value="duplicate"' not in html
    assert 'value="fixed"' in html


def test_internal_note_is_private(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    response = client.post(
        reverse("staff:request_note", args=[request.pk]),
        {"text": "Reporter rang twice; sounds urgent."},
    )
    assert response.status_code == 302
    note = Update.private_objects.get(request=request, kind=UpdateKind.NOTE)
    assert note.public is False
    assert not Update.public_objects.filter(pk=note.pk).exists()
    html = client.get(workspace(request.pk)).content.decode()
    assert "Reporter rang twice; sounds urgent." in html
    assert "Internal note – not public" in html
    assert "Reporter rang twice" not in public_html(request.pk)


def test_empty_note_is_a_form_error(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    response = client.post(reverse("staff:request_note", args=[request.pk]), {"text": "  "})
    assert response.status_code == 400
    assert "Enter the note" in response.content.decode()
    assert not Update.private_objects.filter(kind=UpdateKind.NOTE).exists()


def test_category_change_reroutes(client: Client, place, make_request, staff_user) -> None:
    request = make_request()
    manager = staff_user("highways", Role.MANAGER)
    client.force_login(manager)
    html = client.get(workspace(request.pk)).content.decode()
    assert "Missed bin collection – goes to West Testshire District Council" in html
    response = client.post(
        reverse("staff:request_category", args=[request.pk]),
        {"category": place.missed_bin.pk},
    )
    # The county manager can no longer see it, so they go back to the queue.
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    request.refresh_from_db()
    assert request.category == place.missed_bin
    assert request.body == place.west_council
    update = Update.public_objects.get(request=request, kind=UpdateKind.CATEGORY)
    assert update.data["to_body"] == "West Testshire District Council"
    queue_html = client.get(reverse("staff:queue")).content.decode()
    assert "is now with West Testshire District Council" in queue_html

    client.force_login(place.west_manager)
    html = client.get(workspace(request.pk)).content.decode()
    assert (
        "Category changed from Pothole to Missed bin collection; moved from "
        "Testshire County Council to West Testshire District Council"
    ) in html


def test_category_nobody_handles_here_is_a_form_error(
    client: Client, place, make_request, staff_user
) -> None:
    from openlocal.requests.models import Category, CategoryGroup

    nowhere = Category.objects.create(
        name="Graffiti", slug="graffiti", service_code="GRF", group=CategoryGroup.GRAFFITI
    )
    request = make_request()
    client.force_login(staff_user("highways", Role.MANAGER))
    response = client.post(
        reverse("staff:request_category", args=[request.pk]), {"category": nowhere.pk}
    )
    assert response.status_code == 400
    assert "Nobody handles “Graffiti”" in response.content.decode()
    request.refresh_from_db()
    assert request.category == place.pothole


def test_reassign(client: Client, place, make_request, staff_user) -> None:
    request = make_request()
    manager = staff_user("highways", Role.MANAGER)
    manager.memberships.create(body=place.east_council, role=Role.VIEWER)
    client.force_login(manager)
    response = client.post(
        reverse("staff:request_reassign", args=[request.pk]),
        {"body": place.east_council.pk, "reason": "Their land."},
    )
    # Still visible to them (they are a viewer at East), so back to the workspace.
    assert response["Location"] == workspace(request.pk)
    request.refresh_from_db()
    assert request.body == place.east_council
    update = Update.public_objects.get(request=request, kind=UpdateKind.REASSIGNED)
    assert update.text == "Their land."
    html = client.get(workspace(request.pk)).content.decode()
    assert "Reassigned from Testshire County Council to East Testshire District Council" in html


def test_reassign_to_the_same_body_is_a_form_error(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    client.force_login(staff_user("highways", Role.MANAGER))
    response = client.post(
        reverse("staff:request_reassign", args=[request.pk]), {"body": place.county_council.pk}
    )
    assert response.status_code == 400
    assert "already with Testshire County Council" in response.content.decode()


def test_forms_follow_the_role(client: Client, place, make_request, staff_user) -> None:
    request = make_request()
    cases = {
        Role.VIEWER: set(),
        Role.INSPECTOR: {"status", "note"},
        Role.MANAGER: {"status", "note", "category", "reassign", "hide", "redact"},
        Role.ADMINISTRATOR: {"status", "note", "category", "reassign", "hide", "redact"},
    }
    everything = {"status", "note", "category", "reassign", "hide", "redact"}
    for role, expected in cases.items():
        client.force_login(staff_user(f"user-{role}", role))
        html = client.get(workspace(request.pk)).content.decode()
        for action in everything:
            action_url = reverse(f"staff:request_{action}", args=[request.pk])
            assert (f'action="{action_url}"' in html) == (action in expected), (role, action)
        assert ("Moderation and audit log" in html) == (role in (Role.MANAGER, Role.ADMINISTRATOR))


def test_get_on_an_action_goes_to_the_workspace(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    response = client.get(reverse("staff:request_status", args=[request.pk]))
    assert response.status_code == 302
    assert response["Location"] == workspace(request.pk)


def test_out_of_range_numbers_are_404_not_errors(client: Client, place, make_request) -> None:
    request = make_request()
    big = "9" * 30
    client.force_login(place.county_inspector)
    assert client.get(f"/staff/requests/{big}").status_code == 404
    assert client.post(f"/staff/requests/{big}/status", {"status": "fixed"}).status_code == 404
    assert (
        client.post(f"/staff/requests/{request.pk}/updates/{big}/redact", {"text": "x"}).status_code
        == 404
    )
