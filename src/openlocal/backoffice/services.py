"""Every write of back-office links: setting a link up, retrying a sending, and putting a
back office's update on a request's timeline.

Staff actions check the actor's role at the body here as well as in the views: a body's
administrators set up its link; its managers may retry a sending. A back office's update is
applied by the worker, not by a person: it goes through ``request_status_change`` with the
body itself as the author, so the timeline, the map's counts and followers' notifications
are exactly those of a status change by staff.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from openlocal.backoffice import client
from openlocal.backoffice.models import (
    DUE_STATUSES,
    AppliedUpdate,
    BackOfficeLink,
    Format,
    Method,
    Sending,
    SendingStatus,
)
from openlocal.backoffice.outbox import cursor_ensure
from openlocal.backoffice.sending import give_up_after
from openlocal.core.models import AuditEntry
from openlocal.core.tasks import enqueue_with_change
from openlocal.open311.submission import UPDATE_STATUSES
from openlocal.places.models import Body, Role
from openlocal.places.permissions import require_role
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    Request,
    Status,
    Update,
    UpdateKind,
)
from openlocal.requests.services import request_status_change

logger = logging.getLogger("openlocal.backoffice")

ENDPOINT_MAX_LENGTH = 500
SERVICE_CODE_MAX_LENGTH = 64
_FILE_SUFFIX = re.compile(r"/[^/]+\.(json|xml)$", re.IGNORECASE)


def _audit(actor: Any, action: str, target: Any, **data: Any) -> None:
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )


def _clean_endpoint(endpoint: str) -> str:
    endpoint = endpoint.strip()
    if not endpoint:
        raise ValidationError({"endpoint": ["Enter the address of the Open311 endpoint."]})
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise ValidationError(
            {
                "endpoint": [
                    f"The address is too long: use at most {ENDPOINT_MAX_LENGTH} characters."
                ]
            }
        )
    try:
        URLValidator(schemes=["http", "https"])(endpoint)
    except ValidationError:
        raise ValidationError(
            {
                "endpoint": [
                    "Enter the endpoint’s full address, like https://crm.example.gov/open311/v2"
                ]
            }
        ) from None
    parts = urlsplit(endpoint)
    if parts.username or parts.password:
        raise ValidationError(
            {"endpoint": ["Leave the user name and password out of the address: use the API key."]}
        )
    if parts.query or parts.fragment:
        raise ValidationError(
            {"endpoint": ["Enter the endpoint’s base address, without a query (“?…”) or “#…”."]}
        )
    if _FILE_SUFFIX.search(parts.path):
        raise ValidationError(
            {
                "endpoint": [
                    "Enter the endpoint’s base address, without services.json or discovery.xml "
                    "at the end, like https://crm.example.gov/open311/v2"
                ]
            }
        )
    problem = client.address_problem(endpoint)
    if problem:
        raise ValidationError({"endpoint": [problem]})
    return endpoint.rstrip("/")


def _clean_codes(codes: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    known = set(
        Category.objects.filter(service_code__in=list(codes)).values_list("service_code", flat=True)
    )
    problems = []
    for ours, theirs in codes.items():
        ours, theirs = ours.strip(), theirs.strip()
        if ours not in known:
            problems.append(f"“{ours}” is not one of this site’s service codes.")
        elif not theirs or len(theirs) > SERVICE_CODE_MAX_LENGTH:
            problems.append(
                f"Give the back office’s code for “{ours}” in 1 to "
                f"{SERVICE_CODE_MAX_LENGTH} characters."
            )
        else:
            cleaned[ours] = theirs
    if problems:
        raise ValidationError({"service_codes": problems})
    return cleaned


def link_save(
    *,
    body: Body,
    actor: Any,
    method: str,
    email: str = "",
    endpoint: str = "",
    api_key: str | None = None,
    jurisdiction_id: str = "",
    service_codes: Mapping[str, str] | None = None,
    format: str = Format.JSON,
    enabled: bool = True,
) -> BackOfficeLink:
    """Create or change the body's link. ``api_key=None`` keeps the stored key; ``""``
    removes it.

    Raises ``ValidationError`` keyed by field. Everything is checked before the transaction
    starts (the endpoint's host is looked up in DNS, which must not hold a lock). The key is
    never written to the audit log: only whether it changed.
    """
    require_role(actor, body, Role.ADMINISTRATOR)
    if method not in Method.values:
        raise ValidationError({"method": ["Choose how the body receives its requests."]})
    if format not in Format.values:
        raise ValidationError({"format": ["Choose JSON or XML."]})
    stored_key = BackOfficeLink.objects.filter(body=body).values_list("api_key", flat=True).first()
    new_key = (api_key or "").strip() if api_key is not None else (stored_key or "")
    if len(new_key) > 500:
        raise ValidationError({"api_key": ["The API key is too long: at most 500 characters."]})
    codes = _clean_codes(service_codes or {})
    clean_email = email.strip().lower() or (body.contact_email or "").strip().lower()
    clean_endpoint = ""
    if method == Method.EMAIL:
        if not clean_email:
            raise ValidationError({"email": ["Enter the email address the body’s requests go to."]})
        try:
            validate_email(clean_email)
        except ValidationError:
            raise ValidationError(
                {"email": ["Enter the email address in the correct format, like name@example.com"]}
            ) from None
    else:
        clean_endpoint = _clean_endpoint(endpoint)
        if not new_key:
            raise ValidationError(
                {
                    "api_key": [
                        "Enter the API key the back office gave you: Open311 needs one "
                        "to submit requests."
                    ]
                }
            )
    with transaction.atomic():
        link = BackOfficeLink.objects.select_for_update().filter(body=body).first()
        key_changed = link is None or new_key != link.api_key
        if link is None:
            link = BackOfficeLink(body=body)
        elif clean_endpoint != link.endpoint:
            # Another server: its update ids and times are not the old one's.
            link.poll_cursor = None
            link.last_poll_error = ""
        link.method = method
        if method == Method.EMAIL:
            link.email = clean_email
        link.endpoint = clean_endpoint
        link.api_key = new_key
        link.jurisdiction_id = jurisdiction_id.strip()[:100]
        link.service_codes = codes
        link.format = format
        link.enabled = enabled
        link.save()
        if enabled:
            cursor_ensure()
        _audit(
            actor,
            "backoffice.link_save",
            link,
            method=method,
            email=link.email,
            endpoint=link.endpoint,
            jurisdiction_id=link.jurisdiction_id,
            service_codes=codes,
            format=format,
            enabled=enabled,
            api_key_changed=key_changed,
        )
    return link


@dataclass
class ConnectionTest:
    """What "Test connection" found: whether services answered, and what they offer."""

    ok: bool
    message: str
    services: list[client.Service] = field(default_factory=list)
    #: Codes this link would send that the back office does not list.
    missing_codes: list[str] = field(default_factory=list)


def link_test(*, link: BackOfficeLink, actor: Any) -> ConnectionTest:
    """Fetch the back office's ``services`` and say what it answered (nothing is written)."""
    require_role(actor, link.body, Role.ADMINISTRATOR)
    if link.method != Method.OPEN311:
        return ConnectionTest(False, "Only an Open311 link has a connection to test.")
    try:
        with client.http_client() as http:
            services = client.fetch_services(http, link)
    except client.BackOfficeError as error:
        return ConnectionTest(False, error.message)
    offered = {s.code for s in services}
    ours = Category.objects.filter(active=True, routing_rules__body=link.body).values_list(
        "service_code", flat=True
    )
    missing = sorted({link.their_service_code(code) for code in ours} - offered)
    count = len(services)
    message = (
        f"Connected: the back office offers {count} service{'s' if count != 1 else ''}."
        if count
        else "Connected, but the back office lists no services."
    )
    return ConnectionTest(True, message, services, missing)


@transaction.atomic
def sending_retry_now(*, sending: Sending, actor: Any, now: datetime | None = None) -> Sending:
    """Try a failed or waiting sending again at once, with a fresh allowance of retries."""
    require_role(actor, sending.link.body, Role.MANAGER)
    locked = Sending.objects.select_for_update().get(pk=sending.pk)
    if locked.status not in (*DUE_STATUSES, SendingStatus.FAILED):
        raise ValidationError(
            {
                "sending": [
                    f"Request {locked.request_id} is "
                    f"{locked.get_status_display().lower()}: there is nothing to retry."
                ]
            }
        )
    if not sending.link.enabled:
        raise ValidationError(
            {"sending": ["The link is switched off: switch it on to send requests."]}
        )
    now = now or timezone.now()
    previous = locked.status
    locked.status = SendingStatus.RETRYING if locked.attempts else SendingStatus.PENDING
    locked.next_attempt_at = now
    locked.give_up_at = now + give_up_after()
    locked.consecutive_failures = 0
    locked.save()
    _audit(actor, "backoffice.retry", locked, previous_status=previous, request=locked.request_id)
    from openlocal.backoffice.tasks import send_sending

    enqueue_with_change(send_sending, locked.pk)
    return locked


# A back office's updates ---------------------------------------------------------------------

#: Kinds of an OpenLocal back office's timeline entries that are its staff's own words or
#: status changes; the rest (its own report, its routing, its moderation) are its business.
APPLIED_KINDS = frozenset({"", UpdateKind.STATUS.value, UpdateKind.COMMENT.value})


def our_status(remote: client.RemoteUpdate, current: str) -> str:
    """Our status for a back office's update, given the request's status now.

    ``external_status_code`` (or an OpenLocal back office's ``detailed_status``) wins when it
    is one of our statuses; otherwise mySociety's statuses map as for POST
    servicerequestupdates, and plain ``open``/``closed`` keep an open or closed request as
    it is (reopening as acknowledged, closing as no further action). A duplicate is never
    set this way: merging is how a request becomes one, so that its followers move.
    """
    for code in (remote.external_status_code, remote.detailed_status):
        value = code.strip().lower()
        if value in Status.values and value != Status.DUPLICATE:
            return value
    posted = remote.status.strip().upper()
    mapped = UPDATE_STATUSES.get(posted, None)
    if posted not in UPDATE_STATUSES or posted == "DUPLICATE":
        return current
    if posted == "CLOSED" and current in CLOSED_STATUSES:
        return current
    if mapped is None:
        return current if current in OPEN_STATUSES else Status.ACKNOWLEDGED
    return mapped


def _message(remote: client.RemoteUpdate) -> str:
    text = remote.description.strip()
    if remote.media_url.startswith(("http://", "https://")):
        text = f"{text}\n\nPhoto: {remote.media_url}".strip()
    return text[:4000]


def _when(remote: client.RemoteUpdate, request: Request, now: datetime) -> datetime:
    """The back office's time for the update, unless it would reorder the timeline (which
    has entries, like "Sent to …", that do not change the request's ``updated_at``)."""
    at = remote.updated_at
    if at is None or at > now or at < request.updated_at:
        return now
    latest = Update.private_objects.filter(request=request).aggregate(latest=Max("created_at"))
    if latest["latest"] is not None and at < latest["latest"]:
        return now
    return at


@transaction.atomic
def remote_update_apply(
    *, sending: Sending, remote: client.RemoteUpdate, now: datetime | None = None
) -> AppliedUpdate | None:
    """Put one of the back office's updates on the request's public timeline, once.

    Returns None when this ``update_id`` was applied already. A status change becomes a
    status change and a message a public update, authored by the body and told to the
    request's followers. An update that changes nothing and says nothing is recorded and
    left off the timeline, as is one for a request that has since moved to another body.
    """
    now = now or timezone.now()
    link = sending.link
    try:
        with transaction.atomic():
            applied = AppliedUpdate.objects.create(
                link=link,
                remote_id=remote.update_id,
                sending=sending,
                remote_status=remote.status[:40],
                remote_updated_at=remote.updated_at,
                applied_at=now,
            )
    except IntegrityError:
        return None
    request = (
        Request.private_objects.select_for_update()
        .select_related("body", "category")
        .get(pk=sending.request_id)
    )
    if remote.kind not in APPLIED_KINDS or request.body_id != link.body_id:
        return applied
    status = (
        request.status if request.status == Status.DUPLICATE else our_status(remote, request.status)
    )
    message = _message(remote)
    if status == request.status and not message:
        return applied
    update: Update | None
    try:
        update = request_status_change(
            request=request,
            actor=None,
            status=status,
            message=message,
            at=_when(remote, request, now),
            # The body itself is the author: no person's role to check.
            check_permission=False,
        )
    except ValidationError as exc:
        logger.warning(
            "update %s from %s's back office not applied to request %s: %s",
            remote.update_id,
            link.body.slug,
            request.pk,
            "; ".join(exc.messages),
        )
        return applied
    data = {**update.data, "back_office_update_id": remote.update_id}
    Update.private_objects.filter(pk=update.pk).update(data=data)
    applied.update = update
    applied.save(update_fields=["update"])
    return applied
