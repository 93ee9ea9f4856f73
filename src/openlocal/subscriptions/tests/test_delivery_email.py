"""Email notifications, sent by the dispatcher into a real SMTP server on loopback."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from openlocal.requests.merging import request_merge
from openlocal.requests.models import Person, Status
from openlocal.requests.services import request_create, request_hide, request_status_change
from openlocal.subscriptions import links, tokens
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.events import fan_out_pending, next_digest_at
from openlocal.subscriptions.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventKind,
    Subscription,
)
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.testing import smtp_server


def linked_id(text: str, route: str, kind: tokens._Kind) -> int:
    """The id signed into the first link to ``route`` in ``text``.

    Links are signed with the second they were made, so a test cannot rebuild one to compare
    it: it reads what the link says instead.
    """
    before, after = links.absolute(reverse(route, args=["TOKEN"])).split("TOKEN")
    found = re.search(re.escape(before) + r"([\w:-]+)" + re.escape(after), text)
    assert found, f"No {route} link in {text[:300]!r}"
    return tokens.read(kind, found.group(1))


def report(place, title="Deep pothole outside the school", **kwargs):
    fields = {
        "category": place.pothole,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": title,
        "description": "It has burst two tyres this week.",
        "answers": {"depth": "deep"},
    }
    fields.update(kwargs)
    return request_create(**fields)


def follow_request(request, email, channel=Channel.IMMEDIATE):
    return follow(
        target=Target.for_request(request), email=email, confirmed=True, channel=channel
    ).subscription


def updates():
    """Deliveries of everything but the creation of a request (which followers of the
    request itself are not emailed about: only its reporter could follow it yet)."""
    return Delivery.objects.exclude(event__kind=EventKind.CREATED)


@pytest.fixture
def smtp():
    with smtp_server() as server, override_settings(**server.settings()):
        yield server


def fix(place, request, message="Filled today."):
    return request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, message=message
    )


def test_status_change_emails_each_follower_once_with_one_click_stop(place, smtp):
    request = report(place)
    subscription = follow_request(request, "neighbour@example.org")
    run_batch()  # the new report: nothing for followers of the request itself
    assert smtp.messages == []

    fix(place, request)
    result = run_batch()

    assert (result.sent, result.failed) == (1, 0)
    [mail] = smtp.messages
    assert mail.to == "neighbour@example.org"
    assert mail.subject == f"Fixed: report #{request.pk}, Deep pothole outside the school"
    assert "marked report" in mail.text and "Filled today." in mail.text
    assert "Filled today." in mail.html and "<a href=" in mail.html
    header = mail.header("List-Unsubscribe")
    assert header.startswith("<") and header.endswith(">")
    assert linked_id(header, "subscriptions:stop", tokens.STOP) == subscription.pk
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    for part in (mail.text, mail.html):
        assert linked_id(part, "subscriptions:stop", tokens.STOP) == subscription.pk
    assert linked_id(mail.text, "subscriptions:manage", tokens.MANAGE) == subscription.person_id
    assert f"/requests/{request.pk}" in mail.text
    delivery = updates().get(subscription=subscription)
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at is not None
    # Nothing is sent twice.
    assert run_batch().sent == 0


def test_reporter_hears_of_updates_on_their_own_report(place, smtp):
    request = report(place, reporter_email="resident@example.org")
    run_batch()
    fix(place, request)
    run_batch()
    [mail] = smtp.to("resident@example.org")
    assert mail.subject == f"Fixed: your report #{request.pk}, Deep pothole outside the school"
    assert "because you reported this" in mail.text


def test_a_person_following_by_two_routes_gets_one_email(place, smtp):
    follow(target=Target.for_area(place.west), email="watcher@example.org", confirmed=True)
    follow(target=Target.for_category(place.pothole), email="watcher@example.org", confirmed=True)
    request = report(place)
    result = run_batch()
    assert result.sent == 1
    [mail] = smtp.to("watcher@example.org")
    assert mail.subject.startswith("New report in ")
    assert request.title in mail.subject


def test_daily_digest_groups_a_persons_events_into_one_email(place, smtp):
    first = report(place, title="Pothole by the school")
    second = report(place, title="Pothole by the church")
    run_batch()
    for request in (first, second):
        follow_request(request, "digest@example.org", channel=Channel.DIGEST)
    fix(place, first, "Filled.")
    request_status_change(
        request=second, actor=place.county_inspector, status=Status.IN_PROGRESS, message=""
    )
    run_batch()
    assert smtp.messages == []  # not before the digest hour

    at = next_digest_at(timezone.now()) + timedelta(minutes=1)
    result = run_batch(now=at)

    assert result.sent == 2
    [mail] = smtp.messages
    assert mail.to == "digest@example.org"
    assert mail.subject.startswith("2 updates from ")
    for request in (first, second):
        assert request.title in mail.text and f"/requests/{request.pk}" in mail.html
    assert "Filled." in mail.text
    person = Person.objects.get(email="digest@example.org")
    assert linked_id(mail.text, "subscriptions:manage", tokens.MANAGE) == person.pk
    # One click (RFC 8058) stops the whole digest, whichever subscriptions it covers.
    stop = mail.header("List-Unsubscribe").removeprefix("<").removesuffix(">")
    assert linked_id(stop, "subscriptions:digest-stop", tokens.MANAGE) == person.pk
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert run_batch(now=at + timedelta(minutes=1)).sent == 0

    client = Client(enforce_csrf_checks=True)
    path = stop.removeprefix(settings.BASE_URL)
    page = client.get(path)
    assert page.status_code == 200 and b"Pothole by the school" in page.content
    stopped = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200 and b"Daily digest stopped" in stopped.content
    channels = Subscription.objects.filter(person=person).values_list("channel", flat=True)
    assert set(channels) == {Channel.OFF}
    again = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and b"Already stopped" in again.content


def test_a_hidden_request_sends_nothing_more(place, smtp):
    request = report(place)
    follow_request(request, "neighbour@example.org")
    run_batch()
    fix(place, request)
    assert fan_out_pending() == 1  # the follower's delivery is waiting
    place.west_manager.memberships.create(body=place.county_council, role="manager")
    request_hide(request=request, actor=place.west_manager, reason="Abusive text")

    result = run_batch()

    assert smtp.messages == []
    assert result.skipped == 1
    assert updates().get().status == DeliveryStatus.SKIPPED


def test_a_refused_recipient_fails_only_its_own_delivery(place, smtp):
    request = report(place)
    for email in ("one@example.org", "gone@example.org", "three@example.org"):
        follow_request(request, email)
    run_batch()
    smtp.refuse("gone@example.org")
    fix(place, request)

    result = run_batch()

    assert (result.sent, result.failed) == (2, 1)
    assert sorted(smtp.recipients()) == ["one@example.org", "three@example.org"]
    refused = updates().get(subscription__person__email="gone@example.org")
    assert refused.status == DeliveryStatus.FAILED
    assert "550" in refused.last_error
    assert smtp.connections == 1  # one SMTP session served the whole batch


def test_mail_server_down_is_retried_and_delivered_when_back(place, smtp, settings):
    settings.EMAIL_RETRY_SCHEDULE = (60, 600)
    request = report(place)
    for email in ("one@example.org", "two@example.org"):
        follow_request(request, email)
    run_batch()
    fix(place, request)
    smtp.stop()
    now = timezone.now()

    result = run_batch(now=now)

    assert (result.sent, result.retried, result.failed) == (0, 2, 0)
    for delivery in updates():
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert delivery.due_at == now + timedelta(seconds=60)
        assert "could not be reached" in delivery.last_error
    assert run_batch(now=now + timedelta(seconds=30)).idle  # not due yet

    smtp.start()
    result = run_batch(now=now + timedelta(seconds=61))

    assert result.sent == 2
    assert sorted(smtp.recipients()) == ["one@example.org", "two@example.org"]


def test_merged_followers_are_told_where_their_request_went(place, smtp):
    original = report(place, title="Pothole on Mill Lane")
    duplicate = report(place, title="Hole in Mill Lane", reporter_email="second@example.org")
    run_batch()
    smtp.clear()

    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector)
    run_batch()

    [mail] = smtp.to("second@example.org")
    assert mail.subject == f"Your report #{duplicate.pk} was merged into #{original.pk}"
    assert f"You now follow #{original.pk}" in mail.text
    assert f"/requests/{original.pk}" in mail.text
