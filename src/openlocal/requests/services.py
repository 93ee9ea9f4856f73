"""Every write to requests goes through these functions.

Web views, staff screens, the APIs, management commands and the demo generator all call
them, so a request behaves the same whichever way it arrives. Each is keyword-only,
atomic, checks permission where an actor acts for a body, and queues side effects (email)
for after the transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.core.models import AuditEntry
from openlocal.core.tasks import enqueue_with_change
from openlocal.places.models import Body, Role
from openlocal.places.permissions import require_role
from openlocal.places.selectors import NotCovered, areas_containing, routes_at
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    CategoryQuestion,
    Person,
    Photo,
    QuestionDatatype,
    Request,
    Source,
    Status,
    Supporter,
    Update,
    UpdateKind,
)
from openlocal.requests.rollups import (
    RequestSnapshot,
    cell_counts_adjust,
    cell_counts_move,
    cell_counts_rebuild_category,
    request_snapshot_locked,
)


class CategoryNotAvailable(ValidationError):
    """The category is not handled by any body at this location."""


class CategoryStopped(ValidationError):
    """The category takes no reports: its stop notice says what to do instead.

    ``notice`` is the category's notice, for an interface to show as it is (on a page
    instead of the form, in an API's error) rather than only inside an error message.
    """

    def __init__(self, category: Category) -> None:
        self.notice = category.stop_notice.strip()
        super().__init__(
            {"category": [f"“{category.name}” cannot be reported here. {self.notice}"]}
        )


def photo_required_message(category: Category) -> str:
    """What a reporter is told when a category that needs a photo gets none."""
    return (
        f"Add a photo: reports of “{category.name}” need at least one, so that the people "
        "who deal with it can see the problem."
    )


def person_for_email(email: str, *, name: str = "") -> Person:
    """The private identity for an email address, created on first use."""
    normalised = email.strip().lower()
    person, created = Person.objects.get_or_create(email=normalised, defaults={"name": name})
    if not created and name and not person.name:
        person.name = name
        person.save(update_fields=["name", "updated_at"])
    return person


def _clean_answers(category: Category, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check answers against the category's questions; returns the cleaned answers."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    questions: Iterable[CategoryQuestion] = category.questions.filter(variable=True)
    for question in questions:
        raw = answers.get(question.code)
        empty = raw is None or raw == "" or raw == []
        if empty:
            if question.required:
                errors[question.code] = [f"Answer “{question.label}”."]
            continue
        keys = {str(v["key"]) for v in question.values}
        if question.datatype == QuestionDatatype.MULTIVALUELIST:
            values = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]
            unknown = [v for v in values if v not in keys]
            if unknown:
                errors[question.code] = [
                    f"“{', '.join(unknown)}” is not an option for “{question.label}”."
                ]
                continue
            cleaned[question.code] = values
        elif question.datatype == QuestionDatatype.SINGLEVALUELIST:
            if isinstance(raw, list | tuple):
                raw = raw[0] if len(raw) == 1 else raw
            if str(raw) not in keys:
                errors[question.code] = [f"“{raw}” is not an option for “{question.label}”."]
                continue
            cleaned[question.code] = str(raw)
        elif question.datatype == QuestionDatatype.NUMBER:
            try:
                number = Decimal(str(raw).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors[question.code] = [f"“{question.label}” must be a number, like 3 or 2.5."]
                continue
            cleaned[question.code] = str(number)
        elif question.datatype == QuestionDatatype.DATETIME:
            value = raw if isinstance(raw, datetime) else parse_datetime(str(raw).strip())
            if value is None:
                errors[question.code] = [
                    f"“{question.label}” must be a date and time, like 2026-03-01T14:30."
                ]
                continue
            cleaned[question.code] = value.isoformat()
        else:
            cleaned[question.code] = str(raw).strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def request_create(
    *,
    category: Category,
    latitude: float,
    longitude: float,
    title: str,
    description: str,
    asset: Asset | None = None,
    answers: Mapping[str, Any] | None = None,
    photos: Sequence[ContentFile[bytes]] = (),
    reporter_email: str = "",
    reporter_name: str = "",
    reporter_name_public: bool = False,
    address: str = "",
    source: str = Source.WEB,
    external_id: str = "",
    created_at: datetime | None = None,
    notify: bool = True,
    first_text: str = "",
    first_data: Mapping[str, Any] | None = None,
) -> Request:
    """Route and record a new request, with its first timeline entry and photos.

    ``first_text`` and ``first_data`` go on that first entry (an Open311 client's
    ``media_url``, say).

    Raises :class:`CategoryStopped` when the category has a stop notice (no request can
    be made in it, whatever the interface), :class:`NotCovered` when nobody covers the
    point, :class:`CategoryNotAvailable` when the category is not handled there, and
    ``ValidationError`` for bad answers or a missing photo in a category that needs one.

    A request in a private category is private from the start (``Request.private``): it is
    left out of the map's counts, and its events reach only its reporter.
    """
    if category.stop_notice.strip():
        raise CategoryStopped(category)
    try:
        geo.validate_point(latitude, longitude)
    except geo.InvalidLocation as exc:
        raise ValidationError({"location": [str(exc)]}) from exc
    if not title.strip():
        raise ValidationError({"title": ["Give the request a short title."]})
    if not description.strip():
        raise ValidationError({"description": ["Describe the problem or need."]})
    if len(photos) > settings.PHOTOS_PER_REQUEST:
        raise ValidationError(
            {"photos": [f"Add at most {settings.PHOTOS_PER_REQUEST} photos to a request."]}
        )
    areas = areas_containing(latitude, longitude)
    if not areas:
        raise NotCovered(latitude, longitude)
    route = routes_at(latitude, longitude, areas).get(category.pk)
    if route is None:
        raise CategoryNotAvailable(
            {
                "category": [
                    f"“{category.name}” is not handled by anyone at this location. "
                    "Choose one of the categories offered for this place."
                ]
            }
        )
    if asset is not None:
        allowed = set(category.asset_types.values_list("pk", flat=True))
        if asset.asset_type_id not in allowed:
            raise ValidationError(
                {"asset": [f"{asset.name} is not a kind of asset that “{category.name}” covers."]}
            )
    elif category.asset_required:
        raise ValidationError({"asset": ["Choose the asset this request is about."]})
    if category.photo_required and not photos:
        raise ValidationError({"photos": [photo_required_message(category)]})
    cleaned_answers = _clean_answers(category, answers or {})
    reporter = person_for_email(reporter_email, name=reporter_name) if reporter_email else None
    now = created_at or timezone.now()
    request = Request.private_objects.create(
        title=title.strip()[:120],
        description=description.strip(),
        category=category,
        body=route.body,
        latitude=latitude,
        longitude=longitude,
        cell=geo.point_cell(latitude, longitude),
        address=address.strip()[:300],
        asset=asset,
        answers=cleaned_answers,
        reporter=reporter,
        # The reporter follows their own request (below).
        follower_count=1 if reporter is not None else 0,
        reporter_name=reporter_name.strip()[:120],
        reporter_name_public=bool(reporter_name_public and reporter_name.strip()),
        source=source,
        external_id=external_id,
        private=category.private,
        due_at=due_date(category, now),
    )
    if created_at is not None:
        Request.private_objects.filter(pk=request.pk).update(created_at=now, updated_at=now)
        request.created_at = request.updated_at = now
    cell_counts_adjust(RequestSnapshot.of(request), +1)
    # A new request has no areas yet: add them without reading the (empty) set first.
    Request.areas.through.objects.bulk_create(
        Request.areas.through(request_id=request.pk, area_id=area.pk) for area in areas
    )
    created = Update.private_objects.create(
        request=request,
        kind=UpdateKind.CREATED,
        public=True,
        text=first_text.strip(),
        data=dict(first_data or {}),
        new_status=Status.NEW,
        author_name=request.public_reporter_name,
        created_at=now,
    )
    for content in photos:
        photo = Photo(request=request, update=created, created_at=now)
        photo.image.save(content.name or "photo.jpg", content, save=False)
        photo.save()
    from openlocal.subscriptions.events import event_record
    from openlocal.subscriptions.models import EventKind
    from openlocal.subscriptions.services import reporter_follows_new_request

    if reporter is not None:
        reporter_follows_new_request(request=request, person=reporter, at=now)
    event_record(
        kind=EventKind.CREATED,
        request=request,
        update=created,
        at=now,
        recipients=None if notify else [],
    )
    if reporter is not None and notify:
        from openlocal.requests.tasks import send_report_confirmation

        enqueue_with_change(send_report_confirmation, request.pk)
    return request


@transaction.atomic
def category_privacy_apply(*, category: Category) -> int:
    """Give every request in the category the category's privacy, as it is stored now.

    A request copies its category's privacy when it is made; when a category is made
    private (or public again) afterwards, its existing requests follow in the same
    transaction, with the map's counts. Returns how many requests changed. Making a category
    public publishes every request in it, timelines included.
    """
    private = Category.objects.filter(pk=category.pk).values_list("private", flat=True).get()
    changed = (
        Request.private_objects.filter(category_id=category.pk)
        .exclude(private=private)
        # Touched, so that copies kept with ``updated_since`` pick up the newly public ones.
        .update(private=private, updated_at=timezone.now())
    )
    if changed:
        cell_counts_rebuild_category(category.pk)
    return changed


def due_date(category: Category, start: datetime) -> datetime | None:
    """When a request made at ``start`` should be fixed by: the category's service level."""
    if category.service_level_days is None:
        return None
    return start + timedelta(days=category.service_level_days)


