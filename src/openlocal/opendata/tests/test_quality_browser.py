"""/data/quality in a real browser: no WCAG A or AA failure, nothing blocked by the CSP.

Chromium is driven by Playwright against pytest-django's live server, as in ``tests/e2e``;
these tests skip, saying why, where Chromium is not installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from openlocal.opendata.tests.test_quality_checks import build_bad_place
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser: Browser, live_server: Any, place: Any, transactional_db: None) -> Iterator[Page]:
    build_bad_place(place)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert blocked == [], blocked


def test_the_public_report_is_accessible(page: Page) -> None:
    page.goto("/data/quality")
    expect(page.get_by_role("heading", level=1, name="Data quality")).to_be_visible()
    expect(page.get_by_role("table", name="Summary")).to_be_visible()
    expect(page.get_by_role("link", name="Areas with an invalid boundary")).to_be_visible()
    assert_accessible(page)


def test_the_staff_report_is_accessible_and_links_to_the_workspace(page: Page) -> None:
    page.goto("/staff/login")
    page.get_by_role("textbox", name="Email address").fill("manager@west.example")
    page.get_by_role("textbox", name="Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/data/quality")
    expect(page.get_by_text("You are signed in as staff")).to_be_visible()
    assert_accessible(page)
    page.get_by_role(
        "link", name=re.compile(r"^Open in the staff workspace for #\d+ Bins missed for weeks$")
    ).click()
    expect(page).to_have_url(re.compile(r"/staff/requests/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bins missed for weeks")
