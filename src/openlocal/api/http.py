"""What every address under ``/api/v1/`` does around its operation.

- HEAD is answered as GET without the body.
- A method the address does not take is a 405 problem with ``Allow``.
- A successful read carries an ``ETag`` (a hash of the body it sends, so it changes exactly
  when the answer does); ``If-None-Match`` with it gets ``304 Not Modified`` and no body.
- Any address that is not an operation is a 404 problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver
from django.utils.cache import get_conditional_response
from django.views.decorators.csrf import csrf_exempt

from openlocal.api.problems import MEDIA_TYPE, METHOD_NOT_ALLOWED, NOT_FOUND, problem_response

View = Callable[..., HttpResponseBase]
READS = ("GET", "HEAD")


def etag_for(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def api_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        if response.status_code == 405 and response.get("Content-Type") != MEDIA_TYPE:
            allowed = response.get("Allow", "")
            if "GET" in allowed and "HEAD" not in allowed:
                allowed += ", HEAD"
            response = problem_response(
                METHOD_NOT_ALLOWED,
                f"{request.method} is not allowed here. Allowed: {allowed}.",
                headers={"Allow": allowed},
            )
        elif (
            request.method in READS
            and response.status_code == 200
            and isinstance(response, HttpResponse)
        ):
            response["ETag"] = etag_for(response.content)
            conditional = get_conditional_response(
                request, etag=response["ETag"], response=response
            )
            if conditional is not None and conditional.status_code == 304:
                response = conditional
        if head and isinstance(response, HttpResponse):
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    return csrf_exempt(wrapper)


def wrap(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The API's URL patterns with every view wrapped by :func:`api_view`."""
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            wrapped.append(
                URLPattern(
                    pattern.pattern, api_view(pattern.callback), pattern.default_args, pattern.name
                )
            )
        else:
            wrapped.append(pattern)
    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return problem_response(
        NOT_FOUND,
        f"There is nothing at {request.path}. The OpenAPI document at /api/v1/openapi.json "
        "lists every operation.",
    )
