"""The report journey: question pages that build a draft in the session, then one write.

Each page asks one thing and stores the answer in the draft; posting a page goes on to the
first question still unanswered, so the same code serves the journey forwards and the
"Change" links from the check page. Nothing is written to the database until the check page
is sent, and then only through ``request_create``.

Photos are validated and re-encoded as soon as they are uploaded, then held in the default
storage under ``drafts/`` (named in the session) until the report is sent or the draft is
discarded.

A category with a stop notice ("Gas leaks are an emergency: call 0800 111 999") takes no
report: choosing it leads to a page showing the notice instead of the next question, and
the journey goes no further until another category is chosen. A category that needs a
photo refuses the details without one; a private category says, on the details and check
pages, that only the reporter and staff will see the report, and why.

"Already reported?" comes once the kind of problem and its place (or asset) are known and
before the details: a reporter who finds their problem there says "me too" and follows it
without writing a description or choosing photos first. When details were already written
(the reporter went back to change the location), their words help rank the candidates. The
step is skipped when nothing nearby could be the same problem.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.messages import success as flash_success
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max, Min, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.places.models import Area
from openlocal.places.selectors import NotCovered, Route, areas_containing, routes_at
from openlocal.requests import access
from openlocal.requests.models import Category, CategoryGroup, QuestionDatatype, Request, Source
from openlocal.requests.selectors import Candidate, duplicate_candidates
from openlocal.requests.services import CategoryStopped, photo_required_message, request_create
from openlocal.web import presenters
from openlocal.web.forms import (
    ANSWER_DIFFERENT,
    NAME_PUBLIC,
    NO_ASSET,
    PlaceMatchForm,
    PlaceSearchForm,
    ReportAboutYouForm,
    ReportAssetForm,
    ReportCategoryForm,
    ReportDetailsForm,
    ReportDuplicateForm,
    ReportLocationForm,
    answer_field_name,
)
from openlocal.web.views import errors
from openlocal.web.views.pages import SUPPORT_RATE_GROUP, me_too

DRAFT_KEY = "report_draft"
#: Requests this browser session created: only it may see their confirmation page.
CREATED_KEY = "report_created"
#: Errors from sending the report, shown on the step that can fix them.
STEP_ERRORS_KEY = "report_step_errors"

DRAFT_PHOTO_DIR = "drafts"
#: How far from the point to look for assets, and how many to offer.
ASSET_RADIUS_M = 250
ASSET_LIMIT = 20
SEARCH_LIMIT = 10

STEPS = ("location", "category", "asset", "duplicates", "details", "about", "check")
STEP_URLS = {
    "location": "web:report",
    "category": "web:report-category",
    "asset": "web:report-asset",
    "duplicates": "web:report-duplicates",
    "details": "web:report-details",
    "about": "web:report-about-you",
    "check": "web:report-check",
}


# The draft ------------------------------------------------------------------------------


@dataclass
class Journey:
    """The draft in the session, with the objects it refers to loaded and checked."""

    draft: dict[str, Any]
    point: tuple[float, float] | None = None
    covered: bool = True
    category: Category | None = None
    route: Route | None = None
    asset_types: list[AssetType] = field(default_factory=list)
    asset: Asset | None = None
    #: Possible duplicates, looked up the first time they are needed.
    _candidates: list[Candidate] | None = None

    @property
    def location(self) -> tuple[float, float] | None:
        """Where the request will be: the chosen asset's position, else the chosen point."""
        if self.asset is not None:
            return (self.asset.latitude, self.asset.longitude)
        return self.point

    @property
    def asks_for_asset(self) -> bool:
        return bool(self.asset_types)

    @property
    def stopped(self) -> bool:
        """The chosen category takes no reports here: its stop notice is shown instead."""
        return self.category is not None and bool(self.category.stop_notice.strip())

    @property
    def duplicates_key(self) -> str:
        """What the candidates depend on; "already reported?" is asked again when it changes."""
        location = self.location
        assert location is not None and self.category is not None
        asset = self.asset.pk if self.asset is not None else ""
        return f"{self.category.pk}|{location[0]:.6f},{location[1]:.6f}|{asset}"

    def candidates(self) -> list[Candidate]:
        """Open requests nearby (or on the same asset) that may already be this problem."""
        if self._candidates is None:
            location = self.location
            assert location is not None and self.category is not None
            details = self.draft.get("details") or {}
            text = (
                f"{details.get('title', '')} {details.get('description', '')}"
                if details.get("category_id") == self.category.pk
                else ""
            )
            self._candidates = duplicate_candidates(
                category=self.category,
                latitude=location[0],
                longitude=location[1],
                asset=self.asset,
                text=text,
            )
        return self._candidates

    def duplicates_answered(self) -> bool:
        """True once the reporter said theirs is a different problem, or there was no choice."""
        checked = self.draft.get("duplicates") or {}
        if checked.get("key") == self.duplicates_key:
            return True
        return not self.candidates()

    @property
    def shows_duplicates(self) -> bool:
        """Whether the "already reported?" page is part of this journey (for back links)."""
        checked = self.draft.get("duplicates") or {}
        if checked.get("key") == self.duplicates_key:
            return bool(checked.get("offered"))
        return bool(self.candidates())

    def first_missing_step(self) -> str | None:
        """The first question without a usable answer, or None when the draft is complete."""
        if self.point is None or not self.covered:
            return "location"
        if self.category is None or self.route is None or self.stopped:
            return "category"
        if self.asks_for_asset:
            if not self.draft.get("asset_done"):
                return "asset"
            if self.draft.get("asset_id") and self.asset is None:
                return "asset"
            if self.category.asset_required and self.asset is None:
                return "asset"
        if not self.duplicates_answered():
            return "duplicates"
        details = self.draft.get("details")
        if not details or details.get("category_id") != self.category.pk:
            return "details"
        if not self.draft.get("about"):
            return "about"
        return None

    def step_before(self, step: str) -> str | None:
        order = [s for s in STEPS if s != "asset" or self.asks_for_asset]
        if STEPS.index(step) > STEPS.index("duplicates") and not self.shows_duplicates:
            order.remove("duplicates")
        index = order.index(step) if step in order else 0
        return order[index - 1] if index > 0 else None

    @property
    def photos(self) -> list[dict[str, str]]:
        return list(self.draft.get("photos") or [])


