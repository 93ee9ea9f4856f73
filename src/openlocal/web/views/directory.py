"""Pages for the things requests are about: areas, bodies, categories and assets."""

from __future__ import annotations

from urllib.parse import urlencode

import shapely
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.feeds import links as feed_links
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, RoutingRule, Status
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.views.common import follower_count
from openlocal.web import presenters
from openlocal.web.views.public import (
    json_data,
    point_map,
    public_requests,
    render_page,
    request_rows,
)

#: Requests listed on an area, body or category page; the browse page has the rest.
RECENT_LIMIT = 20
#: Requests listed in an asset's history.
HISTORY_LIMIT = 200
#: Boundary simplification (degrees, about 10 m) so that a large area's page stays light.
BOUNDARY_TOLERANCE = 0.0001
#: How far up the parent chain routing rules are looked for.
MAX_ANCESTORS = 10


def _browse_href(**params: str) -> str:
    return reverse("web:browse") + "?" + urlencode(params)


def _status_counts(requests: object) -> list[dict[str, object]]:
    counts = dict(
        requests.values_list("status").annotate(n=Count("id")).order_by()  # type: ignore[attr-defined]
    )
    return [
        {
            "label": str(label),
            "state": presenters.status_state(value),
            "count": counts.get(value, 0),
            "href_params": value,
        }
        for value, label in Status.choices
        if counts.get(value, 0)
    ]


def followers_sentence(count: int) -> str:
    """How many follow a page's target, never who."""
    if count == 0:
        return "Nobody gets emails about this yet"
    if count == 1:
        return "1 follower gets emails about this"
    return f"{count:,} followers get emails about this"


def follow_box(
    target: Target,
    *,
    heading: str,
    page_url: str,
    feed_url: str,
    feed_title: str,
    choices: list[tuple[str, str]] | None = None,
    around_href: str = "",
) -> dict[str, object]:
    """The "Get emails" form and Atom feed link of an area, body, category or asset page."""
    return {
        "key": target.key,
        "heading": heading,
        "next": page_url,
        "followers": followers_sentence(follower_count(target.key)),
        "feed_url": feed_url,
        "feed_title": feed_title,
        "choices": choices or [],
        "around_href": around_href,
    }


@require_GET
def area(request: HttpRequest, slug: str) -> HttpResponse:
    found = Area.objects.select_related("parent").filter(slug=slug).first()
    if found is None:
        raise Http404("No such area")
    ancestors: list[Area] = []
    parent = found.parent
    while parent is not None and len(ancestors) < MAX_ANCESTORS:
        ancestors.append(parent)
        parent = Area.objects.defer("geometry").select_related("parent").get(pk=parent.pk).parent
    chain = [found, *ancestors]
    depth = {a.pk: i for i, a in enumerate(chain)}
    best: dict[int, tuple[tuple[int, int], RoutingRule]] = {}
    for rule in RoutingRule.objects.filter(area__in=chain, category__active=True).select_related(
        "category", "body", "area"
    ):
        # The same precedence as routing: lowest preference, then the smallest area.
        key = (rule.preference, depth[rule.area_id])
        if rule.category_id not in best or key < best[rule.category_id][0]:
            best[rule.category_id] = (key, rule)
    handled = sorted(
        (rule for _key, rule in best.values()),
        key=lambda r: (r.category.get_group_display(), r.category.name),
    )
    requests = public_requests().filter(areas=found)
    boundary = shapely.from_wkb(bytes(found.geometry)).simplify(
        BOUNDARY_TOLERANCE, preserve_topology=True
    )
    context = {
        "area": found,
        "ancestors": ancestors,
        "children": found.children.defer("geometry").order_by("name"),
        "bodies": found.bodies.order_by("name"),
        "handled": handled,
        "open_count": requests.open().count(),
        "status_counts": _status_counts(requests),
        "recent": request_rows(requests.with_related()[:RECENT_LIMIT]),
        "browse_href": _browse_href(area=found.slug),
        "browse_open_href": _browse_href(area=found.slug, status="open"),
        "geojson": json_data(geo.geometry_to_geojson(boundary), "area-boundary"),
        "centre": presenters.coordinates_text(found.centre_latitude, found.centre_longitude),
        "follow": follow_box(
            Target.for_area(found),
            heading=f"Get emails about new requests in {found.name}",
            page_url=found.get_absolute_url(),
            feed_url=feed_links.area_feed_url(found),
            feed_title=f"New requests in {found.name}",
            around_href=reverse("subscriptions:follow-area")
            + "?"
            + urlencode(
                {
                    "lat": f"{found.centre_latitude:.5f}",
                    "lon": f"{found.centre_longitude:.5f}",
                    "name": found.name,
                }
            ),
        ),
    }
    return render_page(request, "pages/area.html", context)


