"""Where the Atom feed of each followable target lives (no subscription needed)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from openlocal.assets.models import Asset
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request


def request_feed_url(request: Request) -> str:
    return reverse("feeds:request", args=[request.pk])


def asset_feed_url(asset: Asset) -> str:
    return reverse("feeds:asset", args=[asset.asset_type.slug, asset.external_id])


def area_feed_url(area: Area) -> str:
    return reverse("feeds:area", args=[area.slug])


def body_feed_url(body: Body) -> str:
    return reverse("feeds:body", args=[body.slug])


def category_feed_url(category: Category, area: Area | None = None) -> str:
    url = reverse("feeds:category", args=[category.slug])
    return f"{url}?{urlencode({'area': area.slug})}" if area is not None else url


def around_feed_url(latitude: float, longitude: float, radius_m: int) -> str:
    query = urlencode({"lat": f"{latitude:.6f}", "lon": f"{longitude:.6f}", "radius": radius_m})
    return f"{reverse('feeds:around')}?{query}"


def all_requests_feed_url() -> str:
    return reverse("feeds:requests")
