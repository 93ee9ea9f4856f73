"""Merging a duplicate into the request it duplicates, and undoing it.

When staff merge B into A: B closes as a duplicate pointing at A; B's followers and
supporters move to A, once per person (someone who already follows or supports A is not
counted twice); B's reporter becomes a supporter of A; both timelines say so; and each moved
follower is told once, in one message, where their request went. Everything moved is
recorded on the :class:`RequestMerge`, so undoing puts B and its followers back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openlocal.places.models import Role
from openlocal.places.permissions import require_role
from openlocal.requests.models import (
    OPEN_STATUSES,
    Request,
    RequestMerge,
    Status,
    Supporter,
    Update,
    UpdateKind,
)
from openlocal.requests.rollups import RequestSnapshot, cell_counts_move
from openlocal.requests.services import actor_name


def supporter_recount(request_id: int) -> int:
    count = Supporter.objects.filter(request_id=request_id).count()
    Request.private_objects.filter(pk=request_id).update(supporter_count=count)
    return count


def _author(actor: Any, request: Request) -> str:
    return actor_name(actor, request.body)


def _touch(duplicate: Request, into: Request, now: datetime) -> None:
    """Both requests were updated at ``now``.

    Written with ``update()``: saving would stamp the clock's time over a given ``at``. The
    original is never moved back in time, as a backdated merge can precede its later updates.
    """
    Request.private_objects.filter(pk=duplicate.pk).update(updated_at=now)
    Request.private_objects.filter(pk=into.pk, updated_at__lt=now).update(updated_at=now)
    duplicate.updated_at = now


def _same_subscriber(subscription: Any) -> Q:
    if subscription.person_id is not None:
        return Q(person_id=subscription.person_id)
    return Q(endpoint_id=subscription.endpoint_id)


def _supporter_identity(supporter: Supporter) -> Q:
    if supporter.person_id is not None:
        return Q(person_id=supporter.person_id)
    return Q(session_hash=supporter.session_hash)


@transaction.atomic
def request_merge(
    *,
    duplicate: Request,
    into: Request,
    actor: Any,
    message: str = "",
    at: datetime | None = None,
    check_permission: bool = True,
    notify: bool = True,
) -> RequestMerge:
    """Mark ``duplicate`` as a duplicate of ``into`` and move its followers and supporters."""
    from openlocal.subscriptions.events import event_record
    from openlocal.subscriptions.models import EventKind, Subscription
    from openlocal.subscriptions.services import follower_recount
    from openlocal.subscriptions.targets import Target

    if check_permission:
        require_role(actor, duplicate.body, Role.INSPECTOR)
    duplicate = Request.private_objects.select_for_update().get(pk=duplicate.pk)
    into = Request.private_objects.select_for_update().get(pk=into.pk)
    if duplicate.pk == into.pk:
        raise ValidationError({"into": ["A request cannot be a duplicate of itself."]})
    if duplicate.duplicate_of_id is not None:
        raise ValidationError(
            {
                "into": [
                    f"Request #{duplicate.pk} is already merged into #{duplicate.duplicate_of_id}."
                ]
            }
        )
    if into.duplicate_of_id is not None:
        raise ValidationError(
            {
                "into": [
                    f"Request #{into.pk} is itself a duplicate of #{into.duplicate_of_id}. "
                    f"Merge into #{into.duplicate_of_id} instead."
                ]
            }
        )
    if into.hidden:
        raise ValidationError({"into": [f"Request #{into.pk} is hidden; merge into a public one."]})
    if into.private:
        raise ValidationError(
            {
                "into": [
                    f"Request #{into.pk} is private, so the followers moved to it could not see "
                    "it; merge into a public request, or close this one with a message instead."
                ]
            }
        )
    now = at or timezone.now()
    merge = RequestMerge(
        duplicate=duplicate,
        original=into,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        previous_status=duplicate.status,
        previous_closed_at=duplicate.closed_at,
    )

    # Followers: move each to the original unless that subscriber already follows it.
    target = Target.for_request(into)
    moved_subscriptions: list[int] = []
    removed_subscriptions: list[dict[str, Any]] = []
    moved_objects = []
    for subscription in Subscription.objects.filter(target_key=f"request:{duplicate.pk}"):
        already = Subscription.objects.filter(
            _same_subscriber(subscription), target_key=target.key
        ).exists()
        if already:
            removed_subscriptions.append(
                {
                    "person": subscription.person_id,
                    "endpoint": subscription.endpoint_id,
                    "channel": subscription.channel,
                    "confirmed_at": (
                        subscription.confirmed_at.isoformat() if subscription.confirmed_at else None
                    ),
                    "source": subscription.source,
                    "label": subscription.label,
                }
            )
            subscription.delete()
            continue
        subscription.request = into
        subscription.target_key = target.key
        subscription.label = target.label
        subscription.save(update_fields=["request", "target_key", "label", "updated_at"])
        moved_subscriptions.append(subscription.pk)
        moved_objects.append(subscription)

    # Supporters: the same, once per person or browser session.
    moved_supporters: list[int] = []
    removed_supporters: list[dict[str, Any]] = []
    for supporter in Supporter.objects.filter(request=duplicate):
        clash = Supporter.objects.filter(_supporter_identity(supporter), request=into).exists()
        is_reporter = supporter.person_id is not None and supporter.person_id == into.reporter_id
        if clash or is_reporter:
            removed_supporters.append(
                {
                    "person": supporter.person_id,
                    "session_hash": supporter.session_hash,
                    "created_at": supporter.created_at.isoformat(),
                }
            )
            supporter.delete()
            continue
        supporter.request = into
        supporter.save(update_fields=["request"])
        moved_supporters.append(supporter.pk)
    # The duplicate's reporter has the same problem: that is demand on the original.
    added_supporters: list[int] = []
    reporter_id = duplicate.reporter_id
    if (
        reporter_id is not None
        and reporter_id != into.reporter_id
        and not Supporter.objects.filter(request=into, person_id=reporter_id).exists()
    ):
        added = Supporter.objects.create(request=into, person_id=reporter_id, created_at=now)
        added_supporters.append(added.pk)
    merge.moved = {
        "subscriptions": moved_subscriptions,
        "removed_subscriptions": removed_subscriptions,
        "supporters": moved_supporters,
        "removed_supporters": removed_supporters,
        "added_supporters": added_supporters,
        "previous_acknowledged_at": (
            duplicate.acknowledged_at.isoformat() if duplicate.acknowledged_at else None
        ),
    }
    merge.save()

    stored = RequestSnapshot.of(duplicate)  # read under select_for_update above
    duplicate.status = Status.DUPLICATE
    duplicate.duplicate_of = into
    if duplicate.closed_at is None or merge.previous_status in OPEN_STATUSES:
        duplicate.closed_at = now
    if duplicate.acknowledged_at is None:
        duplicate.acknowledged_at = now
    duplicate.save(update_fields=["status", "duplicate_of", "closed_at", "acknowledged_at"])
    cell_counts_move(stored, stored._replace(status=Status.DUPLICATE))
    _touch(duplicate, into, now)
    for request in (duplicate, into):
        supporter_recount(request.pk)
        follower_recount(request.pk)
    duplicate.refresh_from_db()
    into.refresh_from_db()

    text = message.strip() or (
        f"This is the same problem as request #{into.pk}, so we have merged the two. "
        f"Follow #{into.pk} for updates."
    )
    merged_update = Update.private_objects.create(
        request=duplicate,
        kind=UpdateKind.MERGED,
        public=True,
        text=text,
        old_status=merge.previous_status,
        new_status=Status.DUPLICATE,
        author=actor,
        author_name=_author(actor, duplicate),
        body=duplicate.body,
        data={"into": into.pk},
        created_at=now,
    )
    Update.private_objects.create(
        request=into,
        kind=UpdateKind.MERGED,
        public=True,
        text=f"Request #{duplicate.pk}, a report of the same problem, was merged into this one.",
        author=actor,
        author_name=_author(actor, into),
        body=into.body,
        data={"from": duplicate.pk},
        created_at=now,
    )
    # Each moved follower hears once where their request went; nobody else is told.
    event_record(
        kind=EventKind.MERGED,
        request=duplicate,
        update=merged_update,
        extra={"merged_into": _brief(into)},
        at=now,
        recipients=moved_objects if notify else [],
    )
    return merge


def _brief(request: Request) -> dict[str, Any]:
    from openlocal.subscriptions.events import request_payload

    return request_payload(request)


@transaction.atomic
def request_unmerge(
    *, duplicate: Request, actor: Any, at: datetime | None = None, check_permission: bool = True
) -> RequestMerge:
    """Undo the latest merge of ``duplicate``: it reopens as it was, with its followers."""
    from openlocal.subscriptions.models import Subscription
    from openlocal.subscriptions.services import follower_recount
    from openlocal.subscriptions.targets import Target

    if check_permission:
        require_role(actor, duplicate.body, Role.INSPECTOR)
    # The caller's copy may predate the merge: decide on the request as it is now.
    duplicate = Request.private_objects.select_for_update().get(pk=duplicate.pk)
    merge = (
        RequestMerge.objects.select_for_update()
        .filter(duplicate=duplicate, undone_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if merge is None or duplicate.duplicate_of_id != merge.original_id:
        raise ValidationError({"merge": [f"Request #{duplicate.pk} is not merged into another."]})
    now = at or timezone.now()
    into = merge.original
    target = Target.for_request(duplicate)
    moved = merge.moved or {}
    for subscription in Subscription.objects.filter(
        pk__in=moved.get("subscriptions", []), target_key=f"request:{into.pk}"
    ):
        if Subscription.objects.filter(
            _same_subscriber(subscription), target_key=target.key
        ).exists():
            continue
        subscription.request = duplicate
        subscription.target_key = target.key
        subscription.label = target.label
        subscription.save(update_fields=["request", "target_key", "label", "updated_at"])
    for row in moved.get("removed_subscriptions", []):
        owner = {"person_id": row["person"]} if row["person"] else {"endpoint_id": row["endpoint"]}
        if Subscription.objects.filter(target_key=target.key, **owner).exists():
            continue
        Subscription.objects.create(
            **owner,
            kind="request",
            target_key=target.key,
            label=target.label,
            request=duplicate,
            channel=row["channel"],
            confirmed_at=row["confirmed_at"],
            source=row["source"],
        )
    Supporter.objects.filter(pk__in=moved.get("supporters", []), request=into).update(
        request=duplicate
    )
    Supporter.objects.filter(pk__in=moved.get("added_supporters", []), request=into).delete()
    for row in moved.get("removed_supporters", []):
        Supporter.objects.get_or_create(
            request=duplicate,
            person_id=row["person"],
            session_hash=row["session_hash"],
            defaults={"created_at": row["created_at"]},
        )

    stored = RequestSnapshot.of(duplicate)  # read under select_for_update above
    duplicate.status = merge.previous_status
    duplicate.duplicate_of = None
    duplicate.closed_at = merge.previous_closed_at
    fields = ["status", "duplicate_of", "closed_at"]
    if "previous_acknowledged_at" in moved:
        # A request nobody had looked at before the merge is unacknowledged again.
        acknowledged = moved["previous_acknowledged_at"]
        duplicate.acknowledged_at = parse_datetime(acknowledged) if acknowledged else None
        fields.append("acknowledged_at")
    duplicate.save(update_fields=fields)
    cell_counts_move(stored, stored._replace(status=merge.previous_status))
    _touch(duplicate, into, now)
    for request in (duplicate, into):
        supporter_recount(request.pk)
        follower_recount(request.pk)
    merge.undone_at = now
    merge.undone_by = actor if getattr(actor, "is_authenticated", False) else None
    merge.save(update_fields=["undone_at", "undone_by"])

    Update.private_objects.create(
        request=duplicate,
        kind=UpdateKind.MERGED,
        public=True,
        text=f"This request is no longer treated as a duplicate of #{into.pk}.",
        old_status=Status.DUPLICATE,
        new_status=merge.previous_status,
        author=actor,
        author_name=_author(actor, duplicate),
        body=duplicate.body,
        data={"undone_into": into.pk},
        created_at=now,
    )
    Update.private_objects.create(
        request=into,
        kind=UpdateKind.MERGED,
        public=True,
        text=f"Request #{duplicate.pk} was separated from this one again.",
        author=actor,
        author_name=_author(actor, into),
        body=into.body,
        data={"undone_from": duplicate.pk},
        created_at=now,
    )
    from openlocal.subscriptions.events import event_record
    from openlocal.subscriptions.models import EventKind

    duplicate.refresh_from_db()
    event_record(
        kind=EventKind.UNMERGED,
        request=duplicate,
        extra={"separated_from": _brief(into)},
        at=now,
    )
    return merge
