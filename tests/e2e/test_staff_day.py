"""A day of staff work in a real browser, from the morning's triage to the last closing.

A manager triages the queue (most demand first), raises the priority of two reports of the
same pothole and assigns the original to an inspector. The inspector finds it under
"assigned to me", acknowledges it with a response template, merges the second report
into it, and closes it as fixed with another template. The public page then shows the
answers, and none of the staff's private working. axe-core checks every staff page on the
way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Priority, Request, Status
from openlocal.requests.services import request_create, request_support
from openlocal.staff.models import ResponseTemplate

from .axe import assert_accessible
from .browser import STAFF_PASSWORD, Browsing, Site

pytestmark = pytest.mark.e2e

LOOKING = "Thank you: an inspector will look at this pothole within two working days."
FILLED = "We filled this pothole today. Thank you for reporting it."


@pytest.fixture
def day(site: Site) -> dict[str, Any]:
    place = site.place
    manager = get_user_model().objects.create_user(
        "mona@testshire.example",
        email="mona@testshire.example",
        password="pw",
        first_name="Mona",
        last_name="Manager",
    )
    Membership.objects.create(user=manager, body=place.county_council, role=Role.MANAGER)
    council = place.county_council
    ResponseTemplate.objects.create(
        body=council,
        category=place.pothole,
        status=Status.ACKNOWLEDGED,
        title="Inspection booked",
        text=LOOKING,
    )
    ResponseTemplate.objects.create(
        body=council, category=place.pothole, status=Status.FIXED, title="Filled", text=FILLED
    )
    original = site.requests[0]
    second = request_create(
        category=place.pothole,
        latitude=50.71003,
        longitude=-3.56002,
        title="Huge hole by the bakery",
        description="Nearly lost a wheel in it this morning.",
        answers={"depth": "deep"},
        reporter_email="driver@example.org",
        notify=False,
    )
    # The original has the most demand: two neighbours said "me too".
    for browser_session in ("neighbour-1", "neighbour-2"):
        request_support(request=original, session_key=browser_session)
    return {"original": original, "second": second}


def sign_in(page: Page, email: str, password: str = STAFF_PASSWORD) -> None:
    page.goto("/staff/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def banner(page: Page) -> Any:
    return page.locator(".govuk-notification-banner")


def test_a_day_of_staff_work(browsing: Browsing, site: Site, day: dict[str, Any]) -> None:
    original: Request = day["original"]
    second: Request = day["second"]

    # Morning triage: the manager sorts the open requests by demand.
    manager = browsing.new_page(javascript=True)
    sign_in(manager, "mona@testshire.example")
    manager.goto("/staff/")
    assert_accessible(manager)
    manager.get_by_label("Sort by").select_option(label="Most demand (supporters and followers)")
    manager.get_by_role("button", name="Apply filters").click()
    rows = manager.locator("table.openlocal-queue tbody tr")
    expect(rows.first).to_contain_text(original.title)

    # Both reports of the pothole become high priority in one go.
    manager.get_by_label(f"Select request {original.pk}").check()
    manager.get_by_label(f"Select request {second.pk}").check()
    manager.get_by_label("New priority").select_option(label="High")
    manager.get_by_role("button", name="Set priority").click()
    expect(banner(manager)).to_contain_text("2 requests set to high priority.")
    assert_accessible(manager)

    # The original goes to the inspector.
    manager.goto(f"/staff/requests/{original.pk}")
    manager.get_by_label("Assigned to", exact=True).select_option(label="Ivy Inspector")
    manager.get_by_role("button", name="Save assignment").click()
    expect(banner(manager)).to_contain_text("Request assigned to Ivy Inspector.")
    assert_accessible(manager)

    # The inspector finds it among the requests assigned to her.
    inspector = browsing.new_page(javascript=True)
    sign_in(inspector, "inspector@testshire.example")
    inspector.goto("/staff/")
    inspector.get_by_label("Assigned to", exact=True).select_option(label="Me")
    inspector.get_by_role("button", name="Apply filters").click()
    mine = inspector.locator("table.openlocal-queue tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text(original.title)
    expect(mine.first).to_contain_text("High")
    assert_accessible(inspector)
    mine.first.get_by_role("link", name=re.compile(re.escape(original.title))).click()
    expect(inspector).to_have_url(re.compile(rf"/staff/requests/{original.pk}$"))

    # She acknowledges it with the template for that status.
    status_form = inspector.locator(f'form[action="/staff/requests/{original.pk}/status"]')
    status_form.get_by_label("Status", exact=True).select_option(label="Acknowledged")
    status_form.locator("[data-templates-fitting]").get_by_role(
        "link", name="Inspection booked"
    ).click()
    expect(status_form.get_by_label("Public message (optional)")).to_have_value(LOOKING)
    status_form.get_by_role("button", name="Save and publish").click()
    expect(banner(inspector)).to_contain_text("Status changed to Acknowledged.")
    assert_accessible(inspector)

    # The second report is the same pothole: she merges it into the original.
    inspector.goto(f"/staff/requests/{second.pk}")
    inspector.locator("#merge").get_by_role(
        "link", name=re.compile(rf"Merge into request {original.pk}")
    ).click()
    expect(inspector.get_by_role("heading", level=1)).to_contain_text("Check before merging")
    assert_accessible(inspector)
    inspector.get_by_role(
        "button", name=f"Merge request {second.pk} into request {original.pk}"
    ).click()
    expect(inspector.locator("main")).to_contain_text(
        f"is now a duplicate of request {original.pk}"
    )

    # The crew has been: she closes the original as fixed with the other template.
    inspector.goto(f"/staff/requests/{original.pk}")
    status_form.get_by_label("Status", exact=True).select_option(label="Fixed")
    status_form.locator("[data-templates-fitting]").get_by_role("link", name="Filled").click()
    status_form.get_by_role("button", name="Save and publish").click()
    expect(banner(inspector)).to_contain_text("Status changed to Fixed.")
    assert_accessible(inspector)

    stored = Request.private_objects.get(pk=original.pk)
    assert stored.status == Status.FIXED
    assert stored.priority == Priority.HIGH
    assert stored.assigned_to == site.place.county_inspector
    merged = Request.private_objects.get(pk=second.pk)
    assert (merged.status, merged.duplicate_of_id) == (Status.DUPLICATE, original.pk)

    # The public sees the answers and the merge, and none of the staff's working.
    public = browsing.new_page(javascript=False)
    public.goto(f"/requests/{original.pk}")
    main = public.locator("main")
    expect(main).to_contain_text(LOOKING)
    expect(main).to_contain_text(FILLED)
    expect(main).to_contain_text(f"Request #{second.pk} was merged into this one")
    html = public.content()
    # Public updates carry their author's name; assignment and priority are internal.
    for private in (
        "Assigned",
        "Mona",
        "High priority",
        site.note_text,
        "driver@example.org",
        "baker@example.org",
    ):
        assert private not in html, f"{private!r} is on the public page"
