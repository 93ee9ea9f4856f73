"""The reads behind Open311: services, public requests and public updates, as plain rows.

Each page is a fixed number of queries whatever its size, never a query per row. A page of
requests is one query for the rows and one each for their timeline entries and photos (the
latest public status note, the first public photo, any photo link supplied with the report),
looked up by the page's request ids.
Only public rows are read: ``Request.public_objects`` and public, visible updates of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from openlocal.assets.models import Asset
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    CategoryQuestion,
    Photo,
    Request,
    Status,
    Update,
    UpdateKind,
)

#: Metres per degree of latitude (and of longitude at the equator), for radius filters.
_METRES_PER_DEGREE = 111_320.0


def services() -> list[Mapping[str, Any]]:
    """Every active category, with whether it has questions (Open311 ``metadata``)."""
    questions = CategoryQuestion.objects.filter(category=OuterRef("pk"))
    rows: list[Mapping[str, Any]] = []
    rows.extend(
        Category.objects.filter(active=True)
        .annotate(has_questions=Exists(questions))
        .order_by("group", "name", "pk")
        .values(
            "service_code",
            "name",
            "description",
            "keywords",
            "group",
            "has_questions",
            "private",
            "photo_required",
            "stop_notice",
        )
    )
    return rows


def service(service_code: str) -> Category | None:
    return Category.objects.filter(active=True, service_code=service_code).first()


def questions(category: Category) -> list[CategoryQuestion]:
    return list(category.questions.order_by("order", "id"))


@dataclass
class RequestFilters:
    """What GET requests asked for. ``ids`` overrides everything else, as the spec says."""

    ids: list[int] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    #: ``(south, west, north, east)`` in degrees.
    bbox: tuple[float, float, float, float] | None = None
    #: ``(latitude, longitude, metres)``.
    circle: tuple[float, float, float] | None = None


def _within_circle(queryset: QuerySet[Any], prefix: str, lat: float, lon: float, radius: float):
    """Rows within ``radius`` metres: an indexed box, then an equirectangular distance test
    (accurate to well under a metre at the radii allowed)."""
    dlat = radius / _METRES_PER_DEGREE
    dlon = radius / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    kx = _METRES_PER_DEGREE * math.cos(math.radians(lat))
    ky = _METRES_PER_DEGREE
    lat_f, lon_f = F(f"{prefix}latitude"), F(f"{prefix}longitude")
    return (
        queryset.filter(
            **{
                f"{prefix}latitude__range": (lat - dlat, lat + dlat),
                f"{prefix}longitude__range": (lon - dlon, lon + dlon),
            }
        )
        .alias(
            _dist2=((lon_f - lon) * kx) * ((lon_f - lon) * kx)
            + ((lat_f - lat) * ky) * ((lat_f - lat) * ky)
        )
        .filter(_dist2__lte=radius * radius)
    )


def _statuses(names: set[str]) -> set[str]:
    """Our statuses for ``open``/``closed`` and any of our own detailed statuses."""
    found: set[str] = set()
    for name in names:
        if name == "open":
            found |= {str(s) for s in OPEN_STATUSES}
        elif name == "closed":
            found |= {str(s) for s in CLOSED_STATUSES}
        else:
            found.add(name)
    return found


def public_requests(filters: RequestFilters) -> QuerySet[Request]:
    """Public requests matching the filters, newest first (by last change when filtering on it)."""
    queryset = Request.public_objects.all()
    if filters.ids:
        return queryset.filter(pk__in=filters.ids).order_by("-created_at", "-id")
    if filters.service_codes:
        queryset = queryset.filter(category__service_code__in=filters.service_codes)
    if filters.statuses:
        queryset = queryset.filter(status__in=_statuses(filters.statuses))
    if filters.start is not None:
        queryset = queryset.filter(created_at__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(created_at__lte=filters.end)
    if filters.updated_after is not None:
        queryset = queryset.filter(updated_at__gt=filters.updated_after)
    if filters.updated_before is not None:
        queryset = queryset.filter(updated_at__lt=filters.updated_before)
    if filters.bbox is not None:
        south, west, north, east = filters.bbox
        queryset = queryset.filter(latitude__range=(south, north), longitude__range=(west, east))
    if filters.circle is not None:
        queryset = _within_circle(queryset, "", *filters.circle)
    if filters.updated_after is not None or filters.updated_before is not None:
        return queryset.order_by("-updated_at", "-id")
    return queryset.order_by("-created_at", "-id")


REQUEST_FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "latitude",
    "longitude",
    "address",
    "created_at",
    "updated_at",
    "closed_at",
    "duplicate_of_id",
    "supporter_count",
    "follower_count",
    "category__service_code",
    "category__name",
    "body__name",
    "body__slug",
    "asset__external_id",
)


def request_rows(queryset: QuerySet[Request], offset: int, limit: int) -> list[dict[str, Any]]:
    """One page of requests as dicts, with ``status_notes``, ``photo`` and ``supplied_media``.

    Two queries whatever the page's size: the page itself, then for the page's requests
    together their public timeline entries that carry a note or a supplied photo link, and
    their first visible photos.
    """
    rows = list(queryset.values(*REQUEST_FIELDS)[offset : offset + limit])
    extras = _page_extras([row["id"] for row in rows])
    for row in rows:
        row.update(extras.get(row["id"], _NO_EXTRAS))
    return rows


_NO_EXTRAS: dict[str, Any] = {"status_notes": None, "photo": None, "supplied_media": None}


def _page_extras(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The latest public status note, the first photo and any supplied photo link per request.

    Plain SQL: with a hundred ids the ORM spent longer preparing each id than the database
    took to answer. Table and column names come from the models; every value is a parameter.
    """
    if not ids:
        return {}
    extras: dict[int, dict[str, Any]] = {pk: dict(_NO_EXTRAS) for pk in ids}
    marks = ", ".join(["%s"] * len(ids))
    data_field = Update._meta.get_field("data")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT request_id, kind, text, data FROM {Update._meta.db_table} "  # noqa: S608
            f"WHERE request_id IN ({marks}) AND public = %s AND hidden = %s "
            "AND (kind = %s OR text <> '') ORDER BY created_at, id",
            [*ids, True, False, UpdateKind.CREATED.value],
        )
        for request_id, kind, text, data in cursor.fetchall():
            found = extras[request_id]
            if kind == UpdateKind.CREATED:
                data = data_field.from_db_value(data, None, connection)  # type: ignore[arg-type]
                if found["supplied_media"] is None and isinstance(data, dict):
                    found["supplied_media"] = data.get("media_url") or None
            elif text:
                found["status_notes"] = text  # oldest first, so the latest stays
        cursor.execute(
            f"SELECT request_id, image FROM {Photo._meta.db_table} "  # noqa: S608
            f"WHERE request_id IN ({marks}) AND hidden = %s ORDER BY created_at DESC, id DESC",
            [*ids, False],
        )
        for request_id, image in cursor.fetchall():
            extras[request_id]["photo"] = image  # newest first, so the first stays
    return extras


@dataclass
class UpdateFilters:
    request_ids: list[int] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None


def public_updates(filters: UpdateFilters) -> QuerySet[Update]:
    """Public timeline entries of public requests, newest first. Internal notes never appear."""
    queryset = Update.public_objects.all()
    if filters.request_ids:
        queryset = queryset.filter(request_id__in=filters.request_ids)
    if filters.start is not None:
        queryset = queryset.filter(created_at__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(created_at__lte=filters.end)
    if filters.updated_after is not None:
        queryset = queryset.filter(created_at__gt=filters.updated_after)
    if filters.updated_before is not None:
        queryset = queryset.filter(created_at__lt=filters.updated_before)
    return queryset.order_by("-created_at", "-id")


UPDATE_FIELDS = (
    "id",
    "request_id",
    "kind",
    "text",
    "old_status",
    "new_status",
    "data",
    "created_at",
    "body__name",
)


def update_rows(queryset: QuerySet[Update], offset: int, limit: int) -> list[dict[str, Any]]:
    """One page of updates, each with the request's status as it stood after it."""
    earlier_status = (
        Update.private_objects.filter(
            request=OuterRef("request_id"), public=True, created_at__lte=OuterRef("created_at")
        )
        .exclude(new_status="")
        .order_by("-created_at", "-id")
        .values("new_status")[:1]
    )
    photo = (
        Photo.private_objects.filter(update=OuterRef("pk"), hidden=False)
        .order_by("created_at", "id")
        .values("image")[:1]
    )
    return list(
        queryset.annotate(
            status_then=Coalesce(
                NullIf(F("new_status"), Value("")), Subquery(earlier_status), Value(Status.NEW)
            ),
            photo=Subquery(photo),
        ).values(*UPDATE_FIELDS, "status_then", "photo")[offset : offset + limit]
    )


def update_with_external_id(request: Request, external_id: str) -> Update | None:
    """The update a back office already posted under its own ``update_id``, if any."""
    return (
        Update.private_objects.filter(request=request, data__open311_update_id=external_id)
        .order_by("id")
        .first()
    )


def existing_asset(address_id: str, asset_type_ids: Sequence[int]) -> tuple[Asset, bool] | None:
    """The active asset with this external id: one of the category's asset types if possible.

    Returns ``(asset, fits)`` where ``fits`` says the asset is of a type the category covers,
    or None when no active asset has the id.
    """
    assets = list(
        Asset.objects.filter(external_id=address_id, active=True)
        .select_related("asset_type")
        .order_by("pk")[:20]
    )
    for asset in assets:
        if asset.asset_type_id in asset_type_ids:
            return asset, True
    return (assets[0], False) if assets else None
