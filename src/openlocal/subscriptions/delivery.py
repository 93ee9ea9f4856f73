"""The dispatcher: claims due deliveries in batches and sends them by email or webhook.

A worker (``openlocal worker``) calls :func:`run_batch` in a loop. Each round it fans out
waiting events into deliveries (``events.fan_out_pending``), then claims a batch of due
immediate emails, a batch of due webhooks and the due daily digests, and sends them.

Claiming sets ``leased_until`` on the rows, in a transaction that on PostgreSQL locks them
with ``FOR UPDATE SKIP LOCKED`` (on SQLite every write transaction is ``IMMEDIATE``, so
claims are serialised), so any number of workers share the work without sending anything
twice. Outcomes are written back every :data:`RECORD_EVERY` sends and at the end of the
batch. A worker that dies mid-batch leaves its unrecorded deliveries leased; when the lease
(``DELIVERY_LEASE_SECONDS``) runs out another worker sends them again. So every delivery is
sent at least once, and a crash repeats at most the sends not yet recorded, never more than
one batch.

Channels:

- **Email now**: one SMTP connection per batch; a refused recipient fails only its own
  delivery; if the server is down or drops the connection the rest of the batch is retried
  later (``EMAIL_RETRY_SCHEDULE``).
- **Daily digest**: due at ``DIGEST_HOUR``; each person's due deliveries go out as one email.
- **Webhook**: a Standard Webhooks signed POST of ``event.payload`` over a keep-alive
  ``httpx`` client shared by a small thread pool; non-2xx answers and timeouts are retried
  on ``WEBHOOK_RETRY_SCHEDULE`` (over 24 hours); an endpoint whose delivery ran out of
  retries, or that failed ``WEBHOOK_DISABLE_AFTER_FAILURES`` times in a row, is disabled and
  its owner told.

Nothing is sent about a request that has since been hidden, nor to a stopped subscription
or a disabled endpoint: those deliveries are marked skipped. A request in a private category
is told only to its reporter, through their own follow of it, with their reporter link
(:mod:`openlocal.requests.access`); any other delivery about it, webhooks included, is
skipped, even one fanned out while the request was still public.
"""

from __future__ import annotations

import functools
import json
import logging
import smtplib
import ssl
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from openlocal.core.mail import BatchMailer
from openlocal.requests.access import reporter_url
from openlocal.requests.models import Request, Status, Update
from openlocal.subscriptions import links
from openlocal.subscriptions.emails import (
    MANAGE_MARK,
    STOP_MARK,
    assemble,
    email_context,
    personalise,
    render,
    stop_headers,
)
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    Subscription,
    SubscriptionSource,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

#: Outcomes are written to the database after this many sends (and at the end of a batch).
RECORD_EVERY = 100
USER_AGENT = "OpenLocal-Webhooks/1.0 (+https://www.standardwebhooks.com/)"

EMAIL_CHANNELS = (Channel.IMMEDIATE,)
WEBHOOK_CHANNELS = (Channel.WEBHOOK,)
DIGEST_CHANNELS = (Channel.DIGEST,)


@dataclass
class BatchResult:
    """What one round of the dispatcher did. ``sent`` and the rest count deliveries."""

    fanned_out: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def idle(self) -> bool:
        """True when the round found nothing to do."""
        return not any(getattr(self, f.name) for f in fields(self))


# Claiming ---------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def claim(
    channel_set: Collection[str],
    limit: int,
    now: datetime | None = None,
    lease: timedelta | None = None,
    *,
    extra: Q | None = None,
) -> list[Delivery]:
    """Claim up to ``limit`` due pending deliveries on these channels, oldest first.

    Due: pending, ``due_at`` passed, and not leased by a worker (or its lease ran out). The
    rows are leased until ``now + lease`` so no other worker takes them meanwhile.
    """
    now = now or timezone.now()
    until = now + (lease or _lease())
    with transaction.atomic():
        query = Delivery.objects.filter(
            status=DeliveryStatus.PENDING, channel__in=list(channel_set), due_at__lte=now
        ).filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        if extra is not None:
            query = query.filter(extra)
        query = query.order_by("id")
        features = transaction.get_connection().features
        if features.has_select_for_update_skip_locked and features.has_select_for_update_of:
            query = query.select_for_update(skip_locked=True, of=("self",))
        deliveries = list(query[:limit])
        if deliveries:
            Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(leased_until=until)
    for delivery in deliveries:
        delivery.leased_until = until
    return deliveries


