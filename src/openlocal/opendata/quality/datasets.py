"""One builder per published dataset: its row count, field completeness and checks.

Every figure comes from aggregate SQL (one ``COUNT(...) FILTER`` query per dataset for the
completeness table, ``GROUP BY`` queries for the checks); rows are only read for the
examples, a capped few per check, and for the checks that must look at each row's geometry
(areas' boundaries; the rows near an area's outer edge; assets' positions, one type at a
time).

Public scope builders read requests and updates through ``public_objects`` only, so hidden
requests and internal notes never reach a count or an example.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
import shapely.validation
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from openlocal.assets.models import Asset, AssetType
from openlocal.opendata.models import Dataset
from openlocal.opendata.quality import norms, spatial
from openlocal.opendata.quality.conf import QualitySettings
from openlocal.opendata.quality.report import (
    PUBLIC,
    BreakdownRow,
    Check,
    DatasetReport,
    Example,
    FieldCompleteness,
    FixTarget,
    Scope,
)
from openlocal.places.models import Area, AreaCell, AreaKind, Body
from openlocal.requests.models import (
    CLOSED_STATUSES,
    Category,
    CategoryQuestion,
    Request,
    RequestQuerySet,
    RoutingRule,
    Status,
    Update,
    UpdateKind,
)


@dataclass(frozen=True)
class FieldSpec:
    """A public field and what "missing" means for it, among the rows it applies to."""

    field: str
    label: str
    missing: Q
    applies: Q | None = None
    applies_to: str = ""


@dataclass
class Totals:
    rows: int
    fields: list[FieldCompleteness]
    #: The extra counts asked for, by name.
    counts: dict[str, int]


def completeness(
    queryset: QuerySet,
    specs: list[FieldSpec],
    *,
    every: str,
    counts: dict[str, Q] | None = None,
) -> Totals:
    """The row count, each field's completeness and any ``counts``, in one aggregate query.

    Checks that are a plain condition on the rows (``counts``) are counted in the same pass
    over the table as the completeness figures.
    """
    aggregates: dict[str, Any] = {"rows": Count("pk")}
    for n, spec in enumerate(specs):
        if spec.applies is not None:
            aggregates[f"applies_{n}"] = Count("pk", filter=spec.applies)
            aggregates[f"missing_{n}"] = Count("pk", filter=spec.applies & spec.missing)
        else:
            aggregates[f"missing_{n}"] = Count("pk", filter=spec.missing)
    for name, condition in (counts or {}).items():
        aggregates[f"count_{name}"] = Count("pk", filter=condition)
    totals = queryset.order_by().aggregate(**aggregates)
    rows = totals["rows"]
    fields = []
    for n, spec in enumerate(specs):
        applicable = totals[f"applies_{n}"] if spec.applies is not None else rows
        fields.append(
            FieldCompleteness(
                field=spec.field,
                label=spec.label,
                applies_to=spec.applies_to or every,
                rows=applicable,
                filled=applicable - totals[f"missing_{n}"],
            )
        )
    return Totals(
        rows=rows,
        fields=fields,
        counts={name: totals[f"count_{name}"] for name in counts or {}},
    )


def first_ids(queryset: QuerySet, *, count: int, limit: int) -> list[int]:
    """The lowest ``limit`` ids of the rows counted: none looked for when there are none."""
    if not count:
        return []
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


def requests_in(scope: Scope) -> RequestQuerySet:
    """The requests a scope sees: public ones, or (staff) their bodies' with hidden ones."""
    requests: RequestQuerySet = (
        Request.private_objects.all() if scope.include_hidden else Request.public_objects.all()
    )
    if scope.bodies is not None:
        requests = requests.filter(body_id__in=scope.bodies)
    return requests


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _days(value: float) -> str:
    """A duration in days as people say it: "5 hours", "2.5 days", "12 days"."""
    if value < 1:
        return _plural(max(1, round(value * 24)), "hour")
    days = round(value) if value >= 10 else round(value, 1)
    return f"{days:g} {'day' if days == 1 else 'days'}"


def _point(latitude: float, longitude: float) -> dict[str, float]:
    return {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}


# Requests ---------------------------------------------------------------------------------


