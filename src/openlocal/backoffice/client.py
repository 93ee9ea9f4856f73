"""Talking to a body's Open311 server: POST requests, tokens, services and updates.

Every call goes through an ``httpx.Client`` made by :func:`http_client` (one per batch, so
connections are reused) and raises :class:`BackOfficeError` for anything that is not a
usable answer, saying whether trying again later may help. Messages never carry the API
key: :func:`redact` takes it out of whatever a back office or the network says.

Answers are read in the link's format, JSON or XML (the spec makes only XML mandatory), as
a list of flat records: ``[{"service_request_id": "12"}]`` for ``<service_requests>
<request><service_request_id>12</service_request_id></request></service_requests>``.
Nested elements (``extended_attributes``) become nested dicts.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from defusedxml import ElementTree
from django.conf import settings
from django.utils.dateparse import parse_datetime

from openlocal.backoffice.models import BackOfficeLink, Format

#: Pages of updates read in one poll; a back office with more in its window is read again.
MAX_PAGES = 20
#: Characters of an unexpected answer kept in an error message.
EXCERPT = 200


class BackOfficeError(Exception):
    """A call that did not work: what to tell staff, and whether a retry may help."""

    def __init__(self, message: str, *, temporary: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        #: The HTTP status of the answer, when there was one.
        self.status = status


def redact(text: str, link: BackOfficeLink) -> str:
    """``text`` without the link's API key in it."""
    if link.api_key:
        text = text.replace(link.api_key, "[API key]")
    return text


def address_problem(url: str) -> str:
    """Why the site may not call ``url`` (a private or local address), or ``""``.

    Back offices may sit inside a council's network; an operator allows that with
    ``OPENLOCAL_BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES``. Otherwise only public addresses are
    called, so that a body's administrator cannot use the site to look inside its network.
    """
    host = urlsplit(url).hostname or ""
    if not host:
        return "The address has no host name."
    if settings.BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES:
        return ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return f"The host “{host}” could not be found. Check the address."
    for address in sorted(addresses):
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            return (
                f"“{host}” is a private or local address ({ip}). This site sends only to "
                "back offices on the public internet unless its operator allows private ones."
            )
    return ""


@cache
def _tls_context() -> ssl.SSLContext:
    """The certificate store, read once per process (httpx would read it per client)."""
    return ssl.create_default_context(cafile=certifi.where())


def http_client() -> httpx.Client:
    """A client for one batch of calls: keep-alive, the configured timeout, no redirects
    (a back office that moves must be set up again, not followed blindly)."""
    return httpx.Client(
        timeout=settings.BACK_OFFICE_TIMEOUT,
        verify=_tls_context(),
        follow_redirects=False,
        headers={"User-Agent": f"{settings.SITE_NAME} back-office link"},
    )


def endpoint_url(link: BackOfficeLink, resource: str) -> str:
    """``{endpoint}/{resource}.{format}``."""
    return f"{link.endpoint.rstrip('/')}/{resource}.{link.format}"


