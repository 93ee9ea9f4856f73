"""Webhook endpoints from the web: register, confirm (secret shown once), manage, delivery log."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Delivery, Subscription, WebhookEndpoint
from openlocal.subscriptions.services import (
    endpoint_confirm,
    endpoint_disable,
    endpoint_ping,
    endpoint_register,
)

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hook"


def _register(email: str = "dev@example.org", url: str = HOOK, confirmed: bool = True):
    endpoint, secret = endpoint_register(owner_email=email, url=url, confirmed=confirmed)
    return endpoint, secret


def _page(endpoint: WebhookEndpoint) -> str:
    return f"/subscriptions/manage/{tokens.manage_token(endpoint.owner_id)}/webhooks/{endpoint.pk}"


def test_register_then_confirm_shows_the_secret_once(
    client, place, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/subscriptions/webhooks/new",
            {"email": "dev@example.org", "url": HOOK, "description": "Parish dashboard"},
        )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.confirmed_at is None
    assert endpoint.secret not in response.content.decode()

    assert len(mail.outbox) == 1
    match = re.search(
        r"https?://[^\s\"<>]+(/subscriptions/webhooks/confirm/[^\s\"<>]+)", str(mail.outbox[0].body)
    )
    assert match
    confirm = match[1]

    # Opening the link asks; only the button confirms and shows the secret.
    asked = client.get(confirm)
    assert asked.status_code == 200
    assert "Confirm and show the secret" in asked.content.decode()
    assert endpoint.secret not in asked.content.decode()
    assert asked["Cache-Control"] == "private, no-store"
    endpoint.refresh_from_db()
    assert endpoint.confirmed_at is None

    shown = client.post(confirm)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert endpoint.secret in html
    assert "only time we show this secret" in html
    assert shown["Cache-Control"] == "private, no-store"
    assert shown["Referrer-Policy"] == "no-referrer"
    endpoint.refresh_from_db()
    assert endpoint.active

    for again in (client.post(confirm), client.get(confirm)):
        assert again.status_code == 200
        assert "already confirmed" in again.content.decode()
        assert endpoint.secret not in again.content.decode()
    # The endpoint's own page never shows the secret either.
    assert endpoint.secret not in client.get(_page(endpoint)).content.decode()


def test_register_shows_url_errors_on_the_form(client, place) -> None:
    response = client.post(
        "/subscriptions/webhooks/new", {"email": "dev@example.org", "url": "ftp://x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the full address of your endpoint" in html
    assert 'href="#id_url"' in html
    with override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False):
        response = client.post(
            "/subscriptions/webhooks/new",
            {"email": "dev@example.org", "url": "http://127.0.0.1/hook"},
        )
    assert response.status_code == 400
    assert "private or local address" in response.content.decode()
    response = client.post("/subscriptions/webhooks/new", {"email": "nope", "url": HOOK})
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_forged_endpoint_confirmation_link_confirms_nothing(client, place) -> None:
    endpoint, _secret = _register(confirmed=False)
    token = tokens.endpoint_confirm_token(endpoint.pk)
    response = client.post(f"/subscriptions/webhooks/confirm/{token[:-3]}xyz")
    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.confirmed_at is None


def test_the_endpoint_page_shows_status_and_follows(client, place) -> None:
    endpoint, _secret = _register(confirmed=False)
    response = client.get(_page(endpoint))
    assert response.status_code == 200
    html = response.content.decode()
    assert HOOK in html
    assert "Waiting for confirmation" in html
    assert "once the endpoint is confirmed" in html
    assert response["Referrer-Policy"] == "no-referrer"

    response = client.post(
        _page(endpoint) + "/follow", {"target": f"area:{place.west.pk}"}, follow=True
    )
    assert "Added: New requests in West Testshire" in response.content.decode()
    subscription = Subscription.objects.get(endpoint=endpoint)
    assert subscription.target_key == f"area:{place.west.pk}"

    response = client.post(_page(endpoint) + "/follow", {"target": "area:999999"})
    assert response.status_code == 400
    assert "Nothing public has the key" in response.content.decode()
    response = client.post(_page(endpoint) + "/follow", {"target": "bogus"})
    assert response.status_code == 400
    assert "Choose something to follow" in response.content.decode()

    response = client.post(f"{_page(endpoint)}/unfollow/{subscription.pk}", follow=True)
    assert "Removed: New requests in West Testshire" in response.content.decode()
    assert not Subscription.objects.filter(endpoint=endpoint).exists()


def test_an_endpoint_can_follow_a_point_or_a_drawn_area(client, place) -> None:
    endpoint, _secret = _register()
    page = client.get(_page(endpoint) + "/follow/around")
    assert page.status_code == 200
    assert "Follow a place with your endpoint" in page.content.decode()
    assert 'name="email"' not in page.content.decode()
    client.post(
        _page(endpoint) + "/follow/around",
        {"latitude": "50.71", "longitude": "-3.52", "radius": "250"},
    )
    polygon = (
        '{"type":"Polygon","coordinates":'
        "[[[-3.56,50.70],[-3.54,50.70],[-3.54,50.72],[-3.56,50.70]]]}"
    )
    client.post(_page(endpoint) + "/follow/around", {"polygon": polygon, "radius": "500"})
    kinds = sorted(Subscription.objects.filter(endpoint=endpoint).values_list("kind", flat=True))
    assert kinds == ["point", "polygon"]
    assert Subscription.objects.get(endpoint=endpoint, kind="point").radius_m == 250


def test_ping_goes_into_the_delivery_log(client, place) -> None:
    endpoint, _secret = _register()
    response = client.post(_page(endpoint) + "/ping", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "A test ping is on its way" in html
    assert "Test ping" in html
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1


def test_ping_before_confirmation_is_refused(client, place) -> None:
    endpoint, _secret = _register(confirmed=False)
    response = client.post(_page(endpoint) + "/ping")
    assert response.status_code == 400
    assert "Confirm the endpoint before sending it a ping" in response.content.decode()
    assert not Delivery.objects.exists()


def test_the_delivery_log_shows_only_this_endpoints_deliveries(client, place) -> None:
    mine, _ = _register()
    other, _ = _register(email="someone@example.org", url="http://127.0.0.1:9/other-hook")
    delivery = endpoint_ping(endpoint=mine)
    delivery.status = "failed"
    delivery.attempts = 3
    delivery.response_status = 502
    delivery.last_error = "Bad gateway from my-receiver"
    delivery.save()
    theirs = endpoint_ping(endpoint=other)
    theirs.last_error = "Secret problem at the other receiver"
    theirs.response_status = 418
    theirs.save()
    html = client.get(_page(mine)).content.decode()
    assert "Bad gateway from my-receiver" in html
    assert "502" in html
    assert "Failed" in html
    assert "Secret problem at the other receiver" not in html
    assert "other-hook" not in html
    assert "418" not in html
    # Someone else's manage link does not open my endpoint.
    response = client.get(
        f"/subscriptions/manage/{tokens.manage_token(other.owner_id)}/webhooks/{mine.pk}"
    )
    assert response.status_code == 404
    assert "Bad gateway" not in response.content.decode()


def test_rotate_shows_a_new_secret_once(client, place) -> None:
    endpoint, old = _register()
    response = client.post(_page(endpoint) + "/rotate")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    html = response.content.decode()
    assert endpoint.secret in html
    assert old not in html
    assert response["Cache-Control"] == "private, no-store"
    assert endpoint.secret not in client.get(_page(endpoint)).content.decode()


def test_turn_a_disabled_endpoint_back_on(client, place) -> None:
    endpoint, _ = _register()
    endpoint_disable(endpoint=endpoint, reason="20 deliveries failed in a row", notify=False)
    html = client.get(_page(endpoint)).content.decode()
    assert "Disabled" in html
    assert "20 deliveries failed in a row" in html
    response = client.post(_page(endpoint) + "/enable", follow=True)
    assert "The endpoint is back on" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.active


def test_delete_asks_then_deletes(client, place) -> None:
    endpoint, _ = _register()
    endpoint_ping(endpoint=endpoint)
    asked = client.get(_page(endpoint) + "/delete")
    assert "Delete this webhook endpoint?" in asked.content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    response = client.post(_page(endpoint) + "/delete", follow=True)
    assert f"Deleted the webhook endpoint {HOOK}" in response.content.decode()
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not Delivery.objects.filter(endpoint_id=endpoint.pk).exists()
    assert client.get(_page(endpoint)).status_code == 404


def test_confirming_an_endpoint_confirms_what_it_follows(client, place) -> None:
    endpoint, _ = _register(confirmed=False)
    client.post(_page(endpoint) + "/follow", {"target": f"body:{place.west_council.pk}"})
    assert not Subscription.objects.get(endpoint=endpoint).active
    endpoint_confirm(endpoint=endpoint)
    confirmed_at = Subscription.objects.get(endpoint=endpoint).confirmed_at
    assert confirmed_at is not None
    assert confirmed_at <= timezone.now()