def _request_examples(
    requests: RequestQuerySet, ids: list[int], detail: Callable[[Request], str]
) -> list[Example]:
    found = {r.pk: r for r in requests.filter(pk__in=ids).select_related("category", "body")}
    examples = []
    for pk in ids:
        request = found.get(pk)
        if request is None:
            continue
        examples.append(
            Example(
                id=request.pk,
                name=f"#{request.pk} {request.title}",
                # No public page to link to: hidden, or in a private category.
                url=None if request.hidden or request.private else request.get_absolute_url(),
                detail=detail(request),
                data={
                    **_point(request.latitude, request.longitude),
                    "category": request.category.slug,
                    "body": request.body.slug,
                    "status": request.status,
                },
                fix=FixTarget(kind="workspace", pk=request.pk, body_id=request.body_id),
                hidden=request.hidden,
            )
        )
    return examples


def _where(request: Request) -> str:
    return f"Reported at {request.latitude:.5f}, {request.longitude:.5f} ({request.category.name})."


def requests_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    requests = requests_in(scope)
    limit = config.example_limit
    asset_required = list(Category.objects.filter(asset_required=True).values_list("pk", flat=True))
    with_questions = list(
        CategoryQuestion.objects.filter(required=True, variable=True)
        .values_list("category_id", flat=True)
        .distinct()
    )
    bad_point = spatial.bad_point_q()
    backwards_q = Q(closed_at__lt=F("created_at"))
    totals = completeness(
        requests,
        [
            FieldSpec("title", "Title", Q(title="")),
            FieldSpec("description", "Description", Q(description="")),
            FieldSpec("location", "Location", Q(latitude=0, longitude=0)),
            FieldSpec("address", "Address", Q(address="")),
            FieldSpec(
                "asset",
                "Asset",
                Q(asset__isnull=True),
                Q(category_id__in=asset_required),
                "requests in categories that need an asset",
            ),
            FieldSpec(
                "answers",
                "Answers to the category's questions",
                Q(answers={}),
                Q(category_id__in=with_questions),
                "requests in categories with required questions",
            ),
            FieldSpec(
                "closed_at",
                "Time closed",
                Q(closed_at__isnull=True),
                Q(status__in=CLOSED_STATUSES),
                "closed requests",
            ),
            FieldSpec(
                "duplicate_of",
                "Duplicate of",
                Q(duplicate_of__isnull=True),
                Q(status=Status.DUPLICATE),
                "requests closed as duplicates",
            ),
        ],
        every="every request",
        counts={"bad": bad_point, "backwards": backwards_q},
    )
    outside = spatial.points_outside_areas(requests, limit=limit)

    checks = [
        Check(
            check="outside-areas",
            title="Requests outside every area",
            description=(
                "The request's location is in no area on this site, so no area's page, "
                "statistics or followers include it."
            ),
            fix_hint="Correct the location in the staff workspace, or add the missing area.",
            unit="requests",
            count=outside.count,
            examples=_request_examples(requests, outside.example_ids, _where),
        ),
        Check(
            check="bad-coordinates",
            title="Requests at (0, 0) or off the globe",
            description=(
                "Latitude and longitude are both 0 (usually a missing location stored as "
                "zero) or outside -90 to 90 and -180 to 180."
            ),
            fix_hint="Correct the location in the staff workspace, or re-import the request.",
            unit="requests",
            count=totals.counts["bad"],
            examples=_request_examples(
                requests,
                first_ids(requests.filter(bad_point), count=totals.counts["bad"], limit=limit),
                _where,
            ),
        ),
        _overdue_check(requests, config=config, now=now),
        Check(
            check="closed-before-reported",
            title="Requests closed before they were reported",
            description="The closing time is earlier than the time the request was reported.",
            fix_hint="Check the request's history; re-import it with the right times.",
            unit="requests",
            count=totals.counts["backwards"],
            examples=_request_examples(
                requests,
                first_ids(
                    requests.filter(backwards_q), count=totals.counts["backwards"], limit=limit
                ),
                lambda r: (
                    f"Reported {r.created_at:%-d %b %Y %H:%M}, closed "
                    f"{r.closed_at:%-d %b %Y %H:%M}."
                    if r.closed_at
                    else ""
                ),
            ),
        ),
    ]
    return DatasetReport(
        dataset=Dataset.REQUESTS,
        title=Dataset.REQUESTS.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=checks,
        computed_at=now,
        scope=scope,
    )