def lease_running_out(deliveries: Iterable[Delivery]) -> bool:
    """Whether a third of the lease on these deliveries has passed: time to renew it.

    Until then no other worker can take them, so checking is needless work.
    """
    soonest = min((d.leased_until for d in deliveries if d.leased_until), default=None)
    return soonest is None or soonest - timezone.now() < _lease() * 2 / 3


def renew(deliveries: Sequence[Delivery], now: datetime) -> list[Delivery]:
    """Extend the lease on deliveries this worker claimed; returns those it still holds.

    A batch that outlasts its lease may have been taken over by another worker (which saw
    the lease run out and claimed the rows, changing ``leased_until``): those are dropped
    here, so that they are sent once, by the other worker.
    """
    if not deliveries:
        return []
    until = max(timezone.now(), now) + _lease()
    by_lease: dict[datetime | None, list[int]] = defaultdict(list)
    for delivery in deliveries:
        by_lease[delivery.leased_until].append(delivery.pk)
    held: set[int] = set()
    with transaction.atomic():
        for leased_until, ids in by_lease.items():
            query = Delivery.objects.filter(
                pk__in=ids, leased_until=leased_until, status=DeliveryStatus.PENDING
            )
            if transaction.get_connection().features.has_select_for_update:
                query = query.select_for_update()
            held.update(query.values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=held).update(leased_until=until)
    kept = [d for d in deliveries if d.pk in held]
    for delivery in kept:
        delivery.leased_until = until
    if len(kept) < len(deliveries):
        logger.warning(
            "%d deliveries were taken over by another worker after their lease ran out; "
            "consider a longer DELIVERY_LEASE_SECONDS.",
            len(deliveries) - len(kept),
        )
    return kept


# Recording outcomes -----------------------------------------------------------------------


def _delay(schedule: Sequence[float], attempts: int) -> float | None:
    """Seconds before the next try after ``attempts`` tries, or None when none is left."""
    if attempts > len(schedule):
        return None
    return float(schedule[attempts - 1])


@dataclass
class _EndpointTally:
    succeeded: bool = False
    #: Failures since the last success in this batch (or since the batch began).
    failures: int = 0
    last_error: str = ""
    exhausted: bool = False


@dataclass
class _Recorder:
    """Collects outcomes and writes them in a few bulk updates, every so often."""

    now: datetime
    schedule: Sequence[float]
    result: BatchResult = field(default_factory=BatchResult)
    _sent: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    _skipped: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: (attempts, final, error, response status) -> delivery ids
    _retried: dict[tuple[int, bool, str, int | None], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _deferred: list[int] = field(default_factory=list)
    _endpoints: dict[int, _EndpointTally] = field(default_factory=dict)
    _pending: int = 0

    def sent(self, delivery: Delivery, response_status: int | None = None) -> None:
        self._sent[response_status].append(delivery.pk)
        self.result.sent += 1
        if delivery.endpoint_id is not None:
            tally = self._endpoints.setdefault(delivery.endpoint_id, _EndpointTally())
            tally.succeeded, tally.failures = True, 0
        self._tick()

    def skip(self, delivery: Delivery, reason: str) -> None:
        self._skipped[reason].append(delivery.pk)
        self.result.skipped += 1
        self._tick()

    def retry(self, delivery: Delivery, error: str, response_status: int | None = None) -> None:
        """A failed try: due again after the schedule's wait, or failed when none is left."""
        attempts = delivery.attempts + 1
        final = _delay(self.schedule, attempts) is None
        self._retried[(attempts, final, error[:500], response_status)].append(delivery.pk)
        if final:
            self.result.failed += 1
        else:
            self.result.retried += 1
        if delivery.endpoint_id is not None:
            tally = self._endpoints.setdefault(delivery.endpoint_id, _EndpointTally())
            tally.failures += 1
            tally.last_error = error
            tally.exhausted = tally.exhausted or final
        self._tick()

    def fail(self, delivery: Delivery, error: str) -> None:
        """A permanent failure (the mail server refused the address): no retry."""
        self._retried[(delivery.attempts + 1, True, error[:500], None)].append(delivery.pk)
        self.result.failed += 1
        self._tick()

    def defer(self, delivery: Delivery) -> None:
        """Not tried in this batch (its endpoint is not answering): due again shortly."""
        self._deferred.append(delivery.pk)
        self.result.retried += 1
        self._tick()

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= RECORD_EVERY:
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        """Write the outcomes collected so far, in one transaction.

        Endpoints' health (failures in a row, last success, disabling) is written once, with
        the batch's last outcomes (``final``): the interim writes only keep a crash from
        repeating sends that were already made.
        """
        if not self._pending and not (final and self._endpoints):
            return
        now = self.now
        pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
        with transaction.atomic():
            for response_status, ids in self._sent.items():
                Delivery.objects.filter(pk__in=ids).update(
                    status=DeliveryStatus.SENT,
                    sent_at=timezone.now(),
                    attempts=F("attempts") + 1,
                    leased_until=None,
                    last_error="",
                    response_status=response_status,
                )
            for reason, ids in self._skipped.items():
                pending.filter(pk__in=ids).update(
                    status=DeliveryStatus.SKIPPED, last_error=reason, leased_until=None
                )
            for (attempts, last_try, error, response_status), ids in self._retried.items():
                delay = _delay(self.schedule, attempts)
                pending.filter(pk__in=ids).update(
                    status=DeliveryStatus.FAILED if last_try else DeliveryStatus.PENDING,
                    attempts=attempts,
                    due_at=now + timedelta(seconds=delay or 0),
                    leased_until=None,
                    last_error=error,
                    response_status=response_status,
                )
            if self._deferred:
                pending.filter(pk__in=self._deferred).update(
                    due_at=now + timedelta(seconds=self.schedule[0] if self.schedule else 60),
                    leased_until=None,
                    last_error="Not tried: the endpoint was not answering.",
                )
            exhausted = self._record_endpoints() if final else {}
        self._sent.clear()
        self._skipped.clear()
        self._retried.clear()
        self._deferred.clear()
        self._pending = 0
        if final:
            self._endpoints.clear()
            self._disable(exhausted)

    def _record_endpoints(self) -> dict[int, str]:
        """Update endpoints' failure counts; returns those to disable, with the reason."""
        now = self.now
        to_disable: dict[int, str] = {}
        # The common case, endpoints that only succeeded, is one statement for them all.
        clean = [pk for pk, t in self._endpoints.items() if t.succeeded and not t.failures]
        if clean:
            WebhookEndpoint.objects.filter(pk__in=clean).update(
                consecutive_failures=0, last_success_at=now
            )
        for endpoint_id, tally in self._endpoints.items():
            query = WebhookEndpoint.objects.filter(pk=endpoint_id)
            if tally.succeeded and not tally.failures:
                pass
            elif tally.succeeded:
                query.update(
                    consecutive_failures=tally.failures,
                    last_success_at=now,
                    **({"last_failure_at": now} if tally.failures else {}),
                )
            elif tally.failures:
                query.update(
                    consecutive_failures=F("consecutive_failures") + tally.failures,
                    last_failure_at=now,
                )
            if tally.exhausted:
                to_disable[endpoint_id] = (
                    f"A message could not be delivered after {len(self.schedule) + 1} tries "
                    f"over {_duration(sum(self.schedule))} (last error: {tally.last_error})."
                )
        limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
        failing = WebhookEndpoint.objects.filter(
            pk__in=[pk for pk, t in self._endpoints.items() if t.failures],
            consecutive_failures__gte=limit,
        ).values_list("pk", flat=True)
        for endpoint_id in failing:
            to_disable.setdefault(
                endpoint_id,
                f"{limit} messages in a row failed "
                f"(last error: {self._endpoints[endpoint_id].last_error}).",
            )
        return to_disable

    def _disable(self, endpoints: dict[int, str]) -> None:
        from openlocal.subscriptions.services import endpoint_disable

        for endpoint in WebhookEndpoint.objects.filter(
            pk__in=list(endpoints), disabled_at__isnull=True
        ):
            endpoint_disable(endpoint=endpoint, reason=endpoints[endpoint.pk])
            logger.info("Disabled webhook endpoint %s: %s", endpoint.pk, endpoints[endpoint.pk])


def _duration(seconds: float) -> str:
    if seconds >= 2 * 3600:
        return f"{round(seconds / 3600)} hours"
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds)} seconds"


