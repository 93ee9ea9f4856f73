"""Open311 documents in XML and JSON, and the error document.

One Python value (dicts, lists, strings, numbers, booleans, None) is rendered either way:

- JSON is the value as it stands: lists stay bare arrays, ``None`` is ``null``.
- XML wraps it in a root element; a dict becomes child elements in order, a list becomes
  repeated children named by :data:`ITEM_TAGS` (``services`` holds ``service`` elements),
  ``None`` an empty element and booleans lower-case ``true``/``false``.

Both are built by hand with ``json.dumps`` and escaped string joins: no templates, no DOM,
so a page of a thousand requests costs one pass over the rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

#: The element name of each child of a list, by the list's own element name.
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "extensions": "extension",
    "duplicate_candidates": "request",
}

#: Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Reads may be cached briefly by browsers and proxies: the data is public.
READ_CACHE_CONTROL = "public, max-age=60"


def w3c_datetime(value: datetime | None) -> str | None:
    """A W3C-DTF date-time in UTC with its ``Z``, as Open311 requires: never a naive time."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return escape(_NOT_XML.sub("", str(value)))


def _xml(tag: str, value: Any, out: list[str]) -> None:
    if value is None or value == "":
        out.append(f"<{tag}/>")
    elif isinstance(value, Mapping):
        out.append(f"<{tag}>")
        for key, child in value.items():
            _xml(key, child, out)
        out.append(f"</{tag}>")
    elif isinstance(value, list | tuple):
        item = ITEM_TAGS.get(tag, "item")
        out.append(f"<{tag}>")
        for child in value:
            _xml(item, child, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_text(value)}</{tag}>")


def xml_document(root: str, value: Any) -> bytes:
    """The UTF-8 XML document for ``value`` under the element ``root``, with its declaration."""
    out = [XML_DECLARATION]
    _xml(root, value, out)
    out.append("\n")
    return "".join(out).encode()


def json_document(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def render(
    fmt: str,
    root: str,
    value: Any,
    *,
    status: int = 200,
    cache: bool = False,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """An Open311 response: ``value`` in the format named by the URL's extension."""
    body = xml_document(root, value) if fmt == XML else json_document(value)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = READ_CACHE_CONTROL if cache else "no-store"
    for name, header in (headers or {}).items():
        response[name] = header
    return response


class Open311Error(Exception):
    """A request Open311 cannot fulfil: the HTTP status and the error document's messages.

    Per the spec: 404 for something that does not exist, 403 for a missing or bad api_key,
    400 for anything else (other statuses for what HTTP names precisely, like 429).
    """

    def __init__(
        self,
        status: int,
        messages: str | Sequence[str],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.headers = dict(headers or {})
        super().__init__("; ".join(self.messages))


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    """The ``<errors>`` document (a JSON array of ``{code, description}``) for an error."""
    errors = error_list(error.status, error.messages)
    return render(
        fmt if fmt in FORMATS else XML, "errors", errors, status=error.status, headers=error.headers
    )


def error_list(code: int, messages: Iterable[str]) -> list[dict[str, Any]]:
    return [{"code": code, "description": message} for message in messages]
