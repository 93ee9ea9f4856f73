"""/performance/ in a real browser: accessible (axe-core, WCAG 2.2 A and AA), sortable and
downloadable without JavaScript."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from openlocal.performance.rollups import rollups_rebuild
from openlocal.requests.models import Status
from openlocal.requests.services import request_status_change, request_support

from .axe import assert_accessible
from .browser import Browsing, Site

pytestmark = pytest.mark.e2e


@pytest.fixture
def figures(site: Site) -> Site:
    """The browser tests' requests, some acknowledged and fixed, counted."""
    pothole, bin_request, _fly_tipping = site.requests
    now = timezone.now()
    for request, status, ago in (
        (pothole, Status.ACKNOWLEDGED, timedelta(hours=3)),
        (pothole, Status.FIXED, timedelta(hours=1)),
        (bin_request, Status.IN_PROGRESS, timedelta(hours=2)),
    ):
        request.refresh_from_db()
        request_status_change(
            request=request,
            actor=None,
            status=status,
            at=now - ago,
            check_permission=False,
            notify=False,
        )
    request_support(request=pothole, session_key="a-neighbour")
    rollups_rebuild()
    return site


def test_the_overview_is_accessible_and_sorts(page: Page, figures: Site) -> None:
    page.goto("/")
    page.get_by_role("link", name="Performance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Performance")
    assert_accessible(page)
    bodies = page.get_by_role("table", name=re.compile("Every body's figures"))
    expect(bodies.get_by_role("row").nth(1)).to_contain_text("East Testshire District Council")
    bodies.get_by_role("link", name=re.compile("^Requests made")).click()
    expect(page).to_have_url(re.compile(r"sort=requests&order=desc"))
    bodies = page.get_by_role("table", name=re.compile("Every body's figures"))
    header = bodies.get_by_role("columnheader", name=re.compile("^Requests made"))
    expect(header).to_have_attribute("aria-sort", "descending")
    assert_accessible(page)


def test_sorting_and_figures_need_no_javascript(browsing: Browsing, figures: Site) -> None:
    page = browsing.new_page(javascript=False)
    page.goto("/performance/?sort=fix&order=asc")
    bodies = page.get_by_role("table", name=re.compile("Every body's figures"))
    header = bodies.get_by_role("columnheader", name=re.compile("^Median time to fix"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    # The county fixed its pothole; the others fixed nothing and go last.
    expect(bodies.get_by_role("row").nth(1)).to_contain_text("Testshire County Council")
    page.get_by_role("link", name="Testshire County Council").first.click()
    expect(page.get_by_role("img", name=re.compile("Median time to fix"))).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Open requests now"))).to_be_visible()


def test_a_body_page_is_accessible_and_explains_itself(page: Page, figures: Site) -> None:
    page.goto("/performance/")
    page.get_by_role("link", name="Testshire County Council").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How Testshire County Council deals with requests"
    )
    charts = page.get_by_role("img", name=re.compile("Requests made and fixed each month"))
    expect(charts).to_have_count(1)
    expect(page.get_by_role("table", name=re.compile("^Month by month"))).to_be_visible()
    assert_accessible(page)
    page.get_by_text("How these figures are worked out").click()
    expect(page.get_by_text("Only public requests count.")).to_be_visible()
    assert_accessible(page)


def test_a_table_downloads_as_the_csv_it_shows(page: Page, figures: Site) -> None:
    page.goto("/performance/bodies/testshire")
    categories = page.get_by_role("table", name=re.compile("^By category"))
    shown = categories.get_by_role("row", name=re.compile("Pothole")).inner_text()
    with page.expect_download() as info:
        page.get_by_role(
            "link", name=re.compile(r"Download this table as CSV\W+By category")
        ).click()
    path = info.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Category", "Requests made"]
    pothole = next(r for r in rows[1:] if r[0] == "Pothole")
    # One pothole reported, acknowledged and fixed, with one "me too".
    assert pothole[1:4] == ["1", "1", "1"]
    assert shown.split("\t")[:4] == ["Pothole", "1", "1", "1"]


def test_an_area_and_a_category_page_are_accessible(page: Page, figures: Site) -> None:
    county = figures.place.county
    page.goto(f"/performance/areas/{county.slug}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(county.name)
    assert_accessible(page)
    page.get_by_role("link", name="Pothole").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pothole")
    assert_accessible(page)
