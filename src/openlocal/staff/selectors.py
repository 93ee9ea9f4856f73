"""Staff reads. Everything starts from the bodies the user works for.

Staff read through ``Request.private_objects`` (hidden requests included) and only ever
within their own bodies, so a request elsewhere is indistinguishable from one that does not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from openlocal.core.models import AuditEntry
from openlocal.places.models import Area, Body
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
from openlocal.staff.presenters import STATUS_ORDER
from openlocal.subscriptions.models import Channel, Subscription


def staff_requests(user: Any, bodies: list[Body] | None = None) -> RequestQuerySet:
    """Every request (hidden ones too) of the user's bodies."""
    if bodies is None:
        bodies = bodies_for(user)
    return Request.private_objects.for_bodies([b.pk for b in bodies])


def staff_request_or_404(user: Any, pk: int) -> Request:
    """The request, if it belongs to one of the user's bodies; otherwise 404."""
    request = staff_requests(user).with_related().select_related("reporter").filter(pk=pk).first()
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
    queryset: RequestQuerySet, filters: dict[str, Any], *, with_status: bool = True
) -> RequestQuerySet:
    """Apply the queue's filters (see :meth:`QueueFilterForm.filters`)."""
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
    if sort == "supporters":
        return queryset.order_by("-supporter_count", "created_at", "id")
    if sort == "status":
        return queryset.annotate(status_rank=_status_rank()).order_by(
            "status_rank", "created_at", "id"
        )
    return queryset.order_by("created_at", "id")


def queue_page_requests(queryset: RequestQuerySet) -> RequestQuerySet:
    """What the queue table needs for each row, fetched in a fixed number of queries."""
    return queryset.select_related("category").prefetch_related(
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
