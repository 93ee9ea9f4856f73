"""An administrator creates a key in a real browser, copies it, and revokes it; every page
passes axe (WCAG 2.2 A and AA)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from openlocal.apikeys.services import apikey_authenticate
from openlocal.apikeys.tests.conftest import staff_user
from openlocal.places.models import Role
from tests.e2e.axe import assert_accessible
from tests.e2e.browser import Browsing

pytestmark = pytest.mark.e2e

__all__ = ["staff_user"]  # a fixture, used by name


def test_create_copy_and_revoke_a_key(
    browsing: Browsing, place: Any, staff_user: Any, staff_login: Any
) -> None:
    staff_user("Ada", Role.ADMINISTRATOR)
    page = browsing.new_page(javascript=True)
    staff_login(page, "Ada@example.org", "pw")
    page.goto("/staff/api-keys/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("API keys")
    expect(page.locator("main")).to_contain_text("No keys yet")
    assert_accessible(page)

    page.get_by_role("button", name="Create an API key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an API key")
    assert_accessible(page)
    page.get_by_role("button", name="Create key").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a name for the key")
    expect(summary).to_contain_text("Select at least one thing the key may do")
    assert_accessible(page)

    page.get_by_label("Name", exact=True).fill("Fix-it app")
    page.get_by_label("Body", exact=True).select_option(label="Testshire County Council")
    page.get_by_label("Submit requests").check()
    page.get_by_label("Act for a body").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator(".govuk-panel")).to_contain_text("API key created")
    raw = page.locator("#api-key").inner_text().strip()
    assert re.fullmatch(r"ol_[A-Za-z0-9_\-]{40,}", raw)
    key = apikey_authenticate(raw)
    assert key is not None and key.scopes == ["body", "submit"]
    expect(page.locator("main")).to_contain_text("This is the only time it is shown")
    assert_accessible(page)

    page.get_by_role("button", name="I have copied the key").click()
    expect(page).to_have_url(re.compile(r"/staff/api-keys/$"))
    assert raw not in page.content()
    expect(page.locator("main")).to_contain_text(key.prefix)
    assert_accessible(page)

    page.get_by_role("link", name="Revoke the key “Fix-it app”").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the API key")
    assert_accessible(page)
    page.get_by_role("button", name="Revoke key").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Revoked “Fix-it app”")
    expect(page.locator("tbody")).to_contain_text("Revoked")
    assert_accessible(page)
    assert apikey_authenticate(raw) is None


def test_other_staff_are_told_who_can_manage_keys(
    browsing: Browsing, place: Any, staff_login: Any
) -> None:
    page = browsing.new_page(javascript=True)
    staff_login(page)  # the county inspector
    response = page.goto("/staff/api-keys/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Only administrators can manage API keys"
    )
    assert_accessible(page)