def _load(request: HttpRequest) -> Journey:
    draft: dict[str, Any] = dict(request.session.get(DRAFT_KEY) or {})
    journey = Journey(draft=draft)
    point = draft.get("point")
    if not point:
        return journey
    journey.point = (float(point[0]), float(point[1]))
    category_id = draft.get("category_id")
    if category_id:
        journey.category = Category.objects.filter(pk=category_id, active=True).first()
    if journey.category is not None:
        journey.asset_types = list(journey.category.asset_types.all())
        asset_id = draft.get("asset_id")
        if asset_id and journey.asks_for_asset:
            journey.asset = Asset.objects.filter(
                pk=asset_id, active=True, asset_type__in=journey.asset_types
            ).first()
    location = journey.location
    assert location is not None
    try:
        routes = routes_at(*location)
    except NotCovered:
        journey.covered = journey.asset is not None and bool(areas_containing(*journey.point))
        routes = {}
    if journey.category is not None:
        journey.route = routes.get(journey.category.pk)
    return journey


def _save(request: HttpRequest, draft: Mapping[str, Any]) -> None:
    request.session[DRAFT_KEY] = dict(draft)
    # An answer was given: errors from an earlier attempt to send no longer apply.
    request.session.pop(STEP_ERRORS_KEY, None)


def _delete_draft_photos(photos: Sequence[Mapping[str, str]]) -> None:
    for photo in photos:
        name = photo.get("name", "")
        if name.startswith(f"{DRAFT_PHOTO_DIR}/"):
            default_storage.delete(name)


def _go_on(journey: Journey) -> HttpResponseRedirect:
    """After answering a question: the first one still unanswered, else the check page.

    A category with a stop notice leads to the notice rather than back to the question.
    """
    if journey.stopped:
        return redirect("web:report-stop")
    return redirect(STEP_URLS[journey.first_missing_step() or "check"])


def _guard(request: HttpRequest, step: str) -> tuple[Journey, HttpResponse | None]:
    """Load the draft; send the visitor back to the first earlier question not answered."""
    journey = _load(request)
    missing = journey.first_missing_step()
    if journey._candidates == []:
        # Nothing nearby: remember it, so later pages need not look again.
        _note_duplicates(request, journey, offered=False)
    if missing is not None and STEPS.index(missing) < STEPS.index(step):
        return journey, _go_on(journey)
    return journey, None


def _note_duplicates(request: HttpRequest, journey: Journey, *, offered: bool) -> None:
    """Record that "already reported?" is settled for the draft's category and place."""
    journey.draft["duplicates"] = {"key": journey.duplicates_key, "offered": offered}
    # Not through _save: noting this answers no question, so pending step errors stay.
    request.session[DRAFT_KEY] = dict(journey.draft)


def _take_step_errors(request: HttpRequest, step: str) -> dict[str, list[str]]:
    pending = request.session.get(STEP_ERRORS_KEY)
    if not pending or pending.get("step") != step:
        return {}
    del request.session[STEP_ERRORS_KEY]
    return dict(pending.get("errors") or {})


def _add_errors(form: forms.Form, errors: Mapping[str, Sequence[str]]) -> None:
    form.full_clean()
    for name, messages in errors.items():
        target = name if name in form.fields else None
        for message in messages:
            if target is None or message not in form.errors.get(target, []):
                form.add_error(target, message)


def error_list(form: forms.Form | None, anchors: Mapping[str, str] | None = None) -> list[dict]:
    """The error summary's entries, each linking to its field (``id_<name>`` by default)."""
    if form is None or not form.is_bound:
        return []
    entries = []
    for name, messages in form.errors.items():
        href = (anchors or {}).get(name) or (f"#id_{name}" if name in form.fields else "")
        for message in messages:
            entries.append({"text": message, "href": href} if href else {"text": message})
    return entries


def _page(
    request: HttpRequest,
    template: str,
    journey: Journey,
    step: str,
    context: dict[str, Any],
) -> HttpResponse:
    before = journey.step_before(step)
    context = {
        "journey": journey,
        "back_url": reverse(STEP_URLS[before]) if before else "",
        "errors": error_list(context.get("form"), context.get("error_anchors")),
        **context,
    }
    return render(request, f"report/{template}", context)


# 1. Location ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceMatch:
    value: str
    label: str
    hint: str
    latitude: float
    longitude: float


def search_places(query: str) -> list[PlaceMatch]:
    """Areas and assets whose names contain the query (any case), or an asset's reference."""
    matches = [
        PlaceMatch(
            f"area-{area.pk}",
            area.name,
            area.get_kind_display(),
            area.centre_latitude,
            area.centre_longitude,
        )
        for area in Area.objects.filter(name__icontains=query)
        .defer("geometry")
        .order_by("name")[:SEARCH_LIMIT]
    ]
    assets = (
        Asset.objects.filter(active=True)
        .filter(Q(name__icontains=query) | Q(external_id__iexact=query))
        .select_related("asset_type")
        .order_by("name")[:SEARCH_LIMIT]
    )
    matches += [
        PlaceMatch(
            f"asset-{asset.pk}",
            asset.name,
            f"{asset.asset_type.name}, {asset.asset_type.identifier_label.lower()} "
            f"{asset.external_id}",
            asset.latitude,
            asset.longitude,
        )
        for asset in assets
    ]
    return matches


def _prefill(request: HttpRequest) -> dict[str, float]:
    """``?lat=&lon=`` from a link on the home or "around here" page, if they are usable."""
    try:
        latitude, longitude = float(request.GET["lat"]), float(request.GET["lon"])
        geo.validate_point(latitude, longitude)
    except (KeyError, ValueError):
        return {}
    return {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}


def _map_centre(point: tuple[float, float] | None) -> tuple[float, float, int]:
    if point is not None:
        return point[0], point[1], 13
    bounds = Area.objects.aggregate(
        south=Min("min_latitude"),
        west=Min("min_longitude"),
        north=Max("max_latitude"),
        east=Max("max_longitude"),
    )
    if bounds["south"] is None:
        return 54.0, -2.5, 6
    return (bounds["south"] + bounds["north"]) / 2, (bounds["west"] + bounds["east"]) / 2, 10


def _set_point(request: HttpRequest, journey: Journey, latitude: float, longitude: float) -> None:
    draft = journey.draft
    new_point = [round(latitude, 6), round(longitude, 6)]
    if draft.get("point") != new_point:
        # Nearby assets depend on the point, so the asset question is asked again.
        draft["point"] = new_point
        draft.pop("asset_done", None)
        draft.pop("asset_id", None)
    _save(request, draft)


@require_http_methods(["GET", "POST"])
def report_location(request: HttpRequest) -> HttpResponse:
    journey = _load(request)
    query = (request.POST if request.method == "POST" else request.GET).get("q", "")
    search = PlaceSearchForm({"q": query}) if query or "q" in request.GET else None
    matches = search_places(search.cleaned_data["q"]) if search and search.is_valid() else []
    match_form = PlaceMatchForm(choices=[(m.value, m.label) for m in matches])
    draft_point = journey.point
    initial = _prefill(request) or (
        {"latitude": draft_point[0], "longitude": draft_point[1]} if draft_point else {}
    )
    location_form = ReportLocationForm(initial=initial)
    form: forms.Form | None = None

    if request.method == "POST" and request.POST.get("form") == "match":
        match_form = PlaceMatchForm(request.POST, choices=[(m.value, m.label) for m in matches])
        if match_form.is_valid():
            chosen = next(m for m in matches if m.value == match_form.cleaned_data["match"])
            if areas_containing(chosen.latitude, chosen.longitude):
                _set_point(request, journey, chosen.latitude, chosen.longitude)
                return _go_on(_load(request))
            match_form.add_error("match", str(NotCovered(chosen.latitude, chosen.longitude)))
        form = match_form
    elif request.method == "POST":
        location_form = ReportLocationForm(request.POST)
        if location_form.is_valid():
            data = location_form.cleaned_data
            _set_point(request, journey, data["latitude"], data["longitude"])
            return _go_on(_load(request))
        form = location_form
    else:
        step_errors = _take_step_errors(request, "location")
        if draft_point and (step_errors or not journey.covered):
            location_form = ReportLocationForm(
                {"latitude": draft_point[0], "longitude": draft_point[1]}
            )
            _add_errors(location_form, step_errors)
            form = location_form
        elif search is not None and not search.is_valid():
            form = search

    centre = _map_centre(draft_point or _point_or_none(initial))
    return _page(
        request,
        "location.html",
        journey,
        "location",
        {
            "form": form,
            "location_form": location_form,
            "search_form": search,
            "query": query,
            "matches": matches,
            "match_form": match_form,
            "error_anchors": {"latitude": "#id_latitude", "q": "#id_q", "match": "#id_match"},
            "map_centre": centre,
        },
    )


def _point_or_none(values: Mapping[str, float]) -> tuple[float, float] | None:
    if "latitude" in values and "longitude" in values:
        return values["latitude"], values["longitude"]
    return None


# 2. Category ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChoice:
    category: Category
    body_name: str

    @property
    def hint(self) -> str:
        """The line under the choice: who handles it, and what is unusual about it."""
        if self.category.stop_notice.strip():
            return "Not reported here: choose it to see what to do instead"
        parts = [f"Handled by {self.body_name}"]
        if self.category.private:
            parts.append("private: only you and their staff see the report")
        if self.category.photo_required:
            parts.append("needs a photo")
        return ". ".join([parts[0], *[p.capitalize() for p in parts[1:]]])


def _category_groups(point: tuple[float, float]) -> list[tuple[str, list[CategoryChoice]]]:
    """The categories handled at the point, grouped in the order of ``CategoryGroup``."""
    try:
        routes = routes_at(*point)
    except NotCovered:
        return []
    categories = Category.objects.filter(pk__in=list(routes), active=True).order_by("name")
    by_group: dict[str, list[CategoryChoice]] = {}
    for category in categories:
        by_group.setdefault(category.group, []).append(
            CategoryChoice(category, routes[category.pk].body.name)
        )
    return [(label, by_group[value]) for value, label in CategoryGroup.choices if value in by_group]


@require_http_methods(["GET", "POST"])
def report_category(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "category")
    if away is not None:
        return away
    assert journey.point is not None
    groups = _category_groups(journey.point)
    categories = [choice.category for _label, items in groups for choice in items]
    if request.method == "POST":
        form = ReportCategoryForm(request.POST, categories=categories)
        if form.is_valid():
            draft = journey.draft
            chosen = form.cleaned_data["category"]
            if draft.get("category_id") != chosen or journey.route is None:
                draft["category_id"] = chosen
                draft.pop("asset_done", None)
                draft.pop("asset_id", None)
            _save(request, draft)
            return _go_on(_load(request))
    else:
        form = ReportCategoryForm(
            initial={"category": journey.draft.get("category_id")}, categories=categories
        )
        step_errors = _take_step_errors(request, "category")
        if step_errors:
            form = ReportCategoryForm(
                {"category": journey.draft.get("category_id") or ""}, categories=categories
            )
            _add_errors(form, step_errors)
    return _page(
        request,
        "category.html",
        journey,
        "category",
        {"form": form, "groups": groups, "areas": _area_names(journey.point)},
    )


def _area_names(point: tuple[float, float]) -> list[str]:
    return [area.name for area in areas_containing(*point)]


@require_http_methods(["GET"])
def report_stop(request: HttpRequest) -> HttpResponse:
    """The chosen category's stop notice, shown instead of the rest of the journey."""
    journey = _load(request)
    if not journey.stopped:
        return _go_on(journey)
    assert journey.category is not None
    return _page(
        request,
        "stop.html",
        journey,
        "category",
        {
            "category": journey.category,
            "notice": journey.category.stop_notice.strip(),
            "back_url": reverse("web:report-category"),
        },
    )


# 3. Asset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyAsset:
    asset: Asset
    distance_m: int


def nearby_assets(
    point: tuple[float, float], asset_types: Sequence[AssetType]
) -> list[NearbyAsset]:
    """Assets of these types within ``ASSET_RADIUS_M`` of the point, nearest first."""
    latitude, longitude = point
    candidates = Asset.objects.filter(
        active=True,
        asset_type__in=asset_types,
        cell__in=geo.cells_within(latitude, longitude, ASSET_RADIUS_M),
    ).select_related("asset_type")
    found = []
    for asset in candidates:
        distance = geo.distance_m(latitude, longitude, asset.latitude, asset.longitude)
        if distance <= ASSET_RADIUS_M:
            found.append(NearbyAsset(asset, round(distance)))
    found.sort(key=lambda near: (near.distance_m, near.asset.name))
    return found[:ASSET_LIMIT]


def _asset_kind(asset_types: Sequence[AssetType]) -> str:
    names = [t.name.lower() for t in asset_types]
    return names[0] if len(names) == 1 else "one"


@require_http_methods(["GET", "POST"])
def report_asset(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "asset")
    if away is not None:
        return away
    if not journey.asks_for_asset:
        return _go_on(journey)
    assert journey.point is not None and journey.category is not None
    nearby = nearby_assets(journey.point, journey.asset_types)
    allow_none = not journey.category.asset_required
    kind = _asset_kind(journey.asset_types)
    asset_ids = [near.asset.pk for near in nearby]

    def asset_form(data: Any = None, initial: Any = None) -> ReportAssetForm:
        return ReportAssetForm(
            data, initial=initial, asset_ids=asset_ids, allow_none=allow_none, kind=kind
        )

    if request.method == "POST":
        form = asset_form(request.POST)
        if form.is_valid():
            choice = form.cleaned_data["asset"]
            asset = None if choice == NO_ASSET else _find(nearby, int(choice))
            if asset is not None and not _handled_at(journey.category, asset):
                form.add_error(
                    "asset",
                    f"{asset.name} is outside the area where “{journey.category.name}” is "
                    f"handled. Choose another {kind}, or change the location.",
                )
            else:
                draft = journey.draft
                draft["asset_done"] = True
                draft["asset_id"] = asset.pk if asset is not None else None
                _save(request, draft)
                return _go_on(_load(request))
    else:
        chosen = journey.draft.get("asset_id")
        initial = str(chosen) if chosen else (NO_ASSET if journey.draft.get("asset_done") else None)
        form = asset_form(initial={"asset": initial})
        step_errors = _take_step_errors(request, "asset")
        if step_errors:
            form = asset_form({"asset": initial or ""})
            _add_errors(form, step_errors)
    return _page(
        request,
        "asset.html",
        journey,
        "asset",
        {
            "form": form,
            "nearby": nearby,
            "allow_none": allow_none,
            "kind": kind,
            "radius_m": ASSET_RADIUS_M,
        },
    )


def _find(nearby: Sequence[NearbyAsset], pk: int) -> Asset:
    return next(near.asset for near in nearby if near.asset.pk == pk)


def _handled_at(category: Category, asset: Asset) -> bool:
    try:
        return category.pk in routes_at(asset.latitude, asset.longitude)
    except NotCovered:
        return False


# 3b. Already reported? --------------------------------------------------------------------


def _candidate_rows(candidates: Sequence[Candidate]) -> list[presenters.DuplicateCandidate]:
    now = timezone.now()
    rows = []
    for candidate in candidates:
        found = candidate.request
        rows.append(
            presenters.duplicate_candidate(
                pk=found.pk,
                title=found.title,
                url=found.get_absolute_url(),
                status=found.status,
                category=found.category.name,
                created_at=found.created_at,
                supporter_count=found.supporter_count,
                distance_m=candidate.distance_m,
                same_asset=candidate.same_asset,
                asset_kind=found.asset.asset_type.name if found.asset is not None else "",
                now=now,
            )
        )
    return rows


@require_http_methods(["GET", "POST"])
def report_duplicates(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "duplicates")
    if away is not None:
        return away
    assert journey.category is not None
    candidates = journey.candidates()
    if not candidates:
        # Nothing nearby (any more): the question does not arise.
        _note_duplicates(request, journey, offered=False)
        return _go_on(_load(request))
    by_pk = {c.request.pk: c.request for c in candidates}
    form = ReportDuplicateForm(request_ids=list(by_pk))
    chosen: int | None = None
    if request.method == "POST":
        form = ReportDuplicateForm(request.POST, request_ids=list(by_pk))
        posted = request.POST.get("request", "")
        chosen = int(posted) if posted.isdigit() and int(posted) in by_pk else None
        if form.is_valid() and form.cleaned_data["answer"] == ANSWER_DIFFERENT:
            journey.draft["duplicates"] = {"key": journey.duplicates_key, "offered": True}
            _save(request, journey.draft)
            return _go_on(_load(request))
        if form.is_valid():
            if is_ratelimited(
                request,
                group=SUPPORT_RATE_GROUP,
                key="ip",
                rate=settings.SUPPORT_RATE,
                method="POST",
                increment=True,
            ):
                return errors.rate_limited(request)
            existing = by_pk[form.cleaned_data["request"]]
            result = me_too(request, existing, form.cleaned_data["email"])
            # The draft was this problem: nothing of it is needed any more.
            _delete_draft_photos(journey.photos)
            request.session.pop(DRAFT_KEY, None)
            request.session.pop(STEP_ERRORS_KEY, None)
            thanks = presenters.me_too_instead(existing.pk, added=result.added)
            outcome = result.outcome()
            flash_success(request, f"{thanks} {outcome}" if outcome else thanks)
            return redirect(existing.get_absolute_url())
    anchors = {
        "email": f"#email-{chosen}" if chosen else "#candidates",
        "request": "#candidates",
        "answer": "#candidates",
    }
    response = _page(
        request,
        "duplicates.html",
        journey,
        "duplicates",
        {
            "form": form,
            "candidates": _candidate_rows(candidates),
            "chosen": chosen,
            "error_anchors": anchors,
            "group": journey.category.get_group_display(),
        },
    )
    if form.is_bound and form.errors:
        response.status_code = 400
    return response


# 4. Details -------------------------------------------------------------------------------


def _details_initial(journey: Journey) -> dict[str, Any]:
    details = journey.draft.get("details") or {}
    initial: dict[str, Any] = {
        "title": details.get("title", ""),
        "description": details.get("description", ""),
    }
    for code, value in (details.get("answers") or {}).items():
        initial[f"answer_{code}"] = value
    return initial


def _store_photos(photos: Sequence[tuple[ContentFile[bytes], str]]) -> list[dict[str, str]]:
    stored = []
    for content, label in photos:
        name = default_storage.save(f"{DRAFT_PHOTO_DIR}/{uuid.uuid4().hex}.jpg", content)
        stored.append({"name": name, "label": PurePosixPath(label).name[:100]})
    return stored


@require_http_methods(["GET", "POST"])
def report_details(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "details")
    if away is not None:
        return away
    assert journey.category is not None
    questions = list(journey.category.questions.all())
    kept = [(p["name"], p["label"]) for p in journey.photos]
    needs_photo = (
        photo_required_message(journey.category) if journey.category.photo_required else ""
    )
    if request.method == "POST":
        form = ReportDetailsForm(
            request.POST,
            request.FILES,
            questions=questions,
            kept_photos=kept,
            photo_required=needs_photo,
        )
        valid = form.is_valid()
        draft = journey.draft
        if "photos" not in form.errors:
            # Keep good photos even when another answer needs fixing: a file input cannot
            # be filled in again by the page, so the reporter would have to choose them again.
            removing = set(form.cleaned_data.get("remove_photos") or [])
            _delete_draft_photos([p for p in journey.photos if p["name"] in removing])
            draft["photos"] = [p for p in journey.photos if p["name"] not in removing]
            draft["photos"] += _store_photos(form.new_photos)
            _save(request, draft)
        if valid:
            draft["details"] = {
                "category_id": journey.category.pk,
                "title": form.cleaned_data["title"],
                "description": form.cleaned_data["description"],
                "answers": form.answers(),
            }
            _save(request, draft)
            return _go_on(_load(request))
        # Show the photos now held, so "remove" choices match what is in the draft.
        form.kept_photos = [(p["name"], p["label"]) for p in draft.get("photos") or []]
    else:
        form = ReportDetailsForm(
            initial=_details_initial(journey),
            questions=questions,
            kept_photos=kept,
            photo_required=needs_photo,
        )
        step_errors = _take_step_errors(request, "details")
        if step_errors:
            form = ReportDetailsForm(
                _details_data(journey),
                questions=questions,
                kept_photos=kept,
                photo_required=needs_photo,
            )
            _add_errors(form, step_errors)
    anchors = {answer_field_name(q): f"#id_{answer_field_name(q)}" for q in questions}
    return _page(
        request,
        "details.html",
        journey,
        "details",
        {
            "form": form,
            "questions": [(q, answer_field_name(q)) for q in journey.category.questions.all()],
            "error_anchors": anchors,
            "max_photos": settings.PHOTOS_PER_REQUEST,
            "photo_required": bool(needs_photo),
            "privacy": _privacy(journey),
        },
    )


