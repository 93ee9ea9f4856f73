"""Public rows to API output. Only fields the public may see are read here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from django.conf import settings

from openlocal.assets.models import Asset
from openlocal.places.models import Area, Body
from openlocal.requests.models import OPEN_STATUSES, Category, Photo, Request, Status, Update
from openlocal.requests.selectors import Candidate
from openlocal.subscriptions.models import Delivery, WebhookEndpoint

#: Boundaries are simplified to about 10 m so that a list of areas stays light.
BOUNDARY_TOLERANCE = 0.0001


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def api_url(path: str) -> str:
    return f"{settings.BASE_URL}/api/v1{path}"


def category_ref(category: Category) -> dict[str, Any]:
    return {
        "code": category.service_code,
        "slug": category.slug,
        "name": category.name,
        "group": category.group,
    }


def body_ref(body: Body) -> dict[str, Any]:
    return {"slug": body.slug, "name": body.name}


def area_ref(area: Area) -> dict[str, Any]:
    return {"slug": area.slug, "name": area.name, "kind": area.kind, "code": area.code}


def asset_ref(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.pk,
        "type": asset.asset_type.slug,
        "external_id": asset.external_id,
        "name": asset.name,
    }


def request_out(request: Request) -> dict[str, Any]:
    """A request from ``Request.public_objects`` with category, body and asset selected
    (or, in the answer to the report that made it, a private one)."""
    return {
        "id": request.pk,
        "url": absolute(request.get_absolute_url()),
        "private": request.private,
        "title": request.title,
        "description": request.description,
        "status": request.status,
        "status_label": Status(request.status).label,
        "open": request.status in OPEN_STATUSES,
        "category": category_ref(request.category),
        "body": body_ref(request.body),
        "latitude": request.latitude,
        "longitude": request.longitude,
        "address": request.address,
        "asset": asset_ref(request.asset) if request.asset is not None else None,
        "answers": request.answers or {},
        "reporter_name": request.public_reporter_name or None,
        "supporter_count": request.supporter_count,
        "follower_count": request.follower_count,
        "duplicate_of": request.duplicate_of_id,
        "source": request.source,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "closed_at": request.closed_at,
    }


def timeline_entry(update: Update) -> dict[str, Any]:
    """A public timeline entry (from ``Update.public_objects``): never an internal note."""
    return {
        "id": update.pk,
        "kind": update.kind,
        "text": update.text,
        "old_status": update.old_status or None,
        "new_status": update.new_status or None,
        "author": update.author_name or None,
        "data": update.data or {},
        "created_at": update.created_at,
    }


def request_detail(
    request: Request,
    *,
    areas: Iterable[Area],
    photos: Iterable[Photo],
    duplicates: Iterable[int],
    timeline: Iterable[Update],
) -> dict[str, Any]:
    return {
        **request_out(request),
        "areas": [area_ref(a) for a in areas],
        "photos": [
            {
                "url": absolute(photo.image.url),
                "width": photo.width,
                "height": photo.height,
                "alt_text": photo.alt_text,
            }
            for photo in photos
        ],
        "duplicates": list(duplicates),
        "timeline": [timeline_entry(u) for u in timeline],
    }


def similar_out(candidate: Candidate) -> dict[str, Any]:
    return {
        "request": request_out(candidate.request),
        "distance_m": round(candidate.distance_m, 1),
        "same_asset": candidate.same_asset,
        "similarity": round(candidate.similarity, 3),
        "score": round(candidate.score, 3),
    }


def category_out(category: Category) -> dict[str, Any]:
    """A category with ``questions`` and ``asset_types`` prefetched."""
    return {
        **category_ref(category),
        "group_label": category.get_group_display(),
        "description": category.description,
        "active": category.active,
        "asset_types": [t.slug for t in category.asset_types.all()],
        "asset_required": category.asset_required,
        "duplicate_radius_m": category.duplicate_radius_m,
        "private": category.private,
        "photo_required": category.photo_required,
        "stop_notice": category.stop_notice.strip() or None,
        "service_level_days": category.service_level_days,
        "questions": [
            {
                "code": q.code,
                "label": q.label,
                "hint": q.hint,
                "datatype": q.datatype,
                "required": q.required,
                "variable": q.variable,
                "order": q.order,
                "values": [
                    {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                    for v in (q.values or [])
                    if isinstance(v, dict)
                ],
            }
            for q in category.questions.all()
        ],
        "url": absolute(category.get_absolute_url()),
    }


def body_out(body: Body) -> dict[str, Any]:
    """A body with ``areas`` prefetched. Its contact email is private and never read here."""
    return {
        **body_ref(body),
        "kind": body.kind,
        "kind_label": body.get_kind_display(),
        "website": body.website,
        "description": body.description,
        "areas": [a.slug for a in body.areas.all()],
        "url": absolute(body.get_absolute_url()),
    }


def area_out(area: Area, *, parent_slug: str | None, geometry: bool) -> dict[str, Any]:
    shape = None
    if geometry:
        simplified = shapely.from_wkb(bytes(area.geometry)).simplify(
            BOUNDARY_TOLERANCE, preserve_topology=True
        )
        shape = shapely.geometry.mapping(shapely.set_precision(simplified, 1e-6))
        shape = {"type": shape["type"], "coordinates": _lists(shape["coordinates"])}
    return {
        **area_ref(area),
        "parent": parent_slug,
        "bbox": [area.min_longitude, area.min_latitude, area.max_longitude, area.max_latitude],
        "centre": [area.centre_longitude, area.centre_latitude],
        "geometry": shape,
        "url": absolute(area.get_absolute_url()),
    }


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value


def asset_out(asset: Asset, *, request_count: int) -> dict[str, Any]:
    return {
        **asset_ref(asset),
        "type_name": asset.asset_type.name,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "body": asset.body.slug if asset.body is not None else None,
        "attributes": asset.attributes or {},
        "request_count": request_count,
        "requests": api_url(f"/requests?asset={asset.pk}"),
        "url": absolute(asset.get_absolute_url()),
    }


def webhook_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event_type": delivery.event.kind,
        "request": delivery.event.request_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "due_at": delivery.due_at,
        "sent_at": delivery.sent_at,
    }
