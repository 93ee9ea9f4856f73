"""Webhook endpoints: registered with a secret, confirmed by their owner, disabled and back."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_create, request_status_change
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    Subscription,
    WebhookEndpoint,
)
from openlocal.subscriptions.services import (
    endpoint_confirm,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_ping,
    endpoint_register,
    endpoint_rotate_secret,
    follow,
    validate_webhook_url,
)
from openlocal.subscriptions.targets import Target

URL = "https://hooks.example.org/openlocal"


def report(place) -> Request:
    return request_create(
        category=place.pothole,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Pothole outside the school",
        description="A deep hole.",
        answers={"depth": "deep"},
        notify=False,
    )


def acknowledge(place, request: Request) -> Event:
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.ACKNOWLEDGED
    )
    fan_out_pending()
    return Event.objects.get(update=update)


def hooked(event: Event) -> set[int]:
    return set(Delivery.objects.filter(event=event).values_list("endpoint_id", flat=True))


def count(request: Request) -> int:
    return Request.private_objects.get(pk=request.pk).follower_count


def test_a_new_endpoint_gets_a_standard_webhooks_secret_and_its_owner_confirms_it(
    place, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        endpoint, secret = endpoint_register(
            owner_email="Dev@Example.org", url=f"  {URL} ", description="Our copy"
        )
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert (endpoint.url, endpoint.owner.email, endpoint.confirmed_at) == (
        URL,
        "dev@example.org",
        None,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dev@example.org"]
    assert "/subscriptions/webhooks/confirm/" in message.body and URL in message.body
    # The secret is shown once, on screen, never sent by email.
    assert secret not in message.body
    assert endpoint_confirm(endpoint=endpoint) is True
    assert endpoint_confirm(endpoint=endpoint) is False
    assert endpoint.owner.__class__.objects.get(pk=endpoint.owner_id).confirmed_at is not None
    _, other = endpoint_register(owner_email="dev@example.org", url=URL, confirmed=True)
    assert other != secret


def test_an_unconfirmed_endpoint_hears_nothing_until_it_is_confirmed(place) -> None:
    request = report(place)
    endpoint, _ = endpoint_register(owner_email="dev@example.org", url=URL)
    subscription = follow(target=Target.for_request(request), endpoint=endpoint).subscription
    assert subscription.channel == Channel.WEBHOOK and subscription.confirmed_at is None
    assert count(request) == 0
    assert hooked(acknowledge(place, request)) == set()
    endpoint_confirm(endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk))
    assert Subscription.objects.get(pk=subscription.pk).active
    assert count(request) == 1
    event = acknowledge_again(place, request)
    assert hooked(event) == {endpoint.pk}


def acknowledge_again(place, request: Request) -> Event:
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.INVESTIGATING
    )
    fan_out_pending()
    return Event.objects.get(update=update)


def test_a_disabled_endpoint_hears_nothing_and_its_owner_is_told(
    place, django_capture_on_commit_callbacks
) -> None:
    request = report(place)
    endpoint, _ = endpoint_register(owner_email="dev@example.org", url=URL, confirmed=True)
    follow(target=Target.for_area(place.west), endpoint=endpoint)
    follow(target=Target.for_request(request), endpoint=endpoint)
    waiting = Delivery.objects.get(event=acknowledge(place, request))
    assert waiting.status == DeliveryStatus.PENDING and waiting.endpoint_id == endpoint.pk
    assert count(request) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert endpoint_disable(endpoint=endpoint, reason="Answered 500 ten times") is True
    assert endpoint_disable(endpoint=endpoint, reason="again") is False
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SKIPPED
    assert count(request) == 0
    assert [m.to for m in mail.outbox] == [["dev@example.org"]]
    assert "Answered 500 ten times" in mail.outbox[0].body
    assert hooked(acknowledge_again(place, request)) == set()

    assert endpoint_enable(endpoint=endpoint) is True
    assert endpoint_enable(endpoint=endpoint) is False
    assert count(request) == 1
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.IN_PROGRESS
    )
    fan_out_pending()
    # One delivery, though the endpoint follows both the request and its area.
    assert list(
        Delivery.objects.filter(event__update=update).values_list("endpoint_id", flat=True)
    ) == [endpoint.pk]


def test_deleting_an_endpoint_removes_its_subscriptions_and_counts(place) -> None:
    request = report(place)
    endpoint, _ = endpoint_register(owner_email="dev@example.org", url=URL, confirmed=True)
    follow(target=Target.for_request(request), endpoint=endpoint)
    assert count(request) == 1
    endpoint_delete(endpoint=endpoint)
    assert count(request) == 0
    assert not Subscription.objects.exists()


def test_rotating_the_secret_replaces_it(place) -> None:
    endpoint, secret = endpoint_register(owner_email="dev@example.org", url=URL, confirmed=True)
    new = endpoint_rotate_secret(endpoint=endpoint)
    assert new != secret and new.startswith("whsec_")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == new


def test_a_ping_goes_only_to_a_confirmed_endpoint_and_is_in_its_log(place) -> None:
    endpoint, _ = endpoint_register(owner_email="dev@example.org", url=URL)
    with pytest.raises(ValidationError, match="Confirm the endpoint before sending it a ping"):
        endpoint_ping(endpoint=endpoint)
    endpoint_confirm(endpoint=endpoint)
    delivery = endpoint_ping(endpoint=endpoint)
    assert (delivery.endpoint_id, delivery.subscription_id, delivery.channel) == (
        endpoint.pk,
        None,
        Channel.WEBHOOK,
    )
    assert delivery.event.kind == EventKind.PING and delivery.event.fanned_out_at is not None
    assert delivery.event.payload["data"]["endpoint"]["url"] == URL


@pytest.mark.parametrize("allow_private", [True, False])
@pytest.mark.parametrize(
    "url",
    [
        "",
        "hooks.example.org/in",
        "ftp://hooks.example.org/in",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.org/in",
    ],
)
def test_a_webhook_address_must_be_a_full_http_address(url: str, allow_private: bool) -> None:
    with (
        override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=allow_private),
        pytest.raises(ValidationError) as exc,
    ):
        validate_webhook_url(url)
    assert exc.value.message_dict == {
        "url": ["Enter the full address of your endpoint, like https://example.com/hook"]
    }


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://localhost/hook", "127.0.0.1"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://192.168.0.10/hook", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hook", "::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1"),
    ],
)
def test_private_addresses_are_refused_unless_allowed(url: str, address: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_webhook_url(url)
    text = " ".join(exc.value.message_dict["url"])
    assert f"is a private or local address ({address})" in text
    assert "only to addresses on the public internet" in text
    with override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True):
        assert validate_webhook_url(url) == url


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
def test_a_public_address_is_accepted_and_an_unknown_host_explained() -> None:
    assert validate_webhook_url("https://93.184.215.14/hook") == "https://93.184.215.14/hook"
    with pytest.raises(ValidationError, match="could not be found"):
        validate_webhook_url("https://no-such-host.invalid/hook")


def test_an_address_too_long_to_keep_is_refused_with_a_reason(place) -> None:
    long_url = "https://hooks.example.org/" + "a" * 480
    with pytest.raises(ValidationError, match="at most 500 characters"):
        endpoint_register(owner_email="dev@example.org", url=long_url)
    assert not WebhookEndpoint.objects.exists()


@override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
def test_registering_a_private_address_makes_no_endpoint(place) -> None:
    with pytest.raises(ValidationError, match="private or local address"):
        endpoint_register(owner_email="dev@example.org", url="http://127.0.0.1:9/hook")
    assert not WebhookEndpoint.objects.exists()
