"""/performance/: how quickly each body deals with requests, in public.

Each page (the overview, a body, an area, a category) is built by one function from the
rollups (:mod:`.selectors`) into tables and charts (:mod:`.presenters`); the page renders
them and each table's CSV download streams the same table, so the two always agree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from openlocal.opendata import licence
from openlocal.opendata.columns import guard_formula
from openlocal.performance import presenters
from openlocal.performance.figures import Backlog, Figures
from openlocal.performance.histograms import PRECISION
from openlocal.performance.models import BAND_EDGES_DAYS
from openlocal.performance.presenters import Named, Table
from openlocal.performance.rollups import last_refreshed, months_back
from openlocal.performance.selectors import (
    Breakdown,
    Performance,
    area_performance,
    body_performance,
    category_performance,
    names,
    site_performance,
)
from openlocal.places.models import AREA_KIND_ORDER, Area, AreaKind, Body
from openlocal.requests.models import Category

#: The months a page covers: this one and the eleven before it.
MONTHS_SHOWN = 12
#: Area kinds listed on the overview, with a link to each area's page.
OVERVIEW_AREA_KINDS = (AreaKind.COUNTY, AreaKind.DISTRICT)


@dataclass
class Page:
    """Everything a performance page shows, built once for the page and its downloads."""

    #: Who or what the page is about, in words ("Testshire County Council").
    subject: str
    #: A short name for file names ("testshire").
    slug: str
    months: list[date]
    performance: Performance
    tables: dict[str, Table] = field(default_factory=dict)
    charts: dict[str, list[presenters.Chart]] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def _breakdown_rows(
    performance: Performance,
    kind: str,
    named: dict[int, Named],
    *,
    include_all: bool = False,
) -> list[tuple[Named, Figures, Backlog]]:
    rows = performance.breakdowns.get(kind, {})
    keys = named if include_all else [key for key in rows if key in named]
    return [
        (named[key], rows.get(key, Breakdown(key)).figures, rows.get(key, Breakdown(key)).backlog)
        for key in keys
    ]


def _body_names(ids: Any) -> dict[int, Named]:
    return {
        pk: Named(body.name, reverse("performance:body", args=[body.slug]))
        for pk, body in names(Body, ids).items()
    }


def _category_names(ids: Any) -> dict[int, Named]:
    return {
        pk: Named(category.name, reverse("performance:category", args=[category.slug]))
        for pk, category in names(Category, ids).items()
    }


def _area_names(ids: Any) -> dict[int, Named]:
    return {
        pk: Named(area.name, reverse("performance:area", args=[area.slug]), area.get_kind_display())
        for pk, area in names(Area, ids).items()
    }


def _common(page: Page, csv_base: str) -> None:
    """The trend and backlog tables and charts every page has."""
    performance = page.performance
    page.tables["trend"] = presenters.trend_table(
        f"Month by month, {page.subject}",
        performance.by_month,
        csv_url=f"{csv_base}trend.csv",
        name="trend",
    )
    page.tables["backlog"] = presenters.backlog_table(
        f"Open requests now by how long they have been open, {page.subject}",
        performance.backlog,
        csv_url=f"{csv_base}backlog.csv",
        name="backlog",
    )
    page.charts["trend"] = presenters.trend_charts("trend", page.subject, performance.by_month)
    page.charts["backlog"] = [
        presenters.backlog_chart("backlog", page.subject, performance.backlog)
    ]


def _sorting(params: Any) -> tuple[str, bool]:
    """The overview's sort key and order from the address; unknown values are ignored."""
    sort = params.get("sort", "name")
    if sort not in presenters.SORTS:
        sort = "name"
    order = params.get("order", "")
    descending = order == "desc" if order in {"asc", "desc"} else sort != "name"
    return sort, descending


