"""The staff workflow: who is working on a request, how urgent it is, when it should be fixed
by, and the same changes (and status changes) for many requests at once.

Assignment, priority and due dates are the body's own business: each change writes an
internal timeline entry (``public=False``, so no public page, feed, API answer or export
shows it) and an :class:`~openlocal.core.models.AuditEntry`, and none of them moves the
request's ``updated_at``, which public readers use to keep copies in step.

The rules, checked here whichever way a change arrives (staff pages, the JSON API, code):

- An **inspector** may take an unassigned request for themselves, give back one assigned to
  them, and set priorities. A **manager** (or administrator) may also assign a request to
  anyone who can work on it, take it from a colleague, and set or remove its due date.
- Only people who may act on the request's body (its inspectors, managers and
  administrators) can be assigned its requests.

A bulk change is all or nothing: every request is checked first, and if the actor may not
change any one of them, or the change makes no sense for one of them, nothing is written and
the error names the requests concerned. Requests that already are as asked are left alone
and counted as unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import ROLE_RANK, Body, Role
from openlocal.places.permissions import has_role, role_in
from openlocal.requests.models import Priority, Request, Status, Update, UpdateKind
from openlocal.requests.services import actor_name, request_status_change

#: Who can be assigned a body's requests: people who may change them.
ASSIGNABLE_ROLE = Role.INSPECTOR
#: The least role for each workflow change.
ASSIGN_ROLE = Role.INSPECTOR
PRIORITY_ROLE = Role.INSPECTOR
DUE_ROLE = Role.MANAGER
STATUS_ROLE = Role.INSPECTOR
#: A bulk change takes at most this many requests: enough for several queue pages, small
#: enough that one transaction stays short.
BULK_LIMIT = 200


def staff_name(user: Any) -> str:
    """How internal entries and the audit log name a member of staff."""
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def numbers_text(pks: Iterable[int]) -> str:
    """``[3]`` → "request 3"; ``[3, 5, 9]`` → "requests 3, 5 and 9"."""
    listed = sorted(set(pks))
    if len(listed) == 1:
        return f"request {listed[0]}"
    head = ", ".join(str(pk) for pk in listed[:-1])
    return f"requests {head} and {listed[-1]}"


def _grouped(problems: Mapping[int, str]) -> list[str]:
    """One sentence per distinct problem, naming every request that has it."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, reason in problems.items():
        by_reason[reason].append(pk)
    return [
        f"{numbers_text(pks)[0].upper()}{numbers_text(pks)[1:]}: {reason}"
        for reason, pks in sorted(by_reason.items(), key=lambda item: min(item[1]))
    ]


class BulkRefused(PermissionDenied):
    """The actor may not change some of the requests, so nothing was changed.

    ``refused`` maps each such request's number to why.
    """

    def __init__(self, refused: Mapping[int, str]) -> None:
        self.refused = dict(refused)
        super().__init__(
            f"You may not change {numbers_text(self.refused)}, so nothing was changed. "
            + " ".join(_grouped(self.refused))
        )


@dataclass(frozen=True)
class BulkResult:
    """What a bulk change did: the requests changed, and those already as asked."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


class _Refusal(Exception):
    """Internal: why one request may not be changed (``permission``) or cannot be
    (``invalid``)."""

    def __init__(self, kind: str, message: str, field_name: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field_name = field_name


class _Unchanged(Exception):
    """Internal: the request already is as asked."""


class _Roles:
    """Roles looked up once per body, however many of its requests a change touches."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], Role | None] = {}

    def of(self, user: Any, body_id: int) -> Role | None:
        key = (getattr(user, "pk", None) or 0, body_id)
        if key not in self._cache:
            self._cache[key] = role_in(user, body_id)
        return self._cache[key]

    def at_least(self, user: Any, body_id: int, role: Role) -> bool:
        actual = self.of(user, body_id)
        return actual is not None and ROLE_RANK[actual] >= ROLE_RANK[role]


def _needs(role: Role, body: Body) -> str:
    return f"this needs the {role.label.lower()} role (or higher) at {body.name}."


def _audit(actor: Any, action: str, request: Request, **data: Any) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=Request._meta.label_lower,
        target_id=str(request.pk),
        data=data,
    )


