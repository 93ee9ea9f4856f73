"""Webhooks: signed per Standard Webhooks, retried with backoff, disabled after failing."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from openlocal.requests.models import Status
from openlocal.requests.services import request_create, request_status_change
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.models import Delivery, DeliveryStatus, EventKind
from openlocal.subscriptions.services import endpoint_ping, endpoint_register, follow
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.testing import webhook_receiver


@pytest.fixture
def receiver():
    with webhook_receiver() as hooks:
        yield hooks


def report(place):
    return request_create(
        category=place.pothole,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Deep pothole outside the school",
        description="It has burst two tyres this week.",
        answers={"depth": "deep"},
    )


def endpoint_following(request, url, owner="dev@example.org"):
    endpoint, secret = endpoint_register(owner_email=owner, url=url, confirmed=True)
    follow(target=Target.for_request(request), endpoint=endpoint)
    return endpoint, secret


def fix(place, request):
    return request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, message="Filled."
    )


def test_receiver_verifies_the_signed_documented_payload(place, receiver):
    request = report(place)
    run_batch()
    endpoint, secret = endpoint_following(request, receiver.url("/hook"))
    fix(place, request)

    result = run_batch()

    assert result.sent == 1
    [hook] = receiver.requests
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["user-agent"].startswith("OpenLocal")
    payload = Webhook(secret).verify(hook.body, hook.headers)
    assert payload["type"] == "request.fixed"
    data = payload["data"]
    assert data["request"]["id"] == request.pk
    assert data["request"]["status"] == "fixed"
    assert data["update"]["text"] == "Filled."
    assert "reporter" not in json.dumps(data).replace("reporter_name", "")
    delivery = Delivery.objects.get(endpoint=endpoint, event__kind=EventKind.FIXED)
    assert hook.headers["webhook-id"] == f"msg_{delivery.pk}"
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.SENT, 204)
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.consecutive_failures == 0
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43).verify(hook.body, hook.headers)


@override_settings(WEBHOOK_RETRY_SCHEDULE=(5, 60, 600))
def test_an_endpoint_answering_500_is_retried_with_backoff_then_disabled(
    place, receiver, django_capture_on_commit_callbacks
):
    request = report(place)
    run_batch()
    endpoint, _ = endpoint_following(request, receiver.url("/broken"))
    receiver.answer(status=500)
    fix(place, request)
    now = timezone.now()
    waits = []
    for _ in range(3):
        result = run_batch(now=now)
        assert result.retried == 1
        delivery = Delivery.objects.get(endpoint=endpoint, event__kind=EventKind.FIXED)
        assert delivery.status == DeliveryStatus.PENDING
        assert (delivery.response_status, delivery.last_error) == (
            500,
            "The endpoint answered HTTP 500.",
        )
        waits.append((delivery.due_at - now).total_seconds())
        assert run_batch(now=now + timedelta(seconds=waits[-1] - 1)).idle
        now = delivery.due_at
    assert waits == [5, 60, 600]  # each wait longer than the last

    with django_capture_on_commit_callbacks(execute=True):
        result = run_batch(now=now)

    assert result.failed == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)
    ids = {h.headers["webhook-id"] for h in receiver.requests}
    assert ids == {f"msg_{delivery.pk}"}  # the same message id on every try
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and "after 4 tries" in endpoint.disabled_reason
    [notice] = mail.outbox
    assert notice.to == ["dev@example.org"] and "disabled" in notice.subject
    # A disabled endpoint is sent nothing more.
    request_status_change(
        request=request, actor=place.county_inspector, status=Status.NEW, message="Again."
    )
    assert run_batch().sent == 0
    assert len(receiver.requests) == 4


@override_settings(WEBHOOK_TIMEOUT=0.3, WEBHOOK_RETRY_SCHEDULE=(30,))
def test_an_endpoint_that_does_not_answer_in_time_is_retried_then_disabled(
    place, receiver, django_capture_on_commit_callbacks
):
    request = report(place)
    run_batch()
    endpoint, _ = endpoint_following(request, receiver.url("/slow"))
    receiver.answer(delay=3.0)
    fix(place, request)
    now = timezone.now()

    result = run_batch(now=now)

    assert result.retried == 1
    delivery = Delivery.objects.get(endpoint=endpoint, event__kind=EventKind.FIXED)
    assert "timed out" in delivery.last_error
    assert delivery.due_at == now + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_batch(now=delivery.due_at)
    assert result.failed == 1
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert [m.to for m in mail.outbox] == [["dev@example.org"]]


@override_settings(WEBHOOK_DISABLE_AFTER_FAILURES=3)
def test_an_endpoint_failing_many_times_in_a_row_is_disabled(
    place, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_register(
        owner_email="dev@example.org", url=receiver.url("/down"), confirmed=True
    )
    requests = [report(place) for _ in range(3)]
    run_batch()
    for request in requests:
        follow(target=Target.for_request(request), endpoint=endpoint)
    receiver.answer(status=503)
    for request in requests:
        fix(place, request)

    with django_capture_on_commit_callbacks(execute=True):
        result = run_batch()

    assert result.retried == 3
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason.startswith("3 messages in a row failed")
    assert not Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).exists()


def test_a_ping_is_signed_sent_and_in_the_delivery_log(place, receiver):
    endpoint, secret = endpoint_register(
        owner_email="dev@example.org", url=receiver.url("/ping"), confirmed=True
    )
    ping = endpoint_ping(endpoint=endpoint)

    assert run_batch().sent == 1

    [hook] = receiver.requests
    payload = Webhook(secret).verify(hook.body, hook.headers)
    assert payload["type"] == "ping"
    logged = endpoint.deliveries.get()
    assert logged.pk == ping.pk
    assert (logged.status, logged.response_status) == (DeliveryStatus.SENT, 204)


@override_settings(WEBHOOK_CONCURRENCY=1)
def test_one_connection_carries_a_whole_batch(place, receiver):
    request = report(place)
    run_batch()
    for n in range(10):
        endpoint_following(request, receiver.url(f"/hook/{n}"), owner=f"dev{n}@example.org")
    fix(place, request)

    assert run_batch().sent == 10

    assert len(receiver.requests) == 10
    assert receiver.connections == 1
    assert {h.connection for h in receiver.requests} == {1}


def test_a_batch_shares_a_few_connections_between_its_senders(place, receiver, settings):
    request = report(place)
    run_batch()
    for n in range(30):
        endpoint_following(request, receiver.url(f"/hook/{n}"), owner=f"dev{n}@example.org")
    fix(place, request)

    assert run_batch().sent == 30

    assert receiver.connections <= settings.WEBHOOK_CONCURRENCY < 30
