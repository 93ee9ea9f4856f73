"""Following by email: confirmed by a link, once per target, stopped in one click."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from openlocal.requests.models import Person, Request, Status
from openlocal.requests.services import request_create, request_status_change
from openlocal.subscriptions.events import fan_out, fan_out_pending
from openlocal.subscriptions.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    Subscription,
    SubscriptionSource,
)
from openlocal.subscriptions.services import (
    follow,
    subscription_confirm,
    subscription_delete,
    subscription_set_channel,
    subscription_stop,
    subscription_stop_all,
)
from openlocal.subscriptions.targets import Target

LONDON = ZoneInfo("Europe/London")


def report(place, **kwargs) -> Request:
    return request_create(
        category=place.pothole,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Pothole outside the school",
        description="A deep hole.",
        answers={"depth": "deep"},
        notify=False,
        **kwargs,
    )


def fixed(place, request: Request) -> Event:
    """Mark the request fixed and fan the event out, as the worker would."""
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, message="Filled."
    )
    fan_out_pending()
    return Event.objects.get(update=update)


def told(event: Event) -> set[str]:
    return set(
        Delivery.objects.filter(event=event).values_list("subscription__person__email", flat=True)
    )


def count(request: Request) -> int:
    return Request.private_objects.get(pk=request.pk).follower_count


def test_an_address_in_the_wrong_format_gets_a_clear_message(place) -> None:
    request = report(place)
    for bad in ("   ", "pat", "pat@", "pat at example.org", "pat@example.org\nBcc: x@y.org"):
        with pytest.raises(ValidationError) as exc:
            follow(target=Target.for_request(request), email=bad)
        assert exc.value.message_dict == {
            "email": ["Enter an email address in the correct format, like name@example.com"]
        }
    assert not Subscription.objects.exclude(source=SubscriptionSource.REPORTER).exists()


def test_only_email_channels_may_be_chosen_by_a_person(place) -> None:
    with pytest.raises(ValidationError, match="straight away or a daily digest"):
        follow(target=Target.for_body(place.county_council), email="pat@example.org", channel="off")


def test_following_asks_for_confirmation_by_email_once_per_request_to_follow(
    place, django_capture_on_commit_callbacks
) -> None:
    request = report(place)
    target = Target.for_request(request)
    with django_capture_on_commit_callbacks(execute=True):
        first = follow(target=target, email="Pat@Example.org")
    assert first.created and first.needs_confirmation
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.org"]
    assert "/subscriptions/confirm/" in mail.outbox[0].body
    # Asking again before confirming sends the link again, still one subscription.
    with django_capture_on_commit_callbacks(execute=True):
        again = follow(target=target, email="pat@example.org")
    assert not again.created and again.needs_confirmation
    assert again.subscription.pk == first.subscription.pk
    assert len(mail.outbox) == 2
    subscription_confirm(subscription=first.subscription)
    # Once confirmed, following again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = follow(target=target, email="pat@example.org")
    assert not confirmed.created and not confirmed.needs_confirmation
    assert len(mail.outbox) == 2
    assert Subscription.objects.filter(person__email="pat@example.org").count() == 1


def test_an_unconfirmed_follower_is_not_counted_and_hears_nothing(place) -> None:
    request = report(place)
    follow(target=Target.for_request(request), email="pat@example.org", notify=False)
    follow(target=Target.for_area(place.west), email="pat2@example.org", notify=False)
    assert count(request) == 0
    event = fixed(place, request)
    assert told(event) == set()


def test_confirming_counts_the_follower_and_is_idempotent(place) -> None:
    request = report(place)
    result = follow(target=Target.for_request(request), email="pat@example.org", notify=False)
    assert subscription_confirm(subscription=result.subscription) is True
    assert count(request) == 1
    assert Person.objects.get(email="pat@example.org").confirmed_at is not None
    assert subscription_confirm(subscription=result.subscription) is False
    assert count(request) == 1
    event = fixed(place, request)
    assert told(event) == {"pat@example.org"}


def test_a_stopped_subscription_hears_nothing_more(place) -> None:
    request = report(place)
    subscription = follow(
        target=Target.for_request(request), email="pat@example.org", confirmed=True
    ).subscription
    request_status_change(request=request, actor=place.county_inspector, status=Status.ACKNOWLEDGED)
    fan_out_pending()
    waiting = Delivery.objects.get(subscription=subscription)
    assert waiting.status == DeliveryStatus.PENDING
    assert subscription_stop(subscription=subscription) is True
    assert subscription_stop(subscription=subscription) is False
    assert count(request) == 0
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SKIPPED
    event = fixed(place, request)
    assert told(event) == set()


def test_following_again_after_stopping_asks_for_confirmation_again(place) -> None:
    request = report(place)
    target = Target.for_request(request)
    subscription = follow(target=target, email="pat@example.org", confirmed=True).subscription
    subscription_stop(subscription=subscription)
    again = follow(target=target, email="pat@example.org", notify=False)
    assert again.needs_confirmation and again.subscription.pk == subscription.pk
    assert subscription_confirm(subscription=again.subscription) is True
    again.subscription.refresh_from_db()
    assert again.subscription.channel == Channel.IMMEDIATE
    assert count(request) == 1


def test_stop_everything_stops_every_subscription_of_the_person(place) -> None:
    request = report(place)
    for target in (Target.for_request(request), Target.for_area(place.west)):
        follow(target=target, email="pat@example.org", confirmed=True)
    follow(target=Target.for_area(place.east), email="other@example.org", confirmed=True)
    pat = Person.objects.get(email="pat@example.org")
    assert subscription_stop_all(person=pat) == 2
    assert subscription_stop_all(person=pat) == 0
    assert set(Subscription.objects.filter(person=pat).values_list("channel", flat=True)) == {
        Channel.OFF
    }
    assert Subscription.objects.get(person__email="other@example.org").active


def test_deleting_a_subscription_updates_the_count(place) -> None:
    request = report(place)
    subscription = follow(
        target=Target.for_request(request), email="pat@example.org", confirmed=True
    ).subscription
    assert count(request) == 1
    subscription_delete(subscription=subscription)
    assert count(request) == 0


@override_settings(DIGEST_HOUR=7)
@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 3, 10, 9, 30, tzinfo=LONDON), datetime(2026, 3, 11, 7, 0, tzinfo=LONDON)),
        (datetime(2026, 3, 10, 5, 0, tzinfo=LONDON), datetime(2026, 3, 10, 7, 0, tzinfo=LONDON)),
        # The clocks go forward on 29 March 2026: still 7 o'clock on the wall.
        (datetime(2026, 3, 28, 20, 0, tzinfo=LONDON), datetime(2026, 3, 29, 7, 0, tzinfo=LONDON)),
    ],
)
def test_a_digest_follower_is_told_at_the_next_digest_hour(place, now, due) -> None:
    request = report(place)
    digest = follow(
        target=Target.for_request(request),
        email="digest@example.org",
        channel=Channel.DIGEST,
        confirmed=True,
    ).subscription
    straight = follow(
        target=Target.for_request(request), email="now@example.org", confirmed=True
    ).subscription
    update = request_status_change(
        request=request, actor=place.county_inspector, status=Status.ACKNOWLEDGED
    )
    fan_out(Event.objects.get(update=update), now=now)
    later = Delivery.objects.get(subscription=digest)
    assert (later.channel, later.due_at) == (Channel.DIGEST, due)
    assert Delivery.objects.get(subscription=straight).due_at == now
    # Switching to straight away brings what waits for the digest forward.
    subscription_set_channel(subscription=digest, channel=Channel.IMMEDIATE)
    later.refresh_from_db()
    assert later.channel == Channel.IMMEDIATE and later.due_at <= timezone.now()


def test_a_reporter_follows_their_own_request_without_confirming(place) -> None:
    request = report(place, reporter_email="Rita@Example.org")
    subscription = Subscription.objects.get(target_key=f"request:{request.pk}")
    assert subscription.person is not None and subscription.person.email == "rita@example.org"
    assert subscription.source == SubscriptionSource.REPORTER
    assert subscription.active
    assert count(request) == 1
    event = fixed(place, request)
    assert told(event) == {"rita@example.org"}


def test_a_reporter_who_stopped_following_is_not_followed_again_by_a_second_report(place) -> None:
    first = report(place, reporter_email="rita@example.org")
    subscription_stop(subscription=Subscription.objects.get(target_key=f"request:{first.pk}"))
    second = report(place, reporter_email="rita@example.org")
    assert Subscription.objects.get(target_key=f"request:{second.pk}").active
    assert not Subscription.objects.get(target_key=f"request:{first.pk}").active