def _overdue_check(requests: RequestQuerySet, *, config: QualitySettings, now: datetime) -> Check:
    category_norms = norms.category_norms(config=config)
    condition = norms.overdue_filter(category_norms, now=now)
    counts = norms.overdue_counts(requests, condition) if condition is not None else {}
    categories = {c.pk: c for c in Category.objects.filter(pk__in=category_norms)}
    ids: list[int] = []
    if condition is not None and any(counts.values()):
        ids = list(
            requests.open()
            .filter(condition)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[: config.example_limit]
        )

    def detail(request: Request) -> str:
        norm = category_norms[request.category_id]
        open_days = (now - request.created_at).total_seconds() / 86400
        return (
            f"Open {_days(open_days)}; {request.category.name} requests usually close in "
            f"{_days(norm.median_days or 0)} (median), so more than "
            f"{_days(norm.threshold_days or 0)} is far longer than usual."
        )

    breakdown = []
    for category_id, norm in category_norms.items():
        category = categories.get(category_id)
        if category is None:
            continue
        breakdown.append(
            BreakdownRow(
                key=category.slug,
                name=category.name,
                count=counts.get(category_id, 0),
                data={
                    "closed_requests": norm.closed,
                    "median_days_to_close": norm.median_days,
                    "threshold_days": norm.threshold_days,
                },
            )
        )
    breakdown.sort(key=lambda row: (-row.count, row.name))
    return Check(
        check="open-too-long",
        title="Requests open far longer than their category's norm",
        description=(
            f"Open more than {config.overdue_factor:g} times the median time their category's "
            f"requests take to close (and at least {_days(config.overdue_minimum_days)}). "
            f"A category needs {config.norm_minimum_closed} closed requests to have a norm."
        ),
        fix_hint="Update the request's status, or close it, in the staff workspace.",
        unit="requests",
        count=sum(counts.values()),
        examples=_request_examples(requests, ids, detail),
        breakdown=breakdown,
    )


# Updates ----------------------------------------------------------------------------------


def updates_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    """Public updates: the same in every scope, since internal notes are never in the data."""
    updates = Update.public_objects.all()
    # A request's own "reported" entry can be stamped a moment before the request row (its
    # time is taken first), so only the entries after it are compared. No date arithmetic in
    # the condition: on SQLite that would call back into Python once per row.
    early_q = Q(created_at__lt=F("request__created_at")) & ~Q(kind=UpdateKind.CREATED)
    totals = completeness(
        updates,
        [
            FieldSpec("text", "Text", Q(text=""), Q(kind=UpdateKind.COMMENT), "comments"),
            FieldSpec(
                "author",
                "Who posted it",
                Q(author_name="", body__isnull=True),
                ~Q(kind=UpdateKind.CREATED),
                "updates after the report (a report's own entry is anonymous by choice)",
            ),
            FieldSpec(
                "new_status",
                "New status",
                Q(new_status=""),
                Q(kind=UpdateKind.STATUS),
                "status changes",
            ),
        ],
        every="every public update",
        counts={"early": early_q},
    )
    early_ids = first_ids(
        updates.filter(early_q), count=totals.counts["early"], limit=config.example_limit
    )
    sample = Update.public_objects.filter(pk__in=early_ids).select_related("request").order_by("pk")
    examples = [
        Example(
            id=update.pk,
            name=f"{update.get_kind_display()} on #{update.request_id} {update.request.title}",
            url=update.request.get_absolute_url(),
            detail=(
                f"Dated {update.created_at:%-d %b %Y %H:%M}, before the request was reported "
                f"({update.request.created_at:%-d %b %Y %H:%M})."
            ),
            data={"request": update.request_id, "kind": update.kind},
            fix=FixTarget(kind="workspace", pk=update.request_id, body_id=update.request.body_id),
        )
        for update in sample
    ]
    return DatasetReport(
        dataset=Dataset.UPDATES,
        title=Dataset.UPDATES.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=[
            Check(
                check="before-request",
                title="Updates dated before their request",
                description="The update's time is earlier than the time its request was reported.",
                fix_hint="Re-import the request's history with the right times.",
                unit="updates",
                count=totals.counts["early"],
                examples=examples,
            )
        ],
        computed_at=now,
    )


# Assets -----------------------------------------------------------------------------------


