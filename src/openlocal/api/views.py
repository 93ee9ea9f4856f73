"""The API page for people: what the API offers and examples that work on this site."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from openlocal.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from openlocal.api.problems import PROBLEM_TYPES
from openlocal.assets.models import Asset
from openlocal.places.models import Area, Body
from openlocal.requests.models import OPEN_STATUSES, Request


@dataclass(frozen=True)
class Example:
    title: str
    method: str
    #: The path and query under the site, e.g. ``/api/v1/requests?status=open``.
    path: str
    body: str = ""
    key: bool = False

    @property
    def curl(self) -> str:
        parts = ["curl"]
        if self.method != "GET":
            parts += ["-X", self.method]
        if self.key:
            parts += ["-H", "'Authorization: Bearer $OPENLOCAL_KEY'"]
        if self.body:
            parts += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(self.body)]
        parts.append(shlex.quote(settings.BASE_URL + self.path))
        return " ".join(parts)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    what: str
    scope: str = ""


OPERATIONS = [
    Operation("GET", "/requests", "Requests, newest first, with filters"),
    Operation("POST", "/requests", "Report a request", "submit"),
    Operation("GET", "/requests/{id}", "A request with its areas, photos and timeline"),
    Operation("GET", "/requests/{id}/similar", "Open requests that may be the same problem"),
    Operation("GET", "/similar", "Before reporting: requests like the one about to be made"),
    Operation("POST", "/requests/{id}/support", "Say “me too” (optionally follow)", "submit"),
    Operation("POST", "/requests/{id}/updates", "Status change, public message or note", "body"),
    Operation("POST", "/requests/{id}/merge", "Merge a duplicate into another request", "body"),
    Operation("GET", "/requests.geojson", "Requests as GeoJSON, clustered when many"),
    Operation("GET", "/categories", "Categories with their extra questions"),
    Operation("GET", "/bodies", "Bodies and the areas they cover"),
    Operation("GET", "/areas", "Areas with GeoJSON boundaries"),
    Operation("GET", "/assets", "Assets by box and type, with request counts"),
    Operation("POST", "/subscriptions", "Follow anything by email or webhook", "webhooks*"),
    Operation("DELETE", "/subscriptions/{token}", "Stop a subscription"),
    Operation("POST", "/webhooks", "Register a webhook endpoint", "webhooks"),
    Operation("GET", "/webhooks/{id}/deliveries", "An endpoint's delivery log", "webhooks"),
    Operation("POST", "/webhooks/{id}/ping", "Send a test ping", "webhooks"),
]


def examples() -> list[Example]:
    """Examples built from what this site holds, so that each one works as shown."""
    api = "/api/v1"
    found: list[Example] = [
        Example("Open requests, newest first", "GET", f"{api}/requests?status=open&limit=5"),
        Example("Categories and their questions", "GET", f"{api}/categories"),
    ]
    request = (
        Request.public_objects.filter(status__in=OPEN_STATUSES).order_by("-created_at").first()
        or Request.public_objects.order_by("-created_at").first()
    )
    if request is not None:
        found += [
            Example("One request with its timeline", "GET", f"{api}/requests/{request.pk}"),
            Example("Possible duplicates of it", "GET", f"{api}/requests/{request.pk}/similar"),
        ]
    if request is not None:
        query = urlencode(
            {
                "category": request.category.service_code,
                "lat": f"{request.latitude:.5f}",
                "lon": f"{request.longitude:.5f}",
                "text": request.title,
            }
        )
        found.append(Example("Already reported? Before reporting", "GET", f"{api}/similar?{query}"))
    area = Area.objects.defer("geometry").order_by("-kind", "name").filter(kind="ward").first()
    area = area or Area.objects.defer("geometry").order_by("name").first()
    if area is not None:
        found.append(Example(f"Requests in {area.name}", "GET", f"{api}/requests?area={area.slug}"))
        box = ",".join(
            f"{v:.4f}"
            for v in (area.min_longitude, area.min_latitude, area.max_longitude, area.max_latitude)
        )
        found.append(Example(f"A map of {area.name}", "GET", f"{api}/requests.geojson?bbox={box}"))
        found.append(
            Example("Wards, without boundaries", "GET", f"{api}/areas?kind=ward&geometry=false")
        )
    body = Body.objects.order_by("name").first()
    if body is not None:
        found.append(
            Example(
                f"Closed requests to {body.name}",
                "GET",
                f"{api}/requests?body={body.slug}&status=closed",
            )
        )
    asset = (
        Asset.objects.select_related("asset_type")
        .filter(requests__hidden=False, requests__private=False)
        .first()
    )
    if asset is not None:
        found.append(
            Example(
                f"The history of {asset.name}",
                "GET",
                f"{api}/requests?asset={asset.asset_type.slug}/{asset.external_id}",
            )
        )
        found.append(
            Example(
                f"{asset.asset_type.name} assets",
                "GET",
                f"{api}/assets?type={asset.asset_type.slug}",
            )
        )
    if request is not None:
        category = request.category
        question = category.questions.filter(variable=True, required=True).first()
        answers = (
            f', "answers": {{"{question.code}": "{question.values[0]["key"]}"}}'
            if question is not None and question.values
            else ""
        )
        found.append(
            Example(
                "Report a request (key with the submit scope)",
                "POST",
                f"{api}/requests",
                body=(
                    f'{{"category": "{category.service_code}", "latitude": '
                    f'{request.latitude:.5f}, "longitude": {request.longitude:.5f}, '
                    '"title": "Broken paving slab", "description": "Rocking slab by the '
                    f'bus stop."{answers}}}'
                ),
                key=True,
            )
        )
        found.append(
            Example(
                "Follow a request by email",
                "POST",
                f"{api}/subscriptions",
                body=(
                    f'{{"target": {{"kind": "request", "id": {request.pk}}}, '
                    '"email": "you@example.com"}'
                ),
            )
        )
    return found


_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def rate_text(rate: str) -> str:
    """``600/h`` as “600 an hour”, ``10/5m`` as “10 every 5 minutes”."""
    count, _, period = rate.partition("/")
    number = period.rstrip("smhd")
    unit = _UNITS.get(period[-1:], period)
    if number and number != "1":
        return f"{count} every {number} {unit}s"
    return f"{count} {'an' if unit == 'hour' else 'a'} {unit}"


@require_safe
def developers(request: HttpRequest) -> HttpResponse:
    context = {
        "examples": examples(),
        "operations": OPERATIONS,
        "problems": PROBLEM_TYPES,
        "default_limit": DEFAULT_LIMIT,
        "max_limit": MAX_LIMIT,
        "rate_per_key": rate_text(settings.API_WRITE_RATE_PER_KEY),
        "rate_per_address": rate_text(settings.API_WRITE_RATE_PER_ADDRESS),
        "cluster_threshold": settings.GEOJSON_CLUSTER_THRESHOLD,
        "base_url": settings.BASE_URL,
    }
    return render(request, "api/developers.html", context)
