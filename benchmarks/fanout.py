"""Fan-out of one status change to 10,000 email followers and to 10,000 webhook endpoints.

One request is followed by N people by email (immediate), another by N confirmed webhook
endpoints, each with its own URL on one local receiver. A status change on the request
records its event; one worker then calls ``run_batch`` until a round finds nothing to do,
which fans the event out into N deliveries and sends them in batches of
``DELIVERY_BATCH_SIZE``. The SMTP server and the HTTP receiver are those of
``openlocal.subscriptions.testing``: the SMTP server in a thread of this process, the HTTP
receiver in a child process (``benchmarks.sinks``). The sinks alone are
measured the same way: N messages by a plain ``smtplib`` loop over one connection, N POSTs
by a plain ``httpx.Client`` loop.
"""

from __future__ import annotations

import datetime as dt
import inspect
import smtplib
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from benchmarks.harness import (
    ENDPOINT_FIELDS,
    Section,
    Verdict,
    bulk_insert,
    count_label,
    database_description,
    peak_rss_mb,
    progress,
    timed,
    timed_result,
)
from benchmarks.sinks import RemoteReceiver
from openlocal.core import geo
from openlocal.places.models import Body, BodyKind
from openlocal.requests.models import Category, CategoryGroup, Person, Request, Status
from openlocal.requests.services import request_status_change
from openlocal.subscriptions import delivery
from openlocal.subscriptions.delivery import BatchResult, run_batch
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import (
    Channel,
    Subscription,
    SubscriptionSource,
    TargetKind,
    WebhookEndpoint,
)
from openlocal.subscriptions.services import new_secret
from openlocal.subscriptions.testing import (
    SMTPServer,
    smtp_server,
)

SIZES = [10_000]
QUICK_SIZES = [300]
#: Status changes fanned out per channel and size; the figures are their median.
REPEATS = 3
QUICK_REPEATS = 2
#: Issue 3: per worker, at least this many messages a second.
TARGET_EMAILS_PER_SECOND = 200
TARGET_WEBHOOKS_PER_SECOND = 500

#: The status changes made in turn, each with a public message so every one is an update.
_STATUSES = [Status.INVESTIGATING, Status.IN_PROGRESS, Status.ACTION_SCHEDULED]


class Followed:
    """A request with ``count`` followers of one channel, and status changes to fan out."""

    def __init__(self, *, body: Body, category: Category, count: int, start: int) -> None:
        self.request = Request.private_objects.create(
            title="Flooding across the road",
            description="Water a foot deep across the road after every storm.",
            category=category,
            body=body,
            latitude=50.7236,
            longitude=-3.5275,
            cell=geo.point_cell(50.7236, -3.5275),
        )
        self.count = count
        self.start = start
        self.changes = 0

    def change(self) -> None:
        """One status change on the request, recorded as the staff screen would."""
        status = _STATUSES[self.changes % len(_STATUSES)]
        self.changes += 1
        request_status_change(
            request=self.request,
            actor=None,
            status=status,
            message=f"Update {self.changes}: the drainage team has been out to look.",
            check_permission=False,
        )


def _people(start: int, count: int, now: dt.datetime, prefix: str) -> None:
    bulk_insert(
        Person,
        ["id", "email", "name", "confirmed_at", "created_at", "updated_at"],
        (
            (pk, f"{prefix}{pk}@example.org", "", now, now, now)
            for pk in range(start, start + count)
        ),
    )


def _subscriptions(followed: Followed, now: dt.datetime, *, webhook: bool) -> None:
    request = followed.request
    bulk_insert(
        Subscription,
        [
            *("id", "person_id", "endpoint_id", "kind", "target_key", "label", "request_id"),
            *("channel", "confirmed_at", "source", "created_at", "updated_at"),
        ],
        (
            (
                pk,
                None if webhook else pk,
                pk if webhook else None,
                TargetKind.REQUEST,
                f"request:{request.pk}",
                f"Request #{request.pk}: {request.title}",
                request.pk,
                Channel.WEBHOOK if webhook else Channel.IMMEDIATE,
                now,
                SubscriptionSource.WEB,
                now,
                now,
            )
            for pk in range(followed.start, followed.start + followed.count)
        ),
    )
    Request.private_objects.filter(pk=request.pk).update(follower_count=followed.count)


#: The worker's steps timed during the runs: (label, module attribute holder, name).
_PHASES = [
    ("claiming", delivery, "claim"),
    ("loading the batch", delivery._Batch, "load"),
    ("SMTP sends", delivery, "_smtp_send"),
    ("recording outcomes", delivery._Recorder, "flush"),
]


