"""Staff triage in a real browser: bulk changes from the queue, a saved view, and response
templates filling the message with and without JavaScript; axe checks each page (axe runs
in the page, so only where JavaScript is on)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Priority, Request, Status
from openlocal.staff.models import ResponseTemplate
from tests.e2e.axe import assert_accessible
from tests.e2e.browser import Browsing, Site

pytestmark = pytest.mark.e2e


@pytest.fixture
def manager(site: Site) -> Any:
    user = get_user_model().objects.create_user(
        "manager@testshire.example",
        email="manager@testshire.example",
        password="pw",
        first_name="Mona",
        last_name="Manager",
    )
    Membership.objects.create(user=user, body=site.place.county_council, role=Role.MANAGER)
    return user


def test_bulk_priority_and_a_saved_view(browsing: Browsing, site: Site, staff_login) -> None:
    pothole = site.requests[0]
    # With JavaScript, so that axe can run; the forms are plain HTML forms either way.
    page = browsing.new_page(javascript=True)
    staff_login(page)
    page.goto("/staff/")
    assert_accessible(page)
    page.get_by_label(f"Select request {pothole.pk}").check()
    page.get_by_label("New priority").select_option(label="Urgent")
    page.get_by_role("button", name="Set priority").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "1 request set to urgent priority."
    )
    assert Request.private_objects.get(pk=pothole.pk).priority == Priority.URGENT

    # Nothing ticked: the error summary says so, and links to the first checkbox.
    page.get_by_label("New status").select_option(label="Investigating")
    page.get_by_role("button", name="Change status").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select at least one request")
    assert_accessible(page)

    page.goto("/staff/")
    page.get_by_label("Priority", exact=True).select_option(label="Urgent")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_text("Save these filters as a view").click()
    page.get_by_label("Name for this view").fill("Urgent work")
    page.get_by_label("Everyone on the staff of Testshire County Council").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Saved the view “Urgent work” and shared it with Testshire County Council."
    )
    page.goto("/staff/")
    page.get_by_role("link", name="Urgent work").click()
    expect(page).to_have_url(re.compile(r"/staff/\?priority=3$"))
    expect(page.locator("table.openlocal-queue tbody tr")).to_have_count(1)
    assert_accessible(page)


def _templates(site: Site) -> tuple[ResponseTemplate, ResponseTemplate]:
    council = site.place.county_council
    fixed = ResponseTemplate.objects.create(
        body=council,
        category=site.place.pothole,
        status=Status.FIXED,
        title="Pothole filled",
        text="We filled this pothole today. Thank you for reporting it.",
    )
    thanks = ResponseTemplate.objects.create(
        body=council, title="Thanks, looking", text="Thank you: we are looking into it."
    )
    return fixed, thanks


def test_templates_fill_the_message_at_once_with_javascript(
    browsing: Browsing, site: Site, staff_login
) -> None:
    fixed, thanks = _templates(site)
    pothole = site.requests[0]
    page = browsing.new_page(javascript=True)
    staff_login(page)
    page.goto(f"/staff/requests/{pothole.pk}")
    form = page.locator(f'form[action="/staff/requests/{pothole.pk}/status"]')
    # The request is new: only the template for any status is offered straight away.
    fitting = form.locator("[data-templates-fitting]")
    expect(fitting.get_by_role("link", name="Thanks, looking")).to_be_visible()
    expect(fitting.get_by_role("link", name="Pothole filled")).to_have_count(0)

    form.get_by_label("Status", exact=True).select_option(label="Fixed")
    expect(fitting.get_by_role("link", name="Pothole filled")).to_be_visible()
    url = page.url
    fitting.get_by_role("link", name="Pothole filled").click()
    message = form.get_by_label("Public message (optional)")
    expect(message).to_have_value(fixed.text)
    expect(message).to_be_focused()
    assert page.url == url  # filled in place, no reload
    assert_accessible(page)

    form.get_by_role("button", name="Save and publish").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Status changed to Fixed.")
    assert Request.private_objects.get(pk=pothole.pk).status == Status.FIXED
    assert thanks.pk  # offered, not used


def test_templates_reload_the_workspace_without_javascript(
    browsing: Browsing, site: Site, staff_login
) -> None:
    fixed, _ = _templates(site)
    pothole = site.requests[0]
    page = browsing.new_page(javascript=False)
    staff_login(page)
    page.goto(f"/staff/requests/{pothole.pk}")
    page.get_by_text("Templates for other statuses").click()
    page.get_by_role("link", name="Pothole filled").click()
    expect(page).to_have_url(re.compile(rf"/staff/requests/{pothole.pk}\?template={fixed.pk}"))
    form = page.locator(f'form[action="/staff/requests/{pothole.pk}/status"]')
    expect(form.get_by_label("Public message (optional)")).to_have_value(fixed.text)
    expect(form.get_by_label("Status", exact=True)).to_have_value("fixed")


def test_manager_workspace_and_templates_page(
    browsing: Browsing, site: Site, staff_login, manager
) -> None:
    pothole = site.requests[0]
    page = browsing.new_page(javascript=True)
    staff_login(page, "manager@testshire.example", "pw")
    page.goto("/staff/templates/")
    assert_accessible(page)
    page.get_by_role("button", name="Add a template").click()
    page.get_by_label("Title").fill("Booked")
    page.get_by_label("Category (optional)").select_option(label="Pothole")
    page.get_by_label("Message").fill("A crew is booked to fill this.")
    assert_accessible(page)
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Added the template “Booked”."
    )

    page.goto(f"/staff/requests/{pothole.pk}")
    page.get_by_label("Assigned to", exact=True).select_option(label="Ivy Inspector")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Request assigned to Ivy Inspector."
    )
    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2099")
    page.get_by_role("button", name="Save due date").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a real date")
    assert_accessible(page)
    page.get_by_label("Day").fill("28")
    page.get_by_role("button", name="Save due date").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Due date set to 28 February 2099."
    )
    audit = page.locator("table.openlocal-audit")
    expect(audit).to_contain_text("From nobody to Ivy Inspector")
    expect(audit).to_contain_text("Due date changed")
    assert_accessible(page)
