"""The benchmark report: printed tables, and ``docs/benchmarks.md`` updated in place.

The report has one generated block per benchmark and database, between HTML comments, so a
run of some benchmarks (or on PostgreSQL only) replaces its own blocks and keeps the rest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchmarks.harness import Section, machine, table

_BLOCK = re.compile(
    r"<!-- bench:(?P<key>[\w-]+):start -->\n(?P<body>.*?)<!-- bench:(?P=key):end -->", re.S
)

_NOT_YET = "_Not measured yet: run `{command}`._\n"
_COMMANDS = {
    "sqlite": "make bench",
    "postgresql": (
        ".venv/bin/python -m benchmarks --database postgres://postgres@127.0.0.1:5432/postgres"
    ),
}

TEMPLATE = """\
# Benchmarks

Issue 3 sets speed targets for the three operations whose cost must not grow with the data:
finding duplicate candidates for a new report, matching a new request against everyone who
follows an area or a drawn shape, and fanning one change out to thousands of followers.
`make bench` (`.venv/bin/python -m benchmarks`) measures them and rewrites the figures below.

```
.venv/bin/python -m benchmarks                      # all, at full size (10 to 15 minutes)
.venv/bin/python -m benchmarks duplicates matching  # some
.venv/bin/python -m benchmarks --quick              # small sizes: a smoke run, writes nothing
.venv/bin/python -m benchmarks --sizes 1000,10000 matching
.venv/bin/python -m benchmarks --database postgres://postgres@127.0.0.1:5432/postgres
```

Each benchmark runs in its own process against its own throwaway database: a SQLite file in a
temporary folder, or with `--database` (or a PostgreSQL `OPENLOCAL_DATABASE_URL`) a database
named `openlocal_bench` that it creates and drops on that server; the URL's own database is
only used to connect. Rows are loaded in bulk (`COPY` on PostgreSQL, `executemany` on SQLite)
rather than through the services, then the database statistics are refreshed (`ANALYZE`).
The machine is shared and its timings are noisy, so every figure is a median and a 95th
percentile over hundreds of repetitions, and growth is read as the ratio to the smallest size
**measured in the same run**, which holds up better than absolute times. Peak RSS is the
benchmark process's peak resident memory (data generation included) by the end of each step.
The geography is real: Devon's 168 wards and the UK's 8,441 wards (ONS, December 2023,
Open Government Licence v3.0), read from `../shared/data`.

## Machine

{machine}

## Duplicate candidates

`openlocal.requests.selectors.duplicate_candidates` for a new report, with 10k, 100k and 1M
requests stored across Devon. Target: at most 10 ms at 1M, and at most 1.5 times the time at
10k. The look-up reads the requests in the H3 cells (resolution 9, about 0.1 km² each) within
the category's duplicate radius, so its cost follows how many requests those few cells hold,
not how many are stored in all: in a town centre that number does grow with the data.

### SQLite

{duplicates-sqlite}
### PostgreSQL

{duplicates-postgresql}
## Matching a new request against followers

`openlocal.subscriptions.events.matching_subscriptions` for a new request, with 1k, 10k and
100k subscriptions spread over the UK: the real 8,441 UK ward polygons followed as drawn
areas (their H3 cover from `openlocal.core.geo.polygon_cover`, as `SubscriptionCell` rows),
circles around points, areas and categories within areas. Target: at most 5 ms at 100k, and
flat from 1k to 100k. Matching reads the subscriptions under a handful of target keys and
the H3 cover cells at the request's point and their parents, so its cost follows the number
of subscriptions that match, not the number stored.

Two sets of requests are timed. "Anywhere" requests fall where the growing subscriptions
are, so each matches more of them as they grow (0.2 at 1k, about 22 at 100k): the ceiling of
5 ms is judged on them. The "control" requests fall in 5% of the districts that the growing
subscriptions never cover and that a fixed set of 503 subscriptions follows instead, so each
matches the same followers at every size: "flat" is judged on them, since only the look-up
can grow there.

### SQLite

{matching-sqlite}
### PostgreSQL

{matching-postgresql}
## Fan-out of one change to 10,000 followers

One status change on a request followed by 10,000 people by email (immediate), delivered by
one worker (`openlocal.subscriptions.delivery.run_batch` until idle) into an SMTP server
(aiosmtpd) on loopback; and the same with 10,000 webhook endpoints on a local HTTP receiver.
The receivers are those of `openlocal.subscriptions.testing`: the SMTP server in a thread of
the worker's own process, as in the tests, and the HTTP receiver in a process of its own
(`benchmarks/sinks.py`), as a real receiver would be, so that it does not share the worker's
interpreter lock. Targets: at least 200 emails and 500 webhooks a second
per worker. For comparison, the sink alone: the same number of messages sent by a plain
`smtplib` loop over one connection, and the same number of POSTs by a plain `httpx.Client`.

### SQLite

{fanout-sqlite}
### PostgreSQL