@contextmanager
def phase_timer() -> Iterator[dict[str, float]]:
    """Seconds spent in each of the worker's steps (on the worker's own thread)."""
    spent: dict[str, float] = defaultdict(float)
    originals = []
    for label, owner, name in _PHASES:
        original = getattr(owner, name)
        # Put back exactly what was there (a classmethod stays a classmethod).
        originals.append((owner, name, inspect.getattr_static(owner, name)))

        def wrapped(*args: Any, _original: Any = original, _label: str = label, **kwargs: Any):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(owner, name, wrapped)
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def _until_idle() -> BatchResult:
    total = BatchResult()
    while True:
        result = run_batch()
        total += result
        if result.idle:
            return total


def _fan_out_and_send(followed: Followed) -> dict[str, float]:
    """One status change delivered to every follower; the seconds each part took."""
    change = timed(followed.change)
    fan_out = timed(fan_out_pending)
    with phase_timer() as spent:
        send, result = timed_result(_until_idle)
    if result.sent != followed.count or result.failed or result.retried:
        raise SystemExit(
            f"The worker sent {result.sent} of {followed.count} messages "
            f"({result.failed} failed, {result.retried} to retry): the figures would mislead."
        )
    return {"change": change, "fan_out": fan_out, "send": send, **spent}


def _repeat(
    followed: Followed,
    repeats: int,
    received: Callable[[], int],
    clear: Callable[[], None],
    sessions: Callable[[], int],
) -> list[dict[str, float]]:
    """Fan out ``repeats`` status changes; each run's times, and the connections it opened."""
    runs = []
    for n in range(repeats):
        clear()
        opened = sessions()
        runs.append(_fan_out_and_send(followed))
        runs[-1]["connections"] = sessions() - opened
        got = received()
        if got < followed.count:
            raise SystemExit(f"The sink received {got} of {followed.count} messages.")
        progress(
            f"fanout: run {n + 1}: fan-out {runs[-1]['fan_out']:.2f} s, "
            f"sending {runs[-1]['send']:.2f} s"
        )
    return runs


def _smtp_alone(smtp: SMTPServer, count: int) -> float:
    """Seconds for a plain smtplib loop to send ``count`` copies of a delivered message."""
    sample = smtp.messages[0]
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.ehlo()
        return timed(
            lambda: [
                client.sendmail(sample.mail_from, [f"plain{i}@example.org"], sample.raw)
                for i in range(count)
            ]
        )


def _http_alone(hooks: RemoteReceiver, count: int) -> float:
    """Seconds for a plain httpx.Client loop to POST ``count`` copies of a delivered hook."""
    sample = hooks.sample()
    headers = {
        k: v for k, v in sample.headers.items() if k.startswith("webhook-") or k == "content-type"
    }
    with httpx.Client(timeout=10) as client:
        return timed(
            lambda: [
                client.post(hooks.url(f"/plain/{i}"), content=sample.body, headers=headers)
                for i in range(count)
            ]
        )


def run(*, sizes: list[int], quick: bool) -> Section:
    now = timezone.now()
    repeats = QUICK_REPEATS if quick else REPEATS
    body = Body.objects.create(name="Devon County Council", slug="devon", kind=BodyKind.COUNTY)
    category = Category.objects.create(
        name="Flooding", slug="flooding", service_code="FLD", group=CategoryGroup.DRAINAGE
    )
    secret = new_secret()
    results: list[dict[str, Any]] = []
    next_pk = 1
    hooks = RemoteReceiver()
    with smtp_server() as smtp, override_settings(**smtp.settings()):
        for size in sizes:
            progress(f"fanout: {size:,} email followers and {size:,} webhook endpoints")
            emails = Followed(body=body, category=category, count=size, start=next_pk)
            _people(next_pk, size, now, "follower")
            _subscriptions(emails, now, webhook=False)
            next_pk += size
            hooked = Followed(body=body, category=category, count=size, start=next_pk)
            _people(next_pk, size, now, "owner")
            bulk_insert(
                WebhookEndpoint,
                ENDPOINT_FIELDS,
                (
                    (pk, pk, hooks.url(f"/hook/{pk}"), "", secret, now, "", 0, now, now)
                    for pk in range(next_pk, next_pk + size)
                ),
            )
            _subscriptions(hooked, now, webhook=True)
            next_pk += size

            progress(f"fanout: {repeats} status changes to {size:,} email followers")
            mail_runs = _repeat(
                emails, repeats, lambda: len(smtp.received), smtp.clear, lambda: smtp.connections
            )
            smtp_alone = _smtp_alone(smtp, size)
            smtp.clear()
            progress(f"fanout: {repeats} status changes to {size:,} webhook endpoints")
            hook_runs = _repeat(
                hooked, repeats, lambda: hooks.count, hooks.clear, lambda: hooks.connections
            )
            http_alone = _http_alone(hooks, size)
            hooks.clear()
            results.append(
                {
                    "size": size,
                    "email": _rates(size, mail_runs),
                    "smtp_alone": size / smtp_alone,
                    "webhook": _rates(size, hook_runs),
                    "http_alone": size / http_alone,
                    "smtp_connections": sum(r["connections"] for r in mail_runs),
                    "http_connections": sum(r["connections"] for r in hook_runs),
                    "rss": peak_rss_mb(),
                }
            )
    hooks.close()
    return _section(results, repeats, quick)