def actor_name(actor: Any, body: Body) -> str:
    """How a timeline entry names who acted: “Ivy Inspector, Testshire County Council”."""
    full = actor.get_full_name() if actor is not None else ""
    return f"{full}, {body.name}" if full else body.name


def _touch(request: Request, when: datetime) -> None:
    Request.private_objects.filter(pk=request.pk).update(updated_at=when)
    request.updated_at = when


@transaction.atomic
def request_status_change(
    *,
    request: Request,
    actor: Any,
    status: str,
    message: str = "",
    at: datetime | None = None,
    check_permission: bool = True,
    notify: bool = True,
    audit: Mapping[str, Any] | None = None,
) -> Update:
    """Move a request to a new status, with an optional public message to explain it.

    A change by a member of staff also goes in the audit log, with ``audit`` added to its
    record (a bulk change says how many requests it changed).
    """
    if check_permission:
        require_role(actor, request.body, Role.INSPECTOR)
    if status not in Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if status == Status.DUPLICATE:
        raise ValidationError(
            {"status": ["Mark a duplicate by merging it into the request it duplicates."]}
        )
    if status == request.status and not message.strip():
        raise ValidationError(
            {"status": ["The request already has this status; add a message to post an update."]}
        )
    now = at or timezone.now()
    stored = request_snapshot_locked(request.pk)
    old = request.status
    request.status = status
    fields = ["status"]
    if status != Status.NEW and request.acknowledged_at is None:
        request.acknowledged_at = now
        fields.append("acknowledged_at")
    if status in CLOSED_STATUSES and old in OPEN_STATUSES:
        request.closed_at = now
        fields.append("closed_at")
    elif status in OPEN_STATUSES and old in CLOSED_STATUSES:
        request.closed_at = None
        fields.append("closed_at")
    request.save(update_fields=fields)
    cell_counts_move(stored, stored._replace(status=status))
    if status != old and getattr(actor, "is_authenticated", False):
        _audit(actor, "request.status", request, **{"from": old, "to": status, **(audit or {})})
    return _post_public_update(
        request=request,
        actor=actor,
        kind=UpdateKind.STATUS if status != old else UpdateKind.COMMENT,
        text=message,
        at=now,
        notify=notify,
        old_status=old,
        new_status=status,
    )