def w3c(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Reading answers ----------------------------------------------------------------------------


def _element(node: Any) -> Any:
    children = list(node)
    if not children:
        return (node.text or "").strip()
    result: dict[str, Any] = {}
    for child in children:
        result[child.tag] = _element(child)
    return result


def _records_xml(content: bytes) -> list[dict[str, Any]]:
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML ({exc})") from exc
    records = []
    for item in root:
        value = _element(item)
        records.append(value if isinstance(value, dict) else {item.tag: value})
    return records


def _records_json(content: bytes) -> list[dict[str, Any]]:
    try:
        value = json.loads(content)
    except ValueError as exc:
        raise ValueError("not JSON") from exc
    if isinstance(value, dict):
        # Some servers wrap the spec's bare array: {"service_requests": [...]}.
        lists = [v for v in value.values() if isinstance(v, list)]
        value = lists[0] if len(lists) == 1 else [value]
    if not isinstance(value, list):
        raise ValueError("not a list of records")
    return [item for item in value if isinstance(item, dict)]


def records(fmt: str, content: bytes) -> list[dict[str, Any]]:
    """The records of an Open311 document; ``ValueError`` when it is not one."""
    return _records_xml(content) if fmt == Format.XML else _records_json(content)


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def _error_message(link: BackOfficeLink, response: httpx.Response, action: str) -> str:
    """What an error answer says: the Open311 error document's descriptions if it has one."""
    status = response.status_code
    descriptions: list[str] = []
    try:
        for record in records(link.format, response.content):
            description = _text(record.get("description"))
            code = _text(record.get("code"))
            if description:
                descriptions.append(f"{description} (code {code})" if code else description)
    except ValueError:
        descriptions = []
    if descriptions:
        said = "; ".join(descriptions)
    elif 300 <= status < 400:
        where = response.headers.get("Location", "another address")
        said = f"a redirect to {where}: check the endpoint address"
    else:
        excerpt = _excerpt(response)
        said = excerpt if excerpt else "no error document"
    return redact(f"{action}: the back office answered HTTP {status}: {said}", link)


def _temporary(status: int) -> bool:
    """Whether an HTTP error may pass: the server's trouble or a rate limit."""
    return status >= 500 or status in (408, 425, 429)


def _call(
    client: httpx.Client,
    link: BackOfficeLink,
    method: str,
    url: str,
    action: str,
    **kwargs: Any,
) -> httpx.Response:
    problem = address_problem(url)
    if problem:
        raise BackOfficeError(f"{action}: {problem}", temporary=False)
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise BackOfficeError(
            f"{action}: no answer within {settings.BACK_OFFICE_TIMEOUT:g} seconds.",
            temporary=True,
        ) from None
    except httpx.HTTPError as exc:
        reason = redact(str(exc) or type(exc).__name__, link)
        raise BackOfficeError(f"{action}: could not connect ({reason}).", temporary=True) from None
    if not 200 <= response.status_code < 300:
        raise BackOfficeError(
            _error_message(link, response, action),
            temporary=_temporary(response.status_code),
            status=response.status_code,
        )
    return response


def _records_of(link: BackOfficeLink, response: httpx.Response, action: str) -> list[dict]:
    try:
        return records(link.format, response.content)
    except ValueError as exc:
        raise BackOfficeError(
            redact(
                f"{action}: the answer is {exc}, not an Open311 {link.format.upper()} document: "
                f"{_excerpt(response)}",
                link,
            ),
            temporary=False,
        ) from None


# Calls ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """What POST requests answered: the back office's id, or a token for it later."""

    service_request_id: str
    token: str
    notice: str


def post_request(
    client: httpx.Client, link: BackOfficeLink, fields: Mapping[str, str | Sequence[str]]
) -> Created:
    """``POST requests`` with the form ``fields`` (the API key is added here)."""
    action = "Sending the request"
    data: dict[str, Any] = dict(fields)
    if link.api_key:
        data["api_key"] = link.api_key
    if link.jurisdiction_id:
        data["jurisdiction_id"] = link.jurisdiction_id
    response = _call(client, link, "POST", endpoint_url(link, "requests"), action, data=data)
    found = _records_of(link, response, action)
    first = found[0] if found else {}
    return Created(
        service_request_id=_text(first.get("service_request_id")),
        token=_text(first.get("token")),
        notice=redact(_text(first.get("service_notice")), link),
    )


def resolve_token(client: httpx.Client, link: BackOfficeLink, token: str) -> str:
    """The ``service_request_id`` for a token, or ``""`` while the back office has none yet."""
    action = "Looking up the token"
    params = {"jurisdiction_id": link.jurisdiction_id} if link.jurisdiction_id else None
    url = endpoint_url(link, f"tokens/{token}")
    try:
        response = _call(client, link, "GET", url, action, params=params)
    except BackOfficeError as error:
        if error.status == 404:
            return ""  # Not processed yet: Chicago's servers answer so until they are.
        raise
    for record in _records_of(link, response, action):
        found = _text(record.get("service_request_id"))
        if found:
            return found
    return ""


@dataclass(frozen=True)
class Service:
    code: str
    name: str


def fetch_services(client: httpx.Client, link: BackOfficeLink) -> list[Service]:
    """``GET services``: the back office's service list."""
    action = "Reading services"
    params = {"jurisdiction_id": link.jurisdiction_id} if link.jurisdiction_id else None
    response = _call(client, link, "GET", endpoint_url(link, "services"), action, params=params)
    return [
        Service(code=_text(r.get("service_code")), name=_text(r.get("service_name")))
        for r in _records_of(link, response, action)
        if _text(r.get("service_code"))
    ]


@dataclass(frozen=True)
class RemoteUpdate:
    """One record of ``servicerequestupdates`` (mySociety's extension)."""

    update_id: str
    service_request_id: str
    status: str
    updated_at: datetime | None
    description: str
    media_url: str
    external_status_code: str
    #: OpenLocal back offices add these in ``extended_attributes``.
    detailed_status: str = ""
    kind: str = ""


@dataclass
class UpdatesPage:
    updates: list[RemoteUpdate] = field(default_factory=list)
    #: False when more pages were left unread (the poll starts from the same place again).
    complete: bool = True
    #: Records without an ``update_id`` or ``service_request_id``, which cannot be applied.
    unusable: int = 0


def _when(raw: str) -> datetime | None:
    try:
        value = parse_datetime(raw.replace(" ", "+")) if raw else None
    except ValueError:
        return None
    if value is None or value.tzinfo is None:
        return None
    return value


def remote_update(record: Mapping[str, Any]) -> RemoteUpdate | None:
    update_id = _text(record.get("update_id"))
    request_id = _text(record.get("service_request_id"))
    if not update_id or not request_id:
        return None
    extended = record.get("extended_attributes")
    extended = extended if isinstance(extended, dict) else {}
    return RemoteUpdate(
        update_id=update_id[:100],
        service_request_id=request_id[:100],
        status=_text(record.get("status")),
        updated_at=_when(_text(record.get("updated_datetime"))),
        description=_text(record.get("description")),
        media_url=_text(record.get("media_url")),
        external_status_code=_text(record.get("external_status_code")),
        detailed_status=_text(extended.get("detailed_status")),
        kind=_text(extended.get("kind")),
    )


def _next_page(link: BackOfficeLink, response: httpx.Response) -> str:
    """The ``rel="next"`` link, if it stays on the endpoint's own scheme, host and port."""
    nxt = response.links.get("next", {}).get("url", "")
    if not nxt:
        return ""
    ours, theirs = urlsplit(link.endpoint), urlsplit(nxt)
    if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
        return ""
    return nxt


def fetch_updates(
    client: httpx.Client, link: BackOfficeLink, start: datetime, end: datetime
) -> UpdatesPage:
    """``GET servicerequestupdates`` between ``start`` and ``end``, following next-page links.

    The API key goes in the query string when the link has one: mySociety's servers want it
    on this GET. It is never logged by this code, and httpx's own logger is kept quiet by
    the site's logging settings.
    """
    action = "Reading updates"
    query = {"start_date": w3c(start), "end_date": w3c(end)}
    if link.jurisdiction_id:
        query["jurisdiction_id"] = link.jurisdiction_id
    if link.api_key:
        query["api_key"] = link.api_key
    params: dict[str, str] | None = query
    url = endpoint_url(link, "servicerequestupdates")
    page = UpdatesPage()
    for _ in range(MAX_PAGES):
        response = _call(client, link, "GET", url, action, params=params)
        for record in _records_of(link, response, action):
            update = remote_update(record)
            if update is None:
                page.unusable += 1
            else:
                page.updates.append(update)
        url = _next_page(link, response)
        params = None  # the next link carries the query
        if not url:
            return page
    page.complete = False
    return page