def _rates(size: int, runs: list[dict[str, float]]) -> dict[str, Any]:
    """Messages a second: fan-out and sending together, and sending alone (median runs)."""
    total = [size / (r["fan_out"] + r["send"]) for r in runs]
    sending = [size / r["send"] for r in runs]
    phases = {
        label: statistics.median(r.get(label, 0.0) for r in runs)
        / statistics.median(r["send"] for r in runs)
        for label, _, _ in _PHASES
    }
    return {
        "phases": phases,
        "total": statistics.median(total),
        "total_min": min(total),
        "sending": statistics.median(sending),
        "fan_out": statistics.median(r["fan_out"] for r in runs),
        "change": statistics.median(r["change"] for r in runs),
    }


def _section(results: list[dict[str, Any]], repeats: int, quick: bool) -> Section:
    rows = []
    for r in results:
        for channel, sink, label in (
            ("email", "smtp_alone", "Email (SMTP)"),
            ("webhook", "http_alone", "Webhook (HTTP)"),
        ):
            rate = r[channel]
            rows.append(
                [
                    label,
                    count_label(r["size"]),
                    f"{rate['fan_out']:.2f} s",
                    f"{rate['total']:,.0f}/s",
                    f"{rate['total_min']:,.0f}/s",
                    f"{rate['sending']:,.0f}/s",
                    f"{r[sink]:,.0f}/s",
                    f"{rate['total'] / r[sink]:.2f}",
                    f"{r['rss']:.0f} MiB",
                ]
            )
    last = results[-1]
    verdicts = []
    if not quick:
        verdicts = [
            Verdict(
                f"≥ {TARGET_EMAILS_PER_SECOND} emails a second per worker",
                f"{last['email']['total']:,.0f}/s to {count_label(last['size'])} followers "
                f"(slowest run {last['email']['total_min']:,.0f}/s)",
                last["email"]["total_min"] >= TARGET_EMAILS_PER_SECOND,
            ),
            Verdict(
                f"≥ {TARGET_WEBHOOKS_PER_SECOND} webhooks a second per worker",
                f"{last['webhook']['total']:,.0f}/s to {count_label(last['size'])} endpoints "
                f"(slowest run {last['webhook']['total_min']:,.0f}/s)",
                last["webhook"]["total_min"] >= TARGET_WEBHOOKS_PER_SECOND,
            ),
        ]
    size = last["size"]
    notes = [
        f"Over {repeats} status changes per channel at {count_label(size)} followers, the "
        f"worker used {last['smtp_connections']:,} SMTP sessions and "
        f"{last['http_connections']:,} HTTP connections in all (one SMTP connection per batch "
        f"of {settings.DELIVERY_BATCH_SIZE}; a keep-alive pool of "
        f"{settings.WEBHOOK_CONCURRENCY} connections per webhook batch). The status change "
        f"itself, with its event, took {last['email']['change'] * 1000:.1f} ms.",
        "Relative to its sink, the worker reached "
        f"{last['email']['total'] / last['smtp_alone']:.0%} of what a bare smtplib loop "
        "delivers and "
        f"{last['webhook']['total'] / last['http_alone']:.0%} of what a bare httpx loop posts "
        "(the webhook worker posts from a thread pool, so it can pass a single-threaded "
        "loop). The rest is the worker's own work per message: reading the batch, rendering "
        "and personalising each email or signing each payload, and recording outcomes.",
        "Where the worker's sending time went (share of the `run_batch` rounds, timed on "
        "the worker's own thread; webhook POSTs run in the pool meanwhile): "
        + "; ".join(
            f"{channel}: "
            + ", ".join(
                f"{label} {share:.0%}"
                for label, share in last[channel]["phases"].items()
                if share >= 0.005
            )
            for channel in ("email", "webhook")
        )
        + ".",
    ]
    return Section(
        name="fanout",
        title="Fan-out of one change",
        database=database_description(),
        setup=(
            f"Median of {repeats} status changes per channel. Fan-out: writing the deliveries "
            "(`fan_out_pending`). Rate: followers divided by fan-out and sending time "
            "together (median, and the slowest run); sending: the `run_batch` rounds alone. "
            "Sink alone: the same number of messages by a plain `smtplib` or `httpx.Client` "
            "loop; ratio: the worker's rate over the sink's."
        ),
        headers=[
            "Channel",
            "Followers",
            "Fan-out",
            "Rate",
            "Slowest run",
            "Sending only",
            "Sink alone",
            "Ratio",
            "Peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )
