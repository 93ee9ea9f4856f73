"""The back-office pages under /staff/back-office/: set a body's link up, test it, and see
and retry what was sent.

A body's managers and administrators see its page; only administrators change the link or
test it. A body where the user has no role is a 404, so nothing leaks; a role too low for
the page gets a page saying who can. Each POST calls one service, which checks the role
again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openlocal.backoffice import presenters, selectors, services
from openlocal.backoffice.forms import LinkForm, RetryForm
from openlocal.backoffice.models import Format, Sending
from openlocal.places.models import ROLE_RANK, Body, Role
from openlocal.places.permissions import role_in
from openlocal.staff.presenters import add_service_errors, error_summary
from openlocal.staff.views.common import staff_render

PAGE_SIZE = 50


def _not_allowed(request: HttpRequest, needed: Role) -> HttpResponse:
    return staff_render(
        request, "backoffice/not_allowed.html", {"needed": needed.label.lower()}, status=403
    )


def _body_and_role(request: HttpRequest, slug: str) -> tuple[Body, Role]:
    body = Body.objects.filter(slug=slug).first()
    role = role_in(request.user, body) if body is not None else None
    if body is None or role is None:
        raise Http404("No such body among yours.")
    return body, role


def _at_least(role: Role, needed: Role) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[needed]


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    bodies = list(selectors.managed_bodies(request.user))
    if not bodies:
        return _not_allowed(request, Role.MANAGER)
    if len(bodies) == 1:
        return redirect("backoffice:body", slug=bodies[0].slug)
    links = selectors.links_of(selectors.managed_bodies(request.user))
    rows = [
        {"body": body, "summary": presenters.link_summary(links.get(body.pk))} for body in bodies
    ]
    return staff_render(request, "backoffice/index.html", {"rows": rows})


def _render_body(
    request: HttpRequest,
    body: Body,
    role: Role,
    *,
    test: services.ConnectionTest | None = None,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    link = selectors.link_of(body)
    paginator = Paginator(selectors.recent_sendings(body), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    pagination: dict[str, Any] = {}
    if page.has_previous():
        pagination["previous"] = {"href": f"?page={page.previous_page_number()}"}
    if page.has_next():
        pagination["next"] = {"href": f"?page={page.next_page_number()}"}
    context = {
        "body": body,
        "link": link,
        "summary": presenters.link_summary(link),
        "may_configure": _at_least(role, Role.ADMINISTRATOR),
        "rows": [presenters.sending_row(s) for s in page.object_list],
        "total": paginator.count,
        "pagination": pagination,
        "test": test,
        "errors": errors or [],
    }
    return staff_render(request, "backoffice/body.html", context, status=status)


@login_required
@require_safe
def body_page(request: HttpRequest, slug: str) -> HttpResponse:
    body, role = _body_and_role(request, slug)
    if not _at_least(role, Role.MANAGER):
        return _not_allowed(request, Role.MANAGER)
    return _render_body(request, body, role)


def _initial(body: Body) -> dict[str, Any]:
    link = selectors.link_of(body)
    if link is None:
        return {"email": body.contact_email, "format": Format.JSON, "enabled": True}
    return {
        "method": link.method,
        "email": link.email,
        "endpoint": link.endpoint,
        "jurisdiction_id": link.jurisdiction_id,
        "format": link.format,
        "service_codes": presenters.codes_text(link.service_codes),
        "enabled": link.enabled,
    }


def _render_edit(
    request: HttpRequest, body: Body, form: LinkForm, *, status: int = 200
) -> HttpResponse:
    link = selectors.link_of(body)
    return staff_render(
        request,
        "backoffice/edit.html",
        {
            "body": body,
            "form": form,
            "errors": error_summary(form),
            "stored_key": presenters.masked_key(link.api_key) if link and link.api_key else "",
            "service_codes_value": (
                request.POST.get("service_codes", "")
                if form.is_bound
                else form.initial.get("service_codes", "")
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    body, role = _body_and_role(request, slug)
    if not _at_least(role, Role.ADMINISTRATOR):
        return _not_allowed(request, Role.ADMINISTRATOR)
    if request.method != "POST":
        return _render_edit(request, body, LinkForm(initial=_initial(body)))
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.link_save(body=body, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            state = "on" if link.enabled else "off"
            messages.success(
                request, f"Saved the back-office link of {body.name}. Sending is {state}."
            )
            return redirect("backoffice:body", slug=body.slug)
    return _render_edit(request, body, form, status=400)


@login_required
@require_POST
def test_connection(request: HttpRequest, slug: str) -> HttpResponse:
    body, role = _body_and_role(request, slug)
    if not _at_least(role, Role.ADMINISTRATOR):
        return _not_allowed(request, Role.ADMINISTRATOR)
    link = selectors.link_of(body)
    if link is None:
        return redirect("backoffice:edit", slug=body.slug)
    result = services.link_test(link=link, actor=request.user)
    return _render_body(request, body, role, test=result)


@login_required
@require_POST
def retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body, role = _body_and_role(request, slug)
    if not _at_least(role, Role.MANAGER):
        return _not_allowed(request, Role.MANAGER)
    sending = get_object_or_404(
        Sending.objects.select_related("link", "link__body"), pk=pk, link__body=body
    )
    form = RetryForm(request.POST)
    back_to_workspace = form.is_valid() and form.cleaned_data.get("next") == "workspace"
    try:
        services.sending_retry_now(sending=sending, actor=request.user)
    except ValidationError as exc:
        problems = [{"text": message} for message in exc.messages]
        return _render_body(request, body, role, errors=problems, status=400)
    messages.success(
        request,
        f"Request {sending.request_id} is being sent to {body.name} again: its status below "
        "shows how it went.",
    )
    if back_to_workspace:
        return redirect("staff:request", pk=sending.request_id)
    return redirect("backoffice:body", slug=body.slug)
