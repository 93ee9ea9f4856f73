"""The public performance pages over HTTP, with 10k, 100k and 1M requests stored.

The stored requests are those of the endpoint and export benchmarks (Devon's 168 real
wards, three years of history, most closed, each request in its ward, district and
county), routed as a two-tier county; the categories get service levels (14 days for the
county's, 7 for the districts'), so requests have due dates, and requests have a few
"me too"s and followers. At each size:

- the rollups are rebuilt from scratch (``openlocal performance-rollups --rebuild``), timed;
- 100 requests change (status changes through the service, as staff make them) and the
  worker's refresh is timed;
- a real server (gunicorn, one worker, ``openlocal.wsgi``) serves the database on loopback,
  and this process times ``GET /performance/``, the county council's page
  (``/performance/bodies/devon``) and the county's page (``/performance/areas/devon``),
  each after a ``/healthz`` on the same keep-alive connection, so that the ratio between
  the two is what the page itself costs.

Every figure on a page is read from rollup rows (months × what the page breaks down by), so
a page's time should not grow with the number of requests stored.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from django.utils import timezone

from benchmarks.duplicates import _REQUEST_FIELDS, REQUESTS_PER_ASSET, Devon
from benchmarks.endpoints import Call, _send, route_place, served
from benchmarks.exports import place_requests
from benchmarks.harness import (
    Section,
    Verdict,
    analyse,
    bulk_insert,
    count_label,
    database_description,
    median,
    ms,
    p95,
    peak_rss_mb,
    progress,
    table,
    timed_result,
)
from benchmarks.synthetic import CATEGORIES
from openlocal.performance.models import CountedRequest, MonthFigures
from openlocal.performance.rollups import rollups_rebuild, rollups_refresh
from openlocal.places.models import Area, AreaKind
from openlocal.requests.models import OPEN_STATUSES, Category, Request, Status
from openlocal.requests.services import request_status_change

SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
#: Timed requests per page and size, after untimed warm-up ones.
TIMED = 100
QUICK_TIMED = 15
WARM_UP = 5
#: Requests changed before the timed refresh.
CHANGES = 100
#: The issue's target: a county's page with 1M requests in under a second.
TARGET_SECONDS = 1.0
#: Service levels (days) of the county's categories and of the districts'.
COUNTY_LEVEL, DISTRICT_LEVEL = 14, 7


def _pages(county_slug: str) -> list[tuple[str, str]]:
    return [
        ("overview", "/performance/"),
        ("body", "/performance/bodies/devon"),
        ("area", f"/performance/areas/{county_slug}"),
    ]


#: What each page is, after its address.
LABELS = {
    "overview": "every body",
    "body": "the county council",
    "area": "the county",
}


def _requests(place: Devon, count: int, rng: np.random.Generator) -> Iterator[tuple[Any, ...]]:
    """The endpoint benchmark's rows with demand, a due date, a priority and whether the
    request is private (never, here) added."""
    levels = {
        int(category.pk): dt.timedelta(days=DISTRICT_LEVEL if district else COUNTY_LEVEL)
        for category, (*_, district) in zip(place.categories, CATEGORIES, strict=True)
    }
    category_at = _REQUEST_FIELDS.index("category_id")
    created_at = _REQUEST_FIELDS.index("created_at")
    supporters_at = _REQUEST_FIELDS.index("supporter_count")
    followers_at = _REQUEST_FIELDS.index("follower_count")
    supporters = rng.poisson(0.6, count)
    followers = rng.poisson(1.2, count)
    for i, row in enumerate(place.requests(count)):
        values = list(row)
        values[supporters_at] = int(supporters[i])
        values[followers_at] = int(followers[i])
        values += [values[created_at] + levels[values[category_at]], 1, False]
        yield tuple(values)


def _change(rng: np.random.Generator) -> float:
    """Move ``CHANGES`` open requests on, as staff would; returns the seconds it took."""
    ids = list(
        Request.private_objects.filter(status__in=OPEN_STATUSES)
        .order_by("-pk")
        .values_list("pk", flat=True)[: CHANGES * 3]
    )
    chosen = rng.choice(ids, size=min(CHANGES, len(ids)), replace=False)
    started = time.perf_counter()
    for pk in chosen:
        request = Request.private_objects.get(pk=int(pk))
        status = Status.FIXED if rng.random() < 0.6 else Status.IN_PROGRESS
        if status == request.status:
            status = Status.ACTION_SCHEDULED
        request_status_change(
            request=request, actor=None, status=status, check_permission=False, notify=False
        )
    return time.perf_counter() - started


def _reads(path: str) -> tuple[int, int]:
    """How many queries one rendering of the page makes, and how many rollup rows they
    return (counted by running the page's queries of the rollup tables again): what shows
    that a page's work is bounded, however many requests there are."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    rows = 0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if "performance_" in sql and sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(sql)
                rows += len(cursor.fetchall())
    return len(captured.captured_queries), rows


def _measure(client: httpx.Client, path: str, timed: int) -> dict[str, Any]:
    samples: list[float] = []
    baseline: list[float] = []
    sizes: list[int] = []
    errors: dict[int, int] = {}
    for _ in range(WARM_UP):
        _send(client, Call("GET", "/healthz"))
        _send(client, Call("GET", path))
    for _ in range(timed):
        seconds, response = _send(client, Call("GET", "/healthz"))
        if response.status_code != 200:
            raise SystemExit(f"/healthz answered {response.status_code}: the server is broken.")
        baseline.append(seconds)
        seconds, response = _send(client, Call("GET", path))
        if response.status_code != 200:
            errors[response.status_code] = errors.get(response.status_code, 0) + 1
            continue
        samples.append(seconds)
        sizes.append(len(response.content))
    return {"samples": samples, "baseline": baseline, "bytes": sizes, "errors": errors}


def run(*, sizes: list[int], quick: bool) -> Section:
    rng = np.random.default_rng(1)
    now = timezone.now()
    progress(f"performance: the place, with {max(1, max(sizes) // REQUESTS_PER_ASSET):,} lights")
    place = Devon(rng, max(1, max(sizes) // REQUESTS_PER_ASSET), now)
    progress("performance: areas, routing rules and service levels")
    route_place(place)
    for category, (*_, district) in zip(place.categories, CATEGORIES, strict=True):
        Category.objects.filter(pk=category.pk).update(
            service_level_days=DISTRICT_LEVEL if district else COUNTY_LEVEL
        )
    county_slug = Area.objects.get(kind=AreaKind.COUNTY).slug
    fields = [*_REQUEST_FIELDS, "due_at", "priority", "private"]
    folder = Path(os.environ["OPENLOCAL_DATA_DIR"])
    timed = QUICK_TIMED if quick else TIMED
    stored = 0
    builds: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for size in sizes:
        last = Request.private_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        progress(f"performance: loading {size - stored:,} requests (to {size:,})")
        stored += bulk_insert(Request, fields, _requests(place, size - stored, rng))
        progress("performance: placing them in their areas")
        place_requests(place, last)
        analyse()
        progress(f"performance: rebuilding the rollups at {size:,}")
        rebuild_seconds, rebuilt = timed_result(rollups_rebuild)
        rebuild_rss = peak_rss_mb()
        change_seconds = _change(rng)
        progress(f"performance: refreshing after {CHANGES} changes")
        refresh_seconds, refreshed = timed_result(rollups_refresh)
        analyse()
        builds.append(
            {
                "size": size,
                "rebuild": rebuild_seconds,
                "refresh": refresh_seconds,
                "changes": change_seconds,
                "counted": CountedRequest.objects.count(),
                "open": CountedRequest.objects.filter(open=True).count(),
                "month_rows": MonthFigures.objects.count(),
                "examined": refreshed.examined if refreshed else 0,
                "changed": refreshed.changed if refreshed else 0,
                "backlog_rows": rebuilt.backlog_rows,
                "rss": rebuild_rss,
            }
        )
        reads = {path: _reads(path) for _name, path in _pages(county_slug)}
        with served(folder) as server, httpx.Client(base_url=server.url, timeout=120) as client:
            for name, path in _pages(county_slug):
                progress(f"performance: {timed} × {path} at {size:,}")
                found = _measure(client, path, timed)
                results.append(
                    {
                        "size": size,
                        "page": name,
                        "label": f"`{path}` ({LABELS[name]})",
                        "queries": reads[path][0],
                        "rows_read": reads[path][1],
                        **found,
                        "rss": server.peak_rss_mb(),
                    }
                )
        stored = Request.private_objects.count()
    return _section(results, builds, quick, timed)


def _section(
    results: list[dict[str, Any]], builds: list[dict[str, Any]], quick: bool, timed: int
) -> Section:
    smallest = {r["page"]: r for r in results if r["size"] == min(x["size"] for x in results)}
    rows = []
    for r in results:
        s, b = r["samples"], r["baseline"]
        first = smallest[r["page"]]["samples"]
        if s:
            figures = [ms(median(s)), ms(p95(s)), ms(median(b)), ms(p95(b))]
            ratios = [
                f"{median(s) / median(b):.1f}×",
                f"{median(s) / median(first):.2f}×" if first else "–",
            ]
            size = f"{np.mean(r['bytes']) / 1024:.0f} KiB"
        else:
            figures, ratios, size = ["–"] * 4, ["–", "–"], "–"
        errors = ", ".join(f"{n} × {code}" for code, n in sorted(r["errors"].items())) or "none"
        rows.append(
            [
                count_label(r["size"]),
                r["label"],
                *figures,
                *ratios,
                f"{len(s)}",
                f"{r['queries']}",
                f"{r['rows_read']:,}",
                size,
                errors,
                f"{r['rss']:.0f} MiB",
            ]
        )
    largest = max(r["size"] for r in results)
    verdicts = []
    if not quick:
        for page in ("area", "body"):
            r = next(x for x in results if x["size"] == largest and x["page"] == page)
            s = r["samples"]
            target = f"{r['label']} p95 < {TARGET_SECONDS * 1000:.0f} ms at {count_label(largest)}"
            if not s or r["errors"]:
                verdicts.append(Verdict(target, f"errors: {r['errors']}", False))
                continue
            verdicts.append(
                Verdict(
                    target,
                    f"p50 {ms(median(s))}, p95 {ms(p95(s))} "
                    f"(/healthz p95 {ms(p95(r['baseline']))})",
                    p95(s) < TARGET_SECONDS,
                )
            )
    build_table = table(
        [
            "Stored requests",
            "Counted (public)",
            "Open",
            "Month rows",
            "Rebuild",
            "Peak RSS so far",
            f"{CHANGES} status changes",
            "Refresh after them",
            "Requests the refresh re-read",
        ],
        [
            [
                count_label(b["size"]),
                f"{b['counted']:,}",
                f"{b['open']:,}",
                f"{b['month_rows']:,}",
                f"{b['rebuild']:.1f} s",
                f"{b['rss']:.0f} MiB",
                f"{b['changes']:.2f} s",
                f"{b['refresh'] * 1000:.0f} ms",
                f"{b['examined']:,} ({b['changed']:,} changed)",
            ]
            for b in builds
        ],
    )
    notes = [
        "Each row is one server process (started afresh for each size) answering one client "
        "over loopback: a `/healthz` request, then the page, repeated. “Ratio” is the page's "
        "median over `/healthz`'s in the same rows; “vs smallest” is the page's median over "
        "its own at the smallest size, which stays near 1 when the page's cost does not "
        "grow with the data. Times are the client's, to the last byte of the page. "
        "“Queries” and “Rollup rows read” are counted on one rendering of the page in the "
        "benchmark's own process: they stop growing once every month, category and area "
        "has its rows, and never depend on the number of requests.",
        "Building and keeping the rollups current (`rollups_rebuild`, the command "
        "`openlocal performance-rollups --rebuild`; and `rollups_refresh`, the worker's "
        "job, after status changes made through the service). Besides the changed requests, "
        "every refresh re-reads `PERFORMANCE_SWEEP_REQUESTS` (5,000) requests in order of id "
        "and recounts the backlog from the open requests (“Open”), so its time follows the "
        "size of the backlog rather than of the history. “Peak RSS so far” is the benchmark "
        "process's, generating the data included.",
        build_table,
    ]
    return Section(
        name="performance",
        title="The public performance pages",
        database=database_description(),
        setup=(
            f"Per size: the rollups rebuilt and refreshed, then {WARM_UP} untimed and {timed} "
            "timed requests for each page, each after one `/healthz`. gunicorn, 1 worker "
            "(gthread, 1 thread, keep-alive), one httpx client on loopback."
        ),
        headers=[
            "Stored requests",
            "Page",
            "Median",
            "p95",
            "/healthz median",
            "/healthz p95",
            "Ratio",
            "vs smallest",
            "Timed",
            "Queries",
            "Rollup rows read",
            "Page size",
            "Errors",
            "Server peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )
