"""The public APIs over HTTP, with 10k, 100k and 1M requests stored, next to ``/healthz``.

The stored requests are those of the duplicate benchmark (Devon's 168 real wards, three
years of history, most closed), and the place is routed as a two-tier county: Devon County
Council handles roads, lighting, drains, footpaths and bus shelters across the county, and
each district council its bins, litter, fly-tipping and graffiti, so that a new request is
routed as it would be on a deployed site. For each size a real server (gunicorn, one worker,
``openlocal.wsgi``) serves the database on loopback, and this process times requests to it
with one keep-alive HTTP client:

- ``GET /open311/v2/requests.json`` asking for 100 results (``page_size=100``): the default
  90-day window, by status, by service code, and later pages;
- ``POST /open311/v2/requests.json`` creating a request with an API key at a random point in
  Devon (routing, the duplicate check, the first timeline entry and its event);
- ``GET /api/v1/requests.geojson?bbox=`` for a box around the whole county.

Before every timed request the same client asks for ``/healthz`` (one ``SELECT 1``), so
each endpoint's figures stand next to the trivial endpoint's, measured on the same server
in the same minutes: their ratio is what the endpoint itself costs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
from django.db import connections
from django.utils import timezone

from benchmarks.duplicates import _REQUEST_FIELDS, REQUESTS_PER_ASSET, Devon
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
    progress,
)
from benchmarks.synthetic import CATEGORIES, description, points_in
from openlocal.apikeys.services import apikey_create
from openlocal.places.models import AreaKind, Body
from openlocal.places.services import area_save
from openlocal.requests.models import OPEN_STATUSES, Request, RoutingRule
from openlocal.requests.rollups import cell_counts_rebuild

SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
#: Timed requests per endpoint and size, after untimed warm-up ones.
TIMED = {"open311_list": 300, "open311_create": 200, "geojson": 200}
QUICK_TIMED = {"open311_list": 40, "open311_create": 20, "geojson": 20}
WARM_UP = 20
#: An endpoint slow enough to take longer than this is timed for this long only.
BUDGET_SECONDS = 150
#: Issue 4, at 1M stored requests: (endpoint, percentile, seconds).
TARGETS = [
    ("open311_list", "median", 0.015),
    ("open311_list", "p95", 0.040),
    ("open311_create", "p95", 0.050),
    ("geojson", "p95", 0.050),
]
LABELS = {
    "open311_list": "`GET /open311/v2/requests.json`, 100 results",
    "open311_create": "`POST /open311/v2/requests.json`",
    "geojson": "`GET /api/v1/requests.geojson`, county bbox",
}
ROOT = Path(__file__).resolve().parent.parent
SERVER_START_SECONDS = 60


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


# The place, routed --------------------------------------------------------------------------


def route_place(place: Devon) -> None:
    """Areas with their H3 cover for the wards, districts and county, and routing rules.

    The district categories go to the district council of the district holding the point,
    the others to the county council anywhere in the county, as in a two-tier county.
    """
    county_body = Body.objects.get(pk=place.county_id)
    by_district: dict[str, list[Any]] = {}
    for ward in place.wards:
        area_save(name=ward.name, kind=AreaKind.WARD, code=ward.code, geometry=ward.geometry)
        by_district.setdefault(ward.district, []).append(ward.geometry)
    county, _ = area_save(
        name="Devon",
        kind=AreaKind.COUNTY,
        code="E10000008",
        geometry=shapely.unary_union(place.shapes).buffer(0),
    )
    county_body.areas.add(county)
    rules = []
    for code, shapes in by_district.items():
        area, _ = area_save(
            name=f"District {code}",
            kind=AreaKind.DISTRICT,
            code=code,
            geometry=shapely.unary_union(shapes).buffer(0),
            parent=county,
        )
        body = Body.objects.get(slug=f"district-{code.lower()}")
        body.areas.add(area)
        for category, (*_, district) in zip(place.categories, CATEGORIES, strict=True):
            if district:
                rules.append(RoutingRule(category=category, area=area, body=body))
    for category, (*_, district) in zip(place.categories, CATEGORIES, strict=True):
        if not district:
            rules.append(RoutingRule(category=category, area=county, body=county_body))
    RoutingRule.objects.bulk_create(rules)


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A gunicorn master with one worker, serving the benchmark's database."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def peak_rss_mb(self) -> float:
        """The worker's peak resident memory (VmHWM), in MiB."""
        peak = 0.0
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                continue
        return peak


