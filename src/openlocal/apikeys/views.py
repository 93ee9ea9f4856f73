"""The staff page for API keys: list, create (the key is shown once), revoke.

Only administrators of a body (superusers everywhere) may use it; other staff get a page
saying who can. A key outside the user's bodies is a 404, so nothing leaks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_safe

from openlocal.apikeys import selectors
from openlocal.apikeys.forms import ApiKeyForm
from openlocal.apikeys.models import ApiKey, Scope
from openlocal.apikeys.presenters import SCOPE_HINTS, key_row
from openlocal.apikeys.services import apikey_create, apikey_revoke
from openlocal.staff.presenters import add_service_errors, error_summary
from openlocal.staff.views.common import staff_render

PAGE_SIZE = 50


def _not_allowed(request: HttpRequest) -> HttpResponse:
    return staff_render(request, "apikeys/not_allowed.html", {}, status=403)


def _form(request: HttpRequest, data: object = None) -> ApiKeyForm:
    return ApiKeyForm(
        data,
        bodies=list(selectors.administered_bodies(request.user)),
        site_wide=bool(request.user.is_superuser),
    )


def _render_form(request: HttpRequest, form: ApiKeyForm, *, status: int = 200) -> HttpResponse:
    chosen = form["scopes"].value() or []
    scope_items = [
        {
            "value": scope.value,
            "text": str(scope.label),
            "hint": {"text": SCOPE_HINTS[scope.value]},
            "checked": scope.value in chosen,
        }
        for scope in Scope
    ]
    body_value = str(form["body"].value() or "")
    body_items = [{"value": "", "text": "Choose a body"}] + [
        {"value": value, "text": text, "selected": value == body_value}
        for value, text in form.fields["body"].choices  # type: ignore[attr-defined]
    ]
    return staff_render(
        request,
        "apikeys/create.html",
        {
            "form": form,
            "errors": error_summary(form),
            "scope_items": scope_items,
            "body_items": body_items,
        },
        status=status,
    )


@login_required
@require_safe
def key_list(request: HttpRequest) -> HttpResponse:
    if not selectors.may_manage_keys(request.user):
        return _not_allowed(request)
    paginator = Paginator(selectors.manageable_keys(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    pagination: dict[str, object] = {}
    if page.has_previous():
        pagination["previous"] = {"href": f"?page={page.previous_page_number()}"}
    if page.has_next():
        pagination["next"] = {"href": f"?page={page.next_page_number()}"}
    return staff_render(
        request,
        "apikeys/list.html",
        {
            "rows": [key_row(k) for k in page.object_list],
            "total": paginator.count,
            "pagination": pagination,
            "bodies": list(selectors.administered_bodies(request.user)[:2]),
            "superuser": request.user.is_superuser,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def key_create(request: HttpRequest) -> HttpResponse:
    if not selectors.may_manage_keys(request.user):
        return _not_allowed(request)
    if request.method != "POST":
        return _render_form(request, _form(request))
    form = _form(request, request.POST)
    if form.is_valid():
        try:
            key, raw = apikey_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                body=form.chosen_body(),
                actor=request.user,
                contact_email=form.cleaned_data["contact_email"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # The key exists only in this response: no redirect, nothing kept, not cached.
            response = staff_render(
                request, "apikeys/created.html", {"key": key_row(key), "raw": raw}
            )
            add_never_cache_headers(response)
            return response
    return _render_form(request, form, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.may_manage_keys(request.user):
        return _not_allowed(request)
    key: ApiKey = get_object_or_404(selectors.manageable_keys(request.user), pk=pk)
    if request.method == "POST":
        if apikey_revoke(key=key, actor=request.user):
            messages.success(
                request, f"Revoked “{key.name}”. Programs using it can no longer write."
            )
        else:
            messages.success(request, f"“{key.name}” was already revoked.")
        return redirect("apikeys:list")
    return staff_render(request, "apikeys/revoke.html", {"key": key_row(key)})
