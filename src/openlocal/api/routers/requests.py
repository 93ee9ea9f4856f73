"""Requests: list, read, report, find similar, say "me too", and staff updates and merges."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from openlocal.api import presenters
from openlocal.api.keys import SECURITY, require_key
from openlocal.api.lookups import (
    area_named,
    asset_by_reference,
    asset_from_parts,
    body_named,
    category_named,
    clean_email,
    invalid,
    parse_bbox,
    public_request,
)
from openlocal.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Order, link_header, paginate
from openlocal.api.problems import CATEGORY_STOPPED, FORBIDDEN, NOT_FOUND, Problem
from openlocal.api.responses import errors
from openlocal.api.schemas import (
    Latitude,
    Longitude,
    MergeIn,
    MergeOut,
    RequestCreated,
    RequestDetail,
    RequestIn,
    RequestPage,
    SimilarList,
    StaffUpdateIn,
    StaffUpdateList,
    SupportIn,
    SupportOut,
    TriageIn,
    TriageOut,
)
from openlocal.apikeys.models import ApiKey, Scope
from openlocal.assets.models import Asset
from openlocal.places.models import Role
from openlocal.places.permissions import has_role, require_role
from openlocal.requests.merging import request_merge
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Photo,
    Priority,
    Request,
    RequestQuerySet,
    Source,
    Update,
)
from openlocal.requests.models import Status as RequestStatus
from openlocal.requests.selectors import duplicate_candidates
from openlocal.requests.services import (
    CategoryStopped,
    person_for_email,
    request_comment,
    request_create,
    request_note_add,
    request_status_change,
    request_support,
)
from openlocal.requests.workflow import request_assign, request_set_due, request_set_priority
from openlocal.staff.selectors import assignable_staff
from openlocal.subscriptions.models import SubscriptionSource
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

router = Router(tags=["Requests"])

ORDERS = {
    "newest": Order("newest", "created_at", descending=True),
    "updated": Order("updated", "updated_at", descending=False),
}
Text = Annotated[str, Field(max_length=200)]


class RequestFilters(Schema):
    status: Text = Field(
        "", description="open, closed, or statuses separated by commas (e.g. new,in_progress)."
    )
    category: Text = Field("", description="Service codes or slugs, separated by commas.")
    area: Text = Field("", description="An area's slug: requests inside it.")
    body: Text = Field("", description="A body's slug: requests it is responsible for.")
    asset: Text = Field("", description="An asset's id, or TYPE/REFERENCE.")
    bbox: Text = Field("", description="min_lon,min_lat,max_lon,max_lat")
    text: Text = Field("", description="Words in the title or description.")
    updated_since: datetime | None = Field(None, description="Changed at or after this time.")


class ListParams(RequestFilters):
    order: Literal["newest", "updated"] = Field(
        "newest",
        description="newest: newest reported first. updated: least recently changed first; "
        "with updated_since, keeps a copy in step.",
    )
    cursor: Text = Field("", description="From the previous page's `next` link.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def filtered(filters: RequestFilters) -> RequestQuerySet:
    """Public requests matching the filters; an unknown value is a 422 problem."""
    requests: RequestQuerySet = Request.public_objects.get_queryset()
    statuses = [s.strip() for s in filters.status.split(",") if s.strip()]
    if statuses:
        wanted: set[str] = set()
        for status in statuses:
            if status == "open":
                wanted |= OPEN_STATUSES
            elif status == "closed":
                wanted |= CLOSED_STATUSES
            elif status in RequestStatus.values:
                wanted.add(status)
            else:
                raise invalid(
                    "query.status",
                    f"“{status}” is not a status. Use open, closed or any of: "
                    f"{', '.join(RequestStatus.values)}.",
                )
        requests = requests.filter(status__in=sorted(wanted))
    codes = [c.strip() for c in filters.category.split(",") if c.strip()]
    if codes:
        requests = requests.filter(
            category__in=[category_named(code, "query.category") for code in codes]
        )
    if filters.area.strip():
        requests = requests.filter(areas=area_named(filters.area, "query.area"))
    if filters.body.strip():
        requests = requests.filter(body=body_named(filters.body, "query.body"))
    if filters.asset.strip():
        requests = requests.filter(asset=asset_by_reference(filters.asset, "query.asset"))
    if filters.bbox.strip():
        box = parse_bbox(filters.bbox)
        requests = requests.filter(
            latitude__gte=box.south,
            latitude__lte=box.north,
            longitude__gte=box.west,
            longitude__lte=box.east,
        )
    if filters.text.strip():
        words = filters.text.strip()
        requests = requests.filter(Q(title__icontains=words) | Q(description__icontains=words))
    if filters.updated_since is not None:
        requests = requests.filter(updated_at__gte=filters.updated_since)
    return requests


@router.get(
    "/requests",
    response={200: RequestPage, **errors(422)},
    summary="List requests",
    url_name="request_list",
)
def request_list(
    request: HttpRequest, response: HttpResponse, params: Query[ListParams]
) -> dict[str, Any]:
    """Public requests, newest first, a page at a time; follow `next` for the rest."""
    page = paginate(
        request,
        filtered(params).with_related(),
        ORDERS[params.order],
        cursor=params.cursor,
        limit=params.limit,
    )
    for name, value in link_header(page.next_url).items():
        response[name] = value
    return {"results": [presenters.request_out(r) for r in page.rows], "next": page.next_url}


def detail(request: Request) -> dict[str, Any]:
    """A request with its public parts; for a private one (only in the answer to the report
    that made it) the same parts a public one would show, never internal notes."""
    if request.private:
        photos = Photo.private_objects.filter(request=request, hidden=False)
        timeline = Update.private_objects.filter(request=request, public=True, hidden=False)
    else:
        photos = Photo.public_objects.filter(request=request)
        timeline = Update.public_objects.filter(request=request)
    return presenters.request_detail(
        request,
        areas=request.areas.defer("geometry").order_by("name"),
        photos=photos.order_by("created_at", "id"),
        duplicates=Request.public_objects.filter(duplicate_of=request)
        .order_by("id")
        .values_list("id", flat=True),
        timeline=timeline.order_by("created_at", "id"),
    )


@router.get(
    "/requests/{int:pk}",
    response={200: RequestDetail, **errors(404, 422)},
    summary="Read a request",
    url_name="request_detail",
)
def request_read(request: HttpRequest, pk: int) -> dict[str, Any]:
    """One request with its areas, photos, merged duplicates and public timeline."""
    return detail(public_request(pk))


@router.post(
    "/requests",
    response={201: RequestCreated, **errors(400, 401, 403, 422, 429)},
    summary="Report a request",
    openapi_extra={"security": SECURITY},
)
def request_new(request: HttpRequest, response: HttpResponse, data: RequestIn) -> Any:
    """Report a problem or need (API key with the `submit` scope).

    It is routed to the body responsible, like a report on the website. The answer includes
    the open requests that may be the same problem. A category with a `stop_notice` takes no
    reports (a `category-stopped` problem carries the notice); one with `photo_required`
    cannot be reported here, as this API takes no photos. A report in a `private` category
    is answered with `private: true`: its page and every public read answer 404 to all but
    its reporter, who is emailed a link to it.
    """
    require_key(request, Scope.SUBMIT)
    category = category_named(data.category, "body.category")
    if category.stop_notice.strip():
        stopped = CategoryStopped(category)
        raise Problem(
            CATEGORY_STOPPED,
            stopped.notice,
            errors=[{"field": "body.category", "message": stopped.messages[0]}],
        )
    if category.photo_required:
        raise invalid(
            "body.category",
            f"“{category.name}” needs a photo with each report, and this API takes no photos. "
            "Send the report through Open311 instead (POST /open311/v2/requests.json as "
            "multipart/form-data, with the photo in a `media` field), or on the website.",
        )
    asset: Asset | None = None
    if data.asset is not None:
        asset = asset_from_parts(
            data.asset.id, data.asset.type, data.asset.external_id, "body.asset"
        )
    email = clean_email(data.email, "body.email") if data.email.strip() else ""
    created = request_create(
        category=category,
        latitude=data.latitude,
        longitude=data.longitude,
        title=data.title,
        description=data.description,
        asset=asset,
        answers=data.answers,
        reporter_email=email,
        reporter_name=data.name,
        reporter_name_public=data.name_public,
        address=data.address,
        source=Source.API,
        external_id=data.external_id.strip(),
    )
    # The client that sent it sees it in the answer, even when it is private.
    created = Request.private_objects.with_related().get(pk=created.pk)
    similar = [
        presenters.similar_out(c)
        for c in duplicate_candidates(
            category=category,
            latitude=created.latitude,
            longitude=created.longitude,
            asset=asset,
            text=f"{created.title} {created.description}",
            limit=6,
        )
        if c.request.pk != created.pk
    ][:5]
    response["Location"] = presenters.api_url(f"/requests/{created.pk}")
    return Status(201, {"request": detail(created), "similar": similar})


@router.get(
    "/requests/{int:pk}/similar",
    response={200: SimilarList, **errors(404, 422)},
    summary="Possible duplicates of a request",
)
def request_similar(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Open requests nearby (or on the same asset) that may be the same problem."""
    subject = public_request(pk)
    found = duplicate_candidates(
        category=subject.category,
        latitude=subject.latitude,
        longitude=subject.longitude,
        asset=subject.asset,
        text=f"{subject.title} {subject.description}",
        limit=11,
    )
    return {"results": [presenters.similar_out(c) for c in found if c.request.pk != pk][:10]}


