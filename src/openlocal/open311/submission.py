"""POST requests and POST servicerequestupdates: read the form, call the services.

Everything a request goes through on the web (routing, answer checks, the reporter following
their request, events, duplicate finding) happens here too, because both call
``request_create``. A back office's update goes through ``request_status_change`` or
``request_comment`` as the key's own staff identity, so permission checks, the timeline and
followers' notifications are the same as for a member of staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from openlocal.apikeys.models import ApiKey
from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.open311 import params
from openlocal.open311.formats import Open311Error
from openlocal.open311.presenters import request_url
from openlocal.open311.selectors import existing_asset, service, update_with_external_id
from openlocal.places.geocoders import find_places
from openlocal.places.selectors import NotCovered
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    Request,
    Source,
    Status,
    Update,
)
from openlocal.requests.photos import PhotoError, photo_reencode
from openlocal.requests.selectors import duplicate_candidates
from openlocal.requests.services import request_comment, request_create, request_status_change

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
#: The spec's limit on a description.
MAX_DESCRIPTION = 4000
MAX_MEDIA_URL = 500
TITLE_LENGTH = 80
DUPLICATE_CANDIDATES = 5


@dataclass
class Submission:
    """A POST requests form, checked: everything ``request_create`` needs."""

    category: Category
    latitude: float
    longitude: float
    address: str
    asset: Asset | None
    answers: dict[str, Any]
    title: str
    description: str
    email: str
    name: str
    media_url: str
    photos: list[ContentFile[bytes]] = field(default_factory=list)


def attributes(form: QueryDict) -> dict[str, Any]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2`` as answers."""
    answers: dict[str, Any] = {}
    for key in form:
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        code, many = match.group(1).strip(), bool(match.group(2))
        values = [v for v in form.getlist(key) if v.strip()]
        if not values:
            continue
        previous = answers.get(code)
        if previous is not None:
            existing = previous if isinstance(previous, list) else [previous]
            answers[code] = existing + values
        elif many or len(values) > 1:
            answers[code] = values
        else:
            answers[code] = values[0]
    return answers


def _title(description: str, fallback: str) -> str:
    first = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not first:
        return fallback
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return (cut or first[: TITLE_LENGTH - 1]) + "…"


def _media_url(form: QueryDict) -> str:
    """A link the reporter supplied, kept only if it is a plain public http(s) address."""
    raw = params.text(form, "media_url")
    if not raw:
        return ""
    problem = "media_url must be a web address starting http:// or https://, like https://example.org/photo.jpg"
    if len(raw) > MAX_MEDIA_URL:
        raise Open311Error(400, f"media_url may be at most {MAX_MEDIA_URL} characters long.")
    try:
        URLValidator(schemes=["http", "https"])(raw)
    except ValidationError:
        raise Open311Error(400, f"{problem}.") from None
    parts = urlsplit(raw)
    if parts.username or parts.password:
        raise Open311Error(400, "media_url must not contain a user name or password.")
    return raw


def _location(form: QueryDict, category: Category) -> tuple[float, float, str, Asset | None]:
    """The point, the address to record and the asset, from lat/long, address_id or
    address_string (any one is enough; lat/long win for the point when several are sent)."""
    latitude, longitude = params.number(form, "lat"), params.number(form, "long")
    address = params.text(form, "address_string")[:300]
    address_id = params.text(form, "address_id")
    if (latitude is None) != (longitude is None):
        raise Open311Error(
            400, "Send lat and long together (or instead an address_string or an address_id)."
        )
    asset: Asset | None = None
    if address_id:
        found = existing_asset(address_id, list(category.asset_types.values_list("pk", flat=True)))
        if found is None:
            raise Open311Error(
                400, f"address_id “{address_id}” is not the id of any asset on this site."
            )
        located, fits = found
        asset = located if fits else None
        if latitude is None or longitude is None:
            latitude, longitude = located.latitude, located.longitude
            address = address or located.name
    if (latitude is None or longitude is None) and address:
        places = find_places(address)
        if not places:
            raise Open311Error(
                400,
                f"No place called “{address}” is known here. Send lat and long, or an "
                "address_id, instead of address_string.",
            )
        best = next((p for p in places if p.exact), places[0])
        latitude, longitude = best.latitude, best.longitude
    if latitude is None or longitude is None:
        raise Open311Error(
            400, "A location is required: lat and long, or address_string, or address_id."
        )
    try:
        geo.validate_point(latitude, longitude)
    except geo.InvalidLocation as exc:
        raise Open311Error(400, str(exc)) from None
    return latitude, longitude, address, asset