{fanout-postgresql}
## The public APIs over HTTP

Issue 4 sets targets for the open interfaces at 1M stored requests: `GET
/open311/v2/requests.json` returning 100 results at a median under 15 ms and a 95th percentile
under 40 ms; `POST /open311/v2/requests.json` creating a request, with its routing and the
duplicate check, at a 95th percentile under 50 ms; and `GET /api/v1/requests.geojson` for a
box around the whole county at a 95th percentile under 50 ms. The `endpoints` benchmark loads
10k, 100k and 1M requests across Devon (as for the duplicate benchmark), routes the county as
two tiers (county and district councils, real ward, district and county boundaries), serves
the database with gunicorn (one worker) and times each endpoint over HTTP from one keep-alive
client, each request after a `/healthz` (one `SELECT 1`) on the same server, so the ratio
between the two is what the endpoint itself costs on this machine.

### SQLite

{endpoints-sqlite}
### PostgreSQL

{endpoints-postgresql}
## Importing real files

Issue 5 sets targets for the importers: the 375,664 NaPTAN stops of Great Britain in under
60 s with peak memory under 300 MB, and Boston's 121,145 cases of 2015 in under 60 s, on SQLite
and on PostgreSQL. The `imports` benchmark runs `openlocal import-assets` and
`openlocal import-requests` on the real files in `../shared/data`, and on slices of them, so
that the cost per row can be read as the data grows.

### SQLite

{imports-sqlite}
### PostgreSQL

{imports-postgresql}
## Streaming open data

Issue 5 sets targets for the bulk downloads: the CSV of 1M requests streamed in under 30 s
with peak memory under 200 MB, and its first byte within 1 s. The `exports` benchmark loads
10k, 100k and 1M requests and downloads each dataset over HTTP from a real server.

### SQLite

{exports-sqlite}
### PostgreSQL

{exports-postgresql}
## The public performance pages

The issue on public accountability asks that the page of a county with 1M requests render
in under a second. The `performance` benchmark loads 10k, 100k and 1M requests across Devon
(as for the endpoint benchmark, each placed in its ward, district and county), rebuilds the
rollups the pages read and refreshes them after a hundred changes, timing both, then serves
the database with gunicorn (one worker) and times `/performance/`, the county council's page
and the county's page over HTTP, each request after a `/healthz`. Every figure on a page comes
from rollup rows, so a page's time should stay flat as the data grows.

### SQLite

{performance-sqlite}
### PostgreSQL

{performance-postgresql}"""

KEYS = [
    "machine",
    *(
        f"{name}-{db}"
        for name in (
            "duplicates",
            "matching",
            "fanout",
            "endpoints",
            "imports",
            "exports",
            "performance",
        )
        for db in _COMMANDS
    ),
]


def render_section(section: Section) -> str:
    """A section's generated block: when and where, the table, the targets, the notes."""
    lines = [
        f"_Measured {section.date} on {section.database}; the run took "
        f"{section.seconds:.0f} s and peaked at {section.peak_rss_mb:.0f} MiB; the machine's "
        f"load average was {section.load:.1f} on {os.cpu_count()} cores as it ended._",
        "",
        section.setup,
        "",
        table(section.headers, section.rows),
        "",
    ]
    if section.verdicts:
        lines += ["Targets:", ""]
        for verdict in section.verdicts:
            state = "**met**" if verdict.met else "**missed**"
            lines.append(f"- {verdict.target}: {verdict.measured}, {state}.")
        lines.append("")
    for note in section.notes:
        lines += [note, ""]
    return "\n".join(lines)


def render_machine(sections: list[Section], previous: str) -> str:
    facts = machine()
    postgres = [s.database for s in sections if s.database.startswith("PostgreSQL")]
    if postgres:
        facts["PostgreSQL server"] = postgres[0].removeprefix("PostgreSQL ")
    else:
        found = re.search(r"^\| PostgreSQL server +\| (.+?) +\|$", previous, re.M)
        facts["PostgreSQL server"] = found.group(1) if found else "not measured"
    return table(["", ""], [[k, v] for k, v in facts.items()]) + "\n"


def update_report(path: Path, sections: list[Section]) -> None:
    """Write the sections' blocks into the report, keeping the blocks of other runs."""
    blocks: dict[str, str] = {}
    if path.exists():
        for found in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            blocks[found.group("key")] = found.group("body")
    for section in sections:
        blocks[section.key] = render_section(section)
    blocks["machine"] = render_machine(sections, blocks.get("machine", ""))
    filled = {}
    for key in KEYS:
        body = blocks.get(key) or _NOT_YET.format(command=_COMMANDS[key.rsplit("-", 1)[1]])
        filled[key] = f"<!-- bench:{key}:start -->\n{body.rstrip()}\n<!-- bench:{key}:end -->\n"
    text = TEMPLATE
    for key, value in filled.items():
        text = text.replace("{" + key + "}", value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