class SimilarParams(Schema):
    category: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="Service code or slug."
    )
    lat: Latitude
    lon: Longitude
    asset: Text = Field("", description="An asset's id, or TYPE/REFERENCE.")
    text: Annotated[str, Field(max_length=5000)] = Field("", description="The words so far.")


@router.get(
    "/similar",
    response={200: SimilarList, **errors(422)},
    summary="Find requests like one about to be reported",
)
def similar(request: HttpRequest, params: Query[SimilarParams]) -> dict[str, Any]:
    """Before reporting: open requests that may already be this problem, best first."""
    category = category_named(params.category, "query.category")
    asset = asset_by_reference(params.asset, "query.asset") if params.asset.strip() else None
    found = duplicate_candidates(
        category=category,
        latitude=params.lat,
        longitude=params.lon,
        asset=asset,
        text=params.text,
        limit=10,
    )
    return {"results": [presenters.similar_out(c) for c in found]}


@router.post(
    "/requests/{int:pk}/support",
    response={200: SupportOut, **errors(400, 401, 403, 404, 422, 429)},
    summary="Say “me too”",
    openapi_extra={"security": SECURITY},
)
def support(request: HttpRequest, pk: int, data: SupportIn) -> dict[str, Any]:
    """Count one more person with this problem (API key with the `submit` scope)."""
    key = require_key(request, Scope.SUBMIT)
    subject = public_request(pk)
    sent = False
    if data.email.strip():
        email = clean_email(data.email, "body.email")
        with transaction.atomic():
            counted = request_support(request=subject, person=person_for_email(email))
            result = follow(
                target=Target.for_request(subject),
                email=email,
                source=SubscriptionSource.SUPPORTER,
            )
            sent = result.needs_confirmation
    else:
        counted = request_support(request=subject, session_key=f"apikey:{key.pk}")
    subject.refresh_from_db(fields=["supporter_count"])
    return {
        "counted": counted,
        "supporter_count": subject.supporter_count,
        "follow_confirmation_sent": sent,
    }


