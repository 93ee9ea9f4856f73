"""A resident about to report a pothole finds it already reported and says "me too"."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from openlocal.requests.models import Request
from openlocal.subscriptions.models import Subscription

from .axe import assert_accessible
from .browser import Browsing, Site

pytestmark = pytest.mark.e2e

#: About 15 m from the bakery pothole in the ``site`` fixture (50.71, -3.56).
LATITUDE, LONGITUDE = "50.71013", "-3.56"
EMAIL = "neighbour@example.net"


def start(page, latitude: str = LATITUDE, longitude: str = LONGITUDE) -> None:
    page.goto("/report/")
    page.get_by_role("textbox", name="Latitude").fill(latitude)
    page.get_by_role("textbox", name="Longitude").fill(longitude)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Pothole", exact=True).check()
    page.get_by_role("button", name="Continue").click()


def test_already_reported_me_too_and_follow(browsing: Browsing, site: Site) -> None:
    page = browsing.new_page(javascript=True)
    existing = site.requests[0]
    start(page)
    expect(page).to_have_url(re.compile(r"/report/already-reported$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Has your problem already been reported?"
    )
    card = page.locator(f"#candidate-{existing.pk}")
    expect(card).to_contain_text(existing.title)
    expect(card).to_contain_text("About 10 m away")
    assert_accessible(page)

    # A typing slip is explained on the page, and nothing is counted.
    card.get_by_label(re.compile("Email address")).fill("neighbour@")
    card.get_by_role("button", name=re.compile("This is my problem")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an email address")
    assert_accessible(page)

    card = page.locator(f"#candidate-{existing.pk}")
    card.get_by_label(re.compile("Email address")).fill(EMAIL)
    card.get_by_role("button", name=re.compile("This is my problem")).click()
    expect(page).to_have_url(re.compile(rf"/requests/{existing.pk}$"))
    main = page.locator("main")
    expect(main).to_contain_text(f"You said request #{existing.pk} is your problem too")
    expect(main).to_contain_text("We have sent you an email")
    expect(main).to_contain_text("1 person has this problem")
    assert EMAIL not in page.content()
    assert_accessible(page)

    assert Request.private_objects.count() == len(site.requests)
    existing.refresh_from_db()
    assert existing.supporter_count == 1
    assert Subscription.objects.filter(
        target_key=f"request:{existing.pk}", person__email=EMAIL
    ).exists()
    assert [m.to for m in mail.outbox if m.to == [EMAIL]] == [[EMAIL]]


def test_a_different_problem_goes_on_without_javascript(browsing: Browsing, site: Site) -> None:
    page = browsing.new_page(javascript=False)
    start(page)
    expect(page).to_have_url(re.compile(r"/report/already-reported$"))
    page.get_by_role("button", name="No, mine is a different problem").click()
    expect(page).to_have_url(re.compile(r"/report/details$"))
    page.get_by_role("link", name="Back").click()
    expect(page).to_have_url(re.compile(r"/report/already-reported$"))
