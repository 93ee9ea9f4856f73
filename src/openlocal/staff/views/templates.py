"""The staff page for response templates: list, create, change, delete.

Managers and administrators of a body manage its templates (superusers every body's); other
staff get a page saying who can. A template of another body is a 404, so nothing leaks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_safe

from openlocal.requests.models import Category
from openlocal.staff import selectors
from openlocal.staff.forms import SETTABLE_STATUSES, ResponseTemplateForm
from openlocal.staff.models import ResponseTemplate
from openlocal.staff.presenters import add_service_errors, error_summary, status_label
from openlocal.staff.services import (
    response_template_create,
    response_template_delete,
    response_template_update,
)
from openlocal.staff.views.common import staff_render


def _not_allowed(request: HttpRequest) -> HttpResponse:
    return staff_render(request, "staff/templates_not_allowed.html", {}, status=403)


def _items(choices: list[tuple[str, str]], chosen: str) -> list[dict[str, Any]]:
    return [{"value": v, "text": t, "selected": v == chosen} for v, t in choices]


def _render_form(
    request: HttpRequest,
    form: ResponseTemplateForm,
    *,
    template: ResponseTemplate | None = None,
    status: int = 200,
) -> HttpResponse:
    bodies = list(selectors.managed_bodies(request.user))
    body_value = str(form["body"].value() or "")
    category_value = str(form["category"].value() or "")
    status_value = str(form["status"].value() or "")
    return staff_render(
        request,
        "staff/template_form.html",
        {
            "form": form,
            "template": template,
            "errors": error_summary(form),
            "body_items": _items(
                [("", "Choose a body")] + [(str(b.pk), b.name) for b in bodies], body_value
            ),
            "single_body": bodies[0] if len(bodies) == 1 else None,
            "category_items": _items(
                [("", "Every category")]
                + [(str(c.pk), c.name) for c in Category.objects.filter(active=True)],
                category_value,
            ),
            "status_items": _items([("", "Any status"), *SETTABLE_STATUSES], status_value),
        },
        status=status,
    )


def _form(request: HttpRequest, data: Any = None, **kwargs: Any) -> ResponseTemplateForm:
    return ResponseTemplateForm(
        data, bodies=selectors.managed_bodies(request.user), auto_id="template-%s", **kwargs
    )


@login_required
@require_safe
def template_list(request: HttpRequest) -> HttpResponse:
    bodies = list(selectors.managed_bodies(request.user))
    if not bodies:
        return _not_allowed(request)
    rows = [
        {
            "pk": t.pk,
            "title": t.title,
            "text": t.text,
            "body": t.body.name,
            "category": t.category.name if t.category else "Every category",
            "status": status_label(t.status) if t.status else "Any status",
        }
        for t in selectors.manageable_templates(request.user).order_by("body__name", "title", "id")
    ]
    return staff_render(
        request,
        "staff/templates.html",
        {"rows": rows, "bodies": bodies, "several": len(bodies) > 1},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    bodies = list(selectors.managed_bodies(request.user))
    if not bodies:
        return _not_allowed(request)
    if request.method != "POST":
        initial = {"body": bodies[0].pk} if len(bodies) == 1 else {}
        return _render_form(request, _form(request, initial=initial))
    form = _form(request, request.POST)
    if form.is_valid():
        try:
            template = response_template_create(
                actor=request.user,
                body=form.cleaned_data["body"],
                category=form.cleaned_data["category"],
                status=form.cleaned_data["status"],
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Added the template “{template.title}”.")
            return redirect("staff:templates")
    return _render_form(request, form, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.managed_bodies(request.user).exists():
        return _not_allowed(request)
    template = get_object_or_404(selectors.manageable_templates(request.user), pk=pk)
    if request.method != "POST":
        initial = {
            "body": template.body_id,
            "category": template.category_id,
            "status": template.status,
            "title": template.title,
            "text": template.text,
        }
        return _render_form(request, _form(request, initial=initial), template=template)
    form = _form(request, request.POST)
    if form.is_valid():
        try:
            response_template_update(
                template=template,
                actor=request.user,
                body=form.cleaned_data["body"],
                category=form.cleaned_data["category"],
                status=form.cleaned_data["status"],
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the template “{template.title}”.")
            return redirect("staff:templates")
    return _render_form(request, form, template=template, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.managed_bodies(request.user).exists():
        return _not_allowed(request)
    template = get_object_or_404(selectors.manageable_templates(request.user), pk=pk)
    if request.method == "POST":
        response_template_delete(template=template, actor=request.user)
        messages.success(request, f"Deleted the template “{template.title}”.")
        return redirect("staff:templates")
    return staff_render(request, "staff/template_delete.html", {"template": template})
