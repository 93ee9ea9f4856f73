"""The home page, finding a place, the list of places, and a request's own page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from openlocal.core import geo
from openlocal.feeds.links import request_feed_url
from openlocal.places.geocoders import find_places
from openlocal.places.models import AREA_KIND_ORDER, Area, AreaKind, Body, BodyKind
from openlocal.places.selectors import NotCovered, areas_containing, routes_at
from openlocal.requests import access
from openlocal.requests.models import Category, Request, Status, Update, UpdateKind
from openlocal.requests.services import person_for_email, request_support
from openlocal.subscriptions.models import Channel, SubscriptionSource
from openlocal.subscriptions.services import FollowResult, follow
from openlocal.subscriptions.targets import Target
from openlocal.web import presenters
from openlocal.web.views.public import (
    keep_private,
    point_map,
    public_requests,
    render_page,
    request_photos,
    request_rows,
    timeline_updates,
    viewable_request,
)

#: How far around a point "nearby" reaches.
NEARBY_RADIUS_M = 1000
#: Most nearby requests listed; the browse page has the rest.
NEARBY_LIMIT = 50
#: The support form's messages carry this tag so the request page shows them by the form.
SUPPORT_TAG = "support"
#: One rate limit for every "me too", from the request page or from the report journey.
SUPPORT_RATE_GROUP = "openlocal.support"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    public = public_requests()
    recent = public.with_related()[:10]
    updates = (
        Update.public_objects.exclude(kind=UpdateKind.CREATED)
        .select_related("request", "body")
        .order_by("-created_at", "-id")[:8]
    )
    activity = []
    for update in updates:
        entry = presenters.timeline_entry(
            kind=update.kind,
            text="",
            old_status=update.old_status,
            new_status=update.new_status,
            author_name=update.author_name,
            body_name=update.body.name if update.body else "",
            data=update.data,
            created_at=update.created_at,
        )
        activity.append(
            {
                "entry": entry,
                "request_title": update.request.title,
                "request_url": update.request.get_absolute_url(),
                "ago": presenters.time_ago(update.created_at, now),
            }
        )
    context = {
        "recent": request_rows(recent),
        "activity": activity,
        "open_count": public.open().count(),
        "fixed_count": public.filter(
            status=Status.FIXED, closed_at__gte=now - timedelta(days=30)
        ).count(),
        "plural": presenters.plural,
    }
    return render_page(request, "pages/home.html", context)


@require_GET
def places(request: HttpRequest) -> HttpResponse:
    areas = Area.objects.defer("geometry").select_related("parent").order_by("name")
    bodies = Body.objects.order_by("name")
    context = {
        "area_groups": presenters.kind_groups(
            list(areas), [str(k) for k in AREA_KIND_ORDER], dict(AreaKind.choices)
        ),
        "body_groups": presenters.kind_groups(
            list(bodies), [str(k) for k in BodyKind.values], dict(BodyKind.choices)
        ),
    }
    return render_page(request, "pages/places.html", context)


def _float(value: str) -> float | None:
    try:
        return float(value.strip())
    except ValueError:
        return None


@require_GET
def around(request: HttpRequest) -> HttpResponse:
    """A place found by name or coordinates: what is reported there and who handles what."""
    query = request.GET.get("q", "").strip()[:200]
    lat_text, lon_text = request.GET.get("lat", ""), request.GET.get("lon", "")
    context: dict = {"query": query, "error": "", "choices": [], "found": False}
    point: tuple[float, float] | None = None
    place_name = request.GET.get("name", "").strip()[:200]

    if lat_text.strip() or lon_text.strip():
        lat, lon = _float(lat_text), _float(lon_text)
        if lat is None or lon is None:
            context["error"] = presenters.COORDINATES_HINT
        else:
            point = (lat, lon)
    elif query:
        point = presenters.parse_coordinates(query)
        if point is None:
            matches = find_places(query)
            exact = [m for m in matches if m.exact]
            if len(matches) == 1 or len(exact) == 1:
                best = exact[0] if exact else matches[0]
                point, place_name = (best.latitude, best.longitude), best.name
            elif matches:
                context["choices"] = [
                    {
                        "name": m.name,
                        "description": m.description,
                        "href": reverse("web:around")
                        + "?"
                        + urlencode(
                            {
                                "lat": f"{m.latitude:.5f}",
                                "lon": f"{m.longitude:.5f}",
                                "name": m.name,
                            }
                        ),
                    }
                    for m in matches
                ]
            else:
                context["error"] = (
                    f"No place called “{query}” was found. {presenters.COORDINATES_HINT}"
                )
    elif "q" in request.GET:
        context["error"] = presenters.COORDINATES_HINT

    if point is not None:
        try:
            geo.validate_point(*point)
        except geo.InvalidLocation as exc:
            context["error"] = f"{exc} {presenters.COORDINATES_HINT}"
            point = None

    if point is not None:
        context.update(_around_point(point[0], point[1], place_name))
    return render_page(request, "pages/around.html", context)


def _around_point(latitude: float, longitude: float, place_name: str) -> dict:
    areas = areas_containing(latitude, longitude)
    nearby = (
        public_requests()
        .open()
        .filter(cell__in=geo.cells_within(latitude, longitude, NEARBY_RADIUS_M))
        .with_related()[:500]
    )
    distances = {r.pk: geo.distance_m(latitude, longitude, r.latitude, r.longitude) for r in nearby}
    close = sorted(
        (r for r in nearby if distances[r.pk] <= NEARBY_RADIUS_M), key=lambda r: distances[r.pk]
    )[:NEARBY_LIMIT]
    routes = []
    bodies: list[Body] = []
    not_covered = ""
    if areas:
        found_routes = routes_at(latitude, longitude, areas)
        categories = Category.objects.in_bulk(list(found_routes))
        handled = sorted(
            (
                (categories[cid], route.body)
                for cid, route in found_routes.items()
                if cid in categories
            ),
            key=lambda pair: (pair[0].get_group_display(), pair[0].name),
        )
        routes = [{"category": category, "body": body} for category, body in handled]
        bodies = list(Body.objects.filter(areas__in=areas).distinct().order_by("name"))
    else:
        not_covered = str(NotCovered(latitude, longitude))
    coordinates = presenters.coordinates_text(latitude, longitude)
    return {
        "found": True,
        "place_name": place_name or (areas[-1].name if areas else coordinates),
        "latitude": latitude,
        "longitude": longitude,
        "coordinates": coordinates,
        "map": point_map(latitude, longitude, zoom=15),
        "areas": areas,
        "bodies": bodies,
        "routes": routes,
        "not_covered": not_covered,
        "nearby": request_rows(close, distances=distances),
        "radius": presenters.distance_text(NEARBY_RADIUS_M),
        "report_href": reverse("web:report")
        + "?"
        + urlencode({"lat": f"{latitude:.5f}", "lon": f"{longitude:.5f}"}),
        "browse_href": reverse("web:browse")
        + ("?" + urlencode({"area": areas[-1].slug}) if areas else ""),
    }


def _public_request(pk: int) -> Request:
    try:
        return public_requests().with_related().get(pk=pk)
    except Request.DoesNotExist:
        raise Http404("No such request") from None


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A request's page; a private one only for its reporter, anyone else gets a 404."""
    found = viewable_request(request, pk)
    if found is None:
        raise Http404("No such request")
    response = _render_request(request, found)
    return keep_private(response) if found.private else response