def _staff_key(request: HttpRequest) -> ApiKey:
    key = require_key(request, Scope.BODY)
    if key.user is None or not key.user.is_active:
        raise Problem(FORBIDDEN, "This key has no staff identity to act through.")
    return key


@router.post(
    "/requests/{int:pk}/updates",
    response={201: StaffUpdateList, **errors(400, 401, 403, 404, 422, 429)},
    summary="Post a status change, public message or internal note (staff)",
    openapi_extra={"security": SECURITY},
)
def staff_update(request: HttpRequest, pk: int, data: StaffUpdateIn) -> Any:
    """For the body responsible (API key with the `body` scope).

    `status` with an optional `message` changes the status; `message` alone posts a public
    update; `note` adds an internal note that only staff see.
    """
    key = _staff_key(request)
    # Its own body's private (and hidden) requests too: staff work them like any other.
    subject = _staff_request(key, pk)
    if data.status is None and not data.message.strip() and not data.note.strip():
        raise invalid("body", "Give a status, a message or a note.")
    posted: list[Update] = []
    with transaction.atomic():
        if data.status is not None:
            posted.append(
                request_status_change(
                    request=subject, actor=key.user, status=data.status, message=data.message
                )
            )
        elif data.message.strip():
            posted.append(request_comment(request=subject, actor=key.user, text=data.message))
        if data.note.strip():
            posted.append(request_note_add(request=subject, actor=key.user, text=data.note))
    return Status(
        201,
        {
            "request": presenters.request_out(_staff_request(key, pk)),
            "updates": [
                {
                    "id": u.pk,
                    "kind": u.kind,
                    "public": u.public,
                    "text": u.text,
                    "old_status": u.old_status or None,
                    "new_status": u.new_status or None,
                    "created_at": u.created_at,
                }
                for u in posted
            ],
        },
    )


