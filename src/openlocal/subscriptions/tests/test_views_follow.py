"""Following from the web: the follow form, the confirmation link and the stop link."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings

from openlocal.requests.models import Request
from openlocal.requests.services import request_create, request_hide
from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Channel, Subscription

pytestmark = pytest.mark.django_db

DAY = 24 * 60 * 60
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _pothole(place, **kwargs) -> Request:
    values = {
        "category": place.pothole,
        "latitude": 50.7,
        "longitude": -3.55,
        "title": "Deep pothole outside the school",
        "description": "Cars swerve round it.",
        "answers": {"depth": "deep"},
        "reporter_email": "reporter@private.example",
        "notify": False,
    }
    values.update(kwargs)
    return request_create(**values)


def _follow(client, callbacks, target: str, email: str = "pat@example.org", **extra):
    with callbacks(execute=True):
        return client.post(
            "/subscriptions/follow",
            {"target": target, "email": email, **extra},
            REMOTE_ADDR="10.1.1.1",
        )


def _link(message, path: str) -> str:
    match = re.search(rf"https?://[^\s\"<>]+({re.escape(path)}[^\s\"<>]+)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match[1]


def _main(response) -> str:
    """The page's main content (the rest carries a per-response script nonce)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _assert_private(response) -> None:
    for header, value in PRIVATE_HEADERS.items():
        assert response[header] == value
    assert 'name="robots" content="noindex' in response.content.decode()


