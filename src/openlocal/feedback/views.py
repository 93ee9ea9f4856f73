"""Pages of residents' feedback: the request page's "Still broken" / "Fixed" buttons and the
reporter's questionnaire, opened from the Yes or No link in its email.

The questionnaire link only opens a page (mail systems fetch links to scan them, and a GET
must change nothing); the answer is recorded when the page's form is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from openlocal.feedback import presenters, tokens
from openlocal.feedback.forms import QuestionnaireForm
from openlocal.feedback.models import Answer, Questionnaire, QuestionnaireStatus
from openlocal.feedback.presenters import ReopenOutcome
from openlocal.feedback.services import (
    CHOOSE_ANSWER,
    COMMENT_MAX_LENGTH,
    FeedbackNotTaken,
    QuestionnaireResult,
    feedback_give,
    questionnaire_answer,
)
from openlocal.requests.models import Request, Status
from openlocal.subscriptions.views.common import csrf_checked, private_page
from openlocal.web.views.public import public_requests, render_page

#: One rate limit for every "Still broken" / "Fixed" from one address.
FEEDBACK_RATE_GROUP = "openlocal.feedback"


def _problem(
    request: HttpRequest,
    status: int,
    title: str,
    paragraphs: list[str],
    *,
    back: str = "",
    private: bool = False,
) -> HttpResponse:
    return render_page(
        request,
        "feedback/problem.html",
        {"title": title, "paragraphs": paragraphs, "back": back, "private": private},
        status=status,
    )


@require_POST
@ratelimit(
    group=FEEDBACK_RATE_GROUP,
    key="ip",
    rate=lambda g, r: settings.FEEDBACK_RATE,
    method="POST",
    block=True,
)
def give(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Still broken" or "Fixed" from the request page: one answer per browser session."""
    obj = public_requests().with_related().filter(pk=pk).first()
    if obj is None:
        raise Http404("No such request")
    back = obj.get_absolute_url() + "#feedback"
    answer = request.POST.get("answer", "")
    if answer not in Answer.values:
        return _problem(request, 400, "Choose an answer", [CHOOSE_ANSWER], back=back)
    if not request.session.session_key:
        request.session.save()
    try:
        result = feedback_give(
            request=obj, answer=answer, session_key=request.session.session_key or ""
        )
    except FeedbackNotTaken as exc:
        return _problem(
            request, 409, "This request no longer takes answers", exc.messages, back=back
        )
    messages.success(request, presenters.thanks(answer, changed=result.changed))
    return redirect(back)


def _questionnaire_for(link: tokens.QuestionnaireLink) -> Questionnaire | None:
    questionnaire = (
        Questionnaire.objects.select_related("request__category", "request__body")
        .filter(pk=link.questionnaire_id, status=QuestionnaireStatus.SENT)
        .first()
    )
    if questionnaire is None or questionnaire.request.hidden:
        return None
    return questionnaire


def _public_url(obj: Request) -> str:
    return "" if obj.hidden or obj.private else obj.get_absolute_url()


def _outcome_words(result: QuestionnaireResult, obj: Request) -> list[str]:
    """What the reporter's answer did, in their words."""
    body = obj.body.name
    if not result.changed:
        return ["You had already sent this answer. Nothing has changed."]
    if result.answer == Answer.FIXED:
        return [f"Thank you for telling us it was fixed. It helps {body} know what works."]
    if result.outcome is None:
        return ["Your comment has been updated."]
    if result.outcome == ReopenOutcome.REOPENED:
        return [
            f"We have reopened your request and told {body}.",
            "You will get an email when they update it.",
        ]
    told = f"We have told {body}."
    if result.outcome == ReopenOutcome.ALREADY_OPEN:
        return [told, "Your request is open again already."]
    category = obj.category
    return [
        told,
        presenters.outcome_sentence(
            result.outcome,
            category=category.name,
            reopen_within_days=category.reopen_within_days,
        ),
        "If the problem is still there, you can report it again.",
    ]


@private_page
@csrf_checked
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    """The page a Yes or No link opens: that answer chosen, a comment box and one button."""
    try:
        link = tokens.read(token)
    except tokens.BadToken as exc:
        return _problem(
            request,
            410 if exc.expired else 400,
            "This link has expired" if exc.expired else "This link does not work",
            [exc.reason, "Nothing has been recorded."],
            private=True,
        )
    found = _questionnaire_for(link)
    if found is None:
        return _problem(
            request,
            404,
            "This request is no longer on the site",
            ["There is nothing to answer. Nothing has been recorded."],
            private=True,
        )
    obj = found.request
    if request.method == "POST":
        form = QuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                result = questionnaire_answer(
                    questionnaire=found,
                    answer=form.cleaned_data["answer"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                obj.refresh_from_db(fields=["status"])
                return render_page(
                    request,
                    "feedback/answered.html",
                    {
                        "obj": obj,
                        "result": result,
                        "paragraphs": _outcome_words(result, obj),
                        "request_url": _public_url(obj),
                        "change_url": request.path,
                        "status_label": Status(obj.status).label,
                        "private": True,
                    },
                )
        status = 400
    else:
        form = QuestionnaireForm(initial={"answer": link.answer, "comment": found.comment})
        status = 200
    return render_page(
        request,
        "feedback/questionnaire.html",
        {
            "obj": obj,
            "form": form,
            "errors": form.error_list() if form.is_bound else [],
            "answer": form["answer"].value() or link.answer,
            "comment": form["comment"].value() or "",
            "previous": found.answer,
            "previous_label": presenters.questionnaire_answer_label(found.answer),
            "answered_at": found.answered_at,
            "request_url": _public_url(obj),
            "status_label": Status(obj.status).label,
            "comment_max": COMMENT_MAX_LENGTH,
            "private": True,
        },
        status=status,
    )