def _internal_entry(
    request: Request,
    *,
    actor: Any,
    kind: str,
    at: datetime,
    text: str = "",
    data: Mapping[str, Any] | None = None,
) -> Update:
    return Update.private_objects.create(
        request=request,
        kind=kind,
        public=False,
        text=text,
        author=actor,
        author_name=actor_name(actor, request.body),
        body=request.body,
        data=dict(data or {}),
        created_at=at,
    )


def _locked(pks: Sequence[int]) -> dict[int, Request]:
    """The requests as they are now, locked until the transaction ends (on PostgreSQL), so
    two people changing the same request one after the other each see the other's change."""
    rows = (
        Request.private_objects.select_related("body", "category", "assigned_to")
        .select_for_update(of=("self",))
        .filter(pk__in=list(pks))
    )
    return {r.pk: r for r in rows}


def _fresh(request: Request) -> Request:
    """Copy the locked row's workflow fields onto the caller's instance, and return it."""
    current = _locked([request.pk]).get(request.pk)
    if current is None:
        raise ValidationError("The request no longer exists.")
    request.assigned_to_id = current.assigned_to_id
    request.assigned_to = current.assigned_to
    request.priority = current.priority
    request.due_at = current.due_at
    request.status = current.status
    return request


# Assignment ---------------------------------------------------------------------------------


def _check_assign(request: Request, *, actor: Any, assignee: Any, roles: _Roles) -> None:
    body = request.body
    role = roles.of(actor, body.pk)
    if role is None or ROLE_RANK[role] < ROLE_RANK[ASSIGN_ROLE]:
        raise _Refusal("permission", _needs(ASSIGN_ROLE, body))
    current = request.assigned_to
    manager = ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER]
    if not manager:
        if assignee is not None and assignee.pk != actor.pk:
            raise _Refusal(
                "permission",
                f"inspectors may assign requests only to themselves; a manager at {body.name} "
                "can assign them to someone else.",
            )
        if current is not None and current.pk != actor.pk:
            raise _Refusal(
                "permission",
                f"it is assigned to {staff_name(current)}, and only a manager at {body.name} "
                "can take it from them.",
            )
    if assignee is not None and not roles.at_least(assignee, body.pk, ASSIGNABLE_ROLE):
        raise _Refusal(
            "invalid",
            f"{staff_name(assignee)} is not an inspector, manager or administrator at "
            f"{body.name}, so cannot be assigned its requests.",
            "assignee",
        )
    if (current.pk if current else None) == (assignee.pk if assignee else None):
        raise _Unchanged


def _assign(request: Request, *, actor: Any, assignee: Any, at: datetime, bulk: int = 0) -> Update:
    previous = request.assigned_to
    Request.private_objects.filter(pk=request.pk).update(assigned_to=assignee)
    request.assigned_to = assignee
    data = {
        "from": staff_name(previous) if previous else "",
        "to": staff_name(assignee) if assignee else "",
    }
    update = _internal_entry(request, actor=actor, kind=UpdateKind.ASSIGNED, at=at, data=data)
    audit: dict[str, Any] = {
        **data,
        "from_id": previous.pk if previous else None,
        "to_id": assignee.pk if assignee else None,
    }
    if bulk:
        audit["bulk"] = bulk
    _audit(actor, "request.assign", request, **audit)
    return update


@transaction.atomic
def request_assign(
    *, request: Request, actor: Any, assignee: Any | None, at: datetime | None = None
) -> Update:
    """Assign the request to a member of its body's staff, or (``assignee=None``) to nobody.

    Raises ``PermissionDenied`` when the actor may not make this change and
    ``ValidationError`` (on ``assignee``) when the assignee cannot work on the body's
    requests or already has it.
    """
    _fresh(request)
    try:
        _check_assign(request, actor=actor, assignee=assignee, roles=_Roles())
    except _Refusal as refusal:
        if refusal.kind == "permission":
            raise PermissionDenied(refusal.message[0].upper() + refusal.message[1:]) from None
        raise ValidationError({"assignee": [refusal.message]}) from None
    except _Unchanged:
        who = f"assigned to {staff_name(assignee)}" if assignee else "not assigned to anyone"
        raise ValidationError({"assignee": [f"The request is already {who}."]}) from None
    return _assign(request, actor=actor, assignee=assignee, at=at or timezone.now())