@contextmanager
def served(folder: Path) -> Iterator[Server]:
    """Start gunicorn on a free loopback port and wait until ``/healthz`` answers."""
    connections.close_all()  # SQLite: leave the database to the server while it runs
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.server_settings",
        "OPENLOCAL_API_WRITE_RATE_PER_KEY": "100000/h",
        "OPENLOCAL_API_WRITE_RATE_PER_ADDRESS": "100000/h",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "openlocal.wsgi:application",
        *("--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}"),
        # One worker with one thread: gthread keeps connections alive, sync workers do not.
        *("--workers", "1", "--worker-class", "gthread", "--threads", "1"),
        *("--keep-alive", "75", "--timeout", "120", "--log-level", "warning"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (the project's own server)
            command, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"The server stopped on start:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"The server did not answer /healthz:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# What is asked --------------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None


class Workload:
    """The requests each endpoint is timed with, drawn once so every size gets the same."""

    def __init__(self, place: Devon, api_key: str, seed: int = 4) -> None:
        self.rng = np.random.default_rng(seed)
        self.place = place
        self.api_key = api_key
        self.codes = [code for _, _, code, *_ in CATEGORIES]
        west, south, east, north = shapely.unary_union(place.shapes).bounds
        self.county_box = (west, south, east, north)
        self.emails = 0

    def open311_list(self) -> Call:
        rng = self.rng
        params = {"page_size": "100"}
        kind = rng.integers(5)
        if kind == 1:
            params["status"] = str(rng.choice(["open", "closed"]))
        elif kind == 2:
            params["service_code"] = str(rng.choice(self.codes))
        elif kind == 3:
            params["status"] = "closed"
            params["service_code"] = ",".join(rng.choice(self.codes, 2, replace=False))
        elif kind == 4:
            params["page"] = str(rng.integers(2, 6))
        return Call("GET", "/open311/v2/requests.json", params)

    def open311_create(self) -> Call:
        rng = self.rng
        lats, lons, _ = points_in(self.place.shapes, 1, rng)
        kind = int(rng.choice(len(CATEGORIES), p=self.place.weights))
        self.emails += 1
        data = {
            "api_key": self.api_key,
            "service_code": CATEGORIES[kind][2],
            "lat": f"{lats[0]:.6f}",
            "long": f"{lons[0]:.6f}",
            "description": description(rng),
            "email": f"resident{self.emails}@example.org",
            "first_name": "Sam",
            "last_name": "Resident",
        }
        return Call("POST", "/open311/v2/requests.json", data=data)

    def geojson(self) -> Call:
        # The whole county, as a map would frame it: a little more or less each time.
        west, south, east, north = self.county_box
        pad = float(self.rng.uniform(0, 0.05))
        bbox = f"{west - pad:.5f},{south - pad:.5f},{east + pad:.5f},{north + pad:.5f}"
        return Call("GET", "/api/v1/requests.geojson", {"bbox": bbox})


def _send(client: httpx.Client, call: Call) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    if call.method == "GET":
        response = client.get(call.path, params=call.params)
    else:
        response = client.post(call.path, data=call.data)
    response.read()
    return time.perf_counter() - start, response


def _describe(response: httpx.Response) -> str:
    """A failed response in a line: its status and title, or the start of its body."""
    text = response.text
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    shown = title.group(1).strip() if title else " ".join(text.split())[:160]
    return f"{response.status_code} {shown}"


def _results(response: httpx.Response) -> int:
    """How many things a response carried: list items, or GeoJSON features."""
    try:
        body = response.json()
    except ValueError:
        return 0
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if isinstance(body.get("features"), list):
            return len(body["features"])
        for key in ("service_requests", "requests", "items", "results"):
            if isinstance(body.get(key), list):
                return len(body[key])
    return 0


def _clusters(response: httpx.Response) -> int:
    try:
        features = response.json().get("features") or []
    except (ValueError, AttributeError):
        return 0
    return sum(1 for f in features if (f.get("properties") or {}).get("cluster"))


def measure(
    client: httpx.Client, draw: Callable[[], Call], timed: int, server: Server
) -> dict[str, Any]:
    """Warm up, then time ``timed`` calls, each after one timed ``/healthz``.

    An endpoint that answers nothing but errors while warming up is not timed: its row
    says what it answered.
    """
    samples: list[float] = []
    baseline: list[float] = []
    results: list[int] = []
    clusters: list[int] = []
    errors: dict[int, int] = {}
    example = ""
    warm = []
    warming = time.monotonic() + BUDGET_SECONDS / 5
    for _ in range(WARM_UP):
        if warm and time.monotonic() > warming:
            break
        _send(client, Call("GET", "/healthz"))
        call = draw()
        _seconds, response = _send(client, call)
        warm.append(response.status_code < 300)
        example = example or f"{call.method} {call.path} → {_describe(response)}"
    if not any(warm):
        timed = 0
        errors[response.status_code] = WARM_UP
    else:
        example = ""
    deadline = time.monotonic() + BUDGET_SECONDS
    for _ in range(timed):
        if time.monotonic() > deadline:
            break
        seconds, response = _send(client, Call("GET", "/healthz"))
        if response.status_code != 200:
            raise SystemExit(f"/healthz answered {_describe(response)}: the server is broken.")
        baseline.append(seconds)
        call = draw()
        seconds, response = _send(client, call)
        if response.status_code >= 300:
            errors[response.status_code] = errors.get(response.status_code, 0) + 1
            example = example or f"{call.method} {call.path} → {_describe(response)}"
            continue
        samples.append(seconds)
        results.append(_results(response))
        clusters.append(_clusters(response))
    return {
        "samples": samples,
        "baseline": baseline,
        "results": float(np.mean(results)) if results else 0.0,
        "clusters": float(np.mean(clusters)) if clusters else 0.0,
        "errors": errors,
        "example": example,
        "rss": server.peak_rss_mb(),
    }


def run(*, sizes: list[int], quick: bool) -> Section:
    rng = np.random.default_rng(1)
    now = timezone.now()
    progress(f"endpoints: the place, with {max(1, max(sizes) // REQUESTS_PER_ASSET):,} lights")
    place = Devon(rng, max(1, max(sizes) // REQUESTS_PER_ASSET), now)
    progress("endpoints: areas and routing rules")
    route_place(place)
    _key, raw_key = apikey_create(
        name="Endpoint benchmark", scopes=["submit"], check_permission=False
    )
    timed = QUICK_TIMED if quick else TIMED
    folder = Path(os.environ["OPENLOCAL_DATA_DIR"])
    stored = 0
    results: list[dict[str, Any]] = []
    for size in sizes:
        progress(f"endpoints: loading {size - stored:,} requests (to {size:,})")
        stored += bulk_insert(Request, _REQUEST_FIELDS, place.requests(size - stored))
        # Loaded without the services: count them for the map as an import would.
        progress("endpoints: rebuilding the counts per cell")
        cell_counts_rebuild()
        analyse()
        counts = {
            "open": Request.private_objects.filter(status__in=OPEN_STATUSES).count(),
            "window": Request.private_objects.filter(
                created_at__gte=timezone.now() - dt.timedelta(days=90)
            ).count(),
        }
        workload = Workload(place, raw_key)
        with served(folder) as server, httpx.Client(base_url=server.url, timeout=60) as client:
            for name in timed:
                progress(f"endpoints: {timed[name]} × {name} at {size:,}")
                found = measure(client, getattr(workload, name), timed[name], server)
                results.append({"size": size, "endpoint": name, **counts, **found})
        stored = Request.private_objects.count()
    return _section(results, quick, timed)


def _section(results: list[dict[str, Any]], quick: bool, timed: dict[str, int]) -> Section:
    rows = []
    for r in results:
        s, b = r["samples"], r["baseline"]
        if s:
            figures = [ms(median(s)), ms(p95(s)), ms(p99(s))]
            ratios = [f"{median(s) / median(b):.1f}×", f"{p95(s) / p95(b):.1f}×"]
        else:
            figures, ratios = ["–", "–", "–"], ["–", "–"]
        errors = ", ".join(f"{n} × {code}" for code, n in sorted(r["errors"].items())) or "none"
        shown = f"{r['results']:.0f}"
        if r["clusters"]:
            shown += f" ({r['clusters']:.0f} clusters)"
        rows.append(
            [
                count_label(r["size"]),
                LABELS[r["endpoint"]],
                *figures,
                ms(median(b)) if b else "–",
                ms(p95(b)) if b else "–",
                *ratios,
                f"{len(s)}",
                shown,
                errors,
                f"{r['rss']:.0f} MiB",
            ]
        )
    verdicts = []
    largest = max(r["size"] for r in results)
    if not quick:
        by_endpoint = {r["endpoint"]: r for r in results if r["size"] == largest}
        for endpoint, which, seconds in TARGETS:
            r = by_endpoint[endpoint]
            s, b = r["samples"], r["baseline"]
            label = "p50" if which == "median" else which
            target = (
                f"{LABELS[endpoint]} {label} < {seconds * 1000:.0f} ms at {count_label(largest)}"
            )
            if not s or r["errors"]:
                verdicts.append(Verdict(target, _failed(r), False))
                continue
            value = median(s) if which == "median" else p95(s)
            base = median(b) if which == "median" else p95(b)
            verdicts.append(
                Verdict(
                    target,
                    f"{label} {ms(value)} (/healthz {ms(base)}, {value / base:.1f}×)",
                    value < seconds,
                )
            )
    notes = [
        "Each row is one server process (started afresh for each size) answering one client "
        "over loopback: a `/healthz` request, then the endpoint's, repeated. “Ratio” is the "
        "endpoint's time over `/healthz`'s in the same rows, at the median and at the 95th "
        "percentile. Times are the client's: sending, the server's work and reading the whole "
        "body. “Timed” is how many were timed: fewer when they took more than "
        f"{BUDGET_SECONDS} s in all. “Results” is the mean number of requests (or GeoJSON "
        "features) per response. "
        "Peak RSS is the server worker's (VmHWM) by the end of that endpoint's rows.",
    ]
    failed = [r for r in results if r["errors"]]
    if failed:
        notes.append(
            "Some requests failed, so their times are not in the figures: "
            + "; ".join(
                f"{LABELS[r['endpoint']]} at {count_label(r['size'])}: {_failed(r)}" for r in failed
            )
            + "."
        )
    last = next(r for r in results if r["size"] == largest)
    notes.append(
        f"At {count_label(largest)} stored requests, {last['open']:,} were open and "
        f"{last['window']:,} were reported in the last 90 days (Open311's default window)."
    )
    return Section(
        name="endpoints",
        title="The public APIs over HTTP",
        database=database_description(),
        setup=(
            f"Per size and endpoint: up to {WARM_UP} untimed warm-up requests (for at most "
            f"{BUDGET_SECONDS // 5} s), then "
            + ", ".join(f"{n} {LABELS[e]}" for e, n in timed.items())
            + ", each after one `/healthz`. gunicorn, 1 worker (gthread, 1 thread, "
            "keep-alive), one httpx client on loopback."
        ),
        headers=[
            "Stored requests",
            "Endpoint",
            "Median",
            "p95",
            "p99",
            "/healthz median",
            "/healthz p95",
            "Median ratio",
            "p95 ratio",
            "Timed",
            "Results",
            "Errors",
            "Server peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )


def _failed(r: dict[str, Any]) -> str:
    codes = ", ".join(f"{n} answered {code}" for code, n in sorted(r["errors"].items()))
    return f"{codes or 'no answers'}; for example {r['example']!r}"