def _asset_examples(ids: list[int], detail: Callable[[Asset], str]) -> list[Example]:
    found = {a.pk: a for a in Asset.objects.filter(pk__in=ids).select_related("asset_type")}
    examples = []
    for pk in ids:
        asset = found.get(pk)
        if asset is None:
            continue
        examples.append(
            Example(
                id=asset.pk,
                name=f"{asset.name} ({asset.external_id})",
                url=asset.get_absolute_url() if asset.external_id else None,
                detail=detail(asset),
                data={
                    **_point(asset.latitude, asset.longitude),
                    "asset_type": asset.asset_type.slug,
                    "external_id": asset.external_id,
                },
                fix=FixTarget(kind="change", model="assets.asset", pk=asset.pk),
            )
        )
    return examples


def assets_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    assets = Asset.objects.all()
    limit = config.example_limit
    bad_point = spatial.bad_point_q()
    totals = completeness(
        assets,
        [
            FieldSpec("external_id", "Reference in its register", Q(external_id="")),
            FieldSpec("name", "Name", Q(name="")),
            FieldSpec("location", "Location", Q(latitude=0, longitude=0)),
            FieldSpec("body", "Responsible body", Q(body__isnull=True)),
            FieldSpec("attributes", "Attributes", Q(attributes={})),
        ],
        every="every asset",
        counts={"bad": bad_point},
    )

    def where(asset: Asset) -> str:
        return f"At {asset.latitude:.5f}, {asset.longitude:.5f} ({asset.asset_type.name})."

    outside = spatial.points_outside_areas(assets, limit=limit)
    duplicates = spatial.duplicate_assets(
        assets.filter(active=True), distance_m=config.duplicate_distance_m, limit=limit
    )
    return DatasetReport(
        dataset=Dataset.ASSETS,
        title=Dataset.ASSETS.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=[
            Check(
                check="outside-areas",
                title="Assets outside every area",
                description="The asset's location is in no area on this site.",
                fix_hint="Correct the asset's location, or add the missing area.",
                unit="assets",
                count=outside.count,
                examples=_asset_examples(outside.example_ids, where),
            ),
            Check(
                check="bad-coordinates",
                title="Assets at (0, 0) or off the globe",
                description=(
                    "Latitude and longitude are both 0 (usually a missing location stored as "
                    "zero) or outside -90 to 90 and -180 to 180."
                ),
                fix_hint="Correct the asset's location, or re-import it from its register.",
                unit="assets",
                count=totals.counts["bad"],
                examples=_asset_examples(
                    first_ids(assets.filter(bad_point), count=totals.counts["bad"], limit=limit),
                    where,
                ),
            ),
            _duplicates_check(duplicates, config=config),
        ],
        computed_at=now,
    )


def _duplicates_check(result: spatial.DuplicateResult, *, config: QualitySettings) -> Check:
    ids = {pair.first_id for pair in result.examples} | {p.second_id for p in result.examples}
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=ids).select_related("asset_type")}
    examples = []
    for pair in result.examples:
        first, second = assets.get(pair.first_id), assets.get(pair.second_id)
        if first is None or second is None:
            continue
        examples.append(
            Example(
                id=second.pk,
                name=f"{second.name} ({second.external_id})",
                url=second.get_absolute_url() if second.external_id else None,
                detail=(
                    f"{pair.distance_m:g} m from {first.name} ({first.external_id}), "
                    f"another {first.asset_type.name.lower()}."
                ),
                data={
                    **_point(second.latitude, second.longitude),
                    "asset_type": second.asset_type.slug,
                    "external_id": second.external_id,
                    "other_id": first.pk,
                    "other_external_id": first.external_id,
                    "distance_m": pair.distance_m,
                },
                fix=FixTarget(kind="change", model="assets.asset", pk=second.pk),
            )
        )
    types = {t.pk: t for t in AssetType.objects.filter(pk__in=result.pairs_by_type)}
    breakdown = sorted(
        (
            BreakdownRow(key=types[type_id].slug, name=types[type_id].name, count=pairs)
            for type_id, pairs in result.pairs_by_type.items()
            if type_id in types
        ),
        key=lambda row: (-row.count, row.name),
    )
    return Check(
        check="likely-duplicates",
        title="Likely duplicate assets",
        description=(
            f"Pairs of active assets of the same type within {config.duplicate_distance_m:g} m "
            f"of each other ({_plural(result.assets, 'asset')} in all)."
        ),
        fix_hint="Keep one of the pair: deactivate or delete the other, or move it.",
        unit="pairs of assets",
        count=result.pairs,
        examples=examples,
        breakdown=breakdown,
    )


