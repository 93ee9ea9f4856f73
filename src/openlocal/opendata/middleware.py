"""``Link: <licence>; rel="license"`` on every answer of the APIs and feeds.

Data read through the JSON API (``/api/v1/``), Open311 (``/open311/v2/``) and the Atom
feeds (``/feeds/``) is published under the same licence as the downloads at ``/data/``; the
header says so in a way programs can read (RFC 4946 and RFC 8288). A ``Link`` header a view
set already (e.g. ``rel="next"`` for the next page) is kept, and the licence added to it.
CORS exposes the ``Link`` header to scripts on other sites.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from openlocal.opendata.licence import add_link, licence_link

#: Paths whose answers are open data.
LICENSED_PREFIXES = ("/api/v1/", "/open311/v2/", "/feeds/")


class LicenceLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(LICENSED_PREFIXES) and response.status_code < 400:
            existing = response.get("Link")
            if 'rel="license"' not in (existing or ""):
                response["Link"] = add_link(existing, licence_link())
        return response
