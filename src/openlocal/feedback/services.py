"""Every write of residents' feedback: answers from the request page, the reporter's
questionnaire answer, and the reopening that a "not fixed" answer may cause.

A person's answer is one :class:`~openlocal.feedback.models.Feedback` row and one anonymous
public timeline entry; answering again replaces both. A "still broken" from the request page
never reopens a request (anyone can say it), but the first one after a request closes puts an
internal note on its timeline for the body's staff. The reporter's "not fixed" reopens the
request if its category says so, and always tells the body, by email and an internal note.

Reopening here needs no staff role: the reporter is entitled to it by the category's rule, not
by a role in the body. It makes the same changes as
:func:`openlocal.requests.services.request_status_change` with the same helpers (the locked
snapshot, the map's rollup, the public entry, the event that tells followers), and writes an
audit entry; that function's role check stays as it is for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.core.tasks import enqueue_with_change
from openlocal.feedback import presenters
from openlocal.feedback.models import (
    Answer,
    Feedback,
    FeedbackSource,
    Questionnaire,
    QuestionnaireStatus,
)
from openlocal.feedback.presenters import REPORTER, RESIDENT, ReopenOutcome
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Person,
    Request,
    Status,
    Update,
    UpdateKind,
)
from openlocal.requests.rollups import cell_counts_move, request_snapshot_locked
from openlocal.requests.services import session_hash

#: Where a request goes back to when its reporter says it was not fixed. The body has dealt
#: with it before (it closed it), so it is not "new"; and the body is told at once.
REOPEN_STATUS = Status.ACKNOWLEDGED
#: The longest comment a reporter may add to their answer.
COMMENT_MAX_LENGTH = 1000

CHOOSE_ANSWER = "Choose whether it is still broken or fixed."
CHOOSE_QUESTIONNAIRE_ANSWER = "Choose yes if it was fixed, or no if it was not."
#: Marks the internal note that tells staff a closed request is said to be still broken.
_RESIDENT_FLAG = "resident_broken"


class FeedbackNotTaken(ValidationError):
    """The request takes no answers: a duplicate, or closed too long ago."""


def takes_feedback(request: Request, now: datetime | None = None) -> bool:
    """Open requests take answers, and closed ones for ``FEEDBACK_AFTER_CLOSING_DAYS``.

    Duplicates never do: the problem is dealt with on the request they duplicate.
    """
    if request.status == Status.DUPLICATE or request.duplicate_of_id is not None:
        return False
    if request.status in OPEN_STATUSES:
        return True
    if request.closed_at is None:
        return False
    now = now or timezone.now()
    return request.closed_at >= now - timedelta(days=settings.FEEDBACK_AFTER_CLOSING_DAYS)


@dataclass(frozen=True)
class AnswerSaved:
    feedback: Feedback
    #: The person's answer before this one ("" for a first answer).
    previous: str
    #: False when the same answer (and comment) was given again: nothing was written.
    changed: bool


def _answer_save(
    *,
    request: Request,
    answer: str,
    source: str,
    at: datetime,
    person: Person | None = None,
    session_key: str = "",
    comment: str = "",
) -> AnswerSaved:
    """Record one person's answer, or replace their earlier one, with its public entry."""
    identity: dict[str, object] = (
        {"person": person} if person is not None else {"session_hash": session_hash(session_key)}
    )
    feedback = Feedback.objects.select_for_update().filter(request=request, **identity).first()
    previous = ""
    if feedback is None:
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    request=request,
                    answer=answer,
                    source=source,
                    comment=comment,
                    created_at=at,
                    answered_at=at,
                    **identity,
                )
        except IntegrityError:
            # The same browser sent twice at once: the other answer came first.
            feedback = Feedback.objects.select_for_update().get(request=request, **identity)
            previous = feedback.answer
    else:
        previous = feedback.answer
    if previous:
        if previous == answer and feedback.comment == comment:
            return AnswerSaved(feedback, previous, changed=False)
        if feedback.update_id is not None:
            Update.private_objects.filter(pk=feedback.update_id).delete()
        feedback.answer, feedback.comment, feedback.source = answer, comment, source
        feedback.answered_at = at
    reporter = person is not None
    feedback.update = Update.private_objects.create(
        request=request,
        kind=UpdateKind.FEEDBACK,
        public=True,
        text=presenters.entry_text(answer, reporter=reporter, comment=comment),
        author_name=REPORTER if reporter else RESIDENT,
        data={"answer": answer, "by": "reporter" if reporter else "resident"},
        created_at=at,
    )
    feedback.save()
    # A new public entry: API clients that sync by ``updated_at`` should see it.
    Request.private_objects.filter(pk=request.pk).update(updated_at=at)
    return AnswerSaved(feedback, previous, changed=True)