@router.post(
    "/requests/{int:pk}/merge",
    response={200: MergeOut, **errors(400, 401, 403, 404, 422, 429)},
    summary="Merge a duplicate into the request it duplicates (staff)",
    openapi_extra={"security": SECURITY},
)
def merge(request: HttpRequest, pk: int, data: MergeIn) -> dict[str, Any]:
    """Close this request as a duplicate of `into`; its followers and supporters move there.

    Needs an API key with the `body` scope for the body responsible for this request.
    """
    key = _staff_key(request)
    duplicate = public_request(pk)
    into = Request.public_objects.filter(pk=data.into).first()
    if into is None:
        raise invalid("body.into", f"There is no public request #{data.into}.")
    request_merge(duplicate=duplicate, into=into, actor=key.user, message=data.message)
    return {
        "duplicate": presenters.request_out(public_request(pk)),
        "into": presenters.request_out(public_request(into.pk)),
    }


_PRIORITY_NAMES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}


def _staff_request(key: ApiKey, pk: int) -> Request:
    """A request a staff key may act on: any of its bodies' requests, hidden and private ones
    included, or a public one (whose body the services then check); otherwise 404."""
    subject = None
    if 0 < pk < 2**63:
        subject = (
            Request.private_objects.with_related()
            .select_related("assigned_to")
            .filter(pk=pk)
            .first()
        )
    if (
        subject is not None
        and (subject.hidden or subject.private)
        and not has_role(key.user, subject.body, Role.VIEWER)
    ):
        subject = None
    if subject is None:
        raise Problem(NOT_FOUND, f"There is no request #{pk} that this key can see.")
    return subject


@router.post(
    "/requests/{int:pk}/triage",
    response={200: TriageOut, **errors(400, 401, 403, 404, 422, 429)},
    summary="Set the priority, assignee or due date (staff)",
    openapi_extra={"security": SECURITY},
)
def triage(request: HttpRequest, pk: int, data: TriageIn) -> dict[str, Any]:
    """For the body responsible (API key with the `body` scope); all the changes or none.

    Each change is internal: it writes a timeline entry only staff see and an audit entry, and
    never shows in any public answer. The same role rules apply as on the staff pages.
    """
    key = _staff_key(request)
    subject = _staff_request(key, pk)
    given = data.model_fields_set & {"priority", "assigned_to", "due_at"}
    if not given:
        raise invalid("body", "Give a priority, an assignee (assigned_to) or a due date (due_at).")
    require_role(key.user, subject.body, Role.INSPECTOR)
    posted: list[Update] = []
    with transaction.atomic():
        if "priority" in given:
            if data.priority is None:
                raise invalid("body.priority", "Give one of: low, normal, high, urgent.")
            priority = _PRIORITY_NAMES[data.priority]
            if priority != subject.priority:
                posted.append(
                    request_set_priority(request=subject, actor=key.user, priority=priority)
                )
        if "assigned_to" in given:
            assignee = None
            if data.assigned_to is not None and data.assigned_to.strip():
                name = data.assigned_to.strip()
                assignee = (
                    assignable_staff([subject.body_id])
                    .filter(Q(email__iexact=name) | Q(username__iexact=name))
                    .first()
                )
                if assignee is None:
                    raise invalid(
                        "body.assigned_to",
                        f"No inspector, manager or administrator at {subject.body.name} has "
                        f"the email address or username “{name}”.",
                    )
            if (assignee.pk if assignee else None) != subject.assigned_to_id:
                posted.append(request_assign(request=subject, actor=key.user, assignee=assignee))
        if "due_at" in given and data.due_at != subject.due_at:
            if data.due_at is not None and data.due_at.tzinfo is None:
                raise invalid("body.due_at", "Give the due date with its time zone, like +00:00.")
            posted.append(request_set_due(request=subject, actor=key.user, due_at=data.due_at))
    subject = _staff_request(key, pk)
    names = {value: name for name, value in _PRIORITY_NAMES.items()}
    return {
        "request": presenters.request_out(subject),
        "priority": names[Priority(subject.priority)],
        "assigned_to": (
            (subject.assigned_to.email or subject.assigned_to.get_username())
            if subject.assigned_to
            else None
        ),
        "due_at": subject.due_at,
        "updates": [
            {
                "id": u.pk,
                "kind": u.kind,
                "public": u.public,
                "text": u.text,
                "old_status": None,
                "new_status": None,
                "created_at": u.created_at,
            }
            for u in posted
        ],
    }