def test_follow_an_area_then_confirm_by_the_emailed_link(
    client, place, django_capture_on_commit_callbacks
) -> None:
    response = _follow(
        client,
        django_capture_on_commit_callbacks,
        f"area:{place.west.pk}",
        next="/areas/west-testshire",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check your email" in html
    assert "New requests in West Testshire" in html
    subscription = Subscription.objects.get(target_key=f"area:{place.west.pk}")
    assert subscription.confirmed_at is None
    assert subscription.channel == Channel.IMMEDIATE

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.org"]
    confirm_path = _link(mail.outbox[0], "/subscriptions/confirm/")

    response = client.get(confirm_path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You will get emails" in html
    assert "New requests in West Testshire" in html
    assert "/subscriptions/manage/" in html
    _assert_private(response)
    subscription.refresh_from_db()
    assert subscription.active

    again = client.get(confirm_path)
    assert again.status_code == 200
    assert "Already confirmed" in again.content.decode()


def test_follow_with_a_daily_digest(client, place, django_capture_on_commit_callbacks) -> None:
    _follow(
        client,
        django_capture_on_commit_callbacks,
        f"body:{place.west_council.pk}",
        channel="digest",
    )
    subscription = Subscription.objects.get(target_key=f"body:{place.west_council.pk}")
    assert subscription.channel == Channel.DIGEST


def test_following_twice_makes_one_subscription_and_reveals_nothing(
    client, place, django_capture_on_commit_callbacks
) -> None:
    key = f"category:{place.pothole.pk}@area:{place.east.pk}"
    first = _follow(client, django_capture_on_commit_callbacks, key)
    client.get(_link(mail.outbox[0], "/subscriptions/confirm/"))
    second = _follow(client, django_capture_on_commit_callbacks, key)
    assert Subscription.objects.filter(target_key=key).count() == 1
    # Already following: no second email, and the page reads exactly as for a new follower.
    assert len(mail.outbox) == 1
    assert _main(first) == _main(second)


def test_a_bad_email_gets_a_form_error(client, place) -> None:
    response = client.post(
        "/subscriptions/follow", {"target": f"area:{place.west.pk}", "email": "not-an-email"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter an email address in the correct format" in html
    assert 'href="#id_email"' in html
    assert not Subscription.objects.exists()


def test_the_follow_form_has_a_page_of_its_own(client, place) -> None:
    response = client.get("/subscriptions/follow", {"target": f"asset:{place.lamp.pk}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Column 1, High Street" in html
    assert f'value="asset:{place.lamp.pk}"' in html


@pytest.mark.parametrize(
    "target", ["", "nonsense", "area:", "area:abc", "polygon:x", "request:1;drop"]
)
def test_a_malformed_target_is_a_clear_400(client, place, target) -> None:
    response = client.post("/subscriptions/follow", {"target": target, "email": "pat@example.org"})
    assert response.status_code == 400
    assert "Choose something to follow" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_hidden_or_missing_request_cannot_be_followed(client, place) -> None:
    hidden = _pothole(place, category=place.missed_bin, answers={})
    request_hide(request=hidden, actor=place.west_manager, reason="Abusive")
    for target in (
        f"request:{hidden.pk}",
        "request:999999",
        "area:999999",
        "category:1@area:999999",
    ):
        response = client.post(
            "/subscriptions/follow", {"target": target, "email": "pat@example.org"}
        )
        assert response.status_code == 404, target
    assert not Subscription.objects.filter(person__email="pat@example.org").exists()


def test_a_public_request_can_be_followed(
    client, place, django_capture_on_commit_callbacks
) -> None:
    req = _pothole(place)
    response = _follow(
        client, django_capture_on_commit_callbacks, f"request:{req.pk}", next=f"/requests/{req.pk}"
    )
    assert response.status_code == 200
    assert f'href="/requests/{req.pk}"' in response.content.decode()
    assert Subscription.objects.filter(
        target_key=f"request:{req.pk}", person__email="pat@example.org"
    ).exists()


def test_next_must_be_a_local_path(client, place, django_capture_on_commit_callbacks) -> None:
    response = _follow(
        client,
        django_capture_on_commit_callbacks,
        f"area:{place.west.pk}",
        next="https://evil.example/phish",
    )
    html = response.content.decode()
    assert "evil.example" not in html
    assert 'href="/areas/west-testshire"' in html
    response = _follow(
        client, django_capture_on_commit_callbacks, f"area:{place.west.pk}", next="//evil.example/x"
    )
    assert "evil.example" not in response.content.decode()


@override_settings(FOLLOW_RATE="2/h")
def test_following_is_rate_limited(client, place) -> None:
    data = {"target": f"area:{place.west.pk}", "email": "pat@example.org"}
    assert client.post("/subscriptions/follow", data).status_code == 200
    assert client.post("/subscriptions/follow", data).status_code == 200
    response = client.post("/subscriptions/follow", data)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


# Confirmation links ------------------------------------------------------------------------


def _pending(place) -> Subscription:
    from openlocal.subscriptions.services import follow
    from openlocal.subscriptions.targets import Target

    return follow(
        target=Target.for_area(place.east), email="sam@example.org", notify=False
    ).subscription


def test_an_altered_confirmation_link_gets_a_clear_page(client, place) -> None:
    subscription = _pending(place)
    token = tokens.confirm_token(subscription.pk)
    for bad in (token[:-2] + "xx", tokens.stop_token(subscription.pk), "garbage"):
        response = client.get(f"/subscriptions/confirm/{bad}")
        assert response.status_code == 400
        html = response.content.decode()
        assert "This link does not work" in html
        assert "confirmation link is not valid" in html
        _assert_private(response)
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_a_forged_confirmation_link_gets_a_clear_page(client, place) -> None:
    subscription = _pending(place)
    with override_settings(SECRET_KEY="someone-elses-key-0123456789-abcdefghijklmnop"):
        forged = tokens.confirm_token(subscription.pk)
    response = client.get(f"/subscriptions/confirm/{forged}")
    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_an_expired_confirmation_link_says_so(client, place) -> None:
    subscription = _pending(place)
    token = tokens.confirm_token(subscription.pk)
    eight_days_on = time.time() + 8 * DAY
    with mock.patch("django.core.signing.time.time", return_value=eight_days_on):
        response = client.get(f"/subscriptions/confirm/{token}")
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html
    assert "Follow again to get a new one" in html
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_a_link_to_a_deleted_subscription_is_a_clear_404(client, place) -> None:
    subscription = _pending(place)
    token = tokens.confirm_token(subscription.pk)
    stop = tokens.stop_token(subscription.pk)
    subscription.delete()
    for path in (f"/subscriptions/confirm/{token}", f"/subscriptions/stop/{stop}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This no longer exists" in response.content.decode()


# Stop links --------------------------------------------------------------------------------


def _confirmed(place) -> Subscription:
    from openlocal.subscriptions.services import subscription_confirm

    subscription = _pending(place)
    subscription_confirm(subscription=subscription)
    subscription.refresh_from_db()
    return subscription


def test_stop_asks_first_then_stops(client, place) -> None:
    subscription = _confirmed(place)
    path = f"/subscriptions/stop/{tokens.stop_token(subscription.pk)}"
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop these emails" in html
    assert "New requests in East Testshire" in html
    _assert_private(response)
    subscription.refresh_from_db()
    assert subscription.active, "opening the link alone must not stop anything"

    response = client.post(path)
    assert response.status_code == 200
    assert "Emails stopped" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.channel == Channel.OFF

    again = client.post(path)
    assert again.status_code == 200
    assert "Already stopped" in again.content.decode()
    assert "already get no emails" in client.get(path).content.decode()


def test_one_click_stop_needs_no_csrf_token(place) -> None:
    from django.test import Client

    subscription = _confirmed(place)
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        f"/subscriptions/stop/{tokens.stop_token(subscription.pk)}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.channel == Channel.OFF


def test_a_forged_stop_link_stops_nothing(client, place) -> None:
    subscription = _confirmed(place)
    response = client.post(f"/subscriptions/stop/{tokens.stop_token(subscription.pk)[:-3]}abc")
    assert response.status_code == 400
    assert "link to stop emails is not valid" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.active