# Priority -----------------------------------------------------------------------------------


def _clean_priority(priority: int | str) -> Priority:
    try:
        return Priority(int(priority))
    except (TypeError, ValueError):
        names = ", ".join(f"{p.value} ({p.label.lower()})" for p in Priority)
        raise ValidationError({"priority": [f"Choose a priority: {names}."]}) from None


def _check_priority(request: Request, *, actor: Any, priority: Priority, roles: _Roles) -> None:
    if not roles.at_least(actor, request.body.pk, PRIORITY_ROLE):
        raise _Refusal("permission", _needs(PRIORITY_ROLE, request.body))
    if request.priority == priority:
        raise _Unchanged


def _set_priority(
    request: Request, *, actor: Any, priority: Priority, at: datetime, bulk: int = 0
) -> Update:
    previous = Priority(request.priority)
    Request.private_objects.filter(pk=request.pk).update(priority=priority)
    request.priority = priority
    data = {"from": previous.value, "to": priority.value}
    update = _internal_entry(request, actor=actor, kind=UpdateKind.PRIORITY, at=at, data=data)
    audit: dict[str, Any] = {**data, "from_label": previous.label, "to_label": priority.label}
    if bulk:
        audit["bulk"] = bulk
    _audit(actor, "request.priority", request, **audit)
    return update


@transaction.atomic
def request_set_priority(
    *, request: Request, actor: Any, priority: int | str, at: datetime | None = None
) -> Update:
    """Change how urgent the request is (one of :class:`Priority`)."""
    chosen = _clean_priority(priority)
    _fresh(request)
    try:
        _check_priority(request, actor=actor, priority=chosen, roles=_Roles())
    except _Refusal as refusal:
        raise PermissionDenied(refusal.message[0].upper() + refusal.message[1:]) from None
    except _Unchanged:
        raise ValidationError(
            {"priority": [f"The request already has {chosen.label.lower()} priority."]}
        ) from None
    return _set_priority(request, actor=actor, priority=chosen, at=at or timezone.now())


# Due date -----------------------------------------------------------------------------------


def due_text(value: datetime | None) -> str:
    """A due date as people read it: "10 March 2027" (local time), or "none"."""
    if value is None:
        return "none"
    return timezone.localtime(value).strftime("%-d %B %Y")


@transaction.atomic
def request_set_due(
    *, request: Request, actor: Any, due_at: datetime | None, at: datetime | None = None
) -> Update:
    """Set when the request should be fixed by, overriding the category's service level, or
    remove the due date (``due_at=None``). Managers and administrators only."""
    if not has_role(actor, request.body, DUE_ROLE):
        raise PermissionDenied(
            f"Setting a due date needs the {DUE_ROLE.label.lower()} role (or higher) at "
            f"{request.body.name}."
        )
    if due_at is not None and timezone.is_naive(due_at):
        raise ValidationError({"due_at": ["Give the due date with its time zone."]})
    if due_at is not None and due_at < request.created_at:
        raise ValidationError(
            {
                "due_at": [
                    "The due date must be after the request was made "
                    f"({due_text(request.created_at)})."
                ]
            }
        )
    _fresh(request)
    if due_at is None and request.due_at is None:
        raise ValidationError({"due_at": ["The request has no due date to remove."]})
    if due_at == request.due_at:
        raise ValidationError({"due_at": [f"The request is already due {due_text(due_at)}."]})
    now = at or timezone.now()
    previous = request.due_at
    Request.private_objects.filter(pk=request.pk).update(due_at=due_at)
    request.due_at = due_at
    data = {
        "due": {
            "from": previous.isoformat() if previous else None,
            "to": due_at.isoformat() if due_at else None,
        }
    }
    if due_at is None:
        text = f"Due date removed (was {due_text(previous)})."
    else:
        text = f"Due date changed from {due_text(previous)} to {due_text(due_at)}."
    update = _internal_entry(
        request, actor=actor, kind=UpdateKind.DUE, at=now, text=text, data=data
    )
    _audit(actor, "request.due", request, **data["due"])
    return update


# Bulk changes -------------------------------------------------------------------------------


