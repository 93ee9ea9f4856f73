"""An administrator sets up an Open311 link and tests it in a real browser, with and without
JavaScript; every page passes axe (WCAG 2.2 A and AA) where scripts run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from openlocal.backoffice.models import BackOfficeLink
from tests.e2e.axe import assert_accessible
from tests.e2e.browser import Browsing

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_set_up_and_test_an_open311_link(
    browsing: Browsing,
    live_server: Any,
    back_office: Any,
    staff_login: Any,
    javascript: bool,
) -> None:
    page = browsing.new_page(javascript=javascript)

    def accessible() -> None:
        if javascript:  # axe runs as a script in the page
            assert_accessible(page)

    staff_login(page, "ada@testshire.example", "pw")
    page.get_by_role("link", name="Back-office links").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Back-office link")
    expect(page.locator("main")).to_contain_text("has no back-office link")
    accessible()

    page.get_by_role("button", name="Set up a back-office link").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose how the body receives its requests"
    )
    accessible()

    page.get_by_label("In its own Open311 server").check()
    page.get_by_label("Endpoint address").fill(f"{live_server.url}/open311/v2")
    page.get_by_label("API key").fill(back_office.api_key)
    page.get_by_label("Service codes (optional)").fill("POT=HWY-POT")
    page.get_by_label("Send requests through this link").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/staff/back-office/testshire/$"))
    expect(page.locator("main")).to_contain_text(f"Set, ending in …{back_office.api_key[-4:]}")
    assert back_office.api_key not in page.content()
    assert BackOfficeLink.objects.get().endpoint == f"{live_server.url}/open311/v2"
    accessible()

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works")
    expect(page.locator("#test-result")).to_contain_text("HWY-POT (Carriageway defect)")
    accessible()
