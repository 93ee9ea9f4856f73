"""Atom feeds of public requests and timelines, built on Django's syndication framework.

Every feed reads its target and entries in ``get_object`` (a fixed number of queries), then
the ``Feed`` methods only format what was read. Bad addresses get a short plain-text answer
saying what is wrong: 400 for a malformed query, 404 for a target that does not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_http_date_safe
from django.views.decorators.http import require_safe

from openlocal.assets.models import Asset
from openlocal.feeds import links, presenters, selectors
from openlocal.feeds.atom import AtomFeed
from openlocal.feeds.inputs import FeedInputError, parse_around, parse_within
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request, Update
from openlocal.subscriptions.targets import Target
from openlocal.web import presenters as web_presenters

#: How long feed readers and caches may keep a feed before asking again.
MAX_AGE_SECONDS = 300
#: The ``<updated>`` of an empty feed whose target has no date of its own.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


@dataclass
class FeedContent:
    """Everything one feed shows, read before any of it is written."""

    title: str
    subtitle: str
    #: The HTML page showing the same thing (the feed's ``rel="alternate"`` link).
    html_path: str
    #: The feed's own address, canonical (its ``rel="self"`` link and its ``<id>``).
    feed_path: str
    items: list[Any] = field(default_factory=list)
    #: ``<updated>`` when there are no entries.
    empty_updated: datetime = EPOCH
    request: Request | None = None


class BaseFeed(Feed):
    feed_type = AtomFeed
    language = "en-GB"

    def title(self, obj: FeedContent) -> str:
        return f"{obj.title} – {settings.SITE_NAME}"

    def subtitle(self, obj: FeedContent) -> str:
        return obj.subtitle

    def link(self, obj: FeedContent) -> str:
        return absolute(obj.html_path)

    def feed_url(self, obj: FeedContent) -> str:
        return absolute(obj.feed_path)

    def feed_guid(self, obj: FeedContent) -> str:
        return absolute(obj.feed_path)

    def author_name(self) -> str:
        return settings.SITE_NAME

    def author_link(self) -> str:
        return absolute("/")

    def items(self, obj: FeedContent) -> list[Any]:
        return obj.items

    def feed_extra_kwargs(self, obj: FeedContent) -> dict[str, Any]:
        return {"empty_updated": obj.empty_updated}


class RequestListFeed(BaseFeed):
    """The newest public requests of one target, newest first."""

    #: Builds the feed's content from the URL's arguments; raises Http404 or FeedInputError.
    content: Callable[..., FeedContent]

    def __init__(self, content: Callable[..., FeedContent]) -> None:
        self.content = content

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedContent:
        return self.content(request, *args, **kwargs)

    def _entry(self, item: Request) -> presenters.RequestEntry:
        # Feed asks for each part of an item separately; build the entry once per item.
        cached = getattr(item, "_feed_entry", None)
        if cached is None:
            place = presenters.place_text(
                item.address,
                [presenters.AreaName(a.name, a.kind) for a in item.areas.all()],
                item.latitude,
                item.longitude,
            )
            cached = presenters.request_entry(
                title=item.title,
                description=item.description,
                status=item.status,
                category=item.category.name,
                body=item.body.name,
                place=place,
                public_reporter_name=item.public_reporter_name,
                supporter_count=item.supporter_count,
            )
            item._feed_entry = cached  # type: ignore[attr-defined]
        return cached

    def item_title(self, item: Request) -> str:
        return self._entry(item).title

    def item_description(self, item: Request) -> str:
        return self._entry(item).summary_html

    def item_link(self, item: Request) -> str:
        return absolute(item.get_absolute_url())

    def item_guid(self, item: Request) -> str:
        return absolute(item.get_absolute_url())

    def item_author_name(self, item: Request) -> str:
        return self._entry(item).author

    def item_pubdate(self, item: Request) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Request) -> datetime:
        return item.updated_at

    def item_categories(self, item: Request) -> tuple[str, ...]:
        return self._entry(item).categories

    def item_extra_kwargs(self, item: Request) -> dict[str, Any]:
        return {
            "content_html": self._entry(item).content_html,
            "point": (item.latitude, item.longitude),
        }


class TimelineFeed(BaseFeed):
    """Every public entry on one request's timeline, newest first."""

    def get_object(self, request: HttpRequest, pk: int) -> FeedContent:
        found = Request.public_objects.with_related().filter(pk=pk).first()
        if found is None:
            raise Http404(
                f"There is no public request #{pk}. Check the number in the address; requests "
                "removed by a moderator have no feed."
            )
        target = Target.for_request(found)
        updates = selectors.public_timeline(found)
        for update in updates:
            update.request = found  # already read; saves a query per entry
        return FeedContent(
            title=target.label,
            subtitle=(
                f"Every public update on request #{found.pk} ({found.category.name}, sent to "
                f"{found.body.name}), newest first."
            ),
            html_path=found.get_absolute_url(),
            feed_path=links.request_feed_url(found),
            items=updates,
            empty_updated=found.created_at,
            request=found,
        )

    def _entry(self, item: Update) -> presenters.TimelineFeedEntry:
        cached = getattr(item, "_feed_entry", None)
        if cached is None:
            request = item.request
            entry = web_presenters.timeline_entry(
                kind=item.kind,
                text=item.text,
                old_status=item.old_status,
                new_status=item.new_status,
                author_name=item.author_name,
                body_name=item.body.name if item.body else request.body.name,
                data=item.data,
                created_at=item.created_at,
            )
            cached = presenters.timeline_feed_entry(
                entry,
                kind=item.kind,
                public_reporter_name=request.public_reporter_name,
                description=request.description,
            )
            item._feed_entry = cached  # type: ignore[attr-defined]
        return cached

    def item_title(self, item: Update) -> str:
        return self._entry(item).title

    def item_description(self, item: Update) -> str:
        return self._entry(item).summary_html

    def item_link(self, item: Update) -> str:
        return absolute(f"{item.request.get_absolute_url()}#update-{item.pk}")

    def item_guid(self, item: Update) -> str:
        return self.item_link(item)

    def item_author_name(self, item: Update) -> str:
        return self._entry(item).author

    def item_pubdate(self, item: Update) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Update) -> datetime:
        return item.created_at

    def item_extra_kwargs(self, item: Update) -> dict[str, Any]:
        return {"content_html": self._entry(item).content_html}


