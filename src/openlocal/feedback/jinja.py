"""The request page's feedback box, as a function its template calls.

The public request page includes ``feedback/_request_box.html``, which calls
``feedback_box(request, obj)``; :class:`~openlocal.feedback.apps.FeedbackConfig` adds the
function to the Jinja environment when the app is ready, so the page's view need not know
about feedback.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from openlocal.feedback import presenters
from openlocal.feedback.selectors import feedback_counts, visitor_answer
from openlocal.feedback.services import takes_feedback
from openlocal.requests.models import Request, Status


def feedback_box(request: HttpRequest | None, obj: Request) -> presenters.FeedbackBox | None:
    """The box for a public request, or None where there is nothing to ask (a duplicate)."""
    if obj.status == Status.DUPLICATE or obj.duplicate_of_id is not None:
        return None
    counts = feedback_counts(obj)
    session = getattr(request, "session", None)
    return presenters.feedback_box(
        is_open=obj.is_open,
        closed_at=obj.closed_at,
        body_name=obj.body.name,
        status_label=Status(obj.status).label,
        broken=counts.broken,
        fixed=counts.fixed,
        yours=visitor_answer(obj, session.session_key if session is not None else None),
        accepting=takes_feedback(obj, timezone.now()),
        action=reverse("feedback:give", args=[obj.pk]),
    )


def install(environment: Any) -> None:
    """Make :func:`feedback_box` available to every template of a Jinja environment."""
    environment.globals["feedback_box"] = feedback_box
