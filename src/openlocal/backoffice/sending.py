"""Sending requests to back offices: claim what is due, try each one, record the outcome.

A worker claims due sendings in a short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and leases them by moving ``next_attempt_at`` on by :data:`LEASE`, so another
worker leaves them alone. It then calls out with no transaction open (a slow back office
never holds a lock), and records each outcome in a transaction of its own. A worker that
dies mid-call leaves its lease to run out and the sending is tried again: a back office may
then get a request twice, never none.

Failures that may pass (the back office is down, answers 5xx or 429, the mail server is
away) are retried: the wait doubles from ``BACK_OFFICE_RETRY_FIRST`` up to
``BACK_OFFICE_RETRY_LONGEST``, and a sending still failing ``BACK_OFFICE_GIVE_UP_AFTER``
after its first try is marked failed. A refusal (an Open311 error document with a 4xx, a
mail server's 5xx) fails at once with its message: staff fix the link and press "Retry now".
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openlocal.backoffice import client, payloads
from openlocal.backoffice.emails import request_email
from openlocal.backoffice.models import (
    DUE_STATUSES,
    BackOfficeLink,
    Method,
    Sending,
    SendingStatus,
)
from openlocal.core.mail import BatchMailer
from openlocal.requests.models import Request, Update, UpdateKind

logger = logging.getLogger("openlocal.backoffice")

#: How long a worker holds the sendings it claimed: longer than a batch can take.
LEASE = timedelta(minutes=5)
#: Sendings one worker claims at a time.
BATCH = 50


def give_up_after() -> timedelta:
    return timedelta(seconds=settings.BACK_OFFICE_GIVE_UP_AFTER)


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` failed tries in a row: doubling, up to the longest."""
    seconds = settings.BACK_OFFICE_RETRY_FIRST * 2 ** max(failures - 1, 0)
    return timedelta(seconds=min(seconds, settings.BACK_OFFICE_RETRY_LONGEST))


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def __add__(self, other: SendResult) -> SendResult:
        return SendResult(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def idle(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Outcome:
    """What one try came to: ``sent``, ``retry``, ``failed`` or ``cancelled``."""

    kind: str
    error: str = ""
    external_id: str = ""
    token: str = ""


def claim(now: datetime, limit: int = BATCH, *, only: int | None = None) -> list[int]:
    """Lease up to ``limit`` due sendings of enabled links (or just ``only``), oldest first."""
    with transaction.atomic():
        query = Sending.objects.filter(
            status__in=DUE_STATUSES, next_attempt_at__lte=now, link__enabled=True
        )
        if only is not None:
            query = query.filter(pk=only)
        query = query.order_by("next_attempt_at", "id")
        features = transaction.get_connection().features
        if features.has_select_for_update_skip_locked and features.has_select_for_update_of:
            query = query.select_for_update(skip_locked=True, of=("self",))
        ids = list(query.values_list("pk", flat=True)[:limit])
        if ids:
            Sending.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def _smtp_reply(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _send_email(mailer: BatchMailer, request: Request, link: BackOfficeLink) -> Outcome:
    if not link.email:
        return Outcome("failed", "No email address is set for the back office.")
    message = request_email(request, link)
    try:
        mailer.send(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        error = f"The mail server refused {link.email}: {code} {_smtp_reply(reply)}"
        return Outcome("failed" if code >= 500 else "retry", error)
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        error = (
            f"The mail server refused the message: {exc.smtp_code} {_smtp_reply(exc.smtp_error)}"
        )
        return Outcome("failed" if exc.smtp_code >= 500 else "retry", error)
    except (smtplib.SMTPException, OSError) as exc:
        mailer.close()
        return Outcome(
            "retry", f"The mail server could not be reached: {exc or type(exc).__name__}"
        )
    return Outcome("sent")


def _post_open311(http: httpx.Client, request: Request, link: BackOfficeLink) -> Outcome:
    try:
        created = client.post_request(http, link, payloads.open311_fields(request, link))
    except client.BackOfficeError as error:
        return Outcome("retry" if error.temporary else "failed", error.message)
    return Outcome("sent", external_id=created.service_request_id, token=created.token)


class _Connections:
    """The batch's SMTP connection and HTTP client, each made when first needed."""

    def __init__(self) -> None:
        self.mailer = BatchMailer()
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = client.http_client()
        return self._http

    def close(self) -> None:
        self.mailer.close()
        if self._http is not None:
            self._http.close()
            self._http = None


def _attempt(sending: Sending, connections: _Connections) -> Outcome:
    link = sending.link
    request = payloads.load(sending.request_id)
    if request.body_id != link.body_id:
        return Outcome("cancelled", f"Passed to {request.body.name} before it was sent.")
    if request.hidden:
        return Outcome("cancelled", "Hidden by moderation before it was sent.")
    if link.method == Method.EMAIL:
        return _send_email(connections.mailer, request, link)
    return _post_open311(connections.http, request, link)


def _sent_text(link: BackOfficeLink, outcome: Outcome) -> str:
    body = link.body.name
    if link.method == Method.EMAIL:
        return f"Sent to {body} by email."
    if outcome.external_id:
        return f"Sent to {body}’s back office, where its reference is {outcome.external_id}."
    return f"Sent to {body}’s back office."


def _record(sending_id: int, outcome: Outcome, now: datetime) -> str:
    """Write the outcome of a try; returns the sending's new status."""
    with transaction.atomic():
        query = Sending.objects.select_related("link", "link__body")
        features = transaction.get_connection().features
        if features.has_select_for_update_of:
            query = query.select_for_update(of=("self",))
        sending = query.get(pk=sending_id)
        if sending.status not in DUE_STATUSES:
            return str(sending.status)
        error = client.redact(outcome.error, sending.link)[:500]
        if outcome.kind == "cancelled":
            sending.status = SendingStatus.CANCELLED
            sending.last_error = error
            sending.next_attempt_at = None
            sending.save()
            return str(sending.status)
        sending.attempts += 1
        sending.last_attempt_at = now
        if sending.give_up_at is None:
            sending.give_up_at = now + give_up_after()
        if outcome.kind == "sent":
            sending.status = SendingStatus.SENT
            sending.sent_at = now
            sending.external_id = outcome.external_id[:100]
            sending.token = outcome.token[:100]
            sending.last_error = ""
            sending.consecutive_failures = 0
            sending.next_attempt_at = None
            Update.private_objects.create(
                request_id=sending.request_id,
                kind=UpdateKind.SENT,
                public=True,
                text=_sent_text(sending.link, outcome),
                author_name=sending.link.body.name,
                body=sending.link.body,
                data={"method": sending.link.method, "reference": sending.external_id},
                created_at=now,
            )
        else:
            sending.consecutive_failures += 1
            sending.last_error = error
            retry_at = now + backoff(sending.consecutive_failures)
            if outcome.kind == "failed":
                sending.status = SendingStatus.FAILED
                sending.next_attempt_at = None
            elif retry_at > sending.give_up_at:
                sending.status = SendingStatus.FAILED
                sending.next_attempt_at = None
                sending.last_error = (
                    f"{error} Gave up after {sending.attempts} tries."[:500]
                    if error
                    else f"Gave up after {sending.attempts} tries."
                )
            else:
                sending.status = SendingStatus.RETRYING
                sending.next_attempt_at = retry_at
        sending.save()
        return str(sending.status)


def _send(ids: list[int], now: datetime) -> SendResult:
    result = SendResult()
    if not ids:
        return result
    sendings = list(
        Sending.objects.filter(pk__in=ids).select_related("link", "link__body").order_by("id")
    )
    connections = _Connections()
    try:
        for sending in sendings:
            try:
                outcome = _attempt(sending, connections)
            except Request.DoesNotExist:
                continue
            except Exception as exc:
                # A fault of ours with one request must not stop the rest of the batch.
                logger.exception("sending %s to a back office failed unexpectedly", sending.pk)
                outcome = Outcome(
                    "retry", f"An unexpected error on this site: {type(exc).__name__}."
                )
            status = _record(sending.pk, outcome, now)
            if status == SendingStatus.SENT:
                result.sent += 1
            elif status == SendingStatus.RETRYING:
                result.retrying += 1
                logger.info("sending %s will be retried: %s", sending.pk, sending.link.body.slug)
            elif status == SendingStatus.FAILED:
                result.failed += 1
                logger.warning("sending %s to %s failed", sending.pk, sending.link.body.slug)
            elif status == SendingStatus.CANCELLED:
                result.cancelled += 1
    finally:
        connections.close()
    return result


def send_due(*, now: datetime | None = None, limit: int = BATCH) -> SendResult:
    """Try one batch of due sendings now."""
    now = now or timezone.now()
    return _send(claim(now, limit), now)


def send_one(sending_id: int, *, now: datetime | None = None) -> SendResult:
    """Try one sending now, if it is due (a "Retry now" from the staff page)."""
    now = now or timezone.now()
    return _send(claim(now, 1, only=sending_id), now)
