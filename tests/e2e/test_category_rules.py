"""In a real browser: a stop notice instead of the form, a photo the details insist on, and a
private report from the first question to its own page, each page checked with axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from openlocal.requests.tests.category_rules import GAS_NOTICE, rule_categories

from .axe import assert_accessible
from .browser import Browsing

pytestmark = pytest.mark.e2e


@pytest.fixture
def rules(place, transactional_db):
    return rule_categories(place)


def choose(page: Page, category: str) -> None:
    page.goto("/report/")
    page.get_by_role("textbox", name="Latitude").fill("50.7123")
    page.get_by_role("textbox", name="Longitude").fill("-3.5512")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(category, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def test_a_gas_leak_shows_the_emergency_notice_and_no_form(page: Page, rules) -> None:
    choose(page, "Gas leak")

    expect(page).to_have_url(re.compile(r"/report/not-here$"))
    expect(page.locator(".govuk-warning-text")).to_contain_text("0800 111 999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Do not report this here")
    expect(page.locator("main form")).to_have_count(0)
    assert GAS_NOTICE in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Choose a different problem").click()
    expect(page).to_have_url(re.compile(r"/report/category$"))


def test_a_photo_category_asks_again_until_a_photo_is_added(page: Page, rules, jpeg: Path) -> None:
    choose(page, "Abandoned vehicle")
    page.get_by_label("Summary").fill("Abandoned car on Mill Lane")
    page.get_by_label("Description").fill("Untaxed and not moved for two months.")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Add a photo")
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("Add a photo")).click()
    expect(page.locator("#id_photos")).to_be_focused()

    page.locator("#id_photos").set_input_files(str(jpeg))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/report/about-you$"))


def test_a_private_report_from_start_to_its_own_page(page: Page, browsing: Browsing, rules) -> None:
    choose(page, "Discarded needles")
    expect(page.locator(".govuk-inset-text")).to_contain_text("are private")
    assert_accessible(page)
    page.get_by_label("Summary").fill("Needles under the swings")
    page.get_by_label("Description").fill("Three syringes in the bark under the swings.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("No, stay anonymous").check()
    page.get_by_label(re.compile("Email address")).fill("parent@example.org")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("main")).to_contain_text("only you and the staff of West Testshire")
    assert_accessible(page)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Report sent")
    expect(page.locator("main")).to_contain_text("Your report is private")

    page.locator("main a[href^='/requests/']").first.click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Only you and the staff of West Testshire District Council")
    expect(page.get_by_role("heading", level=1)).to_have_text("Needles under the swings")
    assert_accessible(page)

    stranger = browsing.new_page()
    response = stranger.goto(page.url)
    assert response is not None and response.status == 404
    expect(stranger.locator("main")).not_to_contain_text("Needles under the swings")