# What each feed of requests shows ---------------------------------------------------------


def _all_requests(request: HttpRequest) -> FeedContent:
    return FeedContent(
        title="New requests",
        subtitle=f"The newest {selectors.FEED_LENGTH} public requests on {settings.SITE_NAME}.",
        html_path=reverse("web:browse"),
        feed_path=links.all_requests_feed_url(),
        items=selectors.latest_requests(Request.public_objects.all()),
    )


def _area(request: HttpRequest, slug: str) -> FeedContent:
    found = Area.objects.defer("geometry").filter(slug=slug).first()
    if found is None:
        raise Http404(f"There is no area called “{slug}”. The list of places is at /places/.")
    return FeedContent(
        title=Target.for_area(found).label,
        subtitle=(
            f"The newest {selectors.FEED_LENGTH} public requests in {found.name} "
            f"({found.get_kind_display().lower()})."
        ),
        html_path=found.get_absolute_url(),
        feed_path=links.area_feed_url(found),
        items=selectors.latest_requests(Request.public_objects.filter(areas=found)),
        empty_updated=found.updated_at,
    )


def _body(request: HttpRequest, slug: str) -> FeedContent:
    found = Body.objects.filter(slug=slug).first()
    if found is None:
        raise Http404(
            f"There is no organisation called “{slug}”. The list of places is at /places/."
        )
    return FeedContent(
        title=Target.for_body(found).label,
        subtitle=f"The newest {selectors.FEED_LENGTH} public requests sent to {found.name}.",
        html_path=found.get_absolute_url(),
        feed_path=links.body_feed_url(found),
        items=selectors.latest_requests(Request.public_objects.filter(body=found)),
        empty_updated=found.updated_at,
    )


def _category(request: HttpRequest, slug: str) -> FeedContent:
    found = Category.objects.filter(slug=slug).first()
    if found is None:
        raise Http404(f"There is no category called “{slug}”.")
    area_slug = request.GET.get("area", "").strip()
    area = None
    if area_slug:
        # PostgreSQL refuses NUL in a query; no slug has one.
        if "\x00" not in area_slug:
            area = Area.objects.defer("geometry").filter(slug=area_slug).first()
        if area is None:
            raise Http404(
                f"There is no area called “{area_slug}”. Remove ?area= for the category "
                "everywhere, or use the slug of an area listed at /places/."
            )
    requests = Request.public_objects.filter(category=found)
    where = ""
    html_path = found.get_absolute_url()
    if area is not None:
        requests = requests.filter(areas=area)
        where = f" in {area.name}"
        query = urlencode({"category": found.slug, "area": area.slug})
        html_path = f"{reverse('web:browse')}?{query}"
    return FeedContent(
        title=Target.for_category(found, area).label,
        subtitle=(f"The newest {selectors.FEED_LENGTH} public “{found.name}” requests{where}."),
        html_path=html_path,
        feed_path=links.category_feed_url(found, area),
        items=selectors.latest_requests(requests),
        empty_updated=max(found.updated_at, area.updated_at) if area else found.updated_at,
    )


