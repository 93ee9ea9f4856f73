"""Open data downloads over HTTP, with 10k, 100k and 1M requests stored.

The stored requests are those of the duplicate and endpoint benchmarks (Devon's 168 real
wards, three years of history, most closed), placed in their ward, district and county as
the site places every request, so that the ``areas`` column and the statistics by area
have their real cost. For each size a real server (gunicorn, one worker, ``openlocal.wsgi``)
serves the database on loopback and this process downloads, streaming, one after another:

- ``/data/requests.csv``: issue 5's target (1M rows in under 30 s, first byte within 1 s,
  server memory under 200 MB);
- ``/data/requests.geojson`` and ``/data/requests.ndjson``, the other formats;
- ``/data/requests.csv?status=open``, a filtered download;
- ``/data/statistics.csv``, the monthly statistics (four passes over the requests).

Each download is timed from the request to its first byte, to its first row (the end of the
CSV header or the GeoJSON preamble) and to its last byte. The server's peak memory (VmHWM)
is read after each download: the server starts afresh for each size, and the CSV goes
first, so its figure is its own. Then ``openlocal data-snapshot`` writes every dataset in
every format, as the worker does once a day, in its own process, timed and measured too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import shapely
from django.utils import timezone

from benchmarks.duplicates import _REQUEST_FIELDS, REQUESTS_PER_ASSET, Devon
from benchmarks.endpoints import ROOT, Server, route_place, served
from benchmarks.harness import (
    Section,
    Verdict,
    analyse,
    bulk_insert,
    count_label,
    database_description,
    progress,
)
from openlocal.places.models import Area, AreaKind
from openlocal.requests.models import OPEN_STATUSES, Request

SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
#: Issue 5, for the CSV of 1M requests.
TARGET_SECONDS = 30.0
TARGET_FIRST_BYTE = 1.0
TARGET_RSS_MB = 200.0
DOWNLOADS = [
    ("requests.csv", "/data/requests.csv"),
    ("requests.geojson", "/data/requests.geojson"),
    ("requests.ndjson", "/data/requests.ndjson"),
    ("requests.csv, open only", "/data/requests.csv?status=open"),
    ("statistics.csv", "/data/statistics.csv"),
]
#: Rows whose areas are looked up at a time when placing the loaded requests.
PLACE_CHUNK = 100_000


@dataclass
class Download:
    size: int
    label: str
    status: int
    first_byte: float
    first_row: float
    seconds: float
    bytes: int
    lines: int
    rss: float


@dataclass
class SnapshotRun:
    size: int
    seconds: float
    bytes: int
    files: int
    rss: float
    ok: bool
    output: str


def place_requests(place: Devon, after_id: int) -> int:
    """Put the requests loaded after ``after_id`` in their ward, district and county.

    The site does this for every request it stores (``Request.areas``); a bulk load skips
    the services, so it is done here, with an R-tree of the wards.
    """
    wards = {a.code: a.pk for a in Area.objects.filter(kind=AreaKind.WARD).only("pk", "code")}
    districts = {
        a.code: a.pk for a in Area.objects.filter(kind=AreaKind.DISTRICT).only("pk", "code")
    }
    county = Area.objects.only("pk").get(kind=AreaKind.COUNTY).pk
    ward_ids = np.array([wards[w.code] for w in place.wards])
    district_ids = np.array([districts[w.district] for w in place.wards])
    tree = shapely.STRtree(place.shapes)
    placed = 0
    while True:
        # A page at a time, read whole before writing: SQLite cannot write while a read of
        # the same connection is still open.
        chunk = list(
            Request.private_objects.filter(pk__gt=after_id)
            .order_by("pk")
            .values_list("pk", "latitude", "longitude")[:PLACE_CHUNK]
        )
        if not chunk:
            break
        after_id = chunk[-1][0]
        ids = np.array([r[0] for r in chunk])
        points = shapely.points(np.array([r[2] for r in chunk]), np.array([r[1] for r in chunk]))
        found, ward = tree.query(points, predicate="intersects")
        # One ward per request (a point on a boundary is in the first).
        first = np.unique(found, return_index=True)[1]
        found, ward = found[first], ward[first]
        links = [
            *zip(ids[found].tolist(), ward_ids[ward].tolist(), strict=True),
            *zip(ids[found].tolist(), district_ids[ward].tolist(), strict=True),
            *((int(pk), county) for pk in ids.tolist()),
        ]
        placed += bulk_insert(Request.areas.through, ["request_id", "area_id"], links)
    return placed


def download(client: httpx.Client, path: str) -> tuple[int, float, float, float, int, int]:
    """Stream one download: status, seconds to first byte, to first row and to the end,
    bytes and lines."""
    started = time.perf_counter()
    first_byte = first_row = 0.0
    size = lines = 0
    with client.stream("GET", path) as response:
        for chunk in response.iter_raw():
            now = time.perf_counter() - started
            if not size:
                first_byte = now
            size += len(chunk)
            lines += chunk.count(b"\n")
            if not first_row and lines >= 2:
                # The first row ends the line after the header (CSV) or preamble (GeoJSON).
                first_row = now
        status = response.status_code
    return status, first_byte, first_row, time.perf_counter() - started, size, lines


def measure_downloads(server: Server, size: int) -> list[Download]:
    found = []
    with httpx.Client(base_url=server.url, timeout=600) as client:
        for label, path in DOWNLOADS:
            progress(f"exports: {label} at {size:,}")
            status, first_byte, first_row, seconds, length, lines = download(client, path)
            found.append(
                Download(
                    size,
                    label,
                    status,
                    first_byte,
                    first_row,
                    seconds,
                    length,
                    lines,
                    server.peak_rss_mb(),
                )
            )
    return found


def _watch_peak(process: subprocess.Popen[bytes], peak: list[float]) -> None:
    while process.poll() is None:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.1)


def measure_snapshot(folder: Path, size: int) -> SnapshotRun:
    """``openlocal data-snapshot`` in its own process, as the worker's task runs it."""
    progress(f"exports: the daily snapshot at {size:,}")
    snapshots = folder / f"snapshots-{size}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "OPENLOCAL_DATA_SNAPSHOT_DIR": str(snapshots),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    peak = [0.0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "openlocal", "data-snapshot"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    watcher = threading.Thread(target=_watch_peak, args=(process, peak), daemon=True)
    watcher.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    watcher.join()
    files = [p for p in snapshots.glob("*/*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    run = SnapshotRun(
        size, seconds, total, len(files), peak[0], process.returncode == 0, output.decode()[-2000:]
    )
    subprocess.run(["rm", "-rf", str(snapshots)], check=False)  # noqa: S603, S607
    return run


def run(*, sizes: list[int], quick: bool) -> Section:
    rng = np.random.default_rng(1)
    now = timezone.now()
    progress(f"exports: the place, with {max(1, max(sizes) // REQUESTS_PER_ASSET):,} lights")
    place = Devon(rng, max(1, max(sizes) // REQUESTS_PER_ASSET), now)
    progress("exports: areas and routing rules")
    route_place(place)
    folder = Path(os.environ["OPENLOCAL_DATA_DIR"])
    stored = 0
    downloads: list[Download] = []
    snapshots: list[SnapshotRun] = []
    counts: dict[int, int] = {}
    for size in sizes:
        last = Request.private_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        progress(f"exports: loading {size - stored:,} requests (to {size:,})")
        stored += bulk_insert(Request, _REQUEST_FIELDS, place.requests(size - stored))
        progress("exports: placing them in their areas")
        place_requests(place, last)
        analyse()
        counts[size] = Request.private_objects.filter(status__in=OPEN_STATUSES).count()
        with served(folder) as server:
            downloads += measure_downloads(server, size)
        snapshots.append(measure_snapshot(folder, size))
        stored = Request.private_objects.count()
    return _section(downloads, snapshots, counts, quick)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}/s" if seconds else "–"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _section(
    downloads: list[Download], snapshots: list[SnapshotRun], counts: dict[int, int], quick: bool
) -> Section:
    rows = [
        [
            count_label(d.size),
            f"`{d.label}`",
            f"{d.first_byte * 1000:.0f} ms",
            f"{d.first_row * 1000:.0f} ms",
            f"{d.seconds:.2f} s",
            _mb(d.bytes),
            f"{max(d.lines - 1, 0):,}",
            _rate(max(d.lines - 1, 0), d.seconds),
            f"{d.rss:.0f} MiB",
        ]
        for d in downloads
    ]
    for s in snapshots:
        rows.append(
            [
                count_label(s.size),
                f"daily snapshot ({s.files} files)" if s.ok else "daily snapshot **failed**",
                "–",
                "–",
                f"{s.seconds:.2f} s",
                _mb(s.bytes),
                "–",
                "–",
                f"{s.rss:.0f} MiB",
            ]
        )
    verdicts = []
    largest = max(d.size for d in downloads)
    csv = next(d for d in downloads if d.size == largest and d.label == "requests.csv")
    if not quick:
        ok = csv.status == 200
        label = count_label(largest)
        verdicts = [
            Verdict(
                f"CSV of {label} requests in under {TARGET_SECONDS:.0f} s",
                f"{csv.seconds:.2f} s ({_rate(csv.lines - 1, csv.seconds)} rows)",
                ok and csv.seconds < TARGET_SECONDS,
            ),
            Verdict(
                f"first byte within {TARGET_FIRST_BYTE:.0f} s",
                f"first byte {csv.first_byte * 1000:.0f} ms, first row "
                f"{csv.first_row * 1000:.0f} ms",
                ok and csv.first_row < TARGET_FIRST_BYTE,
            ),
            Verdict(
                f"server peak memory under {TARGET_RSS_MB:.0f} MB",
                f"{csv.rss:.0f} MiB",
                ok and csv.rss < TARGET_RSS_MB,
            ),
        ]
    failed = [d for d in downloads if d.status != 200]
    notes = [
        "Times are the client's, streaming over loopback from one gunicorn worker (gthread, 1 "
        "thread) started afresh for each size; the client reads and counts every byte. "
        "“First row” is when the first line after the header (or the GeoJSON preamble) "
        "arrived: the header alone is sent before the query runs, so it is the honest "
        "first-byte figure. “Server peak RSS” is the worker's high-water mark (VmHWM) after "
        "that download; the CSV is downloaded first at each size, so its figure is its own. "
        "The snapshot runs `openlocal data-snapshot` in its own process (every dataset, every "
        "format, from one pass per dataset) and its RSS is that process's peak.",
        "Stored requests at each size: "
        + ", ".join(f"{count_label(n)} ({c:,} open)" for n, c in counts.items())
        + ". Each is in its ward, district and county (three rows of `Request.areas`).",
    ]
    if failed:
        notes.append(
            "Some downloads failed: "
            + "; ".join(f"{d.label} at {count_label(d.size)} answered {d.status}" for d in failed)
        )
    broken = [s for s in snapshots if not s.ok]
    if broken:
        notes.append("The snapshot failed: " + broken[0].output)
    return Section(
        name="exports",
        title="Streaming open data",
        database=database_description(),
        setup=(
            "Per size: each download once, streamed with httpx from a fresh gunicorn server "
            "(1 worker, gthread, 1 thread) on loopback; then the daily snapshot."
        ),
        headers=[
            "Stored requests",
            "Download",
            "First byte",
            "First row",
            "Total",
            "Size",
            "Rows",
            "Rows per second",
            "Server peak RSS",
        ],
        rows=rows,
        verdicts=verdicts,
        notes=notes,
    )