# What a delivery is about -----------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One event told in words: the subject line and the sentences of an email."""

    kind: str
    request_id: int
    title: str
    url: str
    subject: str
    headline: str
    #: The request's status after the event, when it changed.
    status: str = ""
    #: The public text the body posted with the event.
    text: str = ""
    #: For a merge: the request the follower now follows.
    next_url: str = ""
    next_label: str = ""
    when: datetime | None = None


def _status_label(code: str | None) -> str:
    try:
        return str(Status(code).label) if code else ""
    except ValueError:
        return code or ""


def describe(
    event: Event,
    *,
    request: Request,
    update: Update | None,
    own: bool,
    label: str,
    merged_into: Request | None = None,
) -> Notice:
    """Put an event into words for one kind of reader (the reporter, or a follower)."""
    number = f"#{request.pk}"
    title = request.title
    # A private request is told only to its reporter: their link lets them see it.
    url = (
        reporter_url(request) if request.private else settings.BASE_URL + request.get_absolute_url()
    )
    thing = "your report" if own else "report"
    who = (update.author_name if update is not None else "") or request.body.name
    text = update.text if update is not None else ""
    data = event.payload.get("data", {})
    kind = event.kind

    def notice(**words: str) -> Notice:
        return Notice(
            kind=kind,
            request_id=request.pk,
            title=title,
            url=url,
            text=text,
            when=event.created_at,
            **words,
        )

    if kind == EventKind.CREATED:
        return notice(
            subject=f"New report in {label}: {title}",
            headline=(
                f"Someone reported “{title}” ({request.category.name}"
                f"{', ' + request.address if request.address else ''}). "
                f"It has been sent to {request.body.name}."
            ),
            status=_status_label(request.status),
        )
    new_status = _status_label(update.new_status if update is not None else request.status)
    if kind == EventKind.FIXED:
        return notice(
            subject=f"Fixed: {thing} {number}, {title}",
            headline=f"{who} marked {thing} {number} “{title}” as fixed.",
            status=new_status,
        )
    if kind == EventKind.REOPENED:
        return notice(
            subject=f"Reopened: {thing} {number}, {title}",
            headline=f"{who} reopened {thing} {number} “{title}”. It is now {new_status}.",
            status=new_status,
        )
    if kind == EventKind.STATUS_CHANGED:
        return notice(
            subject=f"{thing.capitalize()} {number} is now {new_status}: {title}",
            headline=f"{who} changed the status of {thing} {number} “{title}” to {new_status}.",
            status=new_status,
        )
    if kind == EventKind.REASSIGNED:
        old_body = (data.get("from_body") or {}).get("name") or "another organisation"
        return notice(
            subject=f"{thing.capitalize()} {number} passed to {request.body.name}: {title}",
            headline=(
                f"{thing.capitalize()} {number} “{title}” is now handled by "
                f"{request.body.name} instead of {old_body}."
            ),
        )
    if kind == EventKind.MERGED:
        into_id = (data.get("merged_into") or {}).get("id")
        # A private request's title is not told to the followers of another one.
        shown = merged_into if merged_into is not None and not merged_into.private else None
        into_title = shown.title if shown is not None else ""
        into_url = settings.BASE_URL + shown.get_absolute_url() if shown is not None else url
        return notice(
            subject=f"{thing.capitalize()} {number} was merged into #{into_id}",
            headline=(
                f"{thing.capitalize()} {number} “{title}” is the same problem as request "
                f"#{into_id} “{into_title}”, so {who} merged them. You now follow #{into_id} "
                "instead: its updates will come to you."
            ),
            next_url=into_url,
            next_label=f"#{into_id} {into_title}",
        )
    if kind == EventKind.UNMERGED:
        from_id = (data.get("separated_from") or {}).get("id")
        return notice(
            subject=f"{thing.capitalize()} {number} is no longer merged into #{from_id}",
            headline=(
                f"{thing.capitalize()} {number} “{title}” is a separate problem again, no "
                f"longer a duplicate of request #{from_id}. Its updates will come to you again."
            ),
            status=_status_label(request.status),
        )
    return notice(
        subject=f"Update on {thing} {number}: {title}",
        headline=f"{who} posted an update on {thing} {number} “{title}”.",
    )