def _event_kind_for(update: Update) -> str:
    from openlocal.subscriptions.events import status_event_kind
    from openlocal.subscriptions.models import EventKind

    if update.kind == UpdateKind.STATUS:
        return status_event_kind(update.old_status, update.new_status)
    return EventKind.COMMENTED


def _post_public_update(
    *,
    request: Request,
    actor: Any,
    kind: str,
    text: str,
    at: datetime,
    notify: bool,
    old_status: str = "",
    new_status: str = "",
) -> Update:
    """Add a public entry by the body to the timeline, with the event that tells followers."""
    from openlocal.subscriptions.events import event_record

    _touch(request, at)
    update = Update.private_objects.create(
        request=request,
        kind=kind,
        public=True,
        text=text.strip(),
        old_status=old_status,
        new_status=new_status,
        author=actor,
        author_name=actor_name(actor, request.body),
        body=request.body,
        created_at=at,
    )
    event_record(
        kind=_event_kind_for(update),
        request=request,
        update=update,
        at=at,
        recipients=None if notify else [],
    )
    return update


@transaction.atomic
def request_comment(
    *, request: Request, actor: Any, text: str, at: datetime | None = None, notify: bool = True
) -> Update:
    """A public message from the body, without a change of status."""
    require_role(actor, request.body, Role.INSPECTOR)
    if not text.strip():
        raise ValidationError({"text": ["Write the update to post."]})
    return _post_public_update(
        request=request,
        actor=actor,
        kind=UpdateKind.COMMENT,
        text=text,
        at=at or timezone.now(),
        notify=notify,
    )


