"""Emails about subscriptions themselves, sent by ``openlocal worker`` through the task queue.

Notifications about events do not go through here: they are deliveries (see ``delivery``).
"""

from __future__ import annotations

from django_tasks import task

from openlocal.subscriptions import links
from openlocal.subscriptions.emails import build_email
from openlocal.subscriptions.models import Subscription, WebhookEndpoint


@task()
def send_follow_confirmation(subscription_id: int) -> None:
    """Ask a person to confirm, by a link, that they want to follow something."""
    subscription = Subscription.objects.select_related("person").filter(pk=subscription_id).first()
    if subscription is None or subscription.person is None or subscription.active:
        return
    build_email(
        to=subscription.person.email,
        subject=f"Confirm you want updates: {subscription.label}",
        template="follow_confirmation",
        context={
            "subscription": subscription,
            "confirm_url": links.confirm_url(subscription.pk),
        },
        person_id=subscription.person_id,
    ).send()


@task()
def send_endpoint_confirmation(endpoint_id: int) -> None:
    """Ask the owner of a new webhook endpoint to confirm it."""
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.confirmed_at is not None:
        return
    build_email(
        to=endpoint.owner.email,
        subject="Confirm your webhook endpoint",
        template="endpoint_confirmation",
        context={"endpoint": endpoint, "confirm_url": links.endpoint_confirm_url(endpoint.pk)},
        person_id=endpoint.owner_id,
    ).send()


@task()
def send_endpoint_disabled_notice(endpoint_id: int) -> None:
    """Tell an endpoint's owner that deliveries stopped after repeated failures."""
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.disabled_at is None:
        return
    build_email(
        to=endpoint.owner.email,
        subject="Your webhook endpoint has been disabled",
        template="endpoint_disabled",
        context={"endpoint": endpoint},
        person_id=endpoint.owner_id,
    ).send()
