"""The email a body receives for each request: text and HTML parts, and a JSON attachment.

The text part starts with a block of ``key: value`` lines between two fixed marker lines,
so a mailbox rule or a CRM's email import can read the fields without parsing prose; the
JSON attachment (``request-<id>.json``) has everything, the answers and photo links
included. Headers carry the request's id and service code too.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from openlocal.backoffice import payloads
from openlocal.backoffice.models import BackOfficeLink
from openlocal.requests.models import Request

#: The lines around the fields block. Changing them breaks the rules people build on them.
BLOCK_START = "----- BEGIN OPENLOCAL REQUEST FIELDS -----"
BLOCK_END = "----- END OPENLOCAL REQUEST FIELDS -----"


def subject(request: Request) -> str:
    return f"Request {request.pk}: {request.category.name} – {request.title}"


def request_email(
    request: Request, link: BackOfficeLink, *, connection: Any = None
) -> EmailMultiAlternatives:
    """The message for ``request`` to the link's address."""
    doc = payloads.document(request, link)
    context = {
        "doc": doc,
        "fields": payloads.fields_block(doc),
        "answers": doc["answers"],
        "block_start": BLOCK_START,
        "block_end": BLOCK_END,
        "site_name": settings.SITE_NAME,
    }
    text = render_to_string("backoffice/emails/request.txt", context)
    html = render_to_string("backoffice/emails/request.html", context)
    message = EmailMultiAlternatives(
        subject=subject(request),
        body=text,
        to=[link.email],
        headers={
            "X-OpenLocal-Request-Id": str(request.pk),
            "X-OpenLocal-Service-Code": doc["category"]["their_service_code"],
        },
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    message.attach(
        f"request-{request.pk}.json",
        json.dumps(doc, ensure_ascii=False, indent=2),
        "application/json",
    )
    return message