def submission_from_form(form: QueryDict, files: Any) -> Submission:
    """Check a POST requests form; raises :class:`Open311Error` saying what is wrong."""
    code = params.text(form, "service_code")
    if not code:
        raise Open311Error(400, "service_code is required: see services.xml for the codes.")
    category = service(code)
    if category is None:
        raise Open311Error(404, f"There is no service with service_code “{code}”.")
    if category.stop_notice.strip():
        # Before anything else: whatever else is wrong, this is what the reporter must read.
        raise Open311Error(
            400,
            f"service_code “{code}” ({category.name}) takes no requests here. "
            f"{category.stop_notice.strip()}",
        )
    latitude, longitude, address, asset = _location(form, category)
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description may be at most {MAX_DESCRIPTION} characters long.")
    email = params.text(form, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, "email is not a valid email address.") from None
    name = " ".join(
        part for part in (params.text(form, "first_name"), params.text(form, "last_name")) if part
    )
    photos: list[ContentFile[bytes]] = []
    uploads = files.getlist("media") if files else []
    if len(uploads) > settings.PHOTOS_PER_REQUEST:
        raise Open311Error(
            400, f"Send at most {settings.PHOTOS_PER_REQUEST} media files with a request."
        )
    for upload in uploads:
        try:
            photos.append(photo_reencode(upload, filename=upload.name or "media"))
        except PhotoError as exc:
            raise Open311Error(400, str(exc)) from None
    if category.photo_required and not photos:
        raise Open311Error(
            400,
            f"service_code “{code}” ({category.name}) needs a photo: send the request as "
            "multipart/form-data with the image file in the media field. A media_url is not "
            "enough, because this server does not fetch media from other sites.",
        )
    return Submission(
        category=category,
        latitude=latitude,
        longitude=longitude,
        address=address,
        asset=asset,
        answers=attributes(form),
        title=_title(description, category.name),
        description=description or category.name,
        email=email,
        name=name[:120],
        media_url=_media_url(form),
        photos=photos,
    )


def _validation_messages(error: ValidationError, category: Category) -> list[str]:
    codes = set(category.questions.values_list("code", flat=True))
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    messages = []
    for key, errors in error.message_dict.items():
        for message in errors:
            messages.append(f"attribute[{key}]: {message}" if key in codes else message)
    return messages


@dataclass
class Created:
    request: Request
    candidates: list[dict[str, Any]]


def request_submit(submission: Submission) -> Created:
    """Create the request through ``request_create`` and find what it may duplicate.

    A ``media_url`` is not fetched (the address belongs to someone else's server); it is
    kept as a link in the text of the request's first timeline entry, where the public
    sees it, and returned as the request's ``media_url`` until a photo is stored.
    """
    category = submission.category
    media = submission.media_url
    try:
        request = request_create(
            category=category,
            latitude=submission.latitude,
            longitude=submission.longitude,
            title=submission.title,
            description=submission.description,
            asset=submission.asset,
            answers=submission.answers,
            photos=submission.photos,
            reporter_email=submission.email,
            reporter_name=submission.name,
            reporter_name_public=False,
            address=submission.address,
            source=Source.OPEN311,
            first_text=f"Photo supplied with the report: {media}" if media else "",
            first_data={"media_url": media} if media else None,
        )
    except NotCovered as exc:
        raise Open311Error(400, str(exc)) from None
    except ValidationError as exc:
        raise Open311Error(400, _validation_messages(exc, category)) from None
    found = duplicate_candidates(
        category=category,
        latitude=request.latitude,
        longitude=request.longitude,
        asset=request.asset,
        text=f"{request.title} {request.description}",
        limit=DUPLICATE_CANDIDATES + 1,
    )
    candidates = [
        {
            "service_request_id": str(c.request.pk),
            "title": c.request.title,
            "service_code": c.request.category.service_code,
            "status": "open",
            "distance": round(c.distance_m),
            "same_asset": c.same_asset,
            "url": request_url(c.request.pk),
        }
        for c in found
        if c.request.pk != request.pk
    ][:DUPLICATE_CANDIDATES]
    return Created(request, candidates)


def service_notice(created: Created) -> str:
    notice = f"Thank you. Sent to {created.request.body.name}."
    if created.request.private:
        notice += (
            " Requests of this service are private: only the reporter, through the link "
            "emailed to them, and staff can see it, so it is not in GET requests."
        )
    count = len(created.candidates)
    if count:
        similar = "request nearby looks" if count == 1 else "requests nearby look"
        notice += (
            f" {count} open {similar} similar (see extensions): if it is the same problem, "
            "follow that request instead."
        )
    return notice


