"""Every write to subscriptions and webhook endpoints goes through these functions.

Following needs no account: a person follows by email and confirms by a link; a reporter
follows their own request without confirming (they gave the address with the report). The
same target followed twice is one subscription. Public pages show how many follow, never who.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from openlocal.core.tasks import enqueue_with_change
from openlocal.requests.models import Person, Request
from openlocal.requests.services import person_for_email
from openlocal.subscriptions.events import event_record
from openlocal.subscriptions.models import (
    EMAIL_CHANNELS,
    Channel,
    Delivery,
    Event,
    EventKind,
    Subscription,
    SubscriptionCell,
    SubscriptionSource,
    TargetKind,
    WebhookEndpoint,
)
from openlocal.subscriptions.targets import Target


@dataclass(frozen=True)
class FollowResult:
    subscription: Subscription
    #: False when the subscriber already had a subscription to the target.
    created: bool
    #: True when a confirmation email was (re)sent and the subscription waits for it.
    needs_confirmation: bool


def _clean_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(
            {"email": ["Enter an email address in the correct format, like name@example.com"]}
        ) from exc
    return email


@transaction.atomic
def follow(
    *,
    target: Target,
    email: str = "",
    person: Person | None = None,
    endpoint: WebhookEndpoint | None = None,
    channel: str = Channel.IMMEDIATE,
    source: str = SubscriptionSource.WEB,
    confirmed: bool = False,
    notify: bool = True,
    at: datetime | None = None,
) -> FollowResult:
    """Follow a target by email (confirmed by a link unless ``confirmed``) or by webhook.

    Following what the subscriber already follows changes nothing and sends nothing, except
    that a subscription still waiting for confirmation, or stopped, gets a new confirmation
    link.
    """
    if sum(bool(x) for x in (email, person, endpoint)) != 1:
        raise ValueError("Follow with exactly one of email, person or endpoint.")
    if endpoint is None and channel not in (Channel.IMMEDIATE, Channel.DIGEST):
        raise ValidationError({"channel": ["Choose emails straight away or a daily digest."]})
    if email:
        person = person_for_email(_clean_email(email))
    now = at or timezone.now()
    if endpoint is not None:
        confirmed = endpoint.confirmed_at is not None
        channel = Channel.WEBHOOK
        owner: dict[str, Person | WebhookEndpoint | None] = {"endpoint": endpoint}
    else:
        owner = {"person": person}
    existing = Subscription.objects.filter(target_key=target.key, **owner).first()
    if existing is not None:
        if existing.active:
            return FollowResult(existing, created=False, needs_confirmation=False)
        if confirmed:
            existing.confirmed_at = existing.confirmed_at or now
            if existing.channel == Channel.OFF:
                existing.channel = channel
            existing.save(update_fields=["confirmed_at", "channel", "updated_at"])
            _recount(existing)
            return FollowResult(existing, created=False, needs_confirmation=False)
        if notify:
            _send_confirmation(existing)
        return FollowResult(existing, created=False, needs_confirmation=True)
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                **owner,
                **target.subscription_fields(),
                channel=channel,
                confirmed_at=now if confirmed else None,
                source=source,
            )
    except IntegrityError:
        # Another request followed the same target at the same moment: theirs stands.
        subscription = Subscription.objects.get(target_key=target.key, **owner)
        return FollowResult(subscription, created=False, needs_confirmation=not subscription.active)
    if target.spatial:
        SubscriptionCell.objects.bulk_create(
            SubscriptionCell(subscription=subscription, cell=cell, interior=interior)
            for cell, interior in target.cover()
        )
    if confirmed:
        _recount(subscription)
    elif notify:
        _send_confirmation(subscription)
    return FollowResult(subscription, created=True, needs_confirmation=not confirmed)


def reporter_follows_new_request(*, request: Request, person: Person, at: datetime) -> None:
    """The reporter of a request being created follows it, in the creating transaction.

    What :func:`follow` does for them, without its look-ups: nobody can follow a request
    before it is committed, so there is no earlier subscription to find, and the request is
    created with a follower count of one. Confirmed at once: they gave the address with the
    report.
    """
    Subscription.objects.create(
        person=person,
        **Target.for_request(request).subscription_fields(),
        channel=Channel.IMMEDIATE,
        confirmed_at=at,
        source=SubscriptionSource.REPORTER,
    )


def _send_confirmation(subscription: Subscription) -> None:
    from openlocal.subscriptions.tasks import send_follow_confirmation

    pk = subscription.pk
    enqueue_with_change(send_follow_confirmation, pk)


@transaction.atomic
def subscription_confirm(*, subscription: Subscription, at: datetime | None = None) -> bool:
    """Confirm by the emailed link. Returns False when it was already confirmed (no change)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.active:
        return False
    now = at or timezone.now()
    subscription.confirmed_at = subscription.confirmed_at or now
    if subscription.channel == Channel.OFF:
        subscription.channel = Channel.IMMEDIATE
    subscription.save(update_fields=["confirmed_at", "channel", "updated_at"])
    if subscription.person_id is not None:
        Person.objects.filter(pk=subscription.person_id, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
    _recount(subscription)
    return True


@transaction.atomic
def subscription_set_channel(*, subscription: Subscription, channel: str) -> bool:
    """Change how a person hears (now, digest, off). Returns False when nothing changed."""
    if subscription.endpoint_id is not None:
        raise ValidationError({"channel": ["A webhook subscription is stopped by deleting it."]})
    if channel not in EMAIL_CHANNELS:
        raise ValidationError({"channel": ["Choose emails straight away, a daily digest, or off."]})
    if subscription.channel == channel:
        return False
    subscription.channel = channel
    subscription.save(update_fields=["channel", "updated_at"])
    if channel == Channel.OFF:
        # Nothing already waiting for this subscription is sent once it is stopped.
        Delivery.objects.filter(subscription=subscription, status="pending").update(
            status="skipped", last_error="Subscription stopped."
        )
    elif channel == Channel.IMMEDIATE:
        Delivery.objects.filter(
            subscription=subscription, status="pending", channel=Channel.DIGEST
        ).update(channel=Channel.IMMEDIATE, due_at=timezone.now())
    _recount(subscription)
    return True


def subscription_stop(*, subscription: Subscription) -> bool:
    """The one-click stop. Idempotent: returns False when it was already off."""
    if subscription.endpoint_id is not None:
        subscription_delete(subscription=subscription)
        return True
    return subscription_set_channel(subscription=subscription, channel=Channel.OFF)


@transaction.atomic
def subscription_stop_all(*, person: Person) -> int:
    """Stop every subscription a person has. Returns how many were stopped."""
    stopped = 0
    for subscription in Subscription.objects.filter(person=person).exclude(channel=Channel.OFF):
        stopped += subscription_set_channel(subscription=subscription, channel=Channel.OFF)
    return stopped


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    subscription.delete()
    _recount(subscription)


def _recount(subscription: Subscription) -> None:
    if subscription.kind == TargetKind.REQUEST and subscription.request_id is not None:
        follower_recount(subscription.request_id)


def active_count(target_key: str) -> int:
    """How many people and endpoints actively follow a target (never who)."""
    from openlocal.subscriptions.events import active_subscriptions

    return Subscription.objects.filter(target_key=target_key).filter(active_subscriptions()).count()


def follower_recount(request_id: int) -> int:
    """Set a request's public follower count: active subscriptions to it, people and hooks."""
    count = active_count(f"request:{request_id}")
    Request.private_objects.filter(pk=request_id).update(follower_count=count)
    return count


# Webhook endpoints ------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


#: As long as ``WebhookEndpoint.url`` can hold.
WEBHOOK_URL_MAX_LENGTH = 500


def validate_webhook_url(url: str) -> str:
    """Check a webhook URL: http(s), a host, and (unless allowed) no private address."""
    url = url.strip()
    if len(url) > WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(
            {"url": [f"The address is too long: use at most {WEBHOOK_URL_MAX_LENGTH} characters."]}
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError(
            {"url": ["Enter the full address of your endpoint, like https://example.com/hook"]}
        ) from exc
    host = urlsplit(url).hostname or ""
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except (socket.gaierror, UnicodeError) as exc:
            raise ValidationError(
                {"url": [f"The host “{host}” could not be found. Check the address."]}
            ) from exc
        for address in addresses:
            ip = ipaddress.ip_address(str(address).split("%")[0])
            if not ip.is_global:
                raise ValidationError(
                    {
                        "url": [
                            f"“{host}” is a private or local address ({ip}). Webhooks are sent "
                            "only to addresses on the public internet."
                        ]
                    }
                )
    return url


@transaction.atomic
def endpoint_register(
    *, owner_email: str, url: str, description: str = "", confirmed: bool = False
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown to the owner once).

    Unless ``confirmed`` (an API key vouches for the owner), the owner confirms by email
    before anything is sent to it.
    """
    owner = person_for_email(_clean_email(owner_email))
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner=owner,
        url=validate_webhook_url(url),
        description=description.strip()[:200],
        secret=secret,
        confirmed_at=timezone.now() if confirmed else None,
    )
    if not confirmed:
        from openlocal.subscriptions.tasks import send_endpoint_confirmation

        pk = endpoint.pk
        enqueue_with_change(send_endpoint_confirmation, pk)
    return endpoint, secret


@transaction.atomic
def endpoint_confirm(*, endpoint: WebhookEndpoint) -> bool:
    if endpoint.confirmed_at is not None:
        return False
    now = timezone.now()
    endpoint.confirmed_at = now
    endpoint.save(update_fields=["confirmed_at", "updated_at"])
    Subscription.objects.filter(endpoint=endpoint, confirmed_at__isnull=True).update(
        confirmed_at=now
    )
    Person.objects.filter(pk=endpoint.owner_id, confirmed_at__isnull=True).update(confirmed_at=now)
    for subscription in Subscription.objects.filter(endpoint=endpoint, kind=TargetKind.REQUEST):
        _recount(subscription)
    return True


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, notify: bool = True) -> bool:
    """Stop sending to an endpoint (repeated failures); its owner is told by email."""
    if endpoint.disabled_at is not None:
        return False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:300]
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
    Delivery.objects.filter(endpoint=endpoint, status="pending").update(
        status="skipped", last_error="Endpoint disabled."
    )
    for subscription in Subscription.objects.filter(endpoint=endpoint, kind=TargetKind.REQUEST):
        _recount(subscription)
    if notify:
        from openlocal.subscriptions.tasks import send_endpoint_disabled_notice

        pk = endpoint.pk
        enqueue_with_change(send_endpoint_disabled_notice, pk)
    return True


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> bool:
    if endpoint.disabled_at is None:
        return False
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=["disabled_at", "disabled_reason", "consecutive_failures", "updated_at"]
    )
    for subscription in Subscription.objects.filter(endpoint=endpoint, kind=TargetKind.REQUEST):
        _recount(subscription)
    return True


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    request_ids = list(
        Subscription.objects.filter(endpoint=endpoint, kind=TargetKind.REQUEST).values_list(
            "request_id", flat=True
        )
    )
    endpoint.delete()
    for request_id in request_ids:
        if request_id is not None:
            follower_recount(request_id)


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint) -> Delivery:
    """Queue a signed test message to the endpoint; it appears in the delivery log."""
    if endpoint.confirmed_at is None:
        raise ValidationError({"endpoint": ["Confirm the endpoint before sending it a ping."]})
    event: Event = event_record(
        kind=EventKind.PING,
        request=None,
        extra={"endpoint": {"url": endpoint.url}, "message": "Test ping from OpenLocal."},
        recipients=[],
    )
    return Delivery.objects.create(event=event, endpoint=endpoint, channel=Channel.WEBHOOK)