@transaction.atomic
def request_note_add(
    *, request: Request, actor: Any, text: str, at: datetime | None = None
) -> Update:
    """An internal note: seen by staff only, never public."""
    require_role(actor, request.body, Role.INSPECTOR)
    if not text.strip():
        raise ValidationError({"text": ["Write the note to add."]})
    return Update.private_objects.create(
        request=request,
        kind=UpdateKind.NOTE,
        public=False,
        text=text.strip(),
        author=actor,
        author_name=actor_name(actor, request.body),
        body=request.body,
        created_at=at or timezone.now(),
    )


@transaction.atomic
def request_category_change(*, request: Request, actor: Any, category: Category) -> Update:
    """Recategorise; the request is re-routed to whoever handles the new category there.

    The request takes the new category's privacy: moved into a private category it leaves
    every public view and the map's counts at once; moved out of one it becomes public,
    with its whole timeline, in the same transaction.
    """
    require_role(actor, request.body, Role.MANAGER)
    if category.pk == request.category_id:
        raise ValidationError({"category": ["The request is already in this category."]})
    route = routes_at(request.latitude, request.longitude).get(category.pk)
    if route is None:
        raise CategoryNotAvailable(
            {"category": [f"Nobody handles “{category.name}” at this request's location."]}
        )
    old_category, old_body = request.category, request.body
    stored = request_snapshot_locked(request.pk)
    request.category = category
    request.body = route.body
    request.private = category.private
    request.save(update_fields=["category", "body", "private"])
    cell_counts_move(stored, stored._replace(category_id=category.pk, private=category.private))
    _touch(request, timezone.now())
    data = {"from": old_category.name, "to": category.name}
    if route.body.pk != old_body.pk:
        data.update({"from_body": old_body.name, "to_body": route.body.name})
    update = Update.private_objects.create(
        request=request,
        kind=UpdateKind.CATEGORY,
        public=True,
        author=actor,
        author_name=actor_name(actor, old_body),
        body=old_body,
        data=data,
    )
    if route.body.pk != old_body.pk:
        _record_reassigned(request, update, old_body)
    return update


@transaction.atomic
def request_reassign(*, request: Request, actor: Any, body: Body, reason: str = "") -> Update:
    """Hand the request to another body, e.g. one that is responsible after all."""
    require_role(actor, request.body, Role.MANAGER)
    if body.pk == request.body_id:
        raise ValidationError({"body": [f"The request is already with {body.name}."]})
    old_body = request.body
    request.body = body
    request.save(update_fields=["body"])
    _touch(request, timezone.now())
    update = Update.private_objects.create(
        request=request,
        kind=UpdateKind.REASSIGNED,
        public=True,
        text=reason.strip(),
        author=actor,
        author_name=actor_name(actor, old_body),
        body=old_body,
        data={"from_body": old_body.name, "to_body": body.name},
    )
    _record_reassigned(request, update, old_body)
    return update


def _record_reassigned(request: Request, update: Update, old_body: Body) -> None:
    from openlocal.subscriptions.events import event_record
    from openlocal.subscriptions.models import EventKind

    event_record(
        kind=EventKind.REASSIGNED,
        request=request,
        update=update,
        extra={"from_body": {"slug": old_body.slug, "name": old_body.name}},
    )


def _audit(actor: Any, action: str, target: Any, **data: Any) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )


