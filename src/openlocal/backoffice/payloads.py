"""What a back office receives about a request: one document, as JSON, email and Open311.

The body is responsible for the request, so it gets what its staff need to deal with it,
the reporter's name and email included (as FixMyStreet sends them to councils). Nothing
here is ever public; the public sees the request page, which shows none of it.

Photos are sent as links to their public addresses, and only photos the public may see:
hidden ones are never sent, and a private request's photos are on its staff page only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from openlocal.backoffice.models import BackOfficeLink
from openlocal.open311.formats import w3c_datetime
from openlocal.open311.presenters import photo_url, request_url
from openlocal.requests.models import Photo, QuestionDatatype, Request

#: Open311's limit on a description.
MAX_DESCRIPTION = 4000


def load(request_id: int) -> Request:
    """The request with everything the document reads, in one query."""
    return Request.private_objects.select_related(
        "category", "body", "asset", "asset__asset_type", "reporter"
    ).get(pk=request_id)


def staff_url(request: Request) -> str:
    return settings.BASE_URL + reverse("staff:request", args=[request.pk])


def public_url(request: Request) -> str | None:
    """The public page, or None when the public cannot see the request."""
    if request.hidden or request.private:
        return None
    return request_url(request.pk)


def photo_urls(request: Request) -> list[str]:
    if request.hidden or request.private:
        return []
    photos = Photo.public_objects.filter(request=request).order_by("created_at", "id")
    return [url for url in (photo_url(p.image.name) for p in photos) if url]


def answers(request: Request) -> list[dict[str, Any]]:
    """The answers to the category's questions: code, question, value and its wording."""
    given = request.answers or {}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for question in request.category.questions.order_by("order", "id"):
        if question.code not in given:
            continue
        seen.add(question.code)
        value = given[question.code]
        names = {str(v.get("key")): str(v.get("name")) for v in question.values or []}
        values = value if isinstance(value, list) else [value]
        text = ", ".join(names.get(str(v), str(v)) for v in values)
        rows.append(
            {
                "code": question.code,
                "question": question.label,
                "value": value,
                "text": text,
                "multiple": question.datatype == QuestionDatatype.MULTIVALUELIST,
            }
        )
    for code, value in given.items():
        if code not in seen:
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            rows.append(
                {
                    "code": code,
                    "question": code,
                    "value": value,
                    "text": text,
                    "multiple": isinstance(value, list),
                }
            )
    return rows


def document(request: Request, link: BackOfficeLink) -> dict[str, Any]:
    """The request as the JSON attachment of an email has it."""
    asset = request.asset
    reporter = request.reporter
    name = request.reporter_name or (reporter.name if reporter else "")
    return {
        "id": request.pk,
        "url": public_url(request),
        "staff_url": staff_url(request),
        "title": request.title,
        "description": request.description,
        "status": request.status,
        "reported_at": w3c_datetime(request.created_at),
        "source": request.source,
        "private": request.private,
        "category": {
            "name": request.category.name,
            "service_code": request.category.service_code,
            "their_service_code": link.their_service_code(request.category.service_code),
        },
        "body": {"slug": request.body.slug, "name": request.body.name},
        "location": {
            "latitude": request.latitude,
            "longitude": request.longitude,
            "address": request.address or None,
        },
        "asset": (
            {"id": asset.external_id, "type": asset.asset_type.slug, "name": asset.name}
            if asset is not None
            else None
        ),
        "answers": [
            {"code": a["code"], "question": a["question"], "value": a["value"], "text": a["text"]}
            for a in answers(request)
        ],
        "photos": photo_urls(request),
        "reporter": (
            {
                "name": name or None,
                "email": reporter.email if reporter else None,
                "name_shown_in_public": bool(request.public_reporter_name),
            }
            if (name or reporter)
            else None
        ),
    }


def _line(value: Any) -> str:
    """A value on one line of the fields block: no line breaks, nothing for None."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def fields_block(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The machine-readable ``key: value`` lines of an email, always in this order.

    Keys are stable; a value is on one line (line breaks become spaces); an empty value
    means the request has none. The full description and the answers are in the JSON
    attachment and the body of the email.
    """
    asset = doc["asset"] or {}
    reporter = doc["reporter"] or {}
    return [
        ("request-id", str(doc["id"])),
        ("url", _line(doc["url"])),
        ("staff-url", doc["staff_url"]),
        ("service-code", doc["category"]["service_code"]),
        ("their-service-code", doc["category"]["their_service_code"]),
        ("category", _line(doc["category"]["name"])),
        ("title", _line(doc["title"])),
        ("reported-at", _line(doc["reported_at"])),
        ("latitude", f"{doc['location']['latitude']:.6f}"),
        ("longitude", f"{doc['location']['longitude']:.6f}"),
        ("address", _line(doc["location"]["address"])),
        ("asset-id", _line(asset.get("id"))),
        ("asset-type", _line(asset.get("type"))),
        ("reporter-name", _line(reporter.get("name"))),
        ("reporter-email", _line(reporter.get("email"))),
        ("photos", " ".join(doc["photos"])),
    ]


def _description(request: Request, doc: dict[str, Any]) -> str:
    """Title, description, the asset and the public page, within Open311's limit."""
    parts = [request.title.strip()]
    if request.description.strip() and request.description.strip() != request.title.strip():
        parts.append(request.description.strip())
    if doc["asset"]:
        asset = doc["asset"]
        parts.append(f"Asset: {asset['type']} {asset['id']} ({asset['name']})")
    tail = f"View it at {doc['url']}" if doc["url"] else ""
    text = "\n\n".join(parts)
    room = MAX_DESCRIPTION - (len(tail) + 2 if tail else 0)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text}\n\n{tail}" if tail else text


def open311_fields(request: Request, link: BackOfficeLink) -> dict[str, str | list[str]]:
    """The ``POST requests`` form (GeoReport v2), without the API key and jurisdiction."""
    doc = document(request, link)
    fields: dict[str, str | list[str]] = {
        "service_code": doc["category"]["their_service_code"],
        "lat": f"{request.latitude:.6f}",
        "long": f"{request.longitude:.6f}",
        "description": _description(request, doc),
    }
    if request.address:
        fields["address_string"] = request.address
    for answer in answers(request):
        value = answer["value"]
        if isinstance(value, list):
            fields[f"attribute[{answer['code']}][]"] = [str(v) for v in value]
        else:
            fields[f"attribute[{answer['code']}]"] = str(value)
    reporter = doc["reporter"] or {}
    if reporter.get("email"):
        fields["email"] = reporter["email"]
    name = (reporter.get("name") or "").strip()
    if name:
        first, _, last = name.partition(" ")
        fields["first_name"] = first
        if last.strip():
            fields["last_name"] = last.strip()
    if doc["photos"]:
        fields["media_url"] = doc["photos"][0]
    return fields