@require_GET
def request_access(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """A reporter link from an email: this browser may see the request from now on.

    Redirects to the plain page so that the token leaves the address bar. A link that is
    not valid, or whose request is gone or hidden, is the same 404 as any missing request.
    """
    try:
        access.read_access_token(token, pk)
    except access.BadAccessToken:
        raise Http404("No such request") from None
    if not Request.private_objects.filter(pk=pk, hidden=False).exists():
        raise Http404("No such request")
    access.remember(request.session, pk)
    response = redirect("web:request", pk=pk)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _render_request(
    request: HttpRequest,
    obj: Request,
    *,
    email: str = "",
    email_error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    updates = list(timeline_updates(obj).select_related("body").order_by("created_at", "id"))
    timeline = [
        presenters.timeline_entry(
            kind=update.kind,
            text=update.text,
            old_status=update.old_status,
            new_status=update.new_status,
            author_name=update.author_name,
            body_name=update.body.name if update.body else obj.body.name,
            data=update.data,
            created_at=update.created_at,
        )
        for update in updates
    ]
    #: Anchors for each entry, so feeds and emails can link to one update.
    timeline_ids = [f"update-{update.pk}" for update in updates]
    photos = list(request_photos(obj).order_by("created_at", "id"))
    duplicate_of = (
        public_requests().filter(pk=obj.duplicate_of_id).first() if obj.duplicate_of_id else None
    )
    all_messages = list(messages.get_messages(request))
    support_messages = [m for m in all_messages if SUPPORT_TAG in m.tags.split()]
    other_messages = [m for m in all_messages if m not in support_messages]
    context = {
        "obj": obj,
        "status_tag": presenters.status_tag(obj.status),
        "state": presenters.status_state(obj.status),
        "reporter": presenters.reporter_display(obj.public_reporter_name),
        "reported": presenters.reported_line(obj.created_at, obj.public_reporter_name, now),
        "coordinates": presenters.coordinates_text(obj.latitude, obj.longitude),
        "map": point_map(obj.latitude, obj.longitude),
        "areas": list(obj.areas.defer("geometry").order_by("name")),
        "answers": presenters.answer_rows(obj.category.questions.all(), obj.answers or {}),
        "photos": photos,
        "timeline": timeline,
        "timeline_ids": timeline_ids,
        "duplicate_of": duplicate_of,
        "supporters": presenters.supporters_line(obj.supporter_count),
        "followers": presenters.followers_line(obj.follower_count),
        "support_messages": support_messages,
        "messages": other_messages,
        "email": email,
        "email_error": email_error,
        "follow_target": Target.for_request(obj).key,
        "follow_channels": [
            {"value": Channel.IMMEDIATE, "text": "Straight away, one email for each change"},
            {"value": Channel.DIGEST, "text": "Once a day, in a digest of all changes"},
        ],
        "feed_url": request_feed_url(obj),
        "report_href": reverse("web:report")
        + "?"
        + urlencode({"lat": f"{obj.latitude:.5f}", "lon": f"{obj.longitude:.5f}"}),
    }
    return render_page(request, "pages/request.html", context, status=status)


EMAIL_FORMAT_ERROR = "Enter an email address in the correct format, like name@example.com"


def clean_optional_email(value: str) -> str:
    """An optional email address, stripped; raises ValidationError when it is not one."""
    email = value.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(EMAIL_FORMAT_ERROR) from None
    return email


@dataclass(frozen=True)
class MeToo:
    """What a "me too" did: whether it counted, and the follow it started (with an email)."""

    added: bool
    followed: FollowResult | None

    def outcome(self) -> str:
        """The follow's part of the thank-you message, or nothing without an email."""
        if self.followed is None:
            return ""
        return presenters.follow_outcome(
            needs_confirmation=self.followed.needs_confirmation, created=self.followed.created
        )


def me_too(request: HttpRequest, obj: Request, email: str) -> MeToo:
    """Count this visitor once, by email if given (and follow the request), else by session.

    With an email the visitor also follows the request, confirmed by an emailed link, so that
    people who have the problem hear when it changes. ``email`` must already be checked.
    """
    with transaction.atomic():
        person = person_for_email(email) if email else None
        session_key = ""
        if person is None:
            if not request.session.session_key:
                request.session.save()
            session_key = request.session.session_key or ""
        added = request_support(request=obj, person=person, session_key=session_key)
        followed = (
            follow(target=Target.for_request(obj), email=email, source=SubscriptionSource.SUPPORTER)
            if email
            else None
        )
    obj.refresh_from_db(fields=["supporter_count", "follower_count"])
    return MeToo(added, followed)


@require_POST
@ratelimit(
    group=SUPPORT_RATE_GROUP,
    key="ip",
    rate=lambda g, r: settings.SUPPORT_RATE,
    method="POST",
    block=True,
)
def support(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Me too": count this visitor once, by email if they give one, else by browser session."""
    obj = _public_request(pk)
    try:
        email = clean_optional_email(request.POST.get("email", ""))
    except ValidationError as exc:
        return _render_request(
            request,
            obj,
            email=request.POST.get("email", "").strip(),
            email_error=exc.messages[0],
            status=400,
        )
    result = me_too(request, obj, email)
    if result.added:
        text = presenters.support_thanks(obj.supporter_count)
        level = messages.SUCCESS
    else:
        text = presenters.SUPPORT_ALREADY
        level = messages.INFO
    outcome = result.outcome()
    messages.add_message(
        request, level, f"{text}. {outcome}" if outcome else text, extra_tags=SUPPORT_TAG
    )
    return redirect(obj.get_absolute_url() + "#support")
