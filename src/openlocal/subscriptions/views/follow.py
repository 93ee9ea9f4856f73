"""Following from the web, and the links in emails: confirm and stop."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from openlocal.core import geo
from openlocal.places.geocoders import find_places
from openlocal.places.models import Area
from openlocal.subscriptions import tokens
from openlocal.subscriptions.forms import (
    DEFAULT_RADIUS,
    RADIUS_CHOICES,
    AreaTargetForm,
    FollowAreaForm,
    FollowForm,
    PlaceSearchForm,
)
from openlocal.subscriptions.models import Channel, Subscription
from openlocal.subscriptions.services import follow, subscription_confirm, subscription_stop
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.views.common import (
    BAD_TARGET,
    bad_token,
    not_found,
    private_page,
    safe_next,
    target_from_key,
    target_url,
)
from openlocal.web import presenters
from openlocal.web.views.public import render_page
from openlocal.web.views.report import error_list

#: Where the "around a point" map starts when nothing better is known: Great Britain.
UK_VIEW = (54.0, -2.5, 6)


def follow_rate(group: str, request: HttpRequest) -> str:
    """Follow forms per address (each may send a confirmation email): ``FOLLOW_RATE``."""
    return str(settings.FOLLOW_RATE)


def _problem(request: HttpRequest, title: str, paragraphs: list[str], status: int) -> HttpResponse:
    return render_page(
        request,
        "subscriptions/problem.html",
        {"title": title, "paragraphs": paragraphs},
        status=status,
    )


def _bad_target(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        "Sorry, there is a problem with that follow form",
        [BAD_TARGET, "Go back to the page you came from and use its “Get emails” form."],
        400,
    )


def _sent(request: HttpRequest, label: str, email: str, back: str, back_text: str) -> HttpResponse:
    """ "Check your email", the same whether or not the address already followed it."""
    return render_page(
        request,
        "subscriptions/follow_sent.html",
        {"label": label, "email": email, "back": back, "back_text": back_text},
    )


def _add_errors(form: Any, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


# Following one target --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=follow_rate, method="POST", block=True)
def follow_view(request: HttpRequest) -> HttpResponse:
    """Follow a target by email. GET ``?target=`` shows the form on a page of its own."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        target = target_from_key(data.get("target", ""))
    except ValidationError:
        return _bad_target(request)
    back = safe_next(request, data.get("next", "")) or target_url(target)
    if request.method == "GET":
        form = FollowForm(initial={"target": target.key, "next": back, "channel": "immediate"})
        return _follow_page(request, form, target, back)
    form = FollowForm(request.POST)
    if not form.is_valid():
        return _follow_page(request, form, target, back, status=400)
    try:
        follow(
            target=target, email=form.cleaned_data["email"], channel=form.cleaned_data["channel"]
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _follow_page(request, form, target, back, status=400)
    return _sent(request, target.label, form.cleaned_data["email"], back, "Go back")


def _follow_page(
    request: HttpRequest, form: FollowForm, target: Target, back: str, *, status: int = 200
) -> HttpResponse:
    return render_page(
        request,
        "subscriptions/follow.html",
        {
            "form": form,
            "errors": error_list(form, {"channel": "#id_channel"}),
            "target": target,
            "back": back,
        },
        status=status,
    )


# Following around a point or a drawn area -----------------------------------------------


def _map_view(form: AreaTargetForm) -> tuple[float, float, int]:
    """Where the map starts: the chosen point, else the middle of the areas on this site."""
    try:
        latitude = float(form["latitude"].value() or "")
        longitude = float(form["longitude"].value() or "")
        geo.validate_point(latitude, longitude)
        return latitude, longitude, 14
    except ValueError:
        pass
    bounds = Area.objects.aggregate(
        south=Min("min_latitude"),
        west=Min("min_longitude"),
        north=Max("max_latitude"),
        east=Max("max_longitude"),
    )
    if bounds["south"] is None:
        return UK_VIEW
    return (bounds["south"] + bounds["north"]) / 2, (bounds["west"] + bounds["east"]) / 2, 10


def area_search(request: HttpRequest) -> dict[str, Any]:
    """The place search on the "around a point" page: ``?q=`` finds areas and assets by name.

    Returns ``initial`` values for the form (a single match, or ``?lat=&lon=&name=`` from a
    chosen one) and the choices to offer when several places match.
    """
    result: dict[str, Any] = {"query": "", "search_form": None, "choices": [], "initial": {}}
    initial: dict[str, str] = {"radius": DEFAULT_RADIUS}
    if request.GET.get("radius") in dict(RADIUS_CHOICES):
        initial["radius"] = request.GET["radius"]
    lat, lon = request.GET.get("lat", "").strip(), request.GET.get("lon", "").strip()
    if lat and lon:
        initial.update(
            latitude=lat[:40], longitude=lon[:40], name=request.GET.get("name", "")[:200]
        )
    if "q" in request.GET:
        search = PlaceSearchForm(request.GET)
        result["search_form"] = search
        if search.is_valid():
            query = search.cleaned_data["q"]
            result["query"] = query
            point = presenters.parse_coordinates(query)
            matches = [] if point else find_places(query)
            exact = [m for m in matches if m.exact]
            if point is not None:
                initial.update(latitude=f"{point[0]:.5f}", longitude=f"{point[1]:.5f}")
            elif len(matches) == 1 or len(exact) == 1:
                best = exact[0] if exact else matches[0]
                initial.update(
                    latitude=f"{best.latitude:.5f}",
                    longitude=f"{best.longitude:.5f}",
                    name=best.name,
                )
            elif matches:
                result["choices"] = [
                    {
                        "name": m.name,
                        "description": m.description,
                        "href": "?"
                        + urlencode(
                            {
                                "lat": f"{m.latitude:.5f}",
                                "lon": f"{m.longitude:.5f}",
                                "name": m.name,
                                "radius": initial["radius"],
                            }
                        ),
                    }
                    for m in matches
                ]
            else:
                search.add_error(
                    "q",
                    f"No place called “{query}” was found. Try another name, or enter "
                    "the latitude and longitude below.",
                )
    result["initial"] = initial
    return result


def area_page(
    request: HttpRequest,
    form: AreaTargetForm,
    *,
    action: str,
    search: dict[str, Any],
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The "around a point" page, for following by email or adding to a webhook endpoint."""
    centre = _map_view(form)
    search_form = search.get("search_form")
    errors = error_list(search_form, {"q": "#id_q"}) if search_form is not None else []
    errors += error_list(form, {"polygon": "#follow-map-heading", "radius": "#id_radius"})
    context = {
        "form": form,
        "errors": errors,
        "action": action,
        "map_centre": centre,
        "radius_choices": RADIUS_CHOICES,
        **search,
        **(extra or {}),
    }
    return render_page(request, "subscriptions/follow_area.html", context, status=status)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=follow_rate, method="POST", block=True)
def follow_area(request: HttpRequest) -> HttpResponse:
    """Follow new requests around a point (no scripts needed) or in an area drawn on the map."""
    action = reverse("subscriptions:follow-area")
    if request.method == "GET":
        search = area_search(request)
        form = FollowAreaForm(initial={**search["initial"], "channel": "immediate"})
        return area_page(request, form, action=action, search=search)
    form = FollowAreaForm(request.POST)
    empty_search: dict[str, Any] = {"query": "", "search_form": None, "choices": []}
    if not form.is_valid():
        return area_page(request, form, action=action, search=empty_search, status=400)
    target: Target = form.cleaned_data["target"]
    try:
        follow(
            target=target, email=form.cleaned_data["email"], channel=form.cleaned_data["channel"]
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return area_page(request, form, action=action, search=empty_search, status=400)
    return _sent(request, target.label, form.cleaned_data["email"], action, "Follow another place")


# Links in emails -------------------------------------------------------------------------


def _subscription(kind: tokens._Kind, token: str) -> Subscription | None:
    pk = tokens.read(kind, token)
    return (
        Subscription.objects.select_related(
            "person", "asset__asset_type", "area", "category", "body"
        )
        .filter(pk=pk)
        .first()
    )


def _manage_href(subscription: Subscription) -> str:
    if subscription.person_id is None:
        return ""
    return reverse("subscriptions:manage", args=[tokens.manage_token(subscription.person_id)])


@private_page
@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation email. Opening it twice is harmless."""
    try:
        subscription = _subscription(tokens.CONFIRM, token)
    except tokens.BadToken as exc:
        return bad_token(request, exc)
    if subscription is None or subscription.person_id is None:
        return not_found(request)
    changed = subscription_confirm(subscription=subscription)
    subscription.refresh_from_db()
    return render_page(
        request,
        "subscriptions/confirmed.html",
        {
            "subscription": subscription,
            "already": not changed,
            "target_url": target_url(subscription),
            "manage_href": _manage_href(subscription),
            "digest": subscription.channel == Channel.DIGEST,
            "private": True,
        },
    )


@csrf_exempt
@private_page
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    """The stop link. GET asks; POST stops at once.

    POST needs no CSRF token: mail clients send ``List-Unsubscribe=One-Click`` (RFC 8058)
    straight to this address, and the signed link itself is the proof.
    """
    try:
        subscription = _subscription(tokens.STOP, token)
    except tokens.BadToken as exc:
        return bad_token(request, exc)
    if subscription is None:
        return not_found(request)
    context = {
        "subscription": subscription,
        "target_url": target_url(subscription),
        "manage_href": _manage_href(subscription),
        "private": True,
    }
    if request.method == "GET":
        context["already"] = not subscription.active and subscription.channel == Channel.OFF
        return render_page(request, "subscriptions/stop.html", context)
    changed = subscription_stop(subscription=subscription)
    context["already"] = not changed
    return render_page(request, "subscriptions/stopped.html", context)
