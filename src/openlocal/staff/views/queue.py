"""The queue: the requests of the user's bodies, filtered and sorted for triage, changed in
bulk, with the views people saved.

Bulk changes and saving a view are POSTs to their own addresses; each carries the queue's
query string in a hidden field, so the user lands back on the same filters afterwards, or
sees the same queue again with the error summary when something was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from openlocal.places.models import ROLE_RANK, Area, Body, Role
from openlocal.places.permissions import bodies_for
from openlocal.requests import workflow
from openlocal.requests.models import OPEN_STATUSES, Category, Priority, Request, Status
from openlocal.staff import selectors
from openlocal.staff.forms import (
    SETTABLE_STATUSES,
    BulkForm,
    QueueFilterForm,
    SavedViewForm,
    filters_query,
)
from openlocal.staff.models import SavedView
from openlocal.staff.presenters import (
    ACTION_ROLES,
    STATUS_ORDER,
    Due,
    add_service_errors,
    age_text,
    count_text,
    due_info,
    error_summary,
    person_name,
    priority_tag,
    smallest_area,
)
from openlocal.staff.services import saved_view_create, saved_view_delete
from openlocal.staff.views.common import staff_render

PAGE_SIZE = 25


@dataclass
class QueueRow:
    pk: int
    title: str
    hidden: bool
    private: bool
    category: str
    status: str
    area: str
    age: str
    created_at: datetime
    supporters: int
    followers: int
    priority: dict[str, str]
    #: The assignee's name, or "" when nobody is assigned. Staff only.
    assignee: str
    due: Due


def queue_row(request: Request, now: datetime) -> QueueRow:
    area = smallest_area(request.areas.all())
    return QueueRow(
        pk=request.pk,
        title=request.title,
        hidden=request.hidden,
        private=request.private,
        category=request.category.name,
        status=request.status,
        area=area.name if area else "",
        age=age_text(request.created_at, now),
        created_at=request.created_at,
        supporters=request.supporter_count,
        followers=request.follower_count,
        priority=priority_tag(request.priority),
        assignee=person_name(request.assigned_to) if request.assigned_to_id else "",
        due=due_info(request.due_at, request.status, now),
    )


def _query(params: QueryDict, **changes: str | None) -> str:
    """The current query string with some parameters changed (None removes one)."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _options(
    objects: list[Body] | list[Category] | list[Area], selected: object, empty: str
) -> list[dict[str, object]]:
    chosen = str(selected.pk) if selected is not None and hasattr(selected, "pk") else ""
    items: list[dict[str, object]] = [{"value": "", "text": empty}]
    return items + [
        {"value": str(o.pk), "text": str(o), "selected": str(o.pk) == chosen} for o in objects
    ]


def _choices(choices: list[tuple[str, str]], selected: object) -> list[dict[str, object]]:
    chosen = "" if selected is None else str(selected)
    return [{"value": v, "text": t, "selected": v == chosen} for v, t in choices]


def _query_of(form_query: str) -> QueryDict:
    """The queue's query string carried by a POST form, without a page number."""
    params = QueryDict(form_query[:2000].lstrip("?"), mutable=True)
    params.pop("page", None)
    return params


def _queue_url(params: QueryDict) -> str:
    encoded = params.urlencode()
    return reverse("staff:queue") + (f"?{encoded}" if encoded else "")


@dataclass(frozen=True)
class StaffRoles:
    """What the user's roles in their bodies allow on the queue page."""

    bodies: list[Body]
    roles: dict[int, Role]

    def bodies_with(self, role: Role) -> list[Body]:
        return [
            b
            for b in self.bodies
            if b.pk in self.roles and ROLE_RANK[self.roles[b.pk]] >= ROLE_RANK[role]
        ]


def _assignee_choices(user: Any, staff: StaffRoles) -> list[tuple[str, str]]:
    """Who the user may assign requests to in bulk: themselves, nobody, and (in the bodies
    they manage) anyone who can work on them."""
    if not staff.bodies_with(Role.INSPECTOR):
        return []
    choices = [("me", f"Me ({person_name(user)})"), ("none", "Nobody (unassign)")]
    managed = staff.bodies_with(Role.MANAGER)
    if managed:
        for person in selectors.assignable_staff([b.pk for b in managed]):
            if person.pk != user.pk:
                choices.append((str(person.pk), person_name(person)))
    return choices


def _staff_roles(request: HttpRequest) -> StaffRoles:
    bodies = bodies_for(request.user)
    return StaffRoles(bodies=bodies, roles=selectors.roles_by_body(request.user, bodies))


