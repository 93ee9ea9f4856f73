"""Staff reads. Everything starts from the bodies the user works for.

Staff read through ``Request.private_objects`` (hidden requests included) and only ever
within their own bodies, so a request elsewhere is indistinguishable from one that does not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import ROLE_RANK, Area, Body, Membership, Role
from openlocal.places.permissions import bodies_for
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Photo,
    Request,
    RequestQuerySet,
    Supporter,
    Update,
)
from openlocal.requests.selectors import Candidate, duplicate_candidates
from openlocal.staff.forms import QueueFilterForm
from openlocal.staff.models import ResponseTemplate, SavedView
from openlocal.staff.presenters import STATUS_ORDER
from openlocal.subscriptions.models import Channel, Subscription


def staff_requests(user: Any, bodies: list[Body] | None = None) -> RequestQuerySet:
    """Every request (hidden ones too) of the user's bodies."""
    if bodies is None:
        bodies = bodies_for(user)
    return Request.private_objects.for_bodies([b.pk for b in bodies])


def staff_request_or_404(user: Any, pk: int) -> Request:
    """The request, if it belongs to one of the user's bodies; otherwise 404."""
    request = (
        staff_requests(user)
        .with_related()
        .select_related("reporter", "assigned_to")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404("No request with this number in your bodies.")
    return request


def queue_areas(bodies: list[Body]) -> QuerySet[Area]:
    """Areas worth filtering a queue by: those the bodies cover, and two levels below them."""
    ids = [b.pk for b in bodies]
    return (
        Area.objects.filter(
            Q(bodies__in=ids) | Q(parent__bodies__in=ids) | Q(parent__parent__bodies__in=ids)
        )
        .distinct()
        .defer("geometry")
        .order_by("name")
    )


def _status_rank() -> Case:
    return Case(
        *[When(status=s, then=Value(i)) for i, s in enumerate(STATUS_ORDER)],
        default=Value(len(STATUS_ORDER)),
        output_field=IntegerField(),
    )


def queue_filter(
    queryset: RequestQuerySet,
    filters: dict[str, Any],
    *,
    with_status: bool = True,
    user: Any = None,
    now: datetime | None = None,
) -> RequestQuerySet:
    """Apply the queue's filters (see :meth:`QueueFilterForm.filters`).

    ``user`` is who "assigned to me" means; ``now`` is when ages and due dates are measured
    from.
    """
    now = now or timezone.now()
    if filters["body"] is not None:
        queryset = queryset.filter(body=filters["body"])
    if filters["category"] is not None:
        queryset = queryset.filter(category=filters["category"])
    if filters["area"] is not None:
        queryset = queryset.filter(areas=filters["area"])
    text = filters["q"].strip()
    if text:
        number = text.lstrip("#")
        match = (
            Q(title__icontains=text) | Q(description__icontains=text) | Q(address__icontains=text)
        )
        if number.isdigit() and len(number) < 18:
            match |= Q(pk=int(number))
        queryset = queryset.filter(match)
    if filters.get("age"):
        queryset = queryset.filter(created_at__lt=now - timedelta(days=filters["age"]))
    if filters.get("priority") is not None:
        queryset = queryset.filter(priority=filters["priority"])
    if filters.get("supporters"):
        queryset = queryset.filter(supporter_count__gte=filters["supporters"])
    assigned = filters.get("assigned")
    if assigned == QueueFilterForm.ASSIGNED_ME:
        queryset = queryset.filter(assigned_to=user) if user is not None else queryset.none()
    elif assigned == QueueFilterForm.ASSIGNED_NONE:
        queryset = queryset.filter(assigned_to__isnull=True)
    due = filters.get("due")
    if due == QueueFilterForm.DUE_OVERDUE:
        # Overdue means still open after its due date: a closed request is done, late or not.
        queryset = queryset.filter(due_at__lt=now, status__in=OPEN_STATUSES)
    elif due == QueueFilterForm.DUE_WEEK:
        queryset = queryset.filter(due_at__gte=now, due_at__lt=now + timedelta(days=7))
    elif due == QueueFilterForm.DUE_NONE:
        queryset = queryset.filter(due_at__isnull=True)
    if with_status:
        status = filters["status"]
        if status == QueueFilterForm.STATUS_OPEN:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif status == QueueFilterForm.STATUS_CLOSED:
            queryset = queryset.filter(status__in=CLOSED_STATUSES)
        elif status != QueueFilterForm.STATUS_ANY:
            queryset = queryset.filter(status=status)
    return queryset


def queue_sort(queryset: RequestQuerySet, sort: str) -> RequestQuerySet:
    if sort == "newest":
        return queryset.order_by("-created_at", "-id")
    if sort == "demand":
        # Demand is everyone who has the problem or cares about it: "me too"s and followers.
        return queryset.annotate(demand=F("supporter_count") + F("follower_count")).order_by(
            "-demand", "created_at", "id"
        )
    if sort == "supporters":
        return queryset.order_by("-supporter_count", "created_at", "id")
    if sort == "priority":
        return queryset.order_by("-priority", "created_at", "id")
    if sort == "due":
        return queryset.order_by(F("due_at").asc(nulls_last=True), "created_at", "id")
    if sort == "status":
        return queryset.annotate(status_rank=_status_rank()).order_by(
            "status_rank", "created_at", "id"
        )
    return queryset.order_by("created_at", "id")


def queue_page_requests(queryset: RequestQuerySet) -> RequestQuerySet:
    """What the queue table needs for each row, fetched in a fixed number of queries."""
    return queryset.select_related("category", "assigned_to").prefetch_related(
        Prefetch("areas", queryset=Area.objects.defer("geometry"))
    )


def status_counts(queryset: RequestQuerySet) -> dict[str, int]:
    """How many requests have each status: one grouped query."""
    rows = queryset.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def request_timeline(request: Request) -> QuerySet[Update]:
    """The whole timeline, internal notes and hidden entries included: staff only."""
    return Update.private_objects.filter(request=request).select_related("author", "body")


def request_photos(request: Request) -> QuerySet[Photo]:
    return Photo.private_objects.filter(request=request)


def request_audit(
    request: Request, *, photo_ids: list[int], update_ids: list[int]
) -> QuerySet[AuditEntry]:
    """Audit entries about the request, its photos and its timeline entries."""
    targets = Q(target_type=Request._meta.label_lower, target_id=str(request.pk))
    if photo_ids:
        targets |= Q(target_type=Photo._meta.label_lower, target_id__in=[str(i) for i in photo_ids])
    if update_ids:
        targets |= Q(
            target_type=Update._meta.label_lower, target_id__in=[str(i) for i in update_ids]
        )
    return AuditEntry.objects.filter(targets).select_related("actor")


# Merging --------------------------------------------------------------------------------

#: How many possible originals the workspace suggests for a merge.
MERGE_SUGGESTIONS = 5


def merge_suggestions(request: Request) -> list[Candidate]:
    """Open public requests that may be the one ``request`` duplicates, best first.

    The same look-up as "already reported?" in the report journey, from the request's own
    category, place, asset and words, without the request itself or its own duplicates.
    """
    candidates = duplicate_candidates(
        category=request.category,
        latitude=request.latitude,
        longitude=request.longitude,
        asset=request.asset,
        text=f"{request.title} {request.description}",
        limit=MERGE_SUGGESTIONS + 1,
    )
    return [
        c
        for c in candidates
        if c.request.pk != request.pk and c.request.duplicate_of_id != request.pk
    ][:MERGE_SUGGESTIONS]


def merge_target(number: int) -> Request | None:
    """The request to merge into: any public request, whichever body handles it."""
    return Request.public_objects.get_queryset().with_related().filter(pk=number).first()


@dataclass(frozen=True)
class MergePreview:
    """What a merge of ``duplicate`` into ``original`` would move, in counts (never who)."""

    #: Followers of the duplicate (confirmed, not stopped) who will follow the original.
    followers: int
    #: Followers of the duplicate who already follow the original: they stay counted once.
    followers_shared: int
    supporters: int
    supporters_shared: int
    #: The duplicate's reporter has the problem too: they become a supporter of the original.
    reporter_supports: bool


def _active_followers(request_id: int) -> Any:
    return Subscription.objects.filter(
        target_key=f"request:{request_id}", confirmed_at__isnull=False
    ).exclude(channel=Channel.OFF)


def merge_preview(duplicate: Request, original: Request) -> MergePreview:
    """Counts for the confirmation page, in a fixed number of queries."""
    following = Subscription.objects.filter(target_key=f"request:{original.pk}")
    followers = _active_followers(duplicate.pk)
    shared_followers = Q(
        person_id__in=following.filter(person__isnull=False).values("person_id")
    ) | Q(endpoint_id__in=following.filter(endpoint__isnull=False).values("endpoint_id"))
    supporting = Supporter.objects.filter(request=original)
    supporters = Supporter.objects.filter(request=duplicate)
    shared_supporters = Q(
        person_id__in=supporting.filter(person__isnull=False).values("person_id")
    ) | (
        ~Q(session_hash="")
        & Q(session_hash__in=supporting.exclude(session_hash="").values("session_hash"))
    )
    if original.reporter_id is not None:
        shared_supporters |= Q(person_id=original.reporter_id)
    followers_shared = followers.filter(shared_followers).count()
    supporters_shared = supporters.filter(shared_supporters).count()
    reporter_supports = (
        duplicate.reporter_id is not None
        and duplicate.reporter_id != original.reporter_id
        and not supporting.filter(person_id=duplicate.reporter_id).exists()
        and not supporters.filter(person_id=duplicate.reporter_id).exists()
    )
    return MergePreview(
        followers=followers.count() - followers_shared,
        followers_shared=followers_shared,
        supporters=supporters.count() - supporters_shared,
        supporters_shared=supporters_shared,
        reporter_supports=reporter_supports,
    )


# Workflow -------------------------------------------------------------------------------

#: The roles whose holders can be assigned a body's requests (see ``requests.workflow``).
ASSIGNABLE_ROLES = [r for r in Role if ROLE_RANK[r] >= ROLE_RANK[Role.INSPECTOR]]


def roles_by_body(user: Any, bodies: list[Body]) -> dict[int, Role]:
    """The user's role in each of the bodies, in one query (administrator everywhere for a
    superuser)."""
    if getattr(user, "is_superuser", False):
        return {b.pk: Role.ADMINISTRATOR for b in bodies}
    rows = Membership.objects.filter(user=user, body__in=[b.pk for b in bodies]).values_list(
        "body_id", "role"
    )
    return {body_id: Role(role) for body_id, role in rows}


def assignable_staff(body_ids: list[int]) -> QuerySet[Any]:
    """People who may be assigned requests of these bodies: their inspectors, managers and
    administrators, by name."""
    return (
        get_user_model()
        ._default_manager.filter(
            is_active=True,
            memberships__body__in=body_ids,
            memberships__role__in=ASSIGNABLE_ROLES,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def saved_views(user: Any, bodies: list[Body]) -> QuerySet[SavedView]:
    """The user's own saved views and those shared with the staff of their bodies."""
    return (
        SavedView.objects.filter(Q(owner=user) | Q(shared_with__in=[b.pk for b in bodies]))
        .select_related("owner", "shared_with")
        .order_by("name", "id")
    )


def response_templates_for(request: Request) -> QuerySet[ResponseTemplate]:
    """The body's templates that fit the request's category (or every category)."""
    return ResponseTemplate.objects.filter(body_id=request.body_id).filter(
        Q(category__isnull=True) | Q(category_id=request.category_id)
    )


def managed_bodies(user: Any) -> QuerySet[Body]:
    """Bodies where the user may manage response templates: manager or administrator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Body.objects.none()
    if user.is_superuser:
        return Body.objects.order_by("name")
    return Body.objects.filter(
        memberships__user=user, memberships__role__in=[Role.MANAGER, Role.ADMINISTRATOR]
    ).order_by("name")


def manageable_templates(user: Any) -> QuerySet[ResponseTemplate]:
    return ResponseTemplate.objects.filter(body__in=managed_bodies(user)).select_related(
        "body", "category"
    )