@require_GET
def body(request: HttpRequest, slug: str) -> HttpResponse:
    found = Body.objects.filter(slug=slug).first()
    if found is None:
        raise Http404("No such body")
    handled: dict[int, dict[str, object]] = {}
    for rule in (
        RoutingRule.objects.filter(body=found)
        .select_related("category", "area")
        .order_by("category__name", "area__name")
    ):
        entry = handled.setdefault(rule.category_id, {"category": rule.category, "areas": []})
        entry["areas"].append(rule.area)  # type: ignore[attr-defined]
    requests = public_requests().filter(body=found)
    context = {
        "body": found,
        "areas": found.areas.defer("geometry").order_by("name"),
        "handled": list(handled.values()),
        "total": presenters.plural(requests.count(), "request"),
        "open_count": requests.open().count(),
        "status_counts": _status_counts(requests),
        "recent": request_rows(requests.with_related()[:RECENT_LIMIT]),
        "browse_href": _browse_href(body=found.slug),
        "browse_status_base": {"body": found.slug},
        "follow": follow_box(
            Target.for_body(found),
            heading=f"Get emails about new requests to {found.name}",
            page_url=found.get_absolute_url(),
            feed_url=feed_links.body_feed_url(found),
            feed_title=f"New requests to {found.name}",
        ),
    }
    return render_page(request, "pages/body.html", context)


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = Category.objects.filter(slug=slug).first()
    if found is None:
        raise Http404("No such category")
    questions = [
        {
            "label": q.label,
            "hint": q.hint,
            "datatype": q.get_datatype_display(),
            "required": q.required,
            "options": [str(v.get("name", v.get("key"))) for v in q.values or []],
        }
        for q in found.questions.filter(variable=True)
    ]
    rules = (
        RoutingRule.objects.filter(category=found)
        .select_related("body", "area")
        .order_by("area__name", "preference")
    )
    requests = public_requests().filter(category=found)
    rule_areas = sorted({rule.area for rule in rules}, key=lambda a: a.name)
    context = {
        "category": found,
        "questions": questions,
        "rules": rules,
        "total": presenters.plural(requests.count(), "request"),
        "open_count": requests.open().count(),
        "recent": request_rows(requests.with_related()[:RECENT_LIMIT]),
        "browse_href": _browse_href(category=found.slug),
        "asset_types": found.asset_types.order_by("name"),
        # A private category's requests reach nobody but their reporters: nothing to follow.
        "follow": None
        if found.private
        else follow_box(
            Target.for_category(found),
            heading=f"Get emails about new “{found.name}” requests",
            page_url=found.get_absolute_url(),
            feed_url=feed_links.category_feed_url(found),
            feed_title=f"New “{found.name}” requests",
            choices=[(f"category:{found.pk}", "Anywhere")]
            + [(f"category:{found.pk}@area:{a.pk}", f"In {a.name}") for a in rule_areas],
        ),
    }
    return render_page(request, "pages/category.html", context)


@require_GET
def asset(request: HttpRequest, type_slug: str, external_id: str) -> HttpResponse:
    found = (
        Asset.objects.select_related("asset_type", "body")
        .filter(asset_type__slug=type_slug, external_id=external_id)
        .first()
    )
    if found is None:
        raise Http404("No such asset")
    history = public_requests().filter(asset=found).with_related().order_by("-created_at", "-id")
    rows = request_rows(history[:HISTORY_LIMIT])
    context = {
        "asset": found,
        "coordinates": presenters.coordinates_text(found.latitude, found.longitude),
        "map": point_map(found.latitude, found.longitude),
        "attributes": presenters.attribute_rows(found.attributes or {}),
        "history": rows,
        "history_text": presenters.plural(len(rows), "request"),
        "report_href": reverse("web:report")
        + "?"
        + urlencode({"lat": f"{found.latitude:.5f}", "lon": f"{found.longitude:.5f}"}),
        "follow": follow_box(
            Target.for_asset(found),
            heading=f"Get emails about problems with {found.name}",
            page_url=found.get_absolute_url(),
            feed_url=feed_links.asset_feed_url(found),
            feed_title=f"Requests about {found.name}",
        ),
    }
    return render_page(request, "pages/asset.html", context)
