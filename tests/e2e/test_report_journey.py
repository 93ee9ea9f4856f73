"""A resident reports a pothole from the home page to the public request page.

The same journey runs with JavaScript on (the map is shown as an enhancement) and off (the
location form and lists do everything). Map tiles never load here, and nothing depends on them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from openlocal.requests.models import Request

from .axe import assert_accessible
from .browser import Browsing

pytestmark = pytest.mark.e2e

REPORTER_EMAIL = "rosa.reporter@example.net"
REPORTER_NAME = "Rosa Reporter"
TITLE = "Pothole by the school gates"
DESCRIPTION = "A deep hole in the road where children cross; a cyclist nearly fell in."
#: A point in West Testshire, where the county handles potholes.
LATITUDE, LONGITUDE = "50.7123", "-3.5512"
#: The map is markup hidden by default; map.js un-hides it when scripts run.
MAP = "[data-ol-map]"


def continue_(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^(Continue|Save and continue)$")).click()
    page.wait_for_load_state()


def report_pothole(page: Page, jpeg: Path, *, javascript: bool) -> int:
    """Walk the whole journey; returns the new request's number from the confirmation.

    With JavaScript on, the pages that have no accessibility test of their own (about you,
    check answers, confirmation) are checked with axe on the way.
    """
    page.goto("/")
    page.get_by_role("button", name="Report a problem").click()
    expect(page).to_have_url(re.compile(r"/report/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # Location: the map is an enhancement; the coordinates fields always work.
    map_container = page.locator(MAP).first
    if javascript:
        expect(map_container).to_be_visible()
    else:
        expect(map_container).to_be_hidden()
    page.get_by_role("textbox", name="Latitude").fill(LATITUDE)
    page.get_by_role("textbox", name="Longitude").fill(LONGITUDE)
    continue_(page)

    # Category: only what someone handles here is offered.
    expect(page).to_have_url(re.compile(r"/report/category"))
    page.get_by_label("Pothole", exact=True).check()
    continue_(page)

    # Details, the category's own question, and a photo.
    expect(page).to_have_url(re.compile(r"/report/details"))
    page.get_by_label("Summary", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill(DESCRIPTION)
    page.get_by_role("group", name="How deep is it?").get_by_label("5 cm or deeper").check()
    page.get_by_label("Add photos").set_input_files(str(jpeg))
    continue_(page)

    # About you: a name to show, and an email for updates.
    expect(page).to_have_url(re.compile(r"/report/about-you"))
    if javascript:
        assert_accessible(page)
    page.get_by_label("Your name (optional)").fill(REPORTER_NAME)
    page.get_by_label("Yes, show my name").check()
    page.get_by_label("Email address to get updates (optional)").fill(REPORTER_EMAIL)
    continue_(page)

    # Check answers, then send.
    expect(page).to_have_url(re.compile(r"/report/check"))
    summary = page.locator(".govuk-summary-list")
    expect(summary.first).to_be_visible()
    expect(page.locator("main")).to_contain_text(TITLE)
    expect(page.locator("main")).to_contain_text("Pothole")
    expect(page.locator("main")).to_contain_text("5 cm or deeper")
    if javascript:
        assert_accessible(page)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()

    expect(page).to_have_url(re.compile(r"/report/done/\d+"))
    number = int(re.search(r"/report/done/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    panel = page.locator(".govuk-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(f"#{number}")
    if javascript:
        assert_accessible(page)
    return number


def assert_public_page(page: Page, number: int, *, javascript: bool) -> None:
    """Follow the confirmation's link to the public page, as the reporter would."""
    page.locator(f'main a[href="/requests/{number}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/requests/{number}$"))
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(main).to_contain_text(DESCRIPTION)
    expect(page.locator(".govuk-tag", has_text=re.compile(r"^\s*New\s*$")).first).to_be_visible()
    expect(main).to_contain_text(REPORTER_NAME)
    expect(main).to_contain_text("5 cm or deeper")
    photo = main.locator("img[src*='/media/']").first
    expect(photo).to_be_visible()
    served = page.request.get(photo.get_attribute("src") or "")
    assert served.ok, f"the photo did not load: {served.status}"
    assert served.headers["content-type"].startswith("image/")
    map_container = page.locator(MAP).first
    if javascript:
        expect(map_container).to_be_visible()
        assert_accessible(page)
    else:
        expect(map_container).to_be_hidden()
    html = page.content()
    assert REPORTER_EMAIL not in html
    assert "rosa.reporter" not in html


def assert_recorded(number: int) -> None:
    request = Request.private_objects.select_related("reporter").get(pk=number)
    assert request.title == TITLE
    assert request.category.slug == "pothole"
    assert request.answers == {"depth": "deep"}
    assert request.reporter is not None and request.reporter.email == REPORTER_EMAIL
    assert abs(request.latitude - float(LATITUDE)) < 1e-6
    assert abs(request.longitude - float(LONGITUDE)) < 1e-6
    assert request.photos.count() == 1


def test_report_journey_with_javascript(browsing: Browsing, site, jpeg: Path) -> None:
    page = browsing.new_page(javascript=True)
    number = report_pothole(page, jpeg, javascript=True)
    assert_recorded(number)
    assert_public_page(page, number, javascript=True)
    assert not browsing.problems.errors, browsing.problems.errors


def test_report_journey_without_javascript(browsing: Browsing, site, jpeg: Path) -> None:
    page = browsing.new_page(javascript=False)
    number = report_pothole(page, jpeg, javascript=False)
    assert_recorded(number)
    assert_public_page(page, number, javascript=False)
