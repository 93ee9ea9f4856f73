"""Browsing every public request: a filtered, paginated list and the same points as map data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from openlocal.places.models import AREA_KIND_ORDER, Area, Body
from openlocal.requests.models import CLOSED_STATUSES, OPEN_STATUSES, Category, Status
from openlocal.web import presenters
from openlocal.web.views.public import UK_CENTRE, public_requests, render_page, request_rows

PER_PAGE = 25
#: Most points the map endpoint returns; the list pages through the rest.
MAP_POINTS_LIMIT = 1000
#: Above this many areas the area filter is a text box (name or code) instead of a select.
AREA_SELECT_LIMIT = 300

KIND_RANK: dict[str, int] = {str(kind): i for i, kind in enumerate(AREA_KIND_ORDER)}

SORTS = {
    "newest": ("Newest first", ("-created_at", "-id")),
    "oldest": ("Oldest first", ("created_at", "id")),
    "supported": ("Most supported", ("-supporter_count", "-created_at", "-id")),
}

STATUS_CHOICES = [
    ("", "Any status"),
    ("open", "Open (any open status)"),
    ("closed", "Closed (any closed status)"),
    *[(str(value), str(label)) for value, label in Status.choices],
]


class BrowseFilterForm(forms.Form):
    """The browse filters. Every field is optional; an invalid value is reported and ignored."""

    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    category = forms.ModelChoiceField(
        required=False, queryset=Category.objects.all(), to_field_name="slug"
    )
    area = forms.CharField(required=False, max_length=200)
    body = forms.ModelChoiceField(required=False, queryset=Body.objects.all(), to_field_name="slug")
    q = forms.CharField(required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(
        required=False, choices=[(key, label) for key, (label, _order) in SORTS.items()]
    )

    def clean_area(self) -> Area | None:
        value = self.cleaned_data.get("area", "").strip()
        if not value:
            return None
        area = (
            Area.objects.defer("geometry").filter(slug=value).first()
            or Area.objects.defer("geometry").filter(name__iexact=value).first()
            or Area.objects.defer("geometry").filter(code__iexact=value).first()
        )
        if area is None:
            raise forms.ValidationError(f"No area called “{value}”. Choose an area from the list.")
        return area


def _filtered(form: BrowseFilterForm) -> Any:
    """Public requests matching the valid filters, in the chosen order."""
    requests = public_requests().with_related()
    data = {name: form.cleaned_data.get(name) for name in form.fields if name not in form.errors}
    status = data.get("status") or ""
    if status == "open":
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        requests = requests.filter(status__in=CLOSED_STATUSES)
    elif status:
        requests = requests.filter(status=status)
    if data.get("category"):
        requests = requests.filter(category=data["category"])
    if data.get("area"):
        requests = requests.filter(areas=data["area"])
    if data.get("body"):
        requests = requests.filter(body=data["body"])
    if data.get("q"):
        requests = requests.filter(
            Q(title__icontains=data["q"]) | Q(description__icontains=data["q"])
        )
    _label, order = SORTS.get(data.get("sort") or "newest", SORTS["newest"])
    return requests.order_by(*order)


def _field_error(form: BrowseFilterForm, name: str) -> dict[str, str] | None:
    errors = form.errors.get(name)
    return {"text": str(errors[0])} if errors else None


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    form = BrowseFilterForm(request.GET)
    form.is_valid()
    requests = _filtered(form)
    paginator = Paginator(requests, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))

    def href_for(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return "?" + params.urlencode()

    area_count = Area.objects.count()
    areas = (
        sorted(
            Area.objects.defer("geometry").order_by("name"),
            key=lambda a: KIND_RANK.get(a.kind, len(KIND_RANK)),
        )
        if area_count <= AREA_SELECT_LIMIT
        else []
    )
    selected_area = form.cleaned_data.get("area") if "area" not in form.errors else None
    centre = (
        (selected_area.centre_latitude, selected_area.centre_longitude, 12)
        if selected_area
        else _default_centre()
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "values": {name: request.GET.get(name, "") for name in form.fields},
        "errors": {name: _field_error(form, name) for name in form.fields},
        "error_list": [
            {"text": str(errs[0]), "href": f"#{name}"} for name, errs in form.errors.items()
        ],
        "status_choices": STATUS_CHOICES,
        "categories": Category.objects.order_by("name"),
        "bodies": Body.objects.order_by("name"),
        "areas": areas,
        "sorts": [(key, label) for key, (label, _order) in SORTS.items()],
        "page": page,
        "rows": request_rows(page.object_list),
        "count_text": presenters.plural(paginator.count, "request"),
        "pagination": presenters.pagination_params(
            page.number,
            paginator.num_pages,
            href_for,
            has_previous=page.has_previous(),
            has_next=page.has_next(),
        )
        if paginator.num_pages > 1
        else None,
        "map": {
            "points-url": reverse("web:browse-map"),
            "centre-lat": f"{centre[0]:.5f}",
            "centre-lon": f"{centre[1]:.5f}",
            "zoom": str(centre[2]),
        },
        "filtered": bool(query),
    }
    return render_page(request, "pages/browse.html", context)


def _default_centre() -> tuple[float, float, int]:
    largest = (
        Area.objects.defer("geometry").filter(kind=AREA_KIND_ORDER[0]).order_by("name").first()
        or Area.objects.defer("geometry").order_by("name").first()
    )
    if largest is None:
        return UK_CENTRE
    return largest.centre_latitude, largest.centre_longitude, 10


@require_GET
def browse_map(request: HttpRequest) -> JsonResponse:
    """The browse page's points as JSON: public fields only, at most ``MAP_POINTS_LIMIT``."""
    form = BrowseFilterForm(request.GET)
    form.is_valid()
    rows = list(
        _filtered(form).values_list("pk", "title", "status", "latitude", "longitude")[
            : MAP_POINTS_LIMIT + 1
        ]
    )
    points = [
        {
            "id": pk,
            "title": title,
            "status": presenters.status_label(status),
            "lat": round(latitude, 6),
            "lon": round(longitude, 6),
            "url": reverse("web:request", args=[pk]),
        }
        for pk, title, status, latitude, longitude in rows[:MAP_POINTS_LIMIT]
    ]
    return JsonResponse({"points": points, "truncated": len(rows) > MAP_POINTS_LIMIT})
