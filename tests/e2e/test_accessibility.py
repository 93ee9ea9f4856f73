"""axe-core finds no WCAG 2.x level A or AA failure on the pages people use most."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .axe import assert_accessible, wcag_violations
from .browser import Site

pytestmark = pytest.mark.e2e


def start_report(page: Page, latitude: str = "50.7123", longitude: str = "-3.5512") -> None:
    page.goto("/report/")
    page.get_by_role("textbox", name="Latitude").fill(latitude)
    page.get_by_role("textbox", name="Longitude").fill(longitude)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/report/category"))


def test_home(page: Page, site: Site) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_report_location(page: Page, site: Site) -> None:
    page.goto("/report/")
    expect(page.get_by_role("textbox", name="Latitude")).to_be_visible()
    assert_accessible(page)


def test_report_location_with_errors(page: Page, site: Site) -> None:
    page.goto("/report/")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_report_category(page: Page, site: Site) -> None:
    start_report(page)
    expect(page.get_by_label("Pothole", exact=True)).to_be_visible()
    assert_accessible(page)


def test_report_details(page: Page, site: Site) -> None:
    start_report(page)
    page.get_by_label("Pothole", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/report/details"))
    assert_accessible(page)
    # Errors must be announced accessibly too.
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_report_asset(page: Page, site: Site) -> None:
    """Streetlights are assets: the journey asks which one, nearest first."""
    start_report(page, "50.7001", "-3.5501")
    page.get_by_label("Street light not working", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/report/asset"))
    expect(page.get_by_label("Column 1, High Street")).to_be_visible()
    assert_accessible(page)


def test_request_page(page: Page, site: Site) -> None:
    page.goto(site.noted.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.noted.title)
    assert site.note_text not in page.content()
    assert_accessible(page)


def test_browse(page: Page, site: Site) -> None:
    page.goto("/requests/")
    expect(page.locator("main")).to_contain_text(site.requests[1].title)
    assert_accessible(page)


@pytest.mark.parametrize(
    "where",
    ["places", "around", "area", "body", "category", "asset"],
)
def test_other_public_pages(page: Page, site: Site, where: str) -> None:
    place = site.place
    url, heading = {
        "places": ("/places/", None),
        "around": ("/around?lat=50.71&lon=-3.56", None),
        "area": (place.west.get_absolute_url(), place.west.name),
        "body": (place.county_council.get_absolute_url(), place.county_council.name),
        "category": (place.pothole.get_absolute_url(), place.pothole.name),
        "asset": (place.lamp.get_absolute_url(), place.lamp.name),
    }[where]
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response}"
    if heading:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page)


def test_staff_login_with_errors(page: Page, site: Site, staff_login) -> None:
    staff_login(page, password="wrong")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_staff_queue(page: Page, site: Site, staff_login) -> None:
    staff_login(page)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("main")).to_contain_text(site.noted.title)
    assert_accessible(page)


def test_the_check_can_fail(browser) -> None:
    """The axe check itself reports an unlabelled field, an image without text and so on."""
    context = browser.new_context(java_script_enabled=True)
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>'
            '<img src="data:,"><input type="text"></main></body></html>'
        )
        ids = {violation["id"] for violation in wcag_violations(page)}
    finally:
        context.close()
    assert {"image-alt", "label"} <= ids


def test_staff_workspace(page: Page, site: Site, staff_login) -> None:
    """Staff see the internal note that the public page never shows."""
    staff_login(page)
    page.get_by_role("link", name=site.noted.title).click()
    expect(page).to_have_url(re.compile(rf"/staff/requests/{site.noted.pk}$"))
    expect(page.locator("main")).to_contain_text(site.note_text)
    assert_accessible(page)
