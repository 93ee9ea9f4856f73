"""Helpers shared by the subscription pages: target keys, private pages, token reading."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from openlocal.assets.models import Asset
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request
from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Subscription, TargetKind
from openlocal.subscriptions.services import active_count
from openlocal.subscriptions.targets import Target
from openlocal.web.views.public import render_page

#: ``request:12``, ``category:3@area:7``, ``point:50.7,-3.5,500``.
_SIMPLE_KEY = re.compile(r"^(request|asset|area|category|body):(\d{1,18})$")
_CATEGORY_IN_AREA_KEY = re.compile(r"^category:(\d{1,18})@area:(\d{1,18})$")
_POINT_KEY = re.compile(r"^point:(-?\d{1,3}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?),(\d{1,6})$")

BAD_TARGET = "Choose something to follow: a request, asset, area, category or organisation."


def target_from_key(key: str) -> Target:
    """The public target a key names.

    A malformed key is a :class:`ValidationError`; a key naming something that does not exist
    or is not public (a hidden request) is :class:`Http404`, the same as its page.
    """
    key = key.strip()
    if match := _CATEGORY_IN_AREA_KEY.match(key):
        category = Category.objects.filter(pk=int(match[1])).first()
        area = Area.objects.defer("geometry").filter(pk=int(match[2])).first()
        if category is None or area is None:
            raise Http404("No such category or area")
        return Target.for_category(category, area=area)
    if match := _POINT_KEY.match(key):
        return Target.for_point(float(match[1]), float(match[2]), int(match[3]))
    match = _SIMPLE_KEY.match(key)
    if match is None:
        raise ValidationError({"target": [BAD_TARGET]})
    kind, pk = match[1], int(match[2])
    if kind == TargetKind.REQUEST:
        request = Request.public_objects.filter(pk=pk).first()
        if request is None:
            raise Http404("No such request")
        return Target.for_request(request)
    if kind == TargetKind.ASSET:
        asset = Asset.objects.select_related("asset_type").filter(pk=pk).first()
        if asset is None:
            raise Http404("No such asset")
        return Target.for_asset(asset)
    if kind == TargetKind.AREA:
        area = Area.objects.defer("geometry").filter(pk=pk).first()
        if area is None:
            raise Http404("No such area")
        return Target.for_area(area)
    if kind == TargetKind.CATEGORY:
        category = Category.objects.filter(pk=pk).first()
        if category is None:
            raise Http404("No such category")
        return Target.for_category(category)
    body = Body.objects.filter(pk=pk).first()
    if body is None:
        raise Http404("No such organisation")
    return Target.for_body(body)


def follower_count(key: str) -> int:
    """How many people and endpoints actively follow a target (never who)."""
    return active_count(key)


def target_url(subscription: Subscription | Target) -> str:
    """The public page of what a subscription or target is about ("" for a drawn area)."""
    if isinstance(subscription, Target):
        objects = subscription.objects
    else:
        objects = {
            name: getattr(subscription, name)
            for name in ("request", "asset", "area", "category", "body")
            if getattr(subscription, f"{name}_id") is not None
        }
    for name in ("request", "asset", "category", "area", "body"):
        if name in objects:
            return str(objects[name].get_absolute_url())
    if subscription.kind == TargetKind.POINT and subscription.latitude is not None:
        query = urlencode(
            {"lat": f"{subscription.latitude:.5f}", "lon": f"{subscription.longitude:.5f}"}
        )
        return f"{reverse('web:around')}?{query}"
    return ""


def safe_next(request: HttpRequest, value: str) -> str:
    """``value`` if it is a path on this site, else ""."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//"):
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return ""
    return value


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages reached by a secret link: never cached, never indexed, never leaked as a referrer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = not_found(request)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


NOT_FOUND_TEXT = [
    "What this link was for has been deleted. There is nothing more to do: you will not get "
    "emails about it.",
    "To follow something again, use the “Get emails” form on its page.",
]


class _NoReferrerCsrf(CsrfViewMiddleware):
    """Django's CSRF check, for forms on pages sent with ``Referrer-Policy: no-referrer``.

    Under that policy browsers send ``Origin: null`` with every form post, even to the same
    site, which Django's origin check refuses. The form's CSRF token is still required and
    checked against the cookie; the signed token in the address is a second secret that a
    forging site cannot know.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        return request.META.get("HTTP_ORIGIN") == "null" or super()._origin_verified(request)  # type: ignore[misc]


def _no_callback(request: HttpRequest) -> HttpResponse:
    raise AssertionError("only used to run the CSRF check")


def csrf_checked(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """CSRF protection for forms on :func:`private_page` pages (see :class:`_NoReferrerCsrf`)."""
    check = _NoReferrerCsrf(_no_callback)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rejected = check.process_view(request, _no_callback, args, kwargs)
        if rejected is not None:
            return rejected
        return view(request, *args, **kwargs)

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def not_found(
    request: HttpRequest,
    title: str = "This no longer exists",
    paragraphs: list[str] | None = None,
) -> HttpResponse:
    return render_page(
        request,
        "subscriptions/problem.html",
        {"title": title, "paragraphs": paragraphs or NOT_FOUND_TEXT, "private": True},
        status=404,
    )


def bad_token(request: HttpRequest, problem: tokens.BadToken) -> HttpResponse:
    """The page for an altered, forged or expired link: 410 when expired, else 400."""
    return render_page(
        request,
        "subscriptions/problem.html",
        {
            "title": "This link has expired" if problem.expired else "This link does not work",
            "paragraphs": [
                problem.reason,
                "Nothing has been changed. Every email we send also has a link to stop it "
                "and a link to everything you follow.",
            ],
            "private": True,
        },
        status=410 if problem.expired else 400,
    )