def _internal_note(request: Request, text: str, at: datetime, **data: object) -> Update:
    """A note on the timeline that only the body's staff see."""
    return Update.private_objects.create(
        request=request,
        kind=UpdateKind.FEEDBACK,
        public=False,
        text=text,
        author_name=settings.SITE_NAME,
        body=request.body,
        data=data,
        created_at=at,
    )


def _locked(request: Request) -> None:
    """Lock the request's row and read its state as stored now."""
    request_snapshot_locked(request.pk)
    request.refresh_from_db(
        fields=["status", "closed_at", "acknowledged_at", "duplicate_of", "category", "body"]
    )


@dataclass(frozen=True)
class FeedbackResult:
    answer: str
    previous: str
    changed: bool


@transaction.atomic
def feedback_give(
    *, request: Request, answer: str, session_key: str, at: datetime | None = None
) -> FeedbackResult:
    """A visitor says the request is still broken or fixed; one answer per browser session.

    "Still broken" on a closed request leaves it closed. The first such answer since it
    closed adds an internal note for the body's staff; later ones are in the counts.
    """
    if answer not in Answer.values:
        raise ValidationError({"answer": [CHOOSE_ANSWER]})
    if not session_key:
        raise ValueError("An answer from the request page needs a browser session.")
    now = at or timezone.now()
    _locked(request)
    if not takes_feedback(request, now):
        raise FeedbackNotTaken(
            {
                "answer": [
                    "This request no longer takes answers. If the problem is back, report it again."
                ]
            }
        )
    saved = _answer_save(
        request=request,
        answer=answer,
        source=FeedbackSource.PAGE,
        at=now,
        session_key=session_key,
    )
    if (
        saved.changed
        and answer == Answer.BROKEN
        and request.status in CLOSED_STATUSES
        and request.closed_at is not None
    ):
        flagged = Update.private_objects.filter(
            request=request,
            kind=UpdateKind.FEEDBACK,
            public=False,
            created_at__gte=request.closed_at,
            data__flag=_RESIDENT_FLAG,
        ).exists()
        if not flagged:
            _internal_note(
                request,
                presenters.resident_broken_note(
                    closed_for=now - request.closed_at,
                    closed_as=Status(request.status).label,
                ),
                now,
                flag=_RESIDENT_FLAG,
            )
    return FeedbackResult(answer=answer, previous=saved.previous, changed=saved.changed)


