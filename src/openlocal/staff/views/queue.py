"""The queue: the requests of the user's bodies, filtered and sorted for triage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.http import require_safe

from openlocal.places.models import Area, Body
from openlocal.places.permissions import bodies_for
from openlocal.requests.models import OPEN_STATUSES, Category, Request, Status
from openlocal.staff import selectors
from openlocal.staff.forms import QueueFilterForm
from openlocal.staff.presenters import STATUS_ORDER, age_text, smallest_area
from openlocal.staff.views.common import staff_render

PAGE_SIZE = 25


@dataclass
class QueueRow:
    pk: int
    title: str
    hidden: bool
    category: str
    status: str
    area: str
    age: str
    created_at: datetime
    supporters: int
    followers: int


def queue_row(request: Request, now: datetime) -> QueueRow:
    area = smallest_area(request.areas.all())
    return QueueRow(
        pk=request.pk,
        title=request.title,
        hidden=request.hidden,
        category=request.category.name,
        status=request.status,
        area=area.name if area else "",
        age=age_text(request.created_at, now),
        created_at=request.created_at,
        supporters=request.supporter_count,
        followers=request.follower_count,
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


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    bodies = bodies_for(request.user)
    if not bodies:
        return staff_render(request, "staff/no_bodies.html", {}, status=403)
    areas = selectors.queue_areas(bodies)
    form = QueueFilterForm(request.GET, bodies=bodies, areas=areas)
    filters = form.filters()

    base = selectors.queue_filter(
        selectors.staff_requests(request.user, bodies), filters, with_status=False
    )
    counts = selectors.status_counts(base)
    requests = selectors.queue_sort(selectors.queue_filter(base, filters), filters["sort"])
    paginator = Paginator(selectors.queue_page_requests(requests), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [queue_row(r, now) for r in page.object_list]

    params = request.GET
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
    sort_items = [
        {"value": value, "text": label, "selected": value == filters["sort"]}
        for value, label in QueueFilterForm.SORTS
    ]
    selected_status = filters["status"]
    if selected_status in Status.values:
        status_name = Status(selected_status).label
    else:
        status_name = {"open": "Open", "closed": "Closed"}.get(selected_status, "All")
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
            "sort_items": sort_items,
        },
    )