def render_queue(
    request: HttpRequest,
    *,
    params: QueryDict,
    staff: StaffRoles,
    bulk_form: BulkForm | None = None,
    view_form: SavedViewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The queue page for these filters; with a bound form that failed, its errors."""
    bodies = staff.bodies
    areas = selectors.queue_areas(bodies)
    form = QueueFilterForm(params, bodies=bodies, areas=areas)
    filters = form.filters()
    now = timezone.now()

    base = selectors.queue_filter(
        selectors.staff_requests(request.user, bodies),
        filters,
        with_status=False,
        user=request.user,
        now=now,
    )
    counts = selectors.status_counts(base)
    requests = selectors.queue_sort(
        selectors.queue_filter(base, filters, user=request.user, now=now), filters["sort"]
    )
    paginator = Paginator(selectors.queue_page_requests(requests), PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    rows = [queue_row(r, now) for r in page.object_list]

    open_total = sum(n for s, n in counts.items() if s in OPEN_STATUSES)
    closed_total = sum(n for s, n in counts.items() if s not in OPEN_STATUSES)
    status_links = [
        {"value": "open", "text": "Open", "count": open_total},
        *[
            {"value": s.value, "text": s.label, "count": counts.get(s, 0)}
            for s in STATUS_ORDER
            if s in OPEN_STATUSES
        ],
        {"value": "closed", "text": "Closed", "count": closed_total},
        *[
            {"value": s.value, "text": s.label, "count": counts[s]}
            for s in STATUS_ORDER
            if s not in OPEN_STATUSES and counts.get(s)
        ],
    ]
    for link in status_links:
        link["href"] = _query(params, status=str(link["value"]), page=None)
        link["current"] = link["value"] == filters["status"]

    pagination: dict[str, object] = {}
    if paginator.num_pages > 1:
        if page.has_previous():
            pagination["previous"] = {"href": _query(params, page=str(page.previous_page_number()))}
        if page.has_next():
            pagination["next"] = {"href": _query(params, page=str(page.next_page_number()))}
        items: list[dict[str, object] | None] = []
        for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
            if number == Paginator.ELLIPSIS:
                items.append({"ellipsis": True})
            else:
                items.append(
                    {
                        "number": number,
                        "href": _query(params, page=str(number)),
                        "current": number == page.number,
                    }
                )
        pagination["items"] = items

    status_items = [
        {"value": value, "text": str(label), "selected": value == filters["status"]}
        for value, label in form.fields["status"].choices  # type: ignore[attr-defined]
    ]
    selected_status = filters["status"]
    if selected_status in Status.values:
        status_name = Status(selected_status).label
    else:
        status_name = {"open": "Open", "closed": "Closed"}.get(selected_status, "All")

    # The current filters as a saved view keeps them, and the page's own query string.
    current_query = filters_query(filters)
    page_query = params.urlencode()
    views = list(selectors.saved_views(request.user, bodies))
    view_rows = [
        {
            "pk": v.pk,
            "name": v.name,
            "href": _queue_url(QueryDict(v.query)),
            "current": v.query == current_query,
            "own": v.owner_id == request.user.pk,
            "shared_with": v.shared_with.name if v.shared_with else "",
            "owner": person_name(v.owner),
        }
        for v in views
    ]
    if view_form is None:
        view_form = SavedViewForm(
            initial={"share": SavedViewForm.ONLY_ME, "query": current_query},
            bodies=bodies,
            auto_id="view-%s",
        )
    share_value = str(view_form["share"].value() or SavedViewForm.ONLY_ME)
    share_items = [
        {"value": value, "text": text, "checked": value == share_value}
        for value, text in view_form.fields["share"].choices  # type: ignore[attr-defined]
    ]

    may_bulk = bool(staff.bodies_with(ACTION_ROLES["bulk"]))
    if may_bulk and bulk_form is None:
        bulk_form = BulkForm(
            initial={"query": page_query},
            assignees=_assignee_choices(request.user, staff),
            auto_id="bulk-%s",
        )
    ticked: set[int] = set()
    bulk_context: dict[str, Any] = {}
    if bulk_form is not None:
        if bulk_form.is_bound:
            raw = bulk_form.data.getlist("requests") if hasattr(bulk_form.data, "getlist") else []
            ticked = {int(v) for v in raw if str(v).isdigit() and len(str(v)) < 19}
        bulk_context = {
            "bulk_status_items": _choices(
                [("", "Choose a status"), *SETTABLE_STATUSES], bulk_form["status"].value()
            ),
            "bulk_assignee_items": _choices(
                bulk_form.fields["assignee"].choices,  # type: ignore[attr-defined]
                bulk_form["assignee"].value(),
            ),
            "bulk_priority_items": _choices(
                [("", "Choose a priority"), *[(str(v), str(t)) for v, t in Priority.choices]],
                bulk_form["priority"].value(),
            ),
        }

    errors: list[dict[str, str]] = []
    for failed in (bulk_form, view_form):
        if failed is not None and failed.is_bound and failed.errors:
            errors = error_summary(failed)

    return staff_render(
        request,
        "staff/queue.html",
        {
            "bodies": bodies,
            "filters": filters,
            "rows": rows,
            "page": page,
            "total": paginator.count,
            "status_links": status_links,
            "status_name": status_name,
            "pagination": pagination,
            "body_items": _options(bodies, filters["body"], "All your bodies"),
            "category_items": _options(
                list(Category.objects.all()), filters["category"], "All categories"
            ),
            "area_items": _options(list(areas), filters["area"], "All areas"),
            "status_items": status_items,
            "sort_items": _choices(QueueFilterForm.SORTS, filters["sort"]),
            "age_items": _choices(QueueFilterForm.AGES, filters["age"]),
            "priority_items": _choices(QueueFilterForm.PRIORITIES, filters["priority"]),
            "assigned_items": _choices(QueueFilterForm.ASSIGNED, filters["assigned"]),
            "due_items": _choices(QueueFilterForm.DUE, filters["due"]),
            "views": view_rows,
            "view_form": view_form,
            "share_items": share_items,
            "bulk_form": bulk_form,
            "ticked": ticked,
            "errors": errors,
            # The base template marks the page title "Error:" when ``form`` has errors.
            "form": bulk_form if bulk_form is not None and bulk_form.errors else view_form,
            **bulk_context,
        },
        status=status,
    )


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    staff = _staff_roles(request)
    if not staff.bodies:
        return staff_render(request, "staff/no_bodies.html", {}, status=403)
    return render_queue(request, params=request.GET, staff=staff)


def _bulk_message(result: workflow.BulkResult, done: str, state: str) -> str:
    """The flash message after a bulk change: how many changed, and how many already were.

    ``done`` finishes "3 requests …" ("moved to In progress"); ``state`` finishes "1 request
    was already …" ("In progress").
    """
    message = f"{count_text(len(result.changed), 'request')} {done}."
    left = len(result.unchanged)
    if left:
        was, kept = ("was", "it was") if left == 1 else ("were", "they were")
        message += f" {count_text(left, 'request')} {was} already {state} and left as {kept}."
    return message


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Change the status, assignee or priority of the ticked requests, all or none."""
    staff = _staff_roles(request)
    if not staff.bodies_with(ACTION_ROLES["bulk"]):
        raise PermissionDenied("Changing requests needs the inspector role (or higher).")
    form = BulkForm(
        request.POST, assignees=_assignee_choices(request.user, staff), auto_id="bulk-%s"
    )
    params = _query_of(str(request.POST.get("query", "")))
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        chosen = list(
            selectors.staff_requests(request.user, staff.bodies)
            .select_related("body", "assigned_to")
            .filter(pk__in=data["requests"])
        )
        missing = sorted(set(data["requests"]) - {r.pk for r in chosen})
        try:
            if missing:
                raise ValidationError(
                    {"requests": [f"There is no {workflow.numbers_text(missing)} in your bodies."]}
                )
            action = data["action"]
            if action == BulkForm.ACTION_STATUS:
                result = workflow.request_status_change_bulk(
                    requests=chosen,
                    actor=request.user,
                    status=data["status"],
                    message=data["message"],
                )
                label = str(Status(data["status"]).label)
                done, state = f"moved to {label}", label
            elif action == BulkForm.ACTION_ASSIGN:
                assignee: Any = None
                if data["assignee"] == "me":
                    assignee = request.user
                elif data["assignee"] != "none":
                    assignee = (
                        selectors.assignable_staff([b.pk for b in staff.bodies_with(Role.MANAGER)])
                        .filter(pk=int(data["assignee"]))
                        .first()
                    )
                    if assignee is None:
                        raise ValidationError({"assignee": ["Select one of the people listed"]})
                result = workflow.request_assign_bulk(
                    requests=chosen, actor=request.user, assignee=assignee
                )
                if assignee is None:
                    done = state = "unassigned"
                else:
                    who = "you" if assignee.pk == request.user.pk else person_name(assignee)
                    done = state = f"assigned to {who}"
            else:
                result = workflow.request_set_priority_bulk(
                    requests=chosen, actor=request.user, priority=data["priority"]
                )
                label = str(Priority(data["priority"]).label).lower()
                done, state = f"set to {label} priority", f"{label} priority"
        except workflow.BulkRefused as exc:
            form.add_error(None, str(exc))
            status = 403
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _bulk_message(result, done, state))
            return redirect(_queue_url(params))
    return render_queue(request, params=params, staff=staff, bulk_form=form, status=status)


@login_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the queue's current filters under a name."""
    staff = _staff_roles(request)
    if not staff.bodies:
        return staff_render(request, "staff/no_bodies.html", {}, status=403)
    form = SavedViewForm(request.POST, bodies=staff.bodies, auto_id="view-%s")
    params = _query_of(str(request.POST.get("query", "")))
    if form.is_valid():
        # Kept as the filters read back from the query string: only filters that exist, with
        # values that are valid, in one order.
        filters = QueueFilterForm(
            params, bodies=staff.bodies, areas=selectors.queue_areas(staff.bodies)
        ).filters()
        try:
            view = saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                query=filters_query(filters),
                shared_with=form.shared_with(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            shared = f" and shared it with {view.shared_with.name}" if view.shared_with else ""
            messages.success(request, f"Saved the view “{view.name}”{shared}.")
            return redirect(_queue_url(QueryDict(view.query)))
    return render_queue(request, params=params, staff=staff, view_form=form, status=400)


@login_required
@require_POST
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's own saved views."""
    view: SavedView = get_object_or_404(SavedView.objects.filter(owner_id=request.user.pk), pk=pk)
    saved_view_delete(view=view, actor=request.user)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("staff:queue")
