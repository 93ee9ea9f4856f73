"""Rows as Open311 objects: field names, order and values exactly as GeoReport v2 has them.

Only public facts reach these functions (see ``selectors``); nothing here reads a reporter,
a supporter, a follower or an internal note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from openlocal.open311.formats import w3c_datetime
from openlocal.requests.models import (
    OPEN_STATUSES,
    CategoryGroup,
    CategoryQuestion,
    QuestionDatatype,
    Status,
    UpdateKind,
)
from openlocal.web.presenters import timeline_entry

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When the discovery document last changed (sortable).
CHANGESET = "2026-11-22T00:00:00Z"

#: The extensions this server offers beyond GeoReport v2, as advertised in discovery.
EXTENSIONS = (
    ("page", "GET requests and servicerequestupdates: page (from 1) and page_size (1-1000)."),
    ("updated_after", "GET requests: updated_after and updated_before (W3C date-times)."),
    ("radius", "GET requests: lat, long and radius (metres, at most 20000)."),
    ("bbox", "GET requests: bbox=lat_ne,long_ne,lat_sw,long_sw."),
    (
        "extensions",
        "GET requests: extensions=true adds extended_attributes (title, asset_id, "
        "supporters, followers, duplicate_of, body_slug, body_name, detailed_status).",
    ),
    (
        "servicerequestupdates",
        "mySociety's updates: GET servicerequestupdates lists public updates; POST with a "
        "body's api_key lets its back office post status changes.",
    ),
    ("duplicate_candidates", "POST requests: similar open requests nearby, in extensions."),
    ("detailed_status", "GET requests: status also accepts our own statuses, e.g. fixed."),
    (
        "stop_notice",
        "Services whose keywords include stop_notice take no requests: their description is "
        "the notice to show instead of a form (e.g. an emergency number), repeated as the "
        "non-variable attribute stop_notice of their definition; POST requests for them "
        "answers 400 with the notice.",
    ),
    (
        "private",
        "Services whose keywords include private keep their requests private: only the "
        "reporter (emailed a link) and staff see them, and GET requests never lists them.",
    ),
    (
        "photo_required",
        "Services whose keywords include photo_required need a photo: POST requests as "
        "multipart/form-data with the image in media. A media_url alone is not enough, "
        "because this server does not fetch media from other sites.",
    ),
)

#: The keywords marking a service's rules (see EXTENSIONS), added to its own keywords.
STOP_NOTICE_KEYWORD = "stop_notice"
PRIVATE_KEYWORD = "private"
PHOTO_REQUIRED_KEYWORD = "photo_required"
#: The code of the informational attribute that repeats a stop notice in a definition.
STOP_NOTICE_ATTRIBUTE = "stop_notice"


def absolute_url(path_or_url: str) -> str:
    return path_or_url if "://" in path_or_url else settings.BASE_URL + path_or_url


def photo_url(name: str | None) -> str | None:
    return absolute_url(default_storage.url(name)) if name else None


@lru_cache(maxsize=1)
def _request_path_template() -> str:
    return reverse("web:request", args=[987654321]).replace("987654321", "{}")


def request_url(pk: int) -> str:
    """The public page of a request (formatted, not reversed, for each of a thousand rows)."""
    return settings.BASE_URL + _request_path_template().format(pk)


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def discovery() -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": f"{settings.SITE_NAME}: {settings.BASE_URL}/",
        "key_service": (
            "Reads need no key. To submit requests or post a body's updates, ask the site's "
            "staff for an API key (they create it with: openlocal create-api-key)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{settings.BASE_URL}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
                "extensions": [
                    {"name": name, "description": description} for name, description in EXTENSIONS
                ],
            }
        ],
    }


def _group_label(group: str) -> str:
    try:
        return str(CategoryGroup(group).label)
    except ValueError:
        return group


def service_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """A service; its rules (stop notice, private, photo required) are marked by keywords.

    A service with a stop notice takes no requests: its ``description`` is the notice, so
    a client that shows descriptions shows what to do instead, and it has ``metadata`` so
    that a client reading its definition finds the notice there too.
    """
    notice = (row.get("stop_notice") or "").strip()
    description = notice or row["description"]
    tags = [row["keywords"]] if row["keywords"] else []
    if notice:
        tags.append(STOP_NOTICE_KEYWORD)
    if row.get("private"):
        tags.append(PRIVATE_KEYWORD)
        if not notice:
            description = _sentences(
                description, "Reports are private: only the reporter and staff see them."
            )
    if row.get("photo_required"):
        tags.append(PHOTO_REQUIRED_KEYWORD)
        if not notice:
            description = _sentences(description, "A photo is required (send it as media).")
    return {
        "service_code": row["service_code"],
        "service_name": row["name"],
        "description": description,
        "metadata": bool(row["has_questions"]) or bool(notice),
        "type": "realtime",
        "keywords": ", ".join(tags),
        "group": _group_label(row["group"]),
    }


def _sentences(first: str, second: str) -> str:
    first = first.strip()
    if not first:
        return second
    return f"{first}{'' if first.endswith(('.', '!', '?')) else '.'} {second}"


_LIST_TYPES = {QuestionDatatype.SINGLEVALUELIST, QuestionDatatype.MULTIVALUELIST}


def service_definition(
    service_code: str, questions: Iterable[CategoryQuestion], *, stop_notice: str = ""
) -> dict[str, Any]:
    """The definition; ``order`` is the question's position (from 1), as the spec asks.

    A stop notice comes first, as an informational (non-variable) attribute: clients show
    those as text, which is what the notice is.
    """
    attributes: list[dict[str, Any]] = []
    if stop_notice.strip():
        attributes.append(
            {
                "variable": False,
                "code": STOP_NOTICE_ATTRIBUTE,
                "datatype": QuestionDatatype.STRING.value,
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": stop_notice.strip(),
            }
        )
    for position, question in enumerate(questions, start=len(attributes) + 1):
        attribute: dict[str, Any] = {
            "variable": question.variable,
            "code": question.code,
            "datatype": question.datatype,
            "required": question.required and question.variable,
            "datatype_description": question.hint or None,
            "order": position,
            "description": question.label,
        }
        if question.datatype in _LIST_TYPES:
            attribute["values"] = [
                {"key": str(value.get("key", "")), "name": str(value.get("name", ""))}
                for value in question.values
            ]
        attributes.append(attribute)
    return {"service_code": service_code, "attributes": attributes}


def request_item(row: Mapping[str, Any], *, extensions: bool = False) -> dict[str, Any]:
    status = row["status"]
    closed = status not in OPEN_STATUSES
    updated = row["closed_at"] if closed and row["closed_at"] else row["updated_at"]
    duplicate_of = row["duplicate_of_id"]
    item: dict[str, Any] = {
        "service_request_id": str(row["id"]),
        "status": open311_status(status),
        "status_notes": row["status_notes"] or None,
        "service_name": row["category__name"],
        "service_code": row["category__service_code"],
        "description": row["description"],
        "agency_responsible": row["body__name"],
        "service_notice": (
            f"A duplicate of request {duplicate_of}: follow that one for updates."
            if duplicate_of
            else None
        ),
        "requested_datetime": w3c_datetime(row["created_at"]),
        "updated_datetime": w3c_datetime(updated),
        "expected_datetime": None,
        "address": row["address"] or None,
        "address_id": row["asset__external_id"] or None,
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": photo_url(row["photo"]) or row["supplied_media"] or None,
    }
    if extensions:
        item["extended_attributes"] = {
            "title": row["title"],
            "asset_id": row["asset__external_id"] or None,
            "supporters": row["supporter_count"],
            "followers": row["follower_count"],
            "duplicate_of": str(duplicate_of) if duplicate_of else None,
            "body_slug": row["body__slug"],
            "body_name": row["body__name"],
            "detailed_status": status,
            "detailed_status_label": str(Status(status).label),
            "url": request_url(row["id"]),
        }
    return item


def update_description(row: Mapping[str, Any]) -> str:
    """The update's public text, or what the public timeline says about it when it has none."""
    if row["text"]:
        return str(row["text"])
    entry = timeline_entry(
        kind=row["kind"],
        text="",
        old_status=row["old_status"],
        new_status=row["new_status"],
        author_name="",
        body_name=row["body__name"] or "",
        data=row["data"] or {},
        created_at=row["created_at"],
    )
    return ". ".join([entry.heading, *entry.lines]) + "."


def update_item(row: Mapping[str, Any]) -> dict[str, Any]:
    status = row["status_then"]
    return {
        "update_id": str(row["id"]),
        "service_request_id": str(row["request_id"]),
        "status": open311_status(status),
        "updated_datetime": w3c_datetime(row["created_at"]),
        "description": update_description(row),
        "media_url": photo_url(row["photo"]),
        "extended_attributes": {
            "detailed_status": status,
            "detailed_status_label": str(Status(status).label),
            "kind": row["kind"],
            "status_changed": row["kind"] == UpdateKind.STATUS,
        },
    }