@transaction.atomic
def request_reopen_by_reporter(
    *, request: Request, at: datetime | None = None, questionnaire: Questionnaire | None = None
) -> ReopenOutcome:
    """Reopen a request its reporter says was not fixed, if its category's rule allows.

    The category's ``reopen_within_days`` is the rule: a request closed at most that many days
    ago goes back to :data:`REOPEN_STATUS`, with a public entry and the ``request.reopened``
    event for its followers; 0 never reopens. Returns what happened either way.
    """
    now = at or timezone.now()
    stored = request_snapshot_locked(request.pk)
    request.refresh_from_db(fields=["status", "closed_at", "acknowledged_at", "duplicate_of"])
    if request.status in OPEN_STATUSES:
        return ReopenOutcome.ALREADY_OPEN
    if request.status == Status.DUPLICATE:
        return ReopenOutcome.DUPLICATE
    window = request.category.reopen_within_days
    if window == 0:
        return ReopenOutcome.NEVER
    if request.closed_at is None or request.closed_at < now - timedelta(days=window):
        return ReopenOutcome.TOO_LATE

    from openlocal.subscriptions.events import event_record, status_event_kind

    old, closed_at = request.status, request.closed_at
    request.status = REOPEN_STATUS
    request.closed_at = None
    fields = ["status", "closed_at"]
    if request.acknowledged_at is None:
        request.acknowledged_at = now
        fields.append("acknowledged_at")
    request.save(update_fields=fields)
    cell_counts_move(stored, stored._replace(status=REOPEN_STATUS))
    Request.private_objects.filter(pk=request.pk).update(updated_at=now)
    request.updated_at = now
    update = Update.private_objects.create(
        request=request,
        kind=UpdateKind.STATUS,
        public=True,
        text="Reopened because the reporter says it was not fixed.",
        old_status=old,
        new_status=REOPEN_STATUS,
        author_name=REPORTER,
        body=request.body,
        created_at=now,
    )
    event_record(kind=status_event_kind(old, REOPEN_STATUS), request=request, update=update, at=now)
    AuditEntry.objects.create(
        actor=None,
        action="request.reopen",
        target_type=request._meta.label_lower,
        target_id=str(request.pk),
        data={
            "by": "reporter",
            "questionnaire": questionnaire.pk if questionnaire is not None else None,
            "from": old,
            "to": REOPEN_STATUS,
            "closed_at": closed_at.isoformat(),
            "reopen_within_days": window,
        },
    )
    return ReopenOutcome.REOPENED


@dataclass(frozen=True)
class QuestionnaireResult:
    answer: str
    changed: bool
    #: What a new "not fixed" did to the request; None for any other answer.
    outcome: ReopenOutcome | None


def clean_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": [f"Your comment must be {COMMENT_MAX_LENGTH:,} characters or fewer."]}
        )
    return comment


@transaction.atomic
def questionnaire_answer(
    *, questionnaire: Questionnaire, answer: str, comment: str = "", at: datetime | None = None
) -> QuestionnaireResult:
    """Record the reporter's answer to "Was it fixed?"; a later answer replaces it.

    Sending the same answer again changes nothing. A new "not fixed" reopens the request by
    its category's rule (:func:`request_reopen_by_reporter`) and tells the body: an internal
    note now and an email to its contact address once this commits. The comment, if any, goes
    on the public timeline with the answer.
    """
    if answer not in Answer.values:
        raise ValidationError({"answer": [CHOOSE_QUESTIONNAIRE_ANSWER]})
    comment = clean_comment(comment)
    now = at or timezone.now()
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.status != QuestionnaireStatus.SENT:
        raise ValidationError({"answer": ["This questionnaire was never sent."]})
    request = Request.private_objects.select_related("category", "body").get(pk=locked.request_id)
    _locked(request)
    before = locked.answer
    closed_as = Status(request.status).label if request.status in CLOSED_STATUSES else ""
    saved = _answer_save(
        request=request,
        answer=answer,
        source=FeedbackSource.QUESTIONNAIRE,
        at=now,
        person=locked.person,
        comment=comment,
    )
    if not saved.changed and before == answer:
        return QuestionnaireResult(answer=answer, changed=False, outcome=None)
    locked.answer, locked.comment, locked.answered_at = answer, comment, now
    locked.save(update_fields=["answer", "comment", "answered_at"])
    questionnaire.answer, questionnaire.comment = answer, comment
    questionnaire.answered_at = now
    outcome: ReopenOutcome | None = None
    if answer == Answer.BROKEN and before != Answer.BROKEN:
        outcome = request_reopen_by_reporter(request=request, at=now, questionnaire=locked)
        _internal_note(
            request,
            presenters.not_fixed_note(
                closed_for=now - locked.closed_at,
                closed_as=closed_as,
                outcome=outcome,
                category=request.category.name,
                reopen_within_days=request.category.reopen_within_days,
            ),
            now,
            questionnaire=locked.pk,
            outcome=str(outcome),
        )
        from openlocal.feedback.tasks import send_not_fixed_notice

        enqueue_with_change(send_not_fixed_notice, locked.pk, str(outcome), closed_as)
    elif answer == Answer.FIXED and before == Answer.BROKEN:
        _internal_note(request, presenters.CHANGED_TO_FIXED_NOTE, now, questionnaire=locked.pk)
    return QuestionnaireResult(answer=answer, changed=True, outcome=outcome)
