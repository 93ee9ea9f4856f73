"""What requests are about: categories, bodies, areas and assets."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from openlocal.api import presenters
from openlocal.api.lookups import area_named, invalid, parse_bbox
from openlocal.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Order, link_header, paginate
from openlocal.api.responses import errors
from openlocal.api.schemas import AreaPage, AssetPage, BodyList, CategoryList
from openlocal.assets.models import Asset, AssetType
from openlocal.places.models import Area, AreaKind, Body
from openlocal.requests.models import Category, CategoryQuestion

router = Router(tags=["Catalogue"])

Text = Annotated[str, Field(max_length=200)]
AREAS = Order("areas", "created_at", descending=False)
ASSETS = Order("assets", "created_at", descending=False)


@router.get("/categories", response={200: CategoryList}, summary="List categories")
def category_list(request: HttpRequest) -> dict[str, Any]:
    """Every category (an Open311 service) with its extra questions and asset types."""
    categories = Category.objects.order_by("group", "name").prefetch_related(
        Prefetch("questions", queryset=CategoryQuestion.objects.order_by("order", "id")),
        "asset_types",
    )
    return {"results": [presenters.category_out(c) for c in categories]}


@router.get("/bodies", response={200: BodyList}, summary="List bodies")
def body_list(request: HttpRequest) -> dict[str, Any]:
    """Every organisation that can be responsible for requests, with the areas it covers."""
    bodies = Body.objects.order_by("name").prefetch_related(
        Prefetch("areas", queryset=Area.objects.defer("geometry").order_by("name"))
    )
    return {"results": [presenters.body_out(b) for b in bodies]}


class AreaParams(Schema):
    kind: Text = Field("", description=f"One of: {', '.join(AreaKind.values)}.")
    parent: Text = Field("", description="The enclosing area's slug.")
    geometry: bool = Field(True, description="false leaves out the boundaries.")
    cursor: Text = ""
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.get("/areas", response={200: AreaPage, **errors(422)}, summary="List areas")
def area_list(
    request: HttpRequest, response: HttpResponse, params: Query[AreaParams]
) -> dict[str, Any]:
    """Areas with their GeoJSON boundaries (simplified to about 10 m)."""
    areas = Area.objects.select_related("parent").only(
        *[f.name for f in Area._meta.concrete_fields if params.geometry or f.name != "geometry"],
        "parent__slug",
    )
    if params.kind.strip():
        if params.kind.strip() not in AreaKind.values:
            raise invalid("query.kind", f"Choose a kind from: {', '.join(AreaKind.values)}.")
        areas = areas.filter(kind=params.kind.strip())
    if params.parent.strip():
        areas = areas.filter(parent=area_named(params.parent, "query.parent"))
    page = paginate(request, areas, AREAS, cursor=params.cursor, limit=params.limit)
    for name, value in link_header(page.next_url).items():
        response[name] = value
    return {
        "results": [
            presenters.area_out(
                a,
                parent_slug=a.parent.slug if a.parent is not None else None,
                geometry=params.geometry,
            )
            for a in page.rows
        ],
        "next": page.next_url,
    }


class AssetParams(Schema):
    bbox: Text = Field("", description="min_lon,min_lat,max_lon,max_lat")
    type: Text = Field("", description="An asset type's slug.")
    cursor: Text = ""
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.get("/assets", response={200: AssetPage, **errors(422)}, summary="List assets")
def asset_list(
    request: HttpRequest, response: HttpResponse, params: Query[AssetParams]
) -> dict[str, Any]:
    """Assets (streetlights, bus stops, benches...) with how many requests each has had."""
    assets = Asset.objects.select_related("asset_type", "body").annotate(
        public_requests=Count("requests", filter=Q(requests__hidden=False, requests__private=False))
    )
    if params.bbox.strip():
        box = parse_bbox(params.bbox)
        assets = assets.filter(
            latitude__gte=box.south,
            latitude__lte=box.north,
            longitude__gte=box.west,
            longitude__lte=box.east,
        )
    if params.type.strip():
        asset_type = AssetType.objects.filter(slug=params.type.strip()).first()
        if asset_type is None:
            slugs = ", ".join(AssetType.objects.order_by("slug").values_list("slug", flat=True))
            raise invalid("query.type", f"No asset type has this slug. Types: {slugs}.")
        assets = assets.filter(asset_type=asset_type)
    page = paginate(request, assets, ASSETS, cursor=params.cursor, limit=params.limit)
    for name, value in link_header(page.next_url).items():
        response[name] = value
    return {
        "results": [presenters.asset_out(a, request_count=a.public_requests) for a in page.rows],
        "next": page.next_url,
    }
