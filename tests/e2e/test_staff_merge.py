"""An inspector merges a duplicate into the original, checks both pages, and undoes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openlocal.requests.models import Request
from openlocal.requests.services import request_create, request_support

from .axe import assert_accessible
from .browser import Browsing, Site

pytestmark = pytest.mark.e2e


def test_merge_and_undo(browsing: Browsing, site: Site, staff_login) -> None:
    original = site.requests[0]
    copy = request_create(
        category=site.place.pothole,
        latitude=50.71009,
        longitude=-3.56,
        title="Hole outside the bakery",
        description="Big hole in the road by the bakery.",
        answers={"depth": "deep"},
        reporter_email="second@example.org",
        notify=False,
    )
    request_support(request=copy, session_key="a-browser")
    page = browsing.new_page(javascript=True)
    staff_login(page)
    page.goto(f"/staff/requests/{copy.pk}")
    merge = page.locator("#merge")
    expect(merge).to_contain_text("Merge into another request")
    merge.get_by_role("link", name=re.compile(rf"Merge into request {original.pk}")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Check before merging")
    main = page.locator("main")
    expect(main).to_contain_text(f"1 follower will move to request {original.pk}")
    expect(main).to_contain_text(f"1 supporter will move to request {original.pk}")
    assert_accessible(page)
    page.get_by_role("button", name=f"Merge request {copy.pk} into request {original.pk}").click()

    expect(page).to_have_url(re.compile(rf"/staff/requests/{copy.pk}$"))
    expect(main).to_contain_text(f"is now a duplicate of request {original.pk}")
    assert_accessible(page)

    page.goto(f"/requests/{copy.pk}")
    banner = page.locator(".govuk-notification-banner").first
    expect(banner).to_contain_text(f"This request is a duplicate of #{original.pk}")
    assert_accessible(page)
    banner.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/requests/{original.pk}$"))
    expect(page.locator("main")).to_contain_text(f"Request #{copy.pk} was merged into this one")

    page.goto(f"/staff/requests/{copy.pk}")
    page.get_by_role("button", name="Undo merge").click()
    expect(page.locator("main")).to_contain_text("Merge undone")
    copy.refresh_from_db()
    assert copy.duplicate_of_id is None and copy.status == "new"
    assert (copy.follower_count, copy.supporter_count) == (1, 1)
    original = Request.private_objects.get(pk=original.pk)
    assert original.supporter_count == 0

    page.goto(f"/requests/{copy.pk}")
    expect(page.locator("main")).to_contain_text(f"No longer a duplicate of request #{original.pk}")
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