def overview_page(params: Any) -> Page:
    months = months_back(MONTHS_SHOWN)
    performance = site_performance(months)
    page = Page("all bodies", "all", months, performance)
    bodies = {
        body.pk: Named(body.name, reverse("performance:body", args=[body.slug]))
        for body in Body.objects.order_by("name").only("pk", "name", "slug")
    }
    sort, descending = _sorting(params)
    query = urlencode({"sort": sort, "order": "desc" if descending else "asc"})
    page.tables["bodies"] = presenters.breakdown_table(
        "Every body's figures over the last 12 months",
        "Body",
        _breakdown_rows(performance, "bodies", bodies, include_all=True),
        csv_url=reverse("performance:overview-csv") + "?" + query,
        name="bodies",
        sort=sort,
        descending=descending,
        sortable=True,
    )
    # A private category's requests are in no figure, so it has nothing to show.
    page.context["categories"] = Category.objects.filter(active=True, private=False).order_by(
        "name"
    )
    page.context["areas"] = [
        (
            AreaKind(kind).label,
            Area.objects.filter(kind=kind).order_by("name").only("pk", "name", "slug", "kind"),
        )
        for kind in OVERVIEW_AREA_KINDS
    ]
    page.context["sort_links"] = {
        key: "?" + urlencode({"sort": key, "order": _next_order(key, sort, descending)})
        for key in presenters.SORTS
    }
    return page


def _next_order(key: str, sort: str, descending: bool) -> str:
    """A heading's link: the other order when the table is sorted by it already."""
    if key == sort:
        return "asc" if descending else "desc"
    return "asc" if key == "name" else "desc"


def body_page(body: Body) -> Page:
    months = months_back(MONTHS_SHOWN)
    performance = body_performance(body, months)
    page = Page(body.name, body.slug, months, performance)
    base = reverse("performance:body", args=[body.slug]) + "/"
    _common(page, base)
    categories = _category_names(performance.breakdowns.get("categories", {}))
    page.tables["categories"] = presenters.breakdown_table(
        f"By category, {body.name}, last 12 months",
        "Category",
        _breakdown_rows(performance, "categories", categories),
        csv_url=f"{base}categories.csv",
        name="categories",
    )
    areas = _area_names(performance.breakdowns.get("areas", {}))
    page.tables["areas"] = presenters.breakdown_table(
        f"By area, {body.name}, last 12 months",
        "Area",
        _breakdown_rows(performance, "areas", areas),
        csv_url=f"{base}areas.csv",
        name="areas",
        sort="name",
        descending=False,
        with_kind=True,
    )
    # The largest kinds of area first (counties, districts, wards...), each by name.
    page.tables["areas"].rows.sort(key=lambda row: _kind_rank(row[1].text))
    page.context["body"] = body
    return page


def _kind_rank(kind: str) -> int:
    """Where an area kind's label comes from the largest kind to the smallest."""
    labels = [str(AreaKind(k).label) for k in AREA_KIND_ORDER]
    return labels.index(kind) if kind in labels else len(labels)


def area_page(area: Area) -> Page:
    months = months_back(MONTHS_SHOWN)
    children = list(
        Area.objects.filter(parent_id=area.pk).only("pk", "name", "slug", "kind").order_by("name")
    )
    performance = area_performance(area, children, months)
    page = Page(area.name, area.slug, months, performance)
    base = reverse("performance:area", args=[area.slug]) + "/"
    _common(page, base)
    bodies = _body_names(performance.breakdowns.get("bodies", {}))
    page.tables["bodies"] = presenters.breakdown_table(
        f"By body, {area.name}, last 12 months",
        "Body",
        _breakdown_rows(performance, "bodies", bodies),
        csv_url=f"{base}bodies.csv",
        name="bodies",
    )
    categories = _category_names(performance.breakdowns.get("categories", {}))
    page.tables["categories"] = presenters.breakdown_table(
        f"By category, {area.name}, last 12 months",
        "Category",
        _breakdown_rows(performance, "categories", categories),
        csv_url=f"{base}categories.csv",
        name="categories",
    )
    if children:
        within = {
            child.pk: Named(
                child.name,
                reverse("performance:area", args=[child.slug]),
                child.get_kind_display(),
            )
            for child in children
        }
        page.tables["areas"] = presenters.breakdown_table(
            f"Areas within {area.name}, last 12 months",
            "Area",
            _breakdown_rows(performance, "areas", within, include_all=True),
            csv_url=f"{base}areas.csv",
            name="areas",
            sort="name",
            descending=False,
        )
    page.context["area"] = area
    page.context["parent"] = area.parent
    return page


