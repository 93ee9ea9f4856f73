"""Duplicate candidates for a new request, with 10k, 100k and 1M requests stored.

The stored requests lie in Devon's 168 real wards (the same number in each ward, so most in
the towns), spread over three years: most are closed, about one in fifteen is open, and
the recent ones are the open ones. Eleven categories in eight groups; some street light
reports are on an asset. Each timed call is ``duplicate_candidates`` for a new report at
a point drawn from the same distribution, in a random category, with a description, and
for street lights sometimes an asset. The same points are used at every size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
from django.conf import settings
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.harness import (
    Section,
    Verdict,
    analyse,
    bulk_insert,
    count_label,
    database_description,
    explain,
    median,
    ms,
    p95,
    peak_rss_mb,
    progress,
    ratio,
    timed_result,
)
from benchmarks.synthetic import CATEGORIES, boundaries, description, points_in
from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.places.models import Body, BodyKind
from openlocal.requests.models import CLOSED_STATUSES, OPEN_STATUSES, Category, Request, Status
from openlocal.requests.selectors import duplicate_candidates

SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
#: Timed calls per size (after as many untimed ones to warm the caches).
QUERIES = 500
QUICK_QUERIES = 80
#: Issue 3: at most 10 ms at 1M stored requests, and at most 1.5 times the time at 10k.
TARGET_SECONDS = 0.010
TARGET_GROWTH = 1.5

HISTORY_DAYS = 3 * 365
#: Street lights on the asset register: one for every this many stored requests.
REQUESTS_PER_ASSET = 50

_OPEN = sorted(OPEN_STATUSES)
_CLOSED = [*sorted(set(CLOSED_STATUSES) - {Status.DUPLICATE}), Status.DUPLICATE]
_CLOSED_SHARE = [0.55, 0.08, 0.07, 0.1, 0.08, 0.12]  # fixed first, then the other outcomes
_REQUEST_FIELDS = [
    "title",
    "description",
    "category_id",
    "body_id",
    "latitude",
    "longitude",
    "cell",
    "address",
    "asset_id",
    "status",
    "answers",
    "reporter_name",
    "reporter_name_public",
    "source",
    "external_id",
    "acknowledged_at",
    "closed_at",
    "supporter_count",
    "follower_count",
    "hidden",
    "created_at",
    "updated_at",
]


class Devon:
    """The place: Devon's wards, its councils, categories and street lights."""

    def __init__(self, rng: np.random.Generator, assets: int, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.wards = boundaries(
            "boundaries/devon_wards_dec2023_bsc.geojson", "WD23CD", "WD23NM", "LAD23CD"
        )
        self.shapes = [w.geometry for w in self.wards]
        county = Body.objects.create(
            name="Devon County Council", slug="devon", kind=BodyKind.COUNTY
        )
        districts = {}
        for ward in self.wards:
            if ward.district not in districts:
                districts[ward.district] = Body.objects.create(
                    name=f"District council {ward.district}",
                    slug=f"district-{ward.district.lower()}",
                    kind=BodyKind.DISTRICT,
                )
        self.ward_district = np.array([districts[w.district].pk for w in self.wards])
        self.county_id = county.pk
        self.categories = [
            Category.objects.create(name=name, slug=slug, service_code=code, group=group)
            for name, slug, code, group, _, _ in CATEGORIES
        ]
        self.category_ids = np.array([c.pk for c in self.categories])
        self.by_district = np.array([district for *_, district in CATEGORIES])
        weights = np.array([share for *_, share, _ in CATEGORIES], dtype=float)
        self.weights = weights / weights.sum()
        self.streetlight = self.categories[3]
        light = AssetType.objects.create(name="Street light", slug="street-light")
        self.streetlight.asset_types.add(light)
        lats, lons, _ = points_in(self.shapes, assets, rng)
        bulk_insert(
            Asset,
            [
                *("asset_type_id", "external_id", "name", "latitude", "longitude", "cell"),
                *("attributes", "body_id", "active", "created_at", "updated_at"),
            ],
            (
                (
                    *(light.pk, f"SL{i:06d}", f"Column {i}", float(la), float(lo)),
                    *(h3i.latlng_to_cell(la, lo, settings.POINT_CELL_RESOLUTION), "{}"),
                    *(county.pk, True, now, now),
                )
                for i, (la, lo) in enumerate(zip(lats, lons, strict=True))
            ),
        )
        self.assets = list(Asset.objects.order_by("pk").values_list("pk", "latitude", "longitude"))

    def requests(self, count: int) -> Iterator[tuple[Any, ...]]:
        """``count`` stored requests as rows for :func:`bulk_insert`."""
        rng = self.rng
        lats, lons, owners = points_in(self.shapes, count, rng)
        kinds = rng.choice(len(self.categories), size=count, p=self.weights)
        ages = rng.uniform(0, HISTORY_DAYS * 86400, count)
        recent = ages < settings.DUPLICATE_WINDOW_DAYS * 86400
        opened = rng.random(count) < np.where(recent, 0.5, 0.03)
        open_status = rng.integers(len(_OPEN), size=count)
        closed_status = rng.choice(len(_CLOSED), size=count, p=_CLOSED_SHARE)
        closing = rng.uniform(0.1, 1, count) * np.minimum(ages, 60 * 86400)
        on_asset = (kinds == 3) & (rng.random(count) < 0.4)
        asset_index = rng.integers(len(self.assets), size=count)
        hidden = rng.random(count) < 0.002
        texts = [description(rng) for _ in range(min(count, 5000))]
        text_index = rng.integers(len(texts), size=count)
        bodies = np.where(self.by_district[kinds], self.ward_district[owners], self.county_id)
        res = settings.POINT_CELL_RESOLUTION
        cell = h3i.latlng_to_cell
        for i in range(count):
            kind = int(kinds[i])
            lat, lon = float(lats[i]), float(lons[i])
            asset_id = None
            if on_asset[i]:
                asset_id, lat, lon = self.assets[int(asset_index[i])]
            created = self.now - dt.timedelta(seconds=float(ages[i]))
            if opened[i]:
                status, closed = _OPEN[int(open_status[i])], None
            else:
                status = _CLOSED[int(closed_status[i])]
                closed = created + dt.timedelta(seconds=float(closing[i]))
            acknowledged = None if status == Status.NEW else created + dt.timedelta(hours=6)
            yield (
                CATEGORIES[kind][0],
                texts[int(text_index[i])],
                int(self.category_ids[kind]),
                int(bodies[i]),
                lat,
                lon,
                cell(lat, lon, res),
                "",
                asset_id,
                status,
                "{}",
                "",
                False,
                "web",
                "",
                acknowledged,
                closed,
                0,
                0,
                bool(hidden[i]),
                created,
                closed or created,
            )

    def queries(self, count: int) -> list[dict[str, Any]]:
        """New reports to look up, drawn like the stored ones."""
        rng = np.random.default_rng(20240603)
        lats, lons, _ = points_in(self.shapes, count, rng)
        kinds = rng.choice(len(self.categories), size=count, p=self.weights)
        found = []
        for lat, lon, kind in zip(lats, lons, kinds, strict=True):
            query: dict[str, Any] = {
                "category": self.categories[int(kind)],
                "latitude": float(lat),
                "longitude": float(lon),
                "text": description(rng),
                "now": self.now,
            }
            if kind == 3 and rng.random() < 0.5:
                pk, query["latitude"], query["longitude"] = self.assets[
                    int(rng.integers(len(self.assets)))
                ]
                query["asset"] = Asset.objects.get(pk=pk)
            found.append(query)
        return found


def run(*, sizes: list[int], quick: bool) -> Section:
    rng = np.random.default_rng(1)
    now = timezone.now()
    progress(f"duplicates: the place, with {max(sizes) // REQUESTS_PER_ASSET:,} street lights")
    place = Devon(rng, max(1, max(sizes) // REQUESTS_PER_ASSET), now)
    queries = place.queries(QUICK_QUERIES if quick else QUERIES)
    stored = 0
    results: list[dict[str, Any]] = []
    for size in sizes:
        progress(f"duplicates: loading {size - stored:,} requests (to {size:,})")
        stored += bulk_insert(Request, _REQUEST_FIELDS, place.requests(size - stored))
        analyse()
        progress(f"duplicates: {len(queries):,} look-ups at {size:,}")
        results.append({"size": size, "label": count_label(size), **_measure(queries)})
    slowest = results[-1]["slowest"]["query"]
    results[-1]["plan"] = _plan(slowest)
    proposal = None
    if not any(index.fields == PROPOSED_INDEX.fields for index in Request._meta.indexes):
        progress("duplicates: the same look-ups with the proposed index")
        with connection.schema_editor() as editor:
            editor.add_index(Request, PROPOSED_INDEX)
        analyse()
        proposal = {
            "size": stored,
            "label": f"{count_label(stored)}, proposed index",
            **_measure(queries),
            "plan": _plan(slowest),
        }
    return _section(results, proposal, quick)


#: An index that lets the nearby-requests query seek straight to the open requests of the
#: category group reported within the window, instead of reading every request ever stored
#: in the cells around the point. Status leads: the query's five open statuses, nineteen
#: cells and few categories make a few hundred exact seeks, the last on ``created_at``
#: (SQLite uses all four columns in this order, but only two with ``cell`` first).
PROPOSED_INDEX = models.Index(
    fields=["status", "cell", "category", "created_at"], name="bench_request_open_nearby"
)


def _measure(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Time every look-up once, after one untimed pass that warms the caches."""
    for query in queries:
        duplicate_candidates(**query)
    samples, found, scanned = [], [], []
    for query in queries:
        seconds, answer = timed_result(duplicate_candidates, **query)
        samples.append(seconds)
        found.append(len(answer))
    for query in queries:
        cells = geo.cells_within(
            query["latitude"], query["longitude"], query["category"].duplicate_radius_m
        )
        scanned.append(Request.private_objects.filter(cell__in=cells).count())
    worst = int(np.argmax(samples))
    return {
        "median": median(samples),
        "p95": p95(samples),
        "found": float(np.mean(found)),
        "in_cells": float(np.mean(scanned)),
        "open": Request.private_objects.filter(status__in=OPEN_STATUSES).count(),
        "rss": peak_rss_mb(),
        "slowest": {"query": queries[worst], "seconds": samples[worst]},
    }


def _cell_indexes() -> str:
    found = ["`cell` (its own index)"]
    for index in Request._meta.indexes:
        if "cell" in index.fields:
            found.append(f"`{index.name}` ({', '.join(index.fields)})")
    return "; ".join(found)


def _plan(query: dict[str, Any]) -> str:
    with CaptureQueriesContext(connection) as captured:
        duplicate_candidates(**query)
    nearby = next(q["sql"] for q in captured.captured_queries if '"cell" IN' in q["sql"])
    return explain(nearby)


def _section(
    results: list[dict[str, Any]], proposal: dict[str, Any] | None, quick: bool
) -> Section:
    base, last = results[0], results[-1]
    rows = [
        [
            r["label"],
            f"{r['open']:,}",
            f"{r['in_cells']:,.0f}",
            ms(r["median"]),
            ms(r["p95"]),
            ratio(r["median"], base["median"]),
            ratio(r["p95"], base["p95"]),
            f"{r['found']:.2f}",
            f"{r['rss']:.0f} MiB",
        ]
        for r in [*results, *([proposal] if proposal else [])]
    ]
    growth = last["median"] / base["median"]
    verdicts = []
    if not quick:
        verdicts = [
            Verdict(
                f"≤ {TARGET_SECONDS * 1000:.0f} ms at {count_label(last['size'])}",
                f"median {ms(last['median'])}, p95 {ms(last['p95'])}",
                last["median"] <= TARGET_SECONDS,
            ),
            Verdict(
                f"≤ {TARGET_GROWTH}× the time at {count_label(base['size'])}",
                f"median {growth:.2f}×, p95 {last['p95'] / base['p95']:.2f}×",
                growth <= TARGET_GROWTH,
            ),
        ]
    slowest = last["slowest"]
    query = slowest["query"]
    notes = [
        f"From {count_label(base['size'])} to {count_label(last['size'])} stored requests "
        f"({last['size'] / base['size']:.0f}× the data) the median look-up went from "
        f"{ms(base['median'])} to {ms(last['median'])} ({growth:.2f}×) and the 95th "
        f"percentile from {ms(base['p95'])} to {ms(last['p95'])}. “In cells” is the number "
        "of stored requests, open or closed, in the H3 cells the look-up reads (mean per "
        f"look-up): {base['in_cells']:,.0f} at {count_label(base['size'])}, "
        f"{last['in_cells']:,.0f} at {count_label(last['size'])}. Whatever of them the "
        "index used cannot rule out, the query reads and tests row by row (status, "
        "category, age), so that part of its cost follows everything ever reported near the "
        f"point. Indexes on `Request` that lead with or hold `cell`: {_cell_indexes()}.",
        f"The slowest look-up at {count_label(last['size'])} took {ms(slowest['seconds'])} "
        f"(“{query['category'].name}” at {query['latitude']:.5f}, {query['longitude']:.5f}). "
        "The database's plan for its nearby-requests query:\n\n```\n" + last["plan"] + "\n```",
    ]
    if proposal is not None:
        after = proposal["median"]
        chosen = (
            "The planner chose it."
            if PROPOSED_INDEX.name in proposal["plan"]
            else "The planner did not choose it: the indexes above already served the query."
        )
        notes.append(
            "The last row is the same database with one more index, "
            f"`Index(fields={PROPOSED_INDEX.fields!r})` on `Request`, with which the look-up "
            "can seek by status, cell, category and age together and so read only the open "
            f"requests of the category group reported within the window. {chosen} "
            "With it the median at "
            f"{count_label(proposal['size'])} is {ms(after)} ({after / base['median']:.2f}× "
            f"the {count_label(base['size'])} time without it) and the p95 "
            f"{ms(proposal['p95'])}. Its plan for the same slowest look-up:\n\n```\n"
            + proposal["plan"]
            + "\n```"
        )
    return Section(
        name="duplicates",
        title="Duplicate candidates",
        database=database_description(),
        setup=(
            f"{QUICK_QUERIES if quick else QUERIES} look-ups per size "
            "(new reports drawn like the stored ones, the same at every size), each timed "
            "after one untimed pass. “In cells”: stored requests in the cells read, per "
            "look-up; “Candidates”: requests offered, per look-up."
        ),
        headers=[
            "Stored requests",
            "Open",
            "In cells",
            "Median",
            "p95",
            "Median ratio",
            "p95 ratio",
            "Candidates",
            "Peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )
