"""The request workspace and its actions.

Each action is its own POST endpoint calling exactly one service. The view finds the
request within the user's bodies (404 otherwise, so nothing leaks), checks the role the
action needs (403), validates the form, and calls the service, which checks permission
again and decides. Invalid input re-renders the workspace with the error summary (400).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View

from openlocal.backoffice.selectors import sending_status
from openlocal.core.geo import InvalidLocation
from openlocal.places.models import ROLE_RANK, Body, Role
from openlocal.places.permissions import require_role, role_in
from openlocal.places.selectors import NotCovered, routes_at
from openlocal.requests import services, workflow
from openlocal.requests.merging import request_merge, request_unmerge
from openlocal.requests.models import Category, Photo, Priority, Request, Status, Update
from openlocal.staff import selectors
from openlocal.staff.forms import (
    SETTABLE_STATUSES,
    AssignForm,
    CategoryForm,
    DueForm,
    HideForm,
    MergeForm,
    NoteForm,
    PhotoHideForm,
    PriorityForm,
    ReassignForm,
    RedactForm,
    StatusForm,
    UnhideForm,
    UnmergeForm,
    UpdateRedactForm,
)
from openlocal.staff.models import ResponseTemplate
from openlocal.staff.presenters import (
    ACTION_ROLES,
    add_service_errors,
    allowed_actions,
    answer_rows,
    audit_line,
    count_text,
    due_info,
    error_summary,
    merge_moves,
    merge_suggestion,
    person_name,
    priority_tag,
    smallest_area,
    status_label,
    timeline_entry,
)
from openlocal.staff.views.common import staff_render


def _assign_choices(user: Any, obj: Request, role: Role | None) -> list[tuple[str, str]]:
    """Who the user may assign the request to: anyone who can work on it for a manager;
    themselves for an inspector (and whoever has it now, so the form shows the truth)."""
    if role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER]:
        people = list(selectors.assignable_staff([obj.body_id]))
        if user.is_superuser and all(p.pk != user.pk for p in people):
            people.append(user)
    else:
        people = [user]
    if obj.assigned_to is not None and all(p.pk != obj.assigned_to.pk for p in people):
        people.append(obj.assigned_to)
    return [
        (str(p.pk), f"{person_name(p)} (you)" if p.pk == user.pk else person_name(p))
        for p in people
    ]


def _default_forms(
    obj: Request,
    actions: set[str],
    *,
    user: Any,
    role: Role | None,
    template: ResponseTemplate | None = None,
) -> dict[str, forms.Form]:
    result: dict[str, forms.Form] = {}
    if "status" in actions:
        initial = {"status": obj.status}
        if template is not None:
            # The template's words in the message box, and its status (if it has one) chosen.
            initial = {"status": template.status or obj.status, "message": template.text}
        result["status"] = StatusForm(initial=initial, auto_id="status-%s")
    if "note" in actions:
        result["note"] = NoteForm(auto_id="note-%s")
    if "assign" in actions:
        result["assign"] = AssignForm(
            initial={"assignee": str(obj.assigned_to_id or AssignForm.NOBODY)},
            choices=_assign_choices(user, obj, role),
            auto_id="assign-%s",
        )
    if "priority" in actions:
        result["priority"] = PriorityForm(
            initial={"priority": str(obj.priority)}, auto_id="priority-%s"
        )
    if "due" in actions:
        due = timezone.localtime(obj.due_at) if obj.due_at else None
        result["due"] = DueForm(
            initial={"day": due.day, "month": due.month, "year": due.year} if due else {},
            auto_id="due-%s",
        )
    if "category" in actions:
        result["category"] = CategoryForm(auto_id="category-%s")
    if "reassign" in actions:
        result["reassign"] = ReassignForm(auto_id="reassign-%s")
    if "hide" in actions:
        result["hide"] = HideForm(auto_id="hide-%s")
    if "unhide" in actions:
        result["unhide"] = UnhideForm(auto_id="unhide-%s")
    if "redact" in actions:
        result["redact"] = RedactForm(
            initial={"title": obj.title, "description": obj.description}, auto_id="redact-%s"
        )
    if "merge" in actions and obj.duplicate_of_id is None:
        result["merge"] = MergeForm(auto_id="merge-%s")
    if "unmerge" in actions and obj.duplicate_of_id is not None:
        result["unmerge"] = UnmergeForm(auto_id="unmerge-%s")
    return result


def _template_items(
    obj: Request, templates: list[ResponseTemplate], chosen_status: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The response templates for the request's category, split into those that fit the
    chosen status (or any status) and those for other statuses; each links to the workspace
    with its words filled in."""
    base = reverse("staff:request", args=[obj.pk])
    fitting: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for template in templates:
        item = {
            "pk": template.pk,
            "title": template.title,
            "text": template.text,
            "status": template.status,
            "status_label": status_label(template.status) if template.status else "",
            "href": f"{base}?template={template.pk}#status-message",
        }
        if not template.status or template.status == chosen_status:
            fitting.append(item)
        else:
            others.append(item)
    return fitting, others


