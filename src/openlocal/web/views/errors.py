"""Error pages in the site's own layout; never a bare server error page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        400,
        "Sorry, there is a problem with that request",
        "Check the address or the form you sent and try again.",
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception and str(exception) else ""
    return _error(
        request,
        403,
        "You cannot do that",
        detail or "Your account does not have permission for this page or action.",
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, "
        "check you copied the entire address.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        "Sorry, there is a problem with the service",
        "Try again later. What you entered has not been saved.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "Your form expired",
        "For your security, forms expire. Go back, reload the page and send the form again.",
    )


def rate_limited(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(
        request,
        429,
        "Too many requests from your connection",
        "Too many forms were sent from your connection in a short time. To protect the "
        "service from abuse, wait an hour and try again. If you need to report "
        "something urgent, contact the council directly.",
    )
