"""The workspace's workflow: priority, due date, assignment, response templates, audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import Role
from openlocal.requests.models import Priority, Request, Status, Update, UpdateKind
from openlocal.requests.workflow import request_assign, request_set_due, request_set_priority
from openlocal.staff.models import ResponseTemplate

pytestmark = pytest.mark.django_db


def workspace(pk: int, **params: str) -> str:
    url = reverse("staff:request", args=[pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def page(client: Client, pk: int, **params: str) -> str:
    response = client.get(workspace(pk, **params))
    assert response.status_code == 200
    return response.content.decode()


def select_values(html: str, name: str) -> list[str]:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', html, flags=re.S)
    assert found is not None, name
    return re.findall(r'value="([^"]*)"', found.group(0))


def selected_value(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', html, flags=re.S)
    assert found is not None, name
    chosen = re.search(r'value="([^"]*)" selected', found.group(0))
    return chosen.group(1) if chosen else ""


@pytest.fixture
def manager(staff_user: Any) -> Any:
    return staff_user("Mona", Role.MANAGER)


# Priority, due date, assignment -------------------------------------------------------------


def test_details_show_priority_due_and_assignee(
    client: Client, place, make_request, manager
) -> None:
    request = make_request(days_old=10)
    request_set_priority(request=request, actor=manager, priority=Priority.HIGH)
    request_set_due(request=request, actor=manager, due_at=timezone.now() - timedelta(days=3))
    request_assign(request=request, actor=manager, assignee=place.county_inspector)
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    details = re.search(r'<dl class="govuk-summary-list">.*?</dl>', html, flags=re.S)
    assert details is not None
    text = re.sub(r"\s+", " ", details.group(0))
    assert "Priority</dt>" in text and "High" in text
    assert "Overdue" in text and "Overdue by 3 days" in text
    assert 'Assigned to</dt> <dd class="govuk-summary-list__value">Ivy Inspector</dd>' in text


def test_inspector_assigns_themselves(client: Client, place, make_request, manager) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    # An inspector may only take it or give it back: nobody else is offered.
    assert select_values(html, "assignee") == ["none", str(place.county_inspector.pk)]
    response = client.post(
        reverse("staff:request_assign", args=[request.pk]),
        {"assignee": str(place.county_inspector.pk)},
    )
    assert response.status_code == 302
    html = page(client, request.pk)
    assert "Request assigned to you." in html
    assert "Assigned to Ivy Inspector" in html  # on the timeline
    assert "Internal – not public" in html
    assert Request.private_objects.get(pk=request.pk).assigned_to == place.county_inspector


def test_inspector_cannot_take_a_colleagues_request(
    client: Client, place, make_request, manager
) -> None:
    request = make_request()
    request_assign(request=request, actor=manager, assignee=manager)
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    # The current assignee is shown, so the form tells the truth.
    assert selected_value(html, "assignee") == str(manager.pk)
    response = client.post(
        reverse("staff:request_assign", args=[request.pk]),
        {"assignee": str(place.county_inspector.pk)},
    )
    assert response.status_code == 403
    assert Request.private_objects.get(pk=request.pk).assigned_to == manager


def test_manager_assigns_anyone_who_can_work_on_it(
    client: Client, place, make_request, manager, staff_user
) -> None:
    viewer = staff_user("Vic", Role.VIEWER)
    request = make_request()
    client.force_login(manager)
    values = select_values(page(client, request.pk), "assignee")
    assert str(place.county_inspector.pk) in values and str(manager.pk) in values
    assert str(viewer.pk) not in values
    assert str(place.west_manager.pk) not in values
    response = client.post(
        reverse("staff:request_assign", args=[request.pk]), {"assignee": str(viewer.pk)}
    )
    assert response.status_code == 400
    assert "Select one of the people listed" in response.content.decode()
    response = client.post(
        reverse("staff:request_assign", args=[request.pk]),
        {"assignee": str(place.county_inspector.pk)},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("staff:request_assign", args=[request.pk]),
        {"assignee": str(place.county_inspector.pk)},
    )
    assert response.status_code == 400
    assert "already assigned to Ivy Inspector" in response.content.decode()


def test_priority_form(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    assert selected_value(html, "priority") == "1"
    response = client.post(reverse("staff:request_priority", args=[request.pk]), {"priority": "3"})
    assert response.status_code == 302
    html = page(client, request.pk)
    assert "Priority set to urgent." in html
    assert "Priority changed from Normal to Urgent" in html
    response = client.post(reverse("staff:request_priority", args=[request.pk]), {"priority": "7"})
    assert response.status_code == 400
    assert "Select one of the priorities listed" in response.content.decode()


def test_due_date_form_for_managers(client: Client, place, make_request, manager) -> None:
    place.pothole.service_level_days = 5
    place.pothole.save()
    request = make_request()
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    assert f'action="/staff/requests/{request.pk}/due"' not in html
    assert (
        client.post(
            reverse("staff:request_due", args=[request.pk]),
            {"day": "1", "month": "1", "year": "2099"},
        ).status_code
        == 403
    )

    client.force_login(manager)
    due = timezone.localtime(request.due_at)
    html = page(client, request.pk)
    assert f'name="day" type="text" value="{due.day}"' in html
    assert "Remove the due date" in html
    url = reverse("staff:request_due", args=[request.pk])
    response = client.post(url, {"day": "31", "month": "12", "year": "2099"})
    assert response.status_code == 302
    stored = timezone.localtime(Request.private_objects.get(pk=request.pk).due_at)
    assert (stored.year, stored.month, stored.day, stored.hour) == (2099, 12, 31, 23)
    html = page(client, request.pk)
    assert "Due date set to 31 December 2099." in html
    assert "Due date changed" in html

    for data, message in (
        ({"day": "31", "month": "2", "year": "2099"}, "must be a real date"),
        ({"day": "", "month": "", "year": ""}, "Enter the due date"),
        ({"day": "3", "month": "", "year": "2099"}, "must include a month"),
        ({"day": "3", "month": "4", "year": "2001"}, "must be after the request was made"),
    ):
        response = client.post(url, data)
        assert response.status_code == 400, data
        html = response.content.decode()
        assert message in html and 'href="#due-day"' in html, data

    response = client.post(url, {"remove": "1"})
    assert response.status_code == 302
    assert Request.private_objects.get(pk=request.pk).due_at is None
    assert "No due date" in page(client, request.pk)


# Response templates -------------------------------------------------------------------------


@pytest.fixture
def templates(place: Any) -> dict[str, ResponseTemplate]:
    make = ResponseTemplate.objects.create
    return {
        "any": make(body=place.county_council, title="Thanks", text="Thank you for telling us."),
        "fixed": make(
            body=place.county_council,
            category=place.pothole,
            status=Status.FIXED,
            title="Pothole filled",
            text="We filled this pothole today.",
        ),
        "scheduled": make(
            body=place.county_council,
            category=place.pothole,
            status=Status.ACTION_SCHEDULED,
            title="Booked",
            text="A crew is booked to fill it.",
        ),
        "lights": make(
            body=place.county_council,
            category=place.streetlight,
            title="Lamp",
            text="An electrician will visit.",
        ),
        "west": make(body=place.west_council, title="West", text="West words."),
    }


def status_form(html: str) -> str:
    found = re.search(
        r'<form method="post" action="/staff/requests/\d+/status".*?</form>', html, re.S
    )
    assert found is not None
    return found.group(0)


def test_templates_that_fit_are_offered(client: Client, place, make_request, templates) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    form = status_form(page(client, request.pk))
    fitting, others = form.split("Templates for other statuses")
    # The request is new: templates for any status fit; those for other statuses wait below.
    assert "Thanks" in fitting
    assert "Pothole filled" in others and "Booked" in others
    assert "Pothole filled" not in fitting
    # Another category's and another body's templates are not offered at all.
    assert "Lamp" not in form and "West" not in form
    assert (
        f'href="/staff/requests/{request.pk}?template={templates["fixed"].pk}#status-message"'
        in form
    )


def test_choosing_a_template_fills_the_message_and_status(
    client: Client, place, make_request, templates
) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = page(client, request.pk, template=str(templates["fixed"].pk))
    form = status_form(html)
    assert selected_value(form, "status") == "fixed"
    assert re.search(r"<textarea[^>]*>\s*We filled this pothole today.</textarea>", form)
    fitting, _ = form.split("Templates for other statuses")
    assert "Pothole filled" in fitting
    # Nothing is published until the form is sent, and then through the usual service.
    assert not Update.public_objects.filter(kind=UpdateKind.STATUS).exists()
    response = client.post(
        reverse("staff:request_status", args=[request.pk]),
        {"status": "fixed", "message": "We filled this pothole today."},
    )
    assert response.status_code == 302
    assert Update.public_objects.get(kind=UpdateKind.STATUS).text == "We filled this pothole today."


def test_other_bodies_templates_cannot_be_chosen(
    client: Client, place, make_request, templates
) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    for wanted in (str(templates["west"].pk), str(templates["lights"].pk), "x", "99999"):
        form = status_form(page(client, request.pk, template=wanted))
        assert selected_value(form, "status") == "new"
        assert "West words." not in form and "An electrician" not in form
        assert re.search(r'<textarea[^>]*name="message"[^>]*>\s*</textarea>', form)


def test_templates_script_is_loaded_with_the_nonce(
    client: Client, place, make_request, templates
) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    response = client.get(workspace(request.pk))
    html = response.content.decode()
    script = re.search(
        r'<script type="module" src="([^"]*response-templates\.js)" nonce="([^"]+)">', html
    )
    assert script is not None
    assert f"'nonce-{script.group(2)}'" in response["Content-Security-Policy"]
    assert client.get(script.group(1)).status_code == 200


def test_no_templates_no_script(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = page(client, request.pk)
    assert "response-templates.js" not in html
    assert "Start from a response template" not in html


# Audit log ----------------------------------------------------------------------------------


def test_audit_log_lists_workflow_changes_for_managers(
    client: Client, place, make_request, manager
) -> None:
    request = make_request(days_old=3)
    request_assign(request=request, actor=manager, assignee=place.county_inspector)
    request_set_priority(request=request, actor=place.county_inspector, priority=Priority.LOW)
    request_set_due(request=request, actor=manager, due_at=timezone.now() + timedelta(days=9))
    assert AuditEntry.objects.count() == 3
    client.force_login(manager)
    html = page(client, request.pk)
    audit = re.search(r'<table class="govuk-table openlocal-audit">.*?</table>', html, re.S)
    assert audit is not None
    text = re.sub(r"\s+", " ", audit.group(0))
    assert "Assignment changed" in text and "From nobody to Ivy Inspector" in text
    assert "Priority changed" in text and "From Normal to Low" in text
    assert "Due date changed" in text and "From none to " in text
    assert "Mona" in text and "Ivy Inspector" in text

    client.force_login(place.county_inspector)
    assert "openlocal-audit" not in page(client, request.pk)


def test_forms_follow_the_role_for_workflow(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    cases = {
        Role.VIEWER: set(),
        Role.INSPECTOR: {"assign", "priority"},
        Role.MANAGER: {"assign", "priority", "due"},
        Role.ADMINISTRATOR: {"assign", "priority", "due"},
    }
    for role, expected in cases.items():
        client.force_login(staff_user(f"user-{role}", role))
        html = page(client, request.pk)
        for action in ("assign", "priority", "due"):
            url = reverse(f"staff:request_{action}", args=[request.pk])
            assert (f'action="{url}"' in html) == (action in expected), (role, action)


def test_workspace_ids_are_unique(client: Client, place, make_request, manager) -> None:
    """Each label points at one control: no id is used twice on the page."""
    request = make_request()
    client.force_login(manager)
    html = page(client, request.pk)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
