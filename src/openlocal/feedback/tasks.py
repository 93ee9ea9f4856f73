"""Background work for feedback: telling a body that a reporter says it was not fixed.

Queued by :func:`openlocal.feedback.services.questionnaire_answer` with the change, so the
email goes only if the answer was recorded, and never from inside its transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from openlocal.feedback.models import Questionnaire
from openlocal.feedback.presenters import ReopenOutcome, days_text, outcome_sentence
from openlocal.subscriptions.emails import assemble, email_context, render


@task()
def send_not_fixed_notice(questionnaire_id: int, outcome: str, closed_as: str) -> None:
    """Email the body's contact address: the reporter says the request was not fixed.

    A body without a contact address has the internal note on the request's timeline only.
    The email names no one: the reporter's address stays private, as everywhere.
    """
    questionnaire = (
        Questionnaire.objects.select_related("request__body", "request__category")
        .filter(pk=questionnaire_id)
        .first()
    )
    if questionnaire is None:
        return
    request = questionnaire.request
    body = request.body
    if not body.contact_email:
        return
    public = not request.hidden and not request.private
    reopened = outcome == ReopenOutcome.REOPENED
    context = {
        "request": request,
        "body": body,
        "reopened": reopened,
        "closed_as": closed_as,
        "closed_for": days_text(
            (questionnaire.answered_at or timezone.now()) - questionnaire.closed_at
        ),
        "outcome": outcome_sentence(
            outcome,
            category=request.category.name,
            reopen_within_days=request.category.reopen_within_days,
        ),
        "comment": questionnaire.comment,
        "url": settings.BASE_URL + request.get_absolute_url() if public else "",
        "staff_url": settings.BASE_URL + reverse("staff:request", args=[request.pk]),
    }
    subject = (
        f"Reopened, not fixed says the reporter: request #{request.pk}, {request.title}"
        if reopened
        else f"Not fixed, says the reporter: request #{request.pk}, {request.title}"
    )
    text, html = render(
        "feedback_not_fixed", email_context(context, manage_url=None, stop_url=None)
    )
    assemble(to=body.contact_email, subject=subject, text=text, html=html, headers={}).send()