def category_page(category: Category) -> Page:
    months = months_back(MONTHS_SHOWN)
    performance = category_performance(category, months)
    page = Page(category.name, category.slug, months, performance)
    base = reverse("performance:category", args=[category.slug]) + "/"
    _common(page, base)
    bodies = _body_names(performance.breakdowns.get("bodies", {}))
    page.tables["bodies"] = presenters.breakdown_table(
        f"By body, {category.name}, last 12 months",
        "Body",
        _breakdown_rows(performance, "bodies", bodies),
        csv_url=f"{base}bodies.csv",
        name="bodies",
    )
    page.context["category"] = category
    return page


# Responses -----------------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, page: Page) -> HttpResponse:
    refreshed = last_refreshed()
    context = {
        **page.context,
        "page": page,
        "figures": page.performance.figures,
        "backlog": page.performance.backlog,
        "tables": page.tables,
        "charts": page.charts,
        "period": presenters.period_text(page.months),
        "refreshed": presenters.refreshed_text(refreshed, timezone.localtime),
        "refresh_minutes": max(1, round(settings.PERFORMANCE_REFRESH_SECONDS / 60)),
        "precision_percent": round(PRECISION * 100),
        "band_edges": BAND_EDGES_DAYS,
        "licence": licence.site_licence(),
        "p": presenters,
    }
    response = render(request, template, context)
    if refreshed is not None:
        response["Last-Modified"] = http_date(refreshed.timestamp())
    return response


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_formula(value)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def _csv_lines(table: Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow([column.csv_heading for column in table.columns])
    yield take()
    for row in table.rows:
        writer.writerow([_csv_cell(cell.value) for cell in row])
        yield take()


def _csv(page: Page, name: str) -> StreamingHttpResponse:
    table = page.tables.get(name)
    if table is None:
        raise Http404("This page has no table of that name.")
    day = timezone.localdate().isoformat()
    refreshed = last_refreshed()
    headers = {
        "Content-Disposition": f'attachment; filename="performance-{page.slug}-{name}-{day}.csv"',
        "Link": ", ".join(
            [
                licence.licence_link(),
                licence.link_value(
                    settings.BASE_URL + reverse("opendata:licence"),
                    "describedby",
                    type="text/plain",
                ),
            ]
        ),
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-cache",
    }
    if refreshed is not None:
        headers["Last-Modified"] = http_date(refreshed.timestamp())
    return StreamingHttpResponse(
        _csv_lines(table), content_type="text/csv; charset=utf-8; header=present", headers=headers
    )


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return _render(request, "performance/overview.html", overview_page(request.GET))


@require_safe
def overview_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _csv(overview_page(request.GET), "bodies")


@require_safe
def body(request: HttpRequest, slug: str) -> HttpResponse:
    return _render(request, "performance/body.html", body_page(get_object_or_404(Body, slug=slug)))


@require_safe
def body_csv(request: HttpRequest, slug: str, table: str) -> StreamingHttpResponse:
    return _csv(body_page(get_object_or_404(Body, slug=slug)), table)


def _area(slug: str) -> Area:
    found = Area.objects.defer("geometry", "parent__geometry").select_related("parent")
    return get_object_or_404(found, slug=slug)


@require_safe
def area(request: HttpRequest, slug: str) -> HttpResponse:
    return _render(request, "performance/area.html", area_page(_area(slug)))


@require_safe
def area_csv(request: HttpRequest, slug: str, table: str) -> StreamingHttpResponse:
    return _csv(area_page(_area(slug)), table)


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Category, slug=slug)
    return _render(request, "performance/category.html", category_page(found))


@require_safe
def category_csv(request: HttpRequest, slug: str, table: str) -> StreamingHttpResponse:
    return _csv(category_page(get_object_or_404(Category, slug=slug)), table)