def _merge_suggestions(obj: Request) -> list[Any]:
    now = timezone.now()
    return [
        merge_suggestion(
            pk=c.request.pk,
            title=c.request.title,
            status=c.request.status,
            distance_m=c.distance_m,
            same_asset=c.same_asset,
            created_at=c.request.created_at,
            supporter_count=c.request.supporter_count,
            now=now,
        )
        for c in selectors.merge_suggestions(obj)
    ]


def _category_items(obj: Request, form: forms.Form) -> list[dict[str, Any]]:
    """Active categories, each saying which body would handle the request there."""
    try:
        routes = routes_at(obj.latitude, obj.longitude)
    except (NotCovered, InvalidLocation):
        routes = {}
    chosen = str(form["category"].value() or "")
    items: list[dict[str, Any]] = [{"value": "", "text": "Choose a category"}]
    for category in Category.objects.filter(active=True):
        route = routes.get(category.pk)
        if category.pk == obj.category_id:
            text = f"{category.name} (current)"
        elif route is None:
            text = f"{category.name} – nobody handles this here"
        else:
            text = f"{category.name} – goes to {route.body.name}"
        items.append(
            {"value": str(category.pk), "text": text, "selected": str(category.pk) == chosen}
        )
    return items


def render_workspace(
    request: HttpRequest,
    obj: Request,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    role = role_in(user, obj.body)
    actions = allowed_actions(role)
    templates: list[ResponseTemplate] = []
    chosen_template: ResponseTemplate | None = None
    if "status" in actions:
        templates = list(selectors.response_templates_for(obj))
        wanted = str(request.GET.get("template", "")) if bound is None else ""
        chosen_template = next((t for t in templates if str(t.pk) == wanted), None)
    action_forms = _default_forms(obj, actions, user=user, role=role, template=chosen_template)

    updates = list(selectors.request_timeline(obj))
    photos = list(selectors.request_photos(obj))
    timeline = [timeline_entry(u) for u in updates]
    photo_forms: dict[int, forms.Form] = {}
    if "photo_hide" in actions:
        photo_forms = {
            p.pk: PhotoHideForm(auto_id=f"photo-{p.pk}-%s") for p in photos if not p.hidden
        }
    update_forms: dict[int, forms.Form] = {}
    if "update_redact" in actions:
        update_forms = {
            entry.pk: UpdateRedactForm(
                initial={"text": entry.text}, original=entry.text, auto_id=f"update-{entry.pk}-%s"
            )
            for entry in timeline
            if entry.redactable
        }

    failed: forms.Form | None = None
    if bound is not None:
        key, failed = bound
        if key.startswith("photo-"):
            photo_forms[int(key.removeprefix("photo-"))] = failed
        elif key.startswith("update-"):
            update_forms[int(key.removeprefix("update-"))] = failed
        else:
            action_forms[key] = failed

    audit = []
    if "audit" in actions:
        entries = selectors.request_audit(
            obj, photo_ids=[p.pk for p in photos], update_ids=[u.pk for u in updates]
        )
        audit = [audit_line(e, actor_name=person_name(e.actor)) for e in entries]

    areas = list(obj.areas.defer("geometry"))
    reporter = obj.reporter
    now = timezone.now()
    context: dict[str, Any] = {
        "obj": obj,
        "role": role,
        "actions": actions,
        "forms": action_forms,
        "form": failed,
        "errors": error_summary(failed),
        "photo_forms": photo_forms,
        "update_forms": update_forms,
        "timeline": timeline,
        "photos": photos,
        "audit": audit,
        "areas": areas,
        "smallest_area": smallest_area(areas),
        "answers": answer_rows(obj.category.questions.all(), obj.answers or {}),
        "reporter_name": obj.reporter_name or (reporter.name if reporter else ""),
        "reporter_email": reporter.email if reporter else "",
        "status_label": status_label,
        "back_office_sendings": sending_status(obj, user),
        "priority": priority_tag(obj.priority),
        "due": due_info(obj.due_at, obj.status, now),
        "assignee": person_name(obj.assigned_to) if obj.assigned_to_id else "",
        "chosen_template": chosen_template,
    }
    if "status" in action_forms:
        chosen = str(action_forms["status"]["status"].value() or "")
        context["status_items"] = [
            {
                "value": value,
                "text": f"{label} (current)" if value == obj.status else str(label),
                "selected": value == chosen,
            }
            for value, label in SETTABLE_STATUSES
        ]
        context["templates"], context["other_templates"] = _template_items(obj, templates, chosen)
    if "assign" in action_forms:
        chosen = str(action_forms["assign"]["assignee"].value() or "")
        context["assign_items"] = [
            {"value": value, "text": text, "selected": value == chosen}
            for value, text in action_forms["assign"].fields["assignee"].choices  # type: ignore[attr-defined]
        ]
    if "priority" in action_forms:
        chosen = str(action_forms["priority"]["priority"].value() or "")
        context["priority_items"] = [
            {"value": str(value), "text": str(label), "selected": str(value) == chosen}
            for value, label in Priority.choices
        ]
    if "category" in action_forms:
        context["category_items"] = _category_items(obj, action_forms["category"])
    if "merge" in action_forms:
        context["merge_suggestions"] = _merge_suggestions(obj)
    if obj.duplicate_of_id is not None:
        context["duplicate_of"] = selectors.merge_target(obj.duplicate_of_id)
    if "reassign" in action_forms:
        chosen = str(action_forms["reassign"]["body"].value() or "")
        context["body_items"] = [{"value": "", "text": "Choose a body"}] + [
            {"value": str(b.pk), "text": b.name, "selected": str(b.pk) == chosen}
            for b in Body.objects.exclude(pk=obj.body_id)
        ]
    return staff_render(request, "staff/workspace.html", context, status=status)


class WorkspaceView(LoginRequiredMixin, View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = selectors.staff_request_or_404(request.user, pk)
        return render_workspace(request, obj)


class WorkspaceAction(LoginRequiredMixin, View):
    """One action on a request: find it, check the role, validate, call one service."""

    http_method_names = ["get", "head", "post"]
    #: The key in :data:`ACTION_ROLES` (and of the form on the workspace).
    action: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        # Someone who signed in from a form's address lands back on the workspace.
        selectors.staff_request_or_404(request.user, pk)
        return redirect("staff:request", pk=pk)

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
        obj = selectors.staff_request_or_404(request.user, pk)
        target = self.get_target(obj, **kwargs)
        require_role(request.user, obj.body, ACTION_ROLES[self.action])
        form = self.make_form(obj, target, request.POST)
        if form.is_valid():
            try:
                message = self.perform(request, obj, target, form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except NotCovered as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, message)
                return self.redirect_after(request, obj)
        # A service may have changed the object in memory before refusing: start afresh.
        obj = selectors.staff_request_or_404(request.user, pk)
        return render_workspace(request, obj, bound=(self.form_key(target), form), status=400)

    def get_target(self, obj: Request, **kwargs: Any) -> Model | None:
        return None

    def make_form(self, obj: Request, target: Any, data: Any) -> forms.Form:
        return self.form_class(data, auto_id=f"{self.form_key(target)}-%s")

    def form_key(self, target: Any) -> str:
        return self.action

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def redirect_after(self, request: HttpRequest, obj: Request) -> HttpResponse:
        if selectors.staff_requests(request.user).filter(pk=obj.pk).exists():
            return redirect("staff:request", pk=obj.pk)
        # Moved to a body the user does not work for: the workspace would now be a 404.
        messages.success(request, f"Request #{obj.pk} is now with {obj.body.name}.")
        return redirect("staff:queue")


class StatusAction(WorkspaceAction):
    action = "status"
    form_class = StatusForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        old = obj.status
        services.request_status_change(
            request=obj,
            actor=request.user,
            status=form.cleaned_data["status"],
            message=form.cleaned_data["message"],
        )
        if obj.status == old:
            return "Public update posted."
        return f"Status changed to {Status(obj.status).label}."


class NoteAction(WorkspaceAction):
    action = "note"
    form_class = NoteForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        services.request_note_add(request=obj, actor=request.user, text=form.cleaned_data["text"])
        return "Internal note added. It is not public."


class AssignAction(WorkspaceAction):
    action = "assign"
    form_class = AssignForm

    def make_form(self, obj: Request, target: Any, data: Any) -> forms.Form:
        role = role_in(self.request.user, obj.body)
        return AssignForm(
            data, choices=_assign_choices(self.request.user, obj, role), auto_id="assign-%s"
        )

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        chosen = form.cleaned_data["assignee"]
        assignee: Any = None
        if chosen != AssignForm.NOBODY:
            assignee = get_user_model()._default_manager.filter(pk=int(chosen)).first()
            if assignee is None:
                raise ValidationError({"assignee": ["Select one of the people listed"]})
        workflow.request_assign(request=obj, actor=request.user, assignee=assignee)
        if assignee is None:
            return "Request unassigned."
        if assignee.pk == request.user.pk:
            return "Request assigned to you."
        return f"Request assigned to {person_name(assignee)}."


class PriorityAction(WorkspaceAction):
    action = "priority"
    form_class = PriorityForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        priority = form.cleaned_data["priority"]
        workflow.request_set_priority(request=obj, actor=request.user, priority=priority)
        return f"Priority set to {Priority(priority).label.lower()}."


class DueAction(WorkspaceAction):
    action = "due"
    form_class = DueForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        due = form.cleaned_data["due"]
        workflow.request_set_due(request=obj, actor=request.user, due_at=due)
        if due is None:
            return "Due date removed."
        return f"Due date set to {workflow.due_text(due)}."


class CategoryAction(WorkspaceAction):
    action = "category"
    form_class = CategoryForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        old_body = obj.body
        category = form.cleaned_data["category"]
        services.request_category_change(request=obj, actor=request.user, category=category)
        message = f"Category changed to {category.name}."
        if obj.body.pk != old_body.pk:
            message += f" The request moved from {old_body.name} to {obj.body.name}."
        return message


class ReassignAction(WorkspaceAction):
    action = "reassign"
    form_class = ReassignForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        body = form.cleaned_data["body"]
        services.request_reassign(
            request=obj, actor=request.user, body=body, reason=form.cleaned_data["reason"]
        )
        return f"Request passed to {body.name}."


class HideAction(WorkspaceAction):
    action = "hide"
    form_class = HideForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        if obj.hidden:
            raise ValidationError({"reason": ["The request is already hidden."]})
        services.request_hide(request=obj, actor=request.user, reason=form.cleaned_data["reason"])
        return "Request hidden from the public. Staff can still see it."


class UnhideAction(WorkspaceAction):
    action = "unhide"
    form_class = UnhideForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        if not obj.hidden:
            raise ValidationError("The request is not hidden.")
        services.request_unhide(request=obj, actor=request.user)
        return "Request shown in public again."


class RedactAction(WorkspaceAction):
    action = "redact"
    form_class = RedactForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        services.request_redact(
            request=obj,
            actor=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            reason=form.cleaned_data["reason"],
        )
        return "Request text redacted. The original is kept in the audit log."


class PhotoHideAction(WorkspaceAction):
    action = "photo_hide"
    form_class = PhotoHideForm

    def get_target(self, obj: Request, **kwargs: Any) -> Model | None:
        photo = Photo.private_objects.filter(request=obj, pk=kwargs["photo_pk"]).first()
        if photo is None:
            raise Http404("No such photo on this request.")
        return photo

    def form_key(self, target: Any) -> str:
        return f"photo-{target.pk}"

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        if target.hidden:
            raise ValidationError({"reason": ["The photo is already hidden."]})
        target.request = obj
        services.photo_hide(photo=target, actor=request.user, reason=form.cleaned_data["reason"])
        return "Photo hidden from the public. Staff can still see it."


class UpdateRedactAction(WorkspaceAction):
    action = "update_redact"
    form_class = UpdateRedactForm

    def get_target(self, obj: Request, **kwargs: Any) -> Model | None:
        update = Update.private_objects.filter(request=obj, pk=kwargs["update_pk"]).first()
        if update is None:
            raise Http404("No such timeline entry on this request.")
        return update

    def form_key(self, target: Any) -> str:
        return f"update-{target.pk}"

    def make_form(self, obj: Request, target: Any, data: Any) -> forms.Form:
        return UpdateRedactForm(data, original=target.text, auto_id=f"{self.form_key(target)}-%s")

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        target.request = obj
        services.update_redact(
            update=target,
            actor=request.user,
            text=form.cleaned_data["text"],
            reason=form.cleaned_data["reason"],
        )
        return "Timeline entry redacted. The original is kept in the audit log."


class UnmergeAction(WorkspaceAction):
    action = "unmerge"
    form_class = UnmergeForm

    def perform(self, request: HttpRequest, obj: Request, target: Any, form: forms.Form) -> str:
        merge = request_unmerge(duplicate=obj, actor=request.user)
        return (
            f"Merge undone: request {obj.pk} is no longer a duplicate of request "
            f"{merge.original_id}, and its followers and supporters are back."
        )


class MergeView(LoginRequiredMixin, View):
    """Merge this request into another: choose the other, check what moves, confirm.

    GET with ``?into=`` shows the confirmation (both requests, and how many followers and
    supporters move); POST does the merge through ``request_merge``, which checks the role
    and the rules again. Nothing changes until the confirmation is sent.
    """

    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = selectors.staff_request_or_404(request.user, pk)
        require_role(request.user, obj.body, ACTION_ROLES["merge"])
        if "into" not in request.GET:
            return redirect(reverse("staff:request", args=[obj.pk]) + "#merge")
        form = MergeForm(request.GET, auto_id="merge-%s")
        into = self._into(form)
        return self._render(request, obj, form, into, status=200 if into else 400)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = selectors.staff_request_or_404(request.user, pk)
        require_role(request.user, obj.body, ACTION_ROLES["merge"])
        form = MergeForm(request.POST, auto_id="merge-%s")
        into = self._into(form)
        if into is not None:
            try:
                merge = request_merge(
                    duplicate=obj,
                    into=into,
                    actor=request.user,
                    message=form.cleaned_data["message"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                moved = merge.moved or {}
                followers = count_text(len(moved.get("subscriptions", [])), "follower")
                supporters = count_text(len(moved.get("supporters", [])), "supporter")
                messages.success(
                    request,
                    f"Request {obj.pk} is now a duplicate of request {into.pk}. "
                    f"{followers} and {supporters} moved to it.",
                )
                return redirect("staff:request", pk=obj.pk)
        obj = selectors.staff_request_or_404(request.user, pk)
        into = selectors.merge_target(into.pk) if into is not None else None
        return self._render(request, obj, form, into, status=400)

    def _into(self, form: MergeForm) -> Request | None:
        if not form.is_valid():
            return None
        into = selectors.merge_target(form.cleaned_data["into"])
        if into is None:
            form.add_error(
                "into",
                f"There is no public request {form.cleaned_data['into']}. Check the number.",
            )
        return into

    def _render(
        self,
        request: HttpRequest,
        obj: Request,
        form: MergeForm,
        into: Request | None,
        *,
        status: int,
    ) -> HttpResponse:
        # With an error, the number is asked again; the confirmation needs a good one.
        confirming = into is not None and not form.errors
        context: dict[str, Any] = {
            "obj": obj,
            "into": into if confirming else None,
            "form": form,
            "errors": error_summary(form if form.errors else None),
            "suggestions": [] if confirming else _merge_suggestions(obj),
        }
        if into is not None and confirming:
            preview = selectors.merge_preview(obj, into)
            context["moves"] = merge_moves(
                followers=preview.followers,
                followers_shared=preview.followers_shared,
                supporters=preview.supporters,
                supporters_shared=preview.supporters_shared,
                reporter_supports=preview.reporter_supports,
                original=into.pk,
            )
        return staff_render(request, "staff/merge.html", context, status=status)
