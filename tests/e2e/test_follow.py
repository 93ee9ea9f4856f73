"""Following in a real browser: from an area page to the preference centre, and the map."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Channel, Subscription, TargetKind
from openlocal.subscriptions.services import endpoint_ping, endpoint_register, follow
from openlocal.subscriptions.targets import Target

from .axe import assert_accessible
from .browser import Browsing, Site

pytestmark = pytest.mark.e2e


def _emailed_link(path: str) -> str:
    assert mail.outbox, "no email was sent"
    match = re.search(
        rf"https?://[^\s\"<>]+({re.escape(path)}[^\s\"<>]+)", str(mail.outbox[-1].body)
    )
    assert match, f"no {path} link in the email"
    return match[1]


def test_follow_an_area_confirm_and_choose_a_digest(page: Page, site: Site) -> None:
    page.goto("/areas/west-testshire")
    follow_box = page.locator("#follow")
    expect(follow_box).to_contain_text("Get emails about new requests in West Testshire")
    assert_accessible(page)
    follow_box.get_by_label("Email address").fill("walker@example.org")
    follow_box.get_by_role("button", name="Get emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    page.goto(_emailed_link("/subscriptions/confirm/"))
    expect(page.locator(".govuk-panel")).to_contain_text("You will get emails")
    assert_accessible(page)

    page.get_by_role("link", name="See everything you follow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything you follow")
    assert_accessible(page)
    section = page.locator("section.ol-subscription").filter(
        has_text="New requests in West Testshire"
    )
    section.get_by_label("Daily digest email").check()
    section.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Saved")
    subscription = Subscription.objects.get(person__email="walker@example.org")
    assert subscription.active
    assert subscription.channel == Channel.DIGEST
    expect(
        page.locator("section.ol-subscription").get_by_label("Daily digest email")
    ).to_be_checked()


def test_stop_page(page: Page, site: Site) -> None:
    subscription = follow(
        target=Target.for_body(site.place.west_council),
        email="stopper@example.org",
        confirmed=True,
        notify=False,
    ).subscription
    page.goto(f"/subscriptions/stop/{tokens.stop_token(subscription.pk)}")
    assert_accessible(page)
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Emails stopped")
    assert_accessible(page)
    subscription.refresh_from_db()
    assert subscription.channel == Channel.OFF


def test_bad_link_page(page: Page, site: Site) -> None:
    page.goto("/subscriptions/confirm/not-a-real-token")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_accessible(page)


def test_follow_around_a_point_without_javascript(browsing: Browsing, site: Site) -> None:
    page = browsing.new_page(javascript=False)
    page.goto("/subscriptions/follow/around")
    page.get_by_label("Name of a place or asset, or coordinates").fill("East Testshire")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("textbox", name="Latitude")).not_to_have_value("")
    page.get_by_label("1 kilometre").check()
    page.get_by_label("Email address").fill("roamer@example.org")
    page.get_by_role("button", name="Get emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    subscription = Subscription.objects.get(person__email="roamer@example.org")
    assert subscription.kind == TargetKind.POINT
    assert subscription.radius_m == 1000


def test_draw_an_area_on_the_map(page: Page, site: Site) -> None:
    page.goto("/subscriptions/follow/around?lat=50.71&lon=-3.52")
    expect(page.get_by_role("heading", name="Or draw the area on the map")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Draw an area").click()
    the_map = page.locator("[data-follow-map]")
    box = the_map.bounding_box()
    assert box is not None
    for dx, dy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)):
        the_map.click(position={"x": box["width"] * dx, "y": box["height"] * dy})
    page.get_by_role("button", name="Finish the area").click()
    expect(page.locator("[data-follow-status]")).to_contain_text("Area drawn with 4 corners")
    page.get_by_label("Email address").fill("drawer@example.org")
    page.get_by_role("button", name="Get emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    subscription = Subscription.objects.get(person__email="drawer@example.org")
    assert subscription.kind == TargetKind.POLYGON
    assert subscription.cells.exists()


def test_webhook_pages(page: Page, site: Site) -> None:
    page.goto("/subscriptions/webhooks/new")
    assert_accessible(page)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your email address").fill("dev@example.org")
    page.get_by_label("Endpoint address").fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(_emailed_link("/subscriptions/webhooks/confirm/"))
    assert_accessible(page)
    page.get_by_role("button", name="Confirm and show the secret").click()
    expect(page.locator("#secret")).to_contain_text("whsec_")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Choose what the endpoint follows")).click()
    page.get_by_label("Follow something else").fill(f"area:{site.place.west.pk}")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Added")
    page.get_by_role("button", name="Send a test ping").click()
    expect(page.locator("#deliveries")).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="Test ping")).to_be_visible()
    assert_accessible(page)


def test_manage_page_with_an_endpoint(page: Page, site: Site) -> None:
    endpoint, _ = endpoint_register(
        owner_email="both@example.org", url="http://127.0.0.1:9/hook", confirmed=True
    )
    endpoint_ping(endpoint=endpoint)
    follow(target=Target.for_area(site.place.east), email="both@example.org", notify=False)
    page.goto(f"/subscriptions/manage/{tokens.manage_token(endpoint.owner_id)}")
    expect(page.get_by_role("link", name="http://127.0.0.1:9/hook")).to_be_visible()
    assert_accessible(page)