def _merged_into_id(event: Event) -> int:
    return int((event.payload.get("data", {}).get("merged_into") or {}).get("id") or 0)


@dataclass
class _Batch:
    """Everything a batch of deliveries refers to, loaded in a few queries."""

    deliveries: Sequence[Delivery]
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    endpoints: dict[int, WebhookEndpoint] = field(default_factory=dict)
    merged_into: dict[int, Request] = field(default_factory=dict)

    @classmethod
    def load(cls, deliveries: Sequence[Delivery], *, endpoints: bool = False) -> _Batch:
        batch = cls(deliveries)
        subscription_ids = {d.subscription_id for d in deliveries if d.subscription_id}
        batch.subscriptions = {
            s.pk: s
            for s in Subscription.objects.filter(pk__in=list(subscription_ids))
            .select_related("person")
            .defer("geometry")
        }
        batch.events = {
            e.pk: e
            for e in Event.objects.filter(pk__in={d.event_id for d in deliveries}).select_related(
                "request__body", "request__category", "update"
            )
        }
        if endpoints:
            batch.endpoints = {
                e.pk: e
                for e in WebhookEndpoint.objects.filter(
                    pk__in={d.endpoint_id for d in deliveries if d.endpoint_id}
                )
            }
        into_ids = [_merged_into_id(e) for e in batch.events.values() if e.kind == EventKind.MERGED]
        if into_ids:
            batch.merged_into = {r.pk: r for r in Request.private_objects.filter(pk__in=into_ids)}
        return batch

    def withheld(self, delivery: Delivery) -> str:
        """Why the event must not be told any more, or ``""``."""
        event = self.events.get(delivery.event_id)
        if event is None:
            return "The event no longer exists."
        if event.request_id is not None:
            if event.request is None or event.request.hidden:
                return "The request has been hidden."
            if event.update_id is not None and (
                event.update is None or event.update.hidden or not event.update.public
            ):
                return "The update has been withdrawn."
        return ""

    def email_skip(self, delivery: Delivery) -> str:
        """Why an email delivery is not to be sent, or ``""``."""
        subscription = self.subscriptions.get(delivery.subscription_id or 0)
        if subscription is None or subscription.person is None:
            return "The subscription no longer exists."
        if not subscription.active:
            return "The subscription is stopped."
        withheld = self.withheld(delivery)
        if withheld:
            return withheld
        return self.private_skip(delivery, subscription)

    def private_skip(self, delivery: Delivery, subscription: Subscription | None) -> str:
        """Why a delivery about a private request may not go to this subscriber, or ``""``.

        Only the reporter's own follow of the request hears of it.
        """
        event = self.events[delivery.event_id]
        request = event.request
        if request is None or not request.private:
            return ""
        if (
            subscription is not None
            and subscription.endpoint_id is None
            and subscription.person_id is not None
            and subscription.person_id == request.reporter_id
            and subscription.target_key == f"request:{request.pk}"
        ):
            return ""
        return "The request is private: only its reporter is told about it."

    def webhook_skip(self, delivery: Delivery) -> str:
        endpoint = self.endpoints.get(delivery.endpoint_id or 0)
        if endpoint is None:
            return "The endpoint no longer exists."
        if endpoint.disabled_at is not None:
            return "The endpoint is disabled."
        if endpoint.confirmed_at is None:
            return "The endpoint is not confirmed."
        if delivery.subscription_id is not None:
            subscription = self.subscriptions.get(delivery.subscription_id)
            if subscription is None or subscription.confirmed_at is None:
                return "The subscription no longer exists."
        return self.withheld(delivery) or self.private_skip(delivery, None)

    def notice(self, delivery: Delivery, subscription: Subscription) -> Notice:
        event = self.events[delivery.event_id]
        request = event.request
        assert request is not None
        into_id = _merged_into_id(event)
        return describe(
            event,
            request=request,
            update=event.update,
            own=subscription.source == SubscriptionSource.REPORTER,
            label=subscription.label,
            merged_into=self.merged_into.get(into_id) if into_id else None,
        )


# Email ------------------------------------------------------------------------------------


