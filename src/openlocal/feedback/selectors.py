"""Reads of feedback: counts for the request page and for staff, and a visitor's own answer.

Counts are of people, never who: the request page shows them to anyone, and staff screens
read the same numbers with what has been said since the request closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q

from openlocal.feedback.models import Answer, Feedback, Questionnaire, QuestionnaireStatus
from openlocal.feedback.presenters import feedback_line
from openlocal.requests.models import Request
from openlocal.requests.services import session_hash


@dataclass(frozen=True)
class FeedbackCounts:
    """How many people say a request is still broken or fixed (each person's latest answer)."""

    broken: int = 0
    fixed: int = 0
    #: Of those, the answers given since the request last closed (0 while it is open).
    broken_since_closed: int = 0
    fixed_since_closed: int = 0

    @property
    def line(self) -> str:
        """ "3 people say this is still broken, 1 says it is fixed"."""
        return feedback_line(self.broken, self.fixed)

    @property
    def disputed(self) -> bool:
        """Someone says a closed request is still broken: worth a look."""
        return self.broken_since_closed > 0


def feedback_counts_for(request_ids: Iterable[int]) -> dict[int, FeedbackCounts]:
    """Counts for many requests in one grouped query (a staff queue's page); every id is in
    the answer, with zeros where nobody has said anything."""
    ids = list(request_ids)
    counts = dict.fromkeys(ids, FeedbackCounts())
    if not ids:
        return counts
    since = Q(request__closed_at__isnull=False, answered_at__gte=F("request__closed_at"))
    rows = (
        Feedback.objects.filter(request_id__in=ids)
        .values("request_id")
        .annotate(
            broken=Count("pk", filter=Q(answer=Answer.BROKEN)),
            fixed=Count("pk", filter=Q(answer=Answer.FIXED)),
            broken_since=Count("pk", filter=Q(answer=Answer.BROKEN) & since),
            fixed_since=Count("pk", filter=Q(answer=Answer.FIXED) & since),
        )
        .order_by()
    )
    for row in rows:
        counts[row["request_id"]] = FeedbackCounts(
            broken=row["broken"],
            fixed=row["fixed"],
            broken_since_closed=row["broken_since"],
            fixed_since_closed=row["fixed_since"],
        )
    return counts


def feedback_counts(request: Request) -> FeedbackCounts:
    """Counts for one request."""
    return feedback_counts_for([request.pk])[request.pk]


def visitor_answer(request: Request, session_key: str | None) -> str:
    """The answer this browser session gave about the request, or ``""``."""
    if not session_key:
        return ""
    answer = (
        Feedback.objects.filter(request=request, session_hash=session_hash(session_key))
        .values_list("answer", flat=True)
        .first()
    )
    return answer or ""


@dataclass(frozen=True)
class StaffFeedback:
    """What residents and the reporter have said about a request, for its body's staff."""

    counts: FeedbackCounts
    #: The reporter's questionnaire: when it was sent, and their answer ("" if none yet).
    asked_at: datetime | None
    reporter_answer: str
    reporter_answered_at: datetime | None
    reporter_comment: str

    @property
    def reporter_line(self) -> str:
        if self.asked_at is None:
            return "The reporter has not been asked whether it was fixed."
        if not self.reporter_answer:
            return "The reporter was asked whether it was fixed and has not answered."
        if self.reporter_answer == Answer.BROKEN:
            return "The reporter says it was not fixed."
        return "The reporter says it was fixed."


def feedback_for_staff(request: Request) -> StaffFeedback:
    """Counts and the reporter's questionnaire for one request. Staff only: call it after
    checking the user's role in the request's body."""
    questionnaire = (
        Questionnaire.objects.filter(request=request, status=QuestionnaireStatus.SENT)
        .only("sent_at", "answer", "answered_at", "comment")
        .first()
    )
    return StaffFeedback(
        counts=feedback_counts(request),
        asked_at=questionnaire.sent_at if questionnaire else None,
        reporter_answer=questionnaire.answer if questionnaire else "",
        reporter_answered_at=questionnaire.answered_at if questionnaire else None,
        reporter_comment=questionnaire.comment if questionnaire else "",
    )