def _bulk(
    requests: Iterable[Request],
    check: Callable[[Request], None],
    apply: Callable[[Request, int], object],
    *,
    field_name: str,
) -> BulkResult:
    """Check every request, then change those that need it; all or nothing.

    ``check`` raises ``_Refusal`` or ``_Unchanged`` for a request; ``apply`` changes one,
    given how many requests the bulk change covers (for its audit entry).
    """
    pks = list(dict.fromkeys(r.pk for r in requests))
    if not pks:
        raise ValidationError({"requests": ["Select at least one request."]})
    if len(pks) > BULK_LIMIT:
        raise ValidationError({"requests": [f"Select at most {BULK_LIMIT:,} requests at a time."]})
    current = _locked(pks)
    missing = [pk for pk in pks if pk not in current]
    if missing:
        raise ValidationError({"requests": [f"There is no {numbers_text(missing)}."]})
    refused: dict[int, str] = {}
    invalid: dict[int, str] = {}
    invalid_field = field_name
    changed: list[Request] = []
    unchanged: list[int] = []
    for pk in pks:
        request = current[pk]
        try:
            check(request)
        except _Refusal as refusal:
            if refusal.kind == "permission":
                refused[pk] = refusal.message
            else:
                invalid[pk] = refusal.message
                invalid_field = refusal.field_name or field_name
        except _Unchanged:
            unchanged.append(pk)
        else:
            changed.append(request)
    if refused:
        raise BulkRefused(refused)
    if invalid:
        raise ValidationError(
            {invalid_field: [" ".join(_grouped(invalid)) + " Nothing was changed."]}
        )
    for request in changed:
        apply(request, len(pks))
    return BulkResult(changed=[r.pk for r in changed], unchanged=unchanged)


@transaction.atomic
def request_assign_bulk(
    *,
    requests: Iterable[Request],
    actor: Any,
    assignee: Any | None,
    at: datetime | None = None,
) -> BulkResult:
    """Assign many requests (possibly of several bodies) to one person, or to nobody."""
    roles = _Roles()
    now = at or timezone.now()
    return _bulk(
        requests,
        lambda r: _check_assign(r, actor=actor, assignee=assignee, roles=roles),
        lambda r, n: _assign(r, actor=actor, assignee=assignee, at=now, bulk=n),
        field_name="assignee",
    )


@transaction.atomic
def request_set_priority_bulk(
    *,
    requests: Iterable[Request],
    actor: Any,
    priority: int | str,
    at: datetime | None = None,
) -> BulkResult:
    """Give many requests the same priority."""
    chosen = _clean_priority(priority)
    roles = _Roles()
    now = at or timezone.now()
    return _bulk(
        requests,
        lambda r: _check_priority(r, actor=actor, priority=chosen, roles=roles),
        lambda r, n: _set_priority(r, actor=actor, priority=chosen, at=now, bulk=n),
        field_name="priority",
    )


@transaction.atomic
def request_status_change_bulk(
    *,
    requests: Iterable[Request],
    actor: Any,
    status: str,
    message: str = "",
    at: datetime | None = None,
) -> BulkResult:
    """Move many requests to one status, each with the same optional public message.

    Each change goes through :func:`~openlocal.requests.services.request_status_change`,
    so it is on the request's public timeline and its followers are told, exactly as when
    the status is changed on its own. Requests that already have the status are left alone
    (the message is not posted on them). An audit entry records that the change was made in
    bulk.
    """
    if status not in Status.values:
        raise ValidationError({"status": ["Select one of the statuses listed."]})
    if status == Status.DUPLICATE:
        raise ValidationError(
            {"status": ["Mark a duplicate by merging it into the request it duplicates."]}
        )
    roles = _Roles()
    now = at or timezone.now()

    def check(request: Request) -> None:
        if not roles.at_least(actor, request.body.pk, STATUS_ROLE):
            raise _Refusal("permission", _needs(STATUS_ROLE, request.body))
        if request.status == status:
            raise _Unchanged

    def apply(request: Request, count: int) -> None:
        request_status_change(
            request=request,
            actor=actor,
            status=status,
            message=message,
            at=now,
            audit={"bulk": count},
        )

    return _bulk(requests, check, apply, field_name="status")
