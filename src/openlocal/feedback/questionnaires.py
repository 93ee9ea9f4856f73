"""Asking reporters, a few weeks after their request closed, whether it was fixed.

The worker runs :func:`questionnaires_run` every :data:`PERIOD_SECONDS` (registered in
``FeedbackConfig.ready``). Each run:

1. finds closings that happened ``QUESTIONNAIRE_AFTER_DAYS`` ago (within :data:`LATE_DAYS`
   more), of requests still closed (not as duplicates), public, with a reporter who was told
   of the closing by email and has not been asked about the request before;
2. writes one :class:`~openlocal.feedback.models.Questionnaire` per request. The row is unique
   per request, so when two workers find the same request the second writes nothing: each
   request is asked once;
3. claims unsent questionnaires in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, with a
   lease, as deliveries are claimed) and emails them over one SMTP connection per batch,
   marking each as soon as it is sent.

Closings are found through the timeline's status entries by their time (an indexed range),
so the cost follows the number of recent closings, not the size of the history. "Told of the
closing" means a delivery of that status change to the reporter's follow of their request:
a reporter who stopped emails about it is not asked, and neither is a quietly loaded history
(the demo, imports), whose changes are told to nobody.

A worker that dies after sending and before marking leaves the questionnaire leased; after
:data:`LEASE` another worker sends it again, so a crash can repeat a few emails but never
loses one, as with deliveries.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from openlocal.feedback import tokens
from openlocal.feedback.models import Answer, Questionnaire, QuestionnaireStatus
from openlocal.requests.models import CLOSED_STATUSES, Status, Update, UpdateKind
from openlocal.subscriptions import links
from openlocal.subscriptions.emails import assemble, email_context, render, stop_headers
from openlocal.subscriptions.models import Delivery, DeliveryStatus, Subscription

logger = logging.getLogger(__name__)

#: Closed as anything but a duplicate (a duplicate's reporter follows the original instead).
ASKED_STATUSES = frozenset(CLOSED_STATUSES - {Status.DUPLICATE})
#: A closing more than this many days past ``QUESTIONNAIRE_AFTER_DAYS`` is never asked about,
#: so turning questionnaires on (or a worker that was stopped for a while) does not email
#: reporters about requests closed long ago.
LATE_DAYS = 14
#: Questionnaires claimed and sent at a time (one SMTP connection each).
BATCH_SIZE = 200
#: At most this many a run; the rest wait for the next run.
MAX_PER_RUN = 2000
#: A worker holds the questionnaires it claimed this long.
LEASE = timedelta(minutes=10)
#: Waits before each retry when the mail server is down or refuses for now.
RETRY_AFTER = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
#: How often the worker looks for requests to ask about.
PERIOD_SECONDS = 900.0


@dataclass(frozen=True)
class Candidate:
    request_id: int
    person_id: int
    closed_at: datetime


def questionnaire_candidates(*, now: datetime, limit: int = BATCH_SIZE) -> list[Candidate]:
    """Requests to ask about now, oldest closing first (see the module's docstring)."""
    if settings.QUESTIONNAIRE_AFTER_DAYS <= 0:
        return []
    latest = now - timedelta(days=settings.QUESTIONNAIRE_AFTER_DAYS)
    earliest = latest - timedelta(days=LATE_DAYS)
    told = Delivery.objects.filter(
        event__update=OuterRef("pk"),
        subscription__request=OuterRef("request"),
        subscription__person=OuterRef("request__reporter"),
        status__in=[DeliveryStatus.SENT, DeliveryStatus.PENDING],
    )
    asked = Questionnaire.objects.filter(request=OuterRef("request"))
    rows = (
        Update.private_objects.filter(
            kind=UpdateKind.STATUS,
            new_status__in=ASKED_STATUSES,
            created_at__gt=earliest,
            created_at__lte=latest,
            request__status__in=ASKED_STATUSES,
            request__closed_at__lte=latest,
            request__reporter__isnull=False,
            request__hidden=False,
            request__private=False,
        )
        .filter(Exists(told))
        .exclude(Exists(asked))
        .order_by("created_at", "id")
        .values_list("request_id", "request__reporter_id", "request__closed_at")[:limit]
    )
    found: dict[int, Candidate] = {}
    for request_id, person_id, closed_at in rows:
        if person_id is not None and closed_at is not None:  # both filtered on above
            found.setdefault(request_id, Candidate(request_id, person_id, closed_at))
    return list(found.values())


def questionnaires_create(*, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Write a questionnaire for each candidate; returns how many candidates there were.

    A request another worker has just written one for is left alone (the unique request).
    """
    candidates = questionnaire_candidates(now=now, limit=limit)
    Questionnaire.objects.bulk_create(
        [
            Questionnaire(
                request_id=c.request_id,
                person_id=c.person_id,
                closed_at=c.closed_at,
                created_at=now,
            )
            for c in candidates
        ],
        ignore_conflicts=True,
    )
    return len(candidates)


def questionnaires_claim(*, now: datetime, limit: int = BATCH_SIZE) -> list[Questionnaire]:
    """Lease up to ``limit`` unsent questionnaires that no other worker holds."""
    with transaction.atomic():
        query = (
            Questionnaire.objects.filter(status=QuestionnaireStatus.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .order_by("id")
        )
        features = transaction.get_connection().features
        if features.has_select_for_update_skip_locked and features.has_select_for_update_of:
            query = query.select_for_update(skip_locked=True, of=("self",))
        claimed = list(query[:limit])
        if claimed:
            Questionnaire.objects.filter(pk__in=[q.pk for q in claimed]).update(
                leased_until=now + LEASE
            )
    return claimed


@dataclass
class SendResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.failed + self.retried


def questionnaire_link(questionnaire_id: int, answer: str) -> str:
    return links.absolute(
        reverse("feedback:questionnaire", args=[tokens.make(questionnaire_id, answer)])
    )


def _date(value: datetime) -> str:
    return f"{timezone.localtime(value):%-d %B %Y}"


def _mark(questionnaire: Questionnaire, **values: object) -> None:
    Questionnaire.objects.filter(pk=questionnaire.pk).update(leased_until=None, **values)


def _retry(questionnaire: Questionnaire, error: Exception, now: datetime) -> bool:
    """Try again later, or give up after the last retry. Returns True if it will retry."""
    attempts = questionnaire.attempts + 1
    if attempts > len(RETRY_AFTER):
        _mark(
            questionnaire,
            status=QuestionnaireStatus.FAILED,
            attempts=attempts,
            last_error=str(error)[:500],
        )
        return False
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        attempts=attempts,
        last_error=str(error)[:500],
        leased_until=now + RETRY_AFTER[attempts - 1],
    )
    return True


def questionnaires_send(claimed: list[Questionnaire], *, now: datetime) -> SendResult:
    """Email each claimed questionnaire to its reporter, or skip it if no longer wanted."""
    result = SendResult()
    if not claimed:
        return result
    rows = list(
        Questionnaire.objects.filter(pk__in=[q.pk for q in claimed])
        .select_related("request__body", "request__category", "person")
        .order_by("id")
    )
    follows = {
        (s.person_id, s.request_id): s
        for s in Subscription.objects.filter(
            person_id__in={q.person_id for q in rows},
            target_key__in=[f"request:{q.request_id}" for q in rows],
        ).defer("geometry")
    }
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("questionnaires: mail server unavailable: %s", exc)
        for questionnaire in rows:
            result.retried += _retry(questionnaire, exc, now)
        return result
    try:
        for questionnaire in rows:
            request = questionnaire.request
            follow = follows.get((questionnaire.person_id, request.pk))
            if (
                request.status not in ASKED_STATUSES
                or request.hidden
                or request.private
                or request.reporter_id != questionnaire.person_id
                or follow is None
                or not follow.active
            ):
                _mark(questionnaire, status=QuestionnaireStatus.SKIPPED)
                result.skipped += 1
                continue
            message = _questionnaire_email(questionnaire, follow, now=now)
            message.connection = connection
            try:
                message.send()
            except smtplib.SMTPRecipientsRefused as exc:
                _mark(
                    questionnaire,
                    status=QuestionnaireStatus.FAILED,
                    attempts=F("attempts") + 1,
                    last_error=str(exc)[:500],
                )
                result.failed += 1
            except (OSError, smtplib.SMTPException) as exc:
                # The server is failing or went away: this one and the rest later.
                logger.warning("questionnaires: sending failed: %s", exc)
                result.retried += _retry(questionnaire, exc, now)
                break
            else:
                _mark(
                    questionnaire,
                    status=QuestionnaireStatus.SENT,
                    sent_at=timezone.now(),
                    attempts=F("attempts") + 1,
                    last_error="",
                )
                result.sent += 1
    finally:
        connection.close()
    return result


def _questionnaire_email(
    questionnaire: Questionnaire, follow: Subscription, *, now: datetime
) -> EmailMultiAlternatives:
    request = questionnaire.request
    category = request.category
    closed_at = request.closed_at or questionnaire.closed_at
    reopen_by = ""
    if category.reopen_within_days:
        deadline = closed_at + timedelta(days=category.reopen_within_days)
        if deadline > now:
            reopen_by = _date(deadline)
    stop_url = links.stop_url(follow.pk)
    context = email_context(
        {
            "request": request,
            "closed_as": Status(request.status).label,
            "closed_on": _date(closed_at),
            "reopen_by": reopen_by,
            "yes_url": questionnaire_link(questionnaire.pk, Answer.FIXED),
            "no_url": questionnaire_link(questionnaire.pk, Answer.BROKEN),
            "url": links.absolute(request.get_absolute_url()),
            "link_days": settings.QUESTIONNAIRE_LINK_DAYS,
        },
        manage_url=links.manage_url(questionnaire.person_id),
        stop_url=stop_url,
    )
    text, html = render("feedback_questionnaire", context)
    return assemble(
        to=questionnaire.person.email,
        subject=f"Was it fixed? Your report #{request.pk}: {request.title}",
        text=text,
        html=html,
        headers=stop_headers(stop_url),
    )


def questionnaires_run(*, now: datetime | None = None) -> int:
    """One run of the periodic job: find, write and send. Returns how many it dealt with."""
    now = now or timezone.now()
    dealt = 0
    while dealt < MAX_PER_RUN:
        found = questionnaires_create(now=now)
        claimed = questionnaires_claim(now=now)
        result = questionnaires_send(claimed, now=now)
        dealt += result.done
        if not claimed or result.retried:
            break
        if not found and len(claimed) < BATCH_SIZE:
            break
    return dealt