# Areas ------------------------------------------------------------------------------------


def _area_example(area: dict[str, Any], detail: str, data: dict[str, Any] | None = None) -> Example:
    return Example(
        id=area["pk"],
        name=area["name"],
        url=reverse("web:area", args=[area["slug"]]),
        detail=detail,
        data={"slug": area["slug"], "kind": area["kind"], "code": area["code"], **(data or {})},
        fix=FixTarget(kind="change", model="places.area", pk=area["pk"]),
    )


def _geometry_problem(wkb: bytes) -> tuple[str, str] | None:
    """``("empty" | "invalid", reason)`` for a boundary that cannot be used, else None."""
    if not wkb:
        return "empty", "No boundary is stored."
    try:
        geometry = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        return "invalid", f"The stored boundary cannot be read: {exc}."
    if geometry.is_empty:
        return "empty", "The boundary is an empty shape."
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        return "invalid", f"The boundary is a {geometry.geom_type}, not a polygon."
    if not geometry.is_valid:
        return "invalid", f"{shapely.validation.explain_validity(geometry)}."
    return None


def areas_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    areas = Area.objects.all()
    limit = config.example_limit
    totals = completeness(
        areas,
        [
            FieldSpec("name", "Name", Q(name="")),
            FieldSpec("code", "Official code", Q(code="")),
            FieldSpec(
                "parent",
                "Enclosing area",
                Q(parent__isnull=True),
                ~Q(kind=AreaKind.COUNTY),
                "areas other than counties",
            ),
            FieldSpec("geometry", "Boundary", Q(geometry=b"")),
        ],
        every="every area",
    )
    counts = {"invalid": 0, "empty": 0}
    examples: dict[str, list[Example]] = {"invalid": [], "empty": []}
    columns = ("pk", "name", "slug", "kind", "code", "geometry")
    for values in areas.order_by("pk").values_list(*columns).iterator(chunk_size=200):
        area = dict(zip(columns, values, strict=True))
        problem = _geometry_problem(bytes(area["geometry"] or b""))
        if problem is None:
            continue
        kind, reason = problem
        counts[kind] += 1
        if len(examples[kind]) < limit:
            examples[kind].append(_area_example(area, reason))
    uncovered = areas.filter(~Exists(AreaCell.objects.filter(area=OuterRef("pk"))))
    summary = ("pk", "name", "slug", "kind", "code")
    return DatasetReport(
        dataset=Dataset.AREAS,
        title=Dataset.AREAS.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=[
            Check(
                check="invalid-geometry",
                title="Areas with an invalid boundary",
                description=(
                    "The boundary is not a valid polygon (for example it crosses itself), so "
                    "tests of which points lie inside it are unreliable."
                ),
                fix_hint="Re-import the boundary from a corrected file (openlocal import-areas).",
                unit="areas",
                count=counts["invalid"],
                examples=examples["invalid"],
            ),
            Check(
                check="empty-geometry",
                title="Areas with an empty boundary",
                description="The area has no boundary, so no point is ever inside it.",
                fix_hint="Re-import the boundary (openlocal import-areas).",
                unit="areas",
                count=counts["empty"],
                examples=examples["empty"],
            ),
            Check(
                check="no-cover-cells",
                title="Areas missing from the location index",
                description=(
                    "The area has no H3 cover cells, so look-ups of which areas contain a "
                    "point never find it: it receives no requests."
                ),
                fix_hint="Save or re-import the area to rebuild its cover.",
                unit="areas",
                count=uncovered.count(),
                examples=[
                    _area_example(dict(zip(summary, values, strict=True)), "No cover cells.")
                    for values in uncovered.order_by("pk").values_list(*summary)[:limit]
                ],
            ),
        ],
        computed_at=now,
    )


# Bodies -----------------------------------------------------------------------------------


def _body_examples(bodies: QuerySet, detail: str, limit: int) -> list[Example]:
    return [
        Example(
            id=body.pk,
            name=body.name,
            url=body.get_absolute_url(),
            detail=detail,
            data={"slug": body.slug, "kind": body.kind},
            fix=FixTarget(kind="change", model="places.body", pk=body.pk),
        )
        for body in bodies.order_by("name", "pk")[:limit]
    ]


def bodies_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    bodies = Body.objects.all()
    totals = completeness(
        bodies,
        [
            FieldSpec("website", "Website", Q(website="")),
            FieldSpec("description", "Description", Q(description="")),
        ],
        every="every body",
    )
    no_areas = bodies.filter(~Exists(Body.areas.through.objects.filter(body_id=OuterRef("pk"))))
    no_rules = bodies.filter(~Exists(RoutingRule.objects.filter(body_id=OuterRef("pk"))))
    return DatasetReport(
        dataset=Dataset.BODIES,
        title=Dataset.BODIES.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=[
            Check(
                check="no-areas",
                title="Bodies that cover no area",
                description="The body lists no area it covers, so its page shows no place.",
                fix_hint="Add the areas the body covers.",
                unit="bodies",
                count=no_areas.count(),
                examples=_body_examples(no_areas, "Covers no area.", config.example_limit),
            ),
            Check(
                check="handles-nothing",
                title="Bodies that handle no category",
                description="No routing rule sends any category to the body anywhere.",
                fix_hint="Add routing rules for the categories the body handles.",
                unit="bodies",
                count=no_rules.count(),
                examples=_body_examples(no_rules, "No routing rule.", config.example_limit),
            ),
        ],
        computed_at=now,
    )


# Categories and routing -------------------------------------------------------------------


@dataclass
class RoutingGaps:
    #: Areas missing a route, per category id.
    per_category: dict[int, int]
    #: Up to the example limit: (category id, area id), by category then area name.
    examples: list[tuple[int, int]]
    #: Area kinds routing rules are written for.
    kinds: list[str]

    @property
    def count(self) -> int:
        return sum(self.per_category.values())


def routing_gaps(*, limit: int) -> RoutingGaps:
    """(category, area) pairs where nobody handles an offered category.

    For every area of a kind that routing rules use, the categories routed at its
    representative point (a point surely inside it) are found as ``routes_at`` finds them:
    the rules of every area containing the point. A category offered somewhere (active,
    with a rule) but routed there to no body is a gap.
    """
    rules: dict[int, set[int]] = {}
    for area_id, category_id in RoutingRule.objects.filter(category__active=True).values_list(
        "area_id", "category_id"
    ):
        rules.setdefault(area_id, set()).add(category_id)
    offered = set().union(*rules.values()) if rules else set()
    kinds = sorted(set(Area.objects.filter(pk__in=rules).values_list("kind", flat=True)))
    areas = list(
        Area.objects.filter(kind__in=kinds)
        .order_by("name", "pk")
        .values_list("pk", "centre_latitude", "centre_longitude")
    )
    usable = [a for a in areas if spatial.on_the_globe(a[1], a[2])]
    containing = spatial.areas_at_points([(lat, lon) for _pk, lat, lon in usable])
    names = dict(Category.objects.filter(pk__in=offered).values_list("pk", "name"))
    order = sorted(offered, key=lambda pk: (names.get(pk, ""), pk))
    per_category: dict[int, int] = {}
    gaps: list[tuple[int, int]] = []
    for (area_id, _lat, _lon), found in zip(usable, containing, strict=True):
        routed = set().union(*(rules.get(a, set()) for a in found)) if found else set()
        for category_id in order:
            if category_id not in routed:
                per_category[category_id] = per_category.get(category_id, 0) + 1
                gaps.append((category_id, area_id))
    gaps.sort(key=lambda gap: (names.get(gap[0], ""), gap[0]))
    return RoutingGaps(per_category=per_category, examples=gaps[:limit], kinds=kinds)


def _category_example(category: Category, detail: str) -> Example:
    return Example(
        id=category.pk,
        name=category.name,
        url=category.get_absolute_url(),
        detail=detail,
        data={"slug": category.slug, "service_code": category.service_code},
        fix=FixTarget(kind="change", model="requests.category", pk=category.pk),
    )