def _asset(request: HttpRequest, type_slug: str, external_id: str) -> FeedContent:
    found = (
        Asset.objects.select_related("asset_type")
        .filter(asset_type__slug=type_slug, external_id=external_id)
        .first()
        if "\x00" not in external_id  # as for area slugs below
        else None
    )
    if found is None:
        raise Http404(
            f"There is no {type_slug.replace('-', ' ')} with the reference “{external_id}”. "
            "Check the reference in the address."
        )
    return FeedContent(
        title=f"Requests about {found.name}",
        subtitle=(
            f"The newest {selectors.FEED_LENGTH} public requests about {found.name} "
            f"({found.asset_type.name.lower()}, {found.asset_type.identifier_label} "
            f"{found.external_id})."
        ),
        html_path=found.get_absolute_url(),
        feed_path=links.asset_feed_url(found),
        items=selectors.latest_requests(Request.public_objects.filter(asset=found)),
        empty_updated=found.updated_at,
    )


def _empty_updated_now() -> datetime:
    """For a drawn place with nothing in it: the start of the current caching period."""
    now = int(datetime.now(UTC).timestamp())
    return datetime.fromtimestamp(now - now % MAX_AGE_SECONDS, UTC)


def _around(request: HttpRequest) -> FeedContent:
    around = parse_around(request.GET)
    html_query = urlencode({"lat": f"{around.latitude:.6f}", "lon": f"{around.longitude:.6f}"})
    return FeedContent(
        title=f"New requests {around.target.label[0].lower()}{around.target.label[1:]}",
        subtitle=(
            f"The newest {selectors.FEED_LENGTH} public requests within {around.radius_m:,} m "
            f"of {around.latitude:.5f}, {around.longitude:.5f}."
        ),
        html_path=f"{reverse('web:around')}?{html_query}",
        feed_path=links.around_feed_url(around.latitude, around.longitude, around.radius_m),
        items=selectors.requests_around(around.latitude, around.longitude, around.radius_m),
        empty_updated=_empty_updated_now(),
    )


def _within(request: HttpRequest) -> FeedContent:
    within = parse_within(request.GET)
    geometry = within.target.geometry
    assert geometry is not None
    centre = geometry.representative_point()
    html_query = urlencode({"lat": f"{centre.y:.6f}", "lon": f"{centre.x:.6f}"})
    if within.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = within.bbox
        query = {"bbox": f"{min_lon:.6f},{min_lat:.6f},{max_lon:.6f},{max_lat:.6f}"}
        items = selectors.requests_in_box(min_lon, min_lat, max_lon, max_lat)
        what = (
            f"between latitudes {min_lat:.5f} and {max_lat:.5f} and longitudes "
            f"{min_lon:.5f} and {max_lon:.5f}"
        )
    else:
        query = {"polygon": request.GET["polygon"].strip()}
        items = selectors.requests_in_polygon(geometry)
        what = f"in a drawn area around {centre.y:.5f}, {centre.x:.5f}"
    return FeedContent(
        title=f"New requests {what}",
        subtitle=f"The newest {selectors.FEED_LENGTH} public requests {what}.",
        html_path=f"{reverse('web:around')}?{html_query}",
        feed_path=f"{reverse('feeds:within')}?{urlencode(query)}",
        items=items,
        empty_updated=_empty_updated_now(),
    )


# HTTP ---------------------------------------------------------------------------------------


def _plain(status: int, message: str) -> HttpResponse:
    response = HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    return response


def _serve(feed: Feed) -> Callable[..., HttpResponse]:
    """A view answering GET and HEAD with the feed, cacheable and conditional."""

    @require_safe
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = feed(request, *args, **kwargs)
        except FeedInputError as exc:
            return _plain(400, str(exc))
        except Http404 as exc:
            return _plain(404, str(exc) or "There is no feed at this address.")
        patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["ETag"] = etag
        last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
        return conditional if conditional is not None else response

    return view


all_requests = _serve(RequestListFeed(_all_requests))
request_timeline = _serve(TimelineFeed())
area = _serve(RequestListFeed(_area))
body = _serve(RequestListFeed(_body))
category = _serve(RequestListFeed(_category))
asset = _serve(RequestListFeed(_asset))
around = _serve(RequestListFeed(_around))
within = _serve(RequestListFeed(_within))