def _details_data(journey: Journey) -> QueryDict:
    """The saved details as submitted form data, to show errors found when sending."""
    data = QueryDict(mutable=True)
    for name, value in _details_initial(journey).items():
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


# 5. About you -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report_about_you(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "about")
    if away is not None:
        return away
    if request.method == "POST":
        form = ReportAboutYouForm(request.POST)
        if form.is_valid():
            draft = journey.draft
            draft["about"] = {
                "name": form.cleaned_data["name"],
                "show_name": form.cleaned_data["show_name"],
                "email": form.cleaned_data["email"],
            }
            _save(request, draft)
            return _go_on(_load(request))
    else:
        about = journey.draft.get("about") or {}
        form = ReportAboutYouForm(initial=about)
        step_errors = _take_step_errors(request, "about")
        if step_errors:
            form = ReportAboutYouForm(about)
            _add_errors(form, step_errors)
    return _page(
        request, "about_you.html", journey, "about", {"form": form, "privacy": _privacy(journey)}
    )


# 6. Check your answers and send -----------------------------------------------------------


def _privacy(journey: Journey) -> str:
    """For a private category: who will see the report, and why; "" for a public one."""
    if journey.category is None or not journey.category.private:
        return ""
    body = journey.route.body.name if journey.route is not None else "the council"
    return (
        f"Reports of “{journey.category.name}” are private: only you and the staff of {body} "
        "will see this one. It will not be on the map, in lists, feeds or open data, because "
        "reports like this can put people at risk or identify them if they are public."
    )


#: Which page can fix each field ``request_create`` may complain about.
ERROR_STEPS = {
    "location": ("location", "latitude"),
    "category": ("category", "category"),
    "asset": ("asset", "asset"),
    "title": ("details", "title"),
    "description": ("details", "description"),
    "photos": ("details", "photos"),
}


def _send_back(
    request: HttpRequest, step: str, errors: dict[str, list[str]]
) -> HttpResponseRedirect:
    request.session[STEP_ERRORS_KEY] = {"step": step, "errors": errors}
    return redirect(STEP_URLS[step])


def _route_errors(
    request: HttpRequest, journey: Journey, error: ValidationError
) -> HttpResponseRedirect:
    """Send the reporter to the page that can fix the first problem, with every message."""
    codes = {q.code for q in journey.category.questions.all()} if journey.category else set()
    by_step: dict[str, dict[str, list[str]]] = {}
    messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    for key, texts in messages.items():
        if key in ERROR_STEPS:
            step, field_name = ERROR_STEPS[key]
        elif key in codes:
            step, field_name = "details", f"answer_{key}"
        else:
            step, field_name = "details", "__all__"
        by_step.setdefault(step, {}).setdefault(field_name, []).extend(texts)
    first = min(by_step, key=STEPS.index)
    return _send_back(request, first, by_step[first])