def categories_report(*, scope: Scope, config: QualitySettings, now: datetime) -> DatasetReport:
    categories = Category.objects.all()
    limit = config.example_limit
    totals = completeness(
        categories,
        [
            FieldSpec("service_code", "Service code", Q(service_code="")),
            FieldSpec("description", "Description", Q(description="")),
        ],
        every="every category",
    )
    gaps = routing_gaps(limit=limit)
    area_rows = {
        a["pk"]: a
        for a in Area.objects.filter(pk__in={a for _c, a in gaps.examples}).values(
            "pk", "name", "slug", "kind", "code"
        )
    }
    by_pk = {c.pk: c for c in categories.filter(pk__in=set(gaps.per_category))}
    gap_examples = []
    for category_id, area_id in gaps.examples:
        category, area = by_pk[category_id], area_rows[area_id]
        gap_examples.append(
            Example(
                id=f"{category.slug}:{area['slug']}",
                name=f"{category.name} in {area['name']}",
                url=reverse("web:area", args=[area["slug"]]),
                detail=(
                    f"No body handles “{category.name}” in {area['name']} "
                    f"({AreaKind(area['kind']).label.lower()}): reports there are refused."
                ),
                data={"category": category.slug, "area": area["slug"], "area_kind": area["kind"]},
                fix=FixTarget(
                    kind="add",
                    model="requests.routingrule",
                    initial=(("category", str(category_id)), ("area", str(area_id))),
                ),
            )
        )
    unrouted = categories.filter(active=True).filter(
        ~Exists(RoutingRule.objects.filter(category_id=OuterRef("pk")))
    )
    no_types = categories.filter(active=True, asset_required=True).filter(
        ~Exists(Category.asset_types.through.objects.filter(category_id=OuterRef("pk")))
    )
    kinds = ", ".join(AreaKind(k).label.lower() for k in gaps.kinds) or "none yet"
    return DatasetReport(
        dataset=Dataset.CATEGORIES,
        title=Dataset.CATEGORIES.label,
        rows=totals.rows,
        fields=totals.fields,
        checks=[
            Check(
                check="unrouted-in-area",
                title="Categories with no body routed in some area",
                description=(
                    "A category offered somewhere that no routing rule sends to any body at "
                    "the area's representative point. Areas of the kinds routing rules are "
                    f"written for are checked ({kinds})."
                ),
                fix_hint="Add a routing rule for the category in that area (or an enclosing one).",
                unit="areas missing a category",
                count=gaps.count,
                examples=gap_examples,
                breakdown=sorted(
                    (
                        BreakdownRow(key=by_pk[c].slug, name=by_pk[c].name, count=n)
                        for c, n in gaps.per_category.items()
                    ),
                    key=lambda row: (-row.count, row.name),
                ),
            ),
            Check(
                check="routed-nowhere",
                title="Active categories no body handles anywhere",
                description="No routing rule mentions the category, so it is never offered.",
                fix_hint="Add routing rules, or make the category inactive.",
                unit="categories",
                count=unrouted.count(),
                examples=[
                    _category_example(c, "No routing rule.")
                    for c in unrouted.order_by("name", "pk")[:limit]
                ],
            ),
            Check(
                check="asset-types-missing",
                title="Categories that need an asset but name no asset type",
                description=(
                    "The report journey asks for an asset of the category's types, and there "
                    "are none: nobody can report in it."
                ),
                fix_hint="Add the asset types reports in the category are made on.",
                unit="categories",
                count=no_types.count(),
                examples=[
                    _category_example(c, "Needs an asset; no asset type.")
                    for c in no_types.order_by("name", "pk")[:limit]
                ],
            ),
        ],
        computed_at=now,
    )


Builder = Callable[..., DatasetReport]

#: The datasets, in the order the report lists them, and whether a staff scope changes them.
BUILDERS: dict[str, Builder] = {
    Dataset.REQUESTS: requests_report,
    Dataset.UPDATES: updates_report,
    Dataset.ASSETS: assets_report,
    Dataset.AREAS: areas_report,
    Dataset.BODIES: bodies_report,
    Dataset.CATEGORIES: categories_report,
}
SCOPED = frozenset({Dataset.REQUESTS})


def dataset_report_compute(*, dataset: str, scope: Scope, config: QualitySettings) -> DatasetReport:
    """Compute one dataset's report now (no cache), timing it."""
    builder = BUILDERS[dataset]
    effective = scope if dataset in SCOPED else PUBLIC
    started = time.perf_counter()
    report = builder(scope=effective, config=config, now=timezone.now())
    report.seconds = round(time.perf_counter() - started, 3)
    return report