def _reason(subscription: Subscription) -> str:
    if subscription.source == SubscriptionSource.REPORTER:
        return "You are getting this email because you reported this."
    return f"You are getting this email because you follow {subscription.label}."


class _Down(Exception):
    """The mail server is down or dropped the connection: retry the rest of the batch."""


def _smtp_send(mailer: BatchMailer, message: Any) -> tuple[str, str]:
    """Send one message: ``("sent", "")``, ``("failed", why)`` or ``("retry", why)``.

    A refusal concerns only this message; :class:`_Down` means the server is gone.
    """
    try:
        mailer.send(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        error = f"The mail server refused the address: {code} {_text(reply)}"
        return ("failed" if code >= 500 else "retry"), error
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        error = f"The mail server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
        return ("failed" if exc.smtp_code >= 500 else "retry"), error
    except (smtplib.SMTPException, OSError) as exc:
        mailer.close()
        raise _Down(f"The mail server could not be reached: {exc or type(exc).__name__}") from exc
    return "sent", ""


def _record(log: _Recorder, deliveries: Sequence[Delivery], outcome: str, error: str) -> None:
    for delivery in deliveries:
        if outcome == "sent":
            log.sent(delivery)
        elif outcome == "failed":
            log.fail(delivery, error)
        else:
            log.retry(delivery, error)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def send_emails(deliveries: Sequence[Delivery], now: datetime) -> BatchResult:
    """Send a batch of immediate email deliveries over one SMTP connection."""
    batch = _Batch.load(deliveries)
    log = _Recorder(now, settings.EMAIL_RETRY_SCHEDULE)
    rendered: dict[tuple[int, bool, str], tuple[str, str, str]] = {}
    mailer = BatchMailer()
    remaining = list(deliveries)
    done = 0
    try:
        while remaining:
            if done and done % RECORD_EVERY == 0 and lease_running_out(remaining):
                remaining = renew(remaining, now)
                if not remaining:
                    break
            delivery = remaining.pop(0)
            done += 1
            reason = batch.email_skip(delivery)
            if reason:
                log.skip(delivery, reason)
                continue
            subscription = batch.subscriptions[delivery.subscription_id or 0]
            assert subscription.person is not None
            own = subscription.source == SubscriptionSource.REPORTER
            key = (delivery.event_id, own, subscription.label)
            if key not in rendered:
                notice = batch.notice(delivery, subscription)
                context = email_context(
                    {"notice": notice, "reason": _reason(subscription)},
                    manage_url=MANAGE_MARK,
                    stop_url=STOP_MARK,
                )
                rendered[key] = (notice.subject, *render("notification", context))
            subject, text, html = rendered[key]
            stop = links.stop_url(subscription.pk)
            text, html = personalise(
                text, html, stop_url=stop, manage_url=links.manage_url(subscription.person.pk)
            )
            message = assemble(
                to=subscription.person.email,
                subject=subject,
                text=text,
                html=html,
                headers=stop_headers(stop),
            )
            try:
                outcome, error = _smtp_send(mailer, message)
            except _Down as down:
                # This one and the rest of the batch wait for the server to come back.
                _record(log, [delivery, *remaining], "retry", str(down))
                break
            _record(log, [delivery], outcome, error)
    finally:
        mailer.close()
        log.flush(final=True)
    return log.result


def claim_digests(limit: int, now: datetime, lease: timedelta | None = None) -> list[Delivery]:
    """Claim due digest deliveries: up to ``limit``, and every other due one of the same people.

    So that each person's digest is one email, however their deliveries fall in id order.
    """
    first = claim(DIGEST_CHANNELS, limit, now, lease)
    if not first:
        return first
    people = set(
        Subscription.objects.filter(pk__in={d.subscription_id for d in first}).values_list(
            "person_id", flat=True
        )
    )
    rest = claim(
        DIGEST_CHANNELS, 10 * limit, now, lease, extra=Q(subscription__person_id__in=people)
    )
    return first + rest


def send_digests(deliveries: Sequence[Delivery], now: datetime) -> BatchResult:
    """Send each person's due digest deliveries as one email listing every event."""
    batch = _Batch.load(deliveries)
    log = _Recorder(now, settings.EMAIL_RETRY_SCHEDULE)
    by_person: dict[int, list[tuple[Delivery, Subscription]]] = defaultdict(list)
    for delivery in deliveries:
        reason = batch.email_skip(delivery)
        if reason:
            log.skip(delivery, reason)
            continue
        subscription = batch.subscriptions[delivery.subscription_id or 0]
        assert subscription.person_id is not None
        by_person[subscription.person_id].append((delivery, subscription))
    mailer = BatchMailer()
    people = list(by_person.items())
    try:
        while people:
            person_id, items = people.pop(0)
            person = items[0][1].person
            assert person is not None
            items.sort(key=lambda pair: (batch.events[pair[0].event_id].created_at, pair[0].pk))
            entries = [
                {"notice": batch.notice(d, s), "label": s.label, "stop_url": links.stop_url(s.pk)}
                for d, s in items
            ]
            subscriptions = {s.pk for _, s in items}
            manage = links.manage_url(person_id)
            single = len(subscriptions) == 1
            stop = links.stop_url(items[0][1].pk) if single else None
            count = len(entries)
            subject = (
                f"{count} update{'s' if count != 1 else ''} from {settings.SITE_NAME} on "
                f"{timezone.localtime(now):%-d %B %Y}"
            )
            context = email_context(
                {"entries": entries, "count": count}, manage_url=manage, stop_url=stop
            )
            text, html = render("digest", context)
            headers = stop_headers(stop if single else links.digest_stop_url(person_id))
            message = assemble(
                to=person.email, subject=subject, text=text, html=html, headers=headers
            )
            try:
                outcome, error = _smtp_send(mailer, message)
            except _Down as down:
                waiting = [d for _, rest in [(person_id, items), *people] for d, _ in rest]
                _record(log, waiting, "retry", str(down))
                break
            _record(log, [d for d, _ in items], outcome, error)
    finally:
        mailer.close()
        log.flush(final=True)
    return log.result


# Webhooks ---------------------------------------------------------------------------------


def _body(event: Event) -> str:
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Post:
    """One webhook request's outcome, from a pool thread."""

    delivery: Delivery
    status: int | None = None
    error: str = ""
    #: Not tried: its endpoint stopped answering earlier in the batch.
    deferred: bool = False
    #: Not tried: another worker took it over (this batch outlasted its lease).
    lost: bool = False


class _IdSet:
    """A set of ids shared with the pool's threads."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def add(self, pk: int) -> None:
        with self._lock:
            self._ids.add(pk)

    def __contains__(self, pk: object) -> bool:
        with self._lock:
            return pk in self._ids


def _post(
    client: httpx.Client,
    delivery: Delivery,
    url: str,
    signer: Webhook,
    body: str,
    unreachable: _IdSet,
    lost: _IdSet,
) -> _Post:
    endpoint_id = delivery.endpoint_id or 0
    if delivery.pk in lost:
        return _Post(delivery, lost=True)
    if endpoint_id in unreachable:
        return _Post(delivery, deferred=True)
    msg_id = f"msg_{delivery.pk}"
    at = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer.sign(msg_id, at, body),
    }
    try:
        response = client.post(url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        unreachable.add(endpoint_id)
        return _Post(
            delivery, error=f"No answer within {settings.WEBHOOK_TIMEOUT:g} seconds (timed out)."
        )
    except httpx.HTTPError as exc:
        unreachable.add(endpoint_id)
        return _Post(delivery, error=f"Could not connect: {exc or type(exc).__name__}"[:500])
    status = response.status_code
    if 200 <= status < 300:
        return _Post(delivery, status=status)
    return _Post(delivery, status=status, error=f"The endpoint answered HTTP {status}.")


def _public_address_error(url: str, checked: dict[str, str]) -> str:
    """Whether the endpoint's host still resolves to a public address (checked per batch)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return ""
    from openlocal.subscriptions.services import validate_webhook_url

    host = urlsplit(url).hostname or ""
    if host not in checked:
        try:
            validate_webhook_url(url)
            checked[host] = ""
        except ValidationError as exc:
            checked[host] = " ".join(exc.messages)
    return checked[host]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate store webhooks are checked against, read once per process.

    httpx reads the CA bundle each time a client is made without one, which cost more than
    sending a whole batch to a local receiver.
    """
    return ssl.create_default_context(cafile=certifi.where())


def send_webhooks(deliveries: Sequence[Delivery], now: datetime) -> BatchResult:
    """POST a batch of webhook deliveries, signed, over one keep-alive client."""
    batch = _Batch.load(deliveries, endpoints=True)
    log = _Recorder(now, settings.WEBHOOK_RETRY_SCHEDULE)
    bodies: dict[int, str] = {}
    signers: dict[int, Webhook] = {}
    resolved: dict[str, str] = {}
    jobs: list[tuple[Delivery, WebhookEndpoint]] = []
    for delivery in deliveries:
        reason = batch.webhook_skip(delivery)
        if reason:
            log.skip(delivery, reason)
            continue
        endpoint = batch.endpoints[delivery.endpoint_id or 0]
        address_error = _public_address_error(endpoint.url, resolved)
        if address_error:
            log.retry(delivery, address_error)
            continue
        if delivery.event_id not in bodies:
            bodies[delivery.event_id] = _body(batch.events[delivery.event_id])
        if endpoint.pk not in signers:
            signers[endpoint.pk] = Webhook(endpoint.secret)
        jobs.append((delivery, endpoint))
    concurrency = max(1, settings.WEBHOOK_CONCURRENCY)
    unreachable, lost = _IdSet(), _IdSet()
    try:
        if jobs:
            with (
                httpx.Client(
                    verify=_tls_context(),
                    timeout=settings.WEBHOOK_TIMEOUT,
                    headers={"user-agent": USER_AGENT},
                    follow_redirects=False,
                    limits=httpx.Limits(
                        max_connections=concurrency, max_keepalive_connections=concurrency
                    ),
                ) as client,
                ThreadPoolExecutor(concurrency, thread_name_prefix="webhook") as pool,
            ):
                futures = [
                    pool.submit(
                        _post,
                        client,
                        delivery,
                        endpoint.url,
                        signers[endpoint.pk],
                        bodies[delivery.event_id],
                        unreachable,
                        lost,
                    )
                    for delivery, endpoint in jobs
                ]
                waiting = {delivery.pk: delivery for delivery, _ in jobs}
                for done, future in enumerate(as_completed(futures), start=1):
                    outcome = future.result()
                    waiting.pop(outcome.delivery.pk, None)
                    if done % RECORD_EVERY == 0 and waiting and lease_running_out(waiting.values()):
                        held = {d.pk for d in renew(list(waiting.values()), now)}
                        for pk in set(waiting) - held:
                            lost.add(pk)
                    if outcome.lost:
                        continue
                    if outcome.deferred:
                        log.defer(outcome.delivery)
                    elif outcome.error:
                        log.retry(outcome.delivery, outcome.error, outcome.status)
                    else:
                        log.sent(outcome.delivery, outcome.status)
    finally:
        log.flush(final=True)
    return log.result


# The loop ---------------------------------------------------------------------------------


def run_batch(limit: int | None = None, now: datetime | None = None) -> BatchResult:
    """One round: fan out waiting events, then send one batch of each channel that is due."""
    limit = limit or settings.DELIVERY_BATCH_SIZE
    now = now or timezone.now()
    result = BatchResult(fanned_out=fan_out_pending(now=now))
    emails = claim(EMAIL_CHANNELS, limit, now)
    if emails:
        result += send_emails(emails, now)
    hooks = claim(WEBHOOK_CHANNELS, limit, now)
    if hooks:
        result += send_webhooks(hooks, now)
    digests = claim_digests(limit, now)
    if digests:
        result += send_digests(digests, now)
    return result


def work(
    *,
    until_idle: bool = False,
    interval: float = 1.0,
    stop: threading.Event | None = None,
    also: Callable[[], bool] | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Run the dispatcher until ``stop`` is set (or, with ``until_idle``, nothing is due).

    ``also`` is other work to do each round (the task queue); it returns True when it did
    something. The loop sleeps ``interval`` seconds only when a round found nothing to do.
    Returns the total of every round.
    """
    stop = stop or threading.Event()
    total = BatchResult()
    while not stop.is_set():
        close_old_connections()
        did_other = also() if also is not None else False
        result = run_batch()
        total += result
        if on_batch is not None and not result.idle:
            on_batch(result)
        if result.idle and not did_other:
            if until_idle:
                break
            stop.wait(interval)
    close_old_connections()
    return total