@transaction.atomic
def request_hide(*, request: Request, actor: Any, reason: str) -> None:
    """Take a request out of every public view; staff still see it."""
    require_role(actor, request.body, Role.MANAGER)
    if request.hidden:
        raise ValidationError({"reason": ["The request is already hidden."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the request is being hidden."]})
    stored = request_snapshot_locked(request.pk)
    request.hidden = True
    request.save(update_fields=["hidden"])
    cell_counts_move(stored, stored._replace(hidden=True))
    _audit(actor, "request.hide", request, reason=reason.strip())
    Update.private_objects.create(
        request=request,
        kind=UpdateKind.MODERATED,
        public=False,
        text=f"Hidden: {reason.strip()}",
        author=actor,
        author_name=actor_name(actor, request.body),
        body=request.body,
    )


@transaction.atomic
def request_unhide(*, request: Request, actor: Any) -> None:
    require_role(actor, request.body, Role.MANAGER)
    if not request.hidden:
        raise ValidationError({"reason": ["The request is not hidden."]})
    stored = request_snapshot_locked(request.pk)
    request.hidden = False
    request.save(update_fields=["hidden"])
    cell_counts_move(stored, stored._replace(hidden=False))
    _audit(actor, "request.unhide", request)
    Update.private_objects.create(
        request=request,
        kind=UpdateKind.MODERATED,
        public=False,
        text="Shown again.",
        author=actor,
        author_name=actor_name(actor, request.body),
        body=request.body,
    )


@transaction.atomic
def request_redact(
    *,
    request: Request,
    actor: Any,
    title: str | None = None,
    description: str | None = None,
    reason: str = "",
) -> None:
    """Replace public text; the original is kept in the audit log."""
    require_role(actor, request.body, Role.MANAGER)
    original: dict[str, str] = {}
    if title is not None and title != request.title:
        if not title.strip():
            raise ValidationError(
                {"title": ["A request needs a title; edit it rather than empty it."]}
            )
        original["title"] = request.title
        request.title = title.strip()[:120]
    if description is not None and description != request.description:
        if not description.strip():
            raise ValidationError({"description": ["Replace removed text with “[removed]”."]})
        original["description"] = request.description
        request.description = description.strip()
    if not original:
        raise ValidationError({"description": ["Change the text to redact it."]})
    request.save(update_fields=list(original))
    _audit(actor, "request.redact", request, original=original, reason=reason.strip())
    Update.private_objects.create(
        request=request,
        kind=UpdateKind.MODERATED,
        public=True,
        text="Part of this request was removed by a moderator.",
        author=actor,
        author_name=request.body.name,
        body=request.body,
        data={"fields": sorted(original)},
    )


@transaction.atomic
def update_redact(*, update: Update, actor: Any, text: str, reason: str = "") -> None:
    """Replace the text of a timeline entry; the original is kept in the audit log."""
    require_role(actor, update.request.body, Role.MANAGER)
    if not text.strip():
        raise ValidationError(
            {"text": ["Replace removed text with “[removed]” rather than empty it."]}
        )
    if text.strip() == update.text:
        raise ValidationError({"text": ["Change the text to redact it."]})
    _audit(actor, "update.redact", update, original=update.text, reason=reason.strip())
    update.text = text.strip()
    update.save(update_fields=["text"])


@transaction.atomic
def photo_hide(*, photo: Photo, actor: Any, reason: str) -> None:
    """Hide a photo from the public; the file is kept and the audit log says why."""
    require_role(actor, photo.request.body, Role.MANAGER)
    if photo.hidden:
        raise ValidationError({"reason": ["The photo is already hidden."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the photo is being hidden."]})
    photo.hidden = True
    photo.save(update_fields=["hidden"])
    _audit(actor, "photo.hide", photo, file=photo.image.name, reason=reason.strip())
    Update.private_objects.create(
        request=photo.request,
        kind=UpdateKind.MODERATED,
        public=True,
        text="A photo was removed by a moderator.",
        author=actor,
        author_name=photo.request.body.name,
        body=photo.request.body,
    )


def session_hash(session_key: str) -> str:
    """A keyed hash of a browser session: enough to count a visitor once, useless if leaked."""
    return hmac.new(settings.SECRET_KEY.encode(), session_key.encode(), hashlib.sha256).hexdigest()


def request_support(
    *,
    request: Request,
    person: Person | None = None,
    session_key: str = "",
    at: datetime | None = None,
) -> bool:
    """Record a "me too". Returns False when this person or session already supports it.

    A private request takes none: nobody but its reporter and staff can see it.
    """
    if person is None and not session_key:
        raise ValueError("A supporter needs an email identity or a browser session.")
    if request.private:
        raise ValidationError({"request": ["A private request cannot be supported."]})
    if person is not None and request.reporter_id == person.pk:
        return False
    hashed = "" if person is not None else session_hash(session_key)
    try:
        with transaction.atomic():
            Supporter.objects.create(
                request=request,
                person=person,
                session_hash=hashed,
                created_at=at or timezone.now(),
            )
            Request.private_objects.filter(pk=request.pk).update(
                supporter_count=F("supporter_count") + 1
            )
    except IntegrityError:
        return False
    request.refresh_from_db(fields=["supporter_count"])
    return True
