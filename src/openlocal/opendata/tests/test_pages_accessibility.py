"""axe-core finds no WCAG 2.x A or AA failure on the open data pages, in a real browser.

Uses the browser tests' fixtures (``tests/e2e/browser.py``): one Chromium for the session, a fresh
context per test, and a failure for anything the page's Content Security Policy blocks.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from openlocal.opendata.snapshots import snapshot_build
from tests.e2e.axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_open_data_pages_are_accessible(request, published, snapshot_dir) -> None:
    browser_page = request.getfixturevalue("page")
    snapshot_build()
    for path, heading in [
        ("/data/", "Open data"),
        ("/data/requests", "Service requests"),
        ("/data/areas", "Areas"),
        ("/data/statistics", "Statistics"),
        ("/data/dictionary", "Data dictionary"),
        ("/data/dictionary/requests", "Data dictionary: Service requests"),
        ("/data/snapshots/", "Daily snapshots"),
    ]:
        browser_page.goto(path)
        expect(browser_page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(browser_page)


def test_filtering_a_download_without_errors_and_with(request, published) -> None:
    browser_page = request.getfixturevalue("page")
    browser_page.goto("/data/requests")
    browser_page.get_by_label("Status").select_option("open")
    browser_page.get_by_label("Category").select_option("POT")
    browser_page.get_by_role("button", name="Show the filtered downloads").click()
    link = browser_page.get_by_role("list", name="Service requests, filtered").get_by_role(
        "link", name="CSV"
    )
    expect(link).to_have_attribute("href", "/data/requests.csv?status=open&category=POT")
    assert_accessible(browser_page)
    browser_page.get_by_label("Changed since").fill("last week")
    browser_page.get_by_role("button", name="Show the filtered downloads").click()
    expect(browser_page.locator(".govuk-error-summary")).to_contain_text(
        "updated_since=last week is not a date"
    )
    assert_accessible(browser_page)