def _summary_rows(journey: Journey) -> list[dict[str, Any]]:
    """The rows of the check page's summary list, each with its "Change" link."""
    assert journey.category is not None and journey.route is not None
    location = journey.location
    assert location is not None
    draft = journey.draft
    details = draft["details"]
    about = draft["about"]

    def row(key: str, value: str, step: str, hidden: str) -> dict[str, Any]:
        return {
            "key": {"text": key},
            "value": {"text": value},
            "actions": {
                "items": [
                    {
                        "href": reverse(STEP_URLS[step]),
                        "text": "Change",
                        "visuallyHiddenText": hidden,
                    }
                ]
            },
        }

    areas = ", ".join(_area_names(location))
    rows = [
        row(
            "Location",
            f"{location[0]:.5f}, {location[1]:.5f}" + (f" in {areas}" if areas else ""),
            "location",
            "the location",
        ),
        row("Problem", journey.category.name, "category", "the kind of problem"),
        {"key": {"text": "Sent to"}, "value": {"text": journey.route.body.name}},
    ]
    if journey.asks_for_asset:
        rows.append(
            row(
                _asset_kind(journey.asset_types).capitalize()
                if len(journey.asset_types) == 1
                else "Asset",
                f"{journey.asset.name} ({journey.asset.external_id})"
                if journey.asset
                else "Not chosen: I could not see it",
                "asset",
                "the asset",
            )
        )
    rows += [
        row("Summary", details["title"], "details", "the summary"),
        {
            **row("Description", details["description"], "details", "the description"),
            "value": {"text": details["description"], "classes": "ol-pre-line"},
        },
    ]
    answers = details.get("answers") or {}
    for question in journey.category.questions.filter(variable=True):
        value = answers.get(question.code)
        names = {str(v["key"]): str(v["name"]) for v in question.values}
        if isinstance(value, list):
            shown = ", ".join(names.get(str(v), str(v)) for v in value)
        elif value and question.datatype == QuestionDatatype.DATETIME:
            shown = str(value).replace("T", " at ", 1)
        elif value:
            shown = names.get(str(value), str(value))
        else:
            shown = "Not answered"
        rows.append(row(question.label, shown, "details", question.label))
    photos = journey.photos
    rows.append(
        row(
            "Photos",
            ", ".join(p["label"] for p in photos) if photos else "None",
            "details",
            "the photos",
        )
    )
    name_shown = about.get("show_name") == NAME_PUBLIC and about.get("name")
    rows += [
        row(
            "Your name",
            (
                f"{about['name']} (shown on the report)"
                if name_shown
                else f"{about['name']} (not shown: the report is anonymous)"
                if about.get("name")
                else "Not given: the report is anonymous"
            ),
            "about",
            "your name",
        ),
        row(
            "Your email",
            about.get("email") or "Not given: you will not get updates",
            "about",
            "your email",
        ),
    ]
    return rows


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=lambda g, r: settings.REPORT_RATE, method="POST", block=True)
def report_check(request: HttpRequest) -> HttpResponse:
    journey, away = _guard(request, "check")
    if away is not None:
        return away
    assert journey.category is not None and journey.location is not None
    if request.method == "POST":
        draft = journey.draft
        missing = [p for p in journey.photos if not default_storage.exists(p["name"])]
        if missing:
            draft["photos"] = [p for p in journey.photos if p not in missing]
            _save(request, draft)
            return _send_back(
                request,
                "details",
                {
                    "photos": [
                        "We could not keep "
                        + ", ".join(p["label"] for p in missing)
                        + ". Add the photo again."
                    ]
                },
            )
        details, about = draft["details"], draft["about"]
        photos = []
        for photo in journey.photos:
            with default_storage.open(photo["name"], "rb") as stored:
                photos.append(ContentFile(stored.read(), name=PurePosixPath(photo["name"]).name))
        try:
            created = request_create(
                category=journey.category,
                latitude=journey.location[0],
                longitude=journey.location[1],
                title=details["title"],
                description=details["description"],
                asset=journey.asset,
                answers=details.get("answers") or {},
                photos=photos,
                reporter_email=about.get("email") or "",
                reporter_name=about.get("name") or "",
                reporter_name_public=about.get("show_name") == NAME_PUBLIC,
                source=Source.WEB,
            )
        except NotCovered as exc:
            return _send_back(request, "location", {"latitude": [str(exc)]})
        except CategoryStopped:
            # A notice added to the category while the draft was being written.
            return redirect("web:report-stop")
        except ValidationError as exc:
            return _route_errors(request, journey, exc)
        _delete_draft_photos(journey.photos)
        del request.session[DRAFT_KEY]
        request.session[CREATED_KEY] = [*request.session.get(CREATED_KEY, [])[-19:], created.pk]
        # The browser that sent it may see it, even when it is (or becomes) private.
        access.remember(request.session, created.pk)
        return redirect("web:report-done", pk=created.pk)
    return _page(
        request,
        "check.html",
        journey,
        "check",
        {
            "rows": _summary_rows(journey),
            "name_public": (journey.draft["about"].get("show_name") == NAME_PUBLIC),
            "privacy": _privacy(journey),
            "emailed": bool(journey.draft["about"].get("email")),
        },
    )


# 7. Confirmation ---------------------------------------------------------------------------


@require_http_methods(["GET"])
def report_done(request: HttpRequest, pk: int) -> HttpResponse:
    # The session sent this report, so it may see it even when it is private.
    created = (
        Request.private_objects.with_related().filter(pk=pk, hidden=False).first()
        if pk in request.session.get(CREATED_KEY, [])
        else None
    )
    if created is None:
        return redirect("web:request", pk=pk)
    response = render(
        request,
        "report/done.html",
        {"created": created, "emailed": created.reporter_id is not None},
    )
    if created.private:
        response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET"])
def report_start_again(request: HttpRequest) -> HttpResponse:
    """Throw the draft away (photos included) and go back to the first question."""
    draft = request.session.pop(DRAFT_KEY, None) or {}
    request.session.pop(STEP_ERRORS_KEY, None)
    _delete_draft_photos(draft.get("photos") or [])
    return redirect("web:report")