# mySociety's servicerequestupdates ---------------------------------------------------------

#: The statuses a back office may post (upper case, per mySociety) and ours for each.
#: ``None`` keeps an open request's status (or reopens a closed one as acknowledged).
UPDATE_STATUSES: dict[str, Status | None] = {
    "OPEN": None,
    "REOPEN": None,
    "FOR_TRIAGE": Status.NEW,
    "ACKNOWLEDGED": Status.ACKNOWLEDGED,
    "INVESTIGATING": Status.INVESTIGATING,
    "IN_PROGRESS": Status.IN_PROGRESS,
    "ACTION_SCHEDULED": Status.ACTION_SCHEDULED,
    "FIXED": Status.FIXED,
    "CLOSED": Status.NO_FURTHER_ACTION,
    "NO_FURTHER_ACTION": Status.NO_FURTHER_ACTION,
    "NOT_COUNCILS_RESPONSIBILITY": Status.NOT_RESPONSIBLE,
    "INTERNAL_REFERRAL": Status.REFERRED,
    "UNABLE_TO_FIX": Status.NOT_FIXED,
    "NOT_FIXED": Status.NOT_FIXED,
    "DUPLICATE": Status.DUPLICATE,
}


def _new_status(posted: str, current: str) -> str:
    mapped = UPDATE_STATUSES[posted]
    if posted == "CLOSED" and current in CLOSED_STATUSES:
        return current
    if mapped is None:
        return current if current in OPEN_STATUSES else Status.ACKNOWLEDGED
    return mapped


@dataclass
class Posted:
    update: Update
    #: False when the back office had already posted this update_id.
    created: bool


def _when(raw: datetime | None, request: Request) -> datetime:
    """The back office's time for the update, unless it would reorder the timeline."""
    now = timezone.now()
    if raw is None or raw > now or raw < request.updated_at:
        return now
    return raw


def update_post(*, key: ApiKey, form: QueryDict) -> Posted:
    """Post a back office's update as the key's staff user; idempotent per ``update_id``."""
    request_id = params.text(form, "service_request_id")
    if not request_id:
        raise Open311Error(400, "service_request_id is required.")
    if not request_id.isdigit():
        raise Open311Error(404, f"There is no request with service_request_id “{request_id}”.")
    external_id = params.text(form, "update_id")
    if not external_id:
        raise Open311Error(
            400,
            "update_id is required: your system's own id for the update, so that "
            "sending it again does not post it twice.",
        )
    if len(external_id) > 100:
        raise Open311Error(400, "update_id may be at most 100 characters long.")
    posted_status = params.text(form, "status").upper()
    if not posted_status:
        raise Open311Error(400, "status is required, e.g. IN_PROGRESS or FIXED.")
    if posted_status not in UPDATE_STATUSES:
        raise Open311Error(
            400, f"Unknown status “{posted_status}”. Use one of: {', '.join(UPDATE_STATUSES)}."
        )
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description may be at most {MAX_DESCRIPTION} characters long.")
    when = params.w3c_datetime(form, "updated_datetime")
    with transaction.atomic():
        request = (
            Request.private_objects.select_for_update()
            .select_related("body")
            .filter(pk=int(request_id))
            .first()
        )
        if request is None or (request.hidden and request.body_id != key.body_id):
            raise Open311Error(404, f"There is no request with service_request_id “{request_id}”.")
        if request.body_id != key.body_id:
            raise Open311Error(
                403,
                f"This api_key acts for {key.body.name if key.body else 'no body'}; request "
                f"{request.pk} is handled by {request.body.name}.",
            )
        existing = update_with_external_id(request, external_id)
        if existing is not None:
            return Posted(existing, created=False)
        status = _new_status(posted_status, request.status)
        try:
            if status == request.status:
                if not description:
                    raise Open311Error(
                        400,
                        f"Request {request.pk} is already “{Status(status).label}”: send a "
                        "description to post a message, or a different status.",
                    )
                update = request_comment(
                    request=request, actor=key.user, text=description, at=_when(when, request)
                )
            else:
                update = request_status_change(
                    request=request,
                    actor=key.user,
                    status=status,
                    message=description,
                    at=_when(when, request),
                )
        except PermissionDenied:
            raise Open311Error(403, "This api_key may not update this request.") from None
        except ValidationError as exc:
            raise Open311Error(400, list(exc.messages)) from None
        data = {**update.data, "open311_update_id": external_id}
        Update.private_objects.filter(pk=update.pk).update(data=data)
        update.data = data
    return Posted(update, created=True)
