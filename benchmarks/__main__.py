"""``python -m benchmarks [NAME ...] [--sizes N,N,N] [--quick] [--database URL]``.

Runs the named benchmarks (all by default), each in its own process with its own
throwaway database, prints their tables and writes them into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import BENCHMARKS
from benchmarks.harness import Section, is_postgres
from benchmarks.report import render_section, update_report

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure how the cost of duplicate look-ups, subscription matching and "
            "fan-out grows with the data. Results are printed and written to "
            "docs/benchmarks.md."
        ),
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--sizes",
        default="",
        help="comma-separated data sizes to measure instead of each benchmark's own",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repetitions: a smoke run (writes no report unless --output)",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("OPENLOCAL_DATABASE_URL", ""),
        help=(
            "a PostgreSQL server as postgres://user@host:port/db: the benchmarks create and "
            "drop their own database 'openlocal_bench' there (default: "
            "OPENLOCAL_DATABASE_URL if it is PostgreSQL, otherwise a temporary SQLite file)"
        ),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="the report to update (default: docs/benchmarks.md)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave the report")
    args = parser.parse_args(argv)

    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, not {args.sizes!r}")
    if any(s <= 0 for s in sizes):
        parser.error("--sizes must all be positive")
    database = args.database if is_postgres(args.database) else ""
    names = [n for n in BENCHMARKS if n in args.names] if args.names else list(BENCHMARKS)
    output = args.output or (None if args.quick or args.no_write else DEFAULT_OUTPUT)
    if args.no_write:
        output = None

    sections: list[Section] = []
    failed: list[str] = []
    for name in names:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="openlocal-bench-result-") as folder:
            result = Path(folder) / "result.json"
            command = [sys.executable, "-m", "benchmarks.runner", name, str(result)]
            command += ["--sizes", ",".join(map(str, sizes))] if sizes else []
            command += ["--quick"] if args.quick else []
            command += ["--database", database] if database else []
            finished = subprocess.run(command, check=False)  # noqa: S603 (our own module)
            if finished.returncode != 0 or not result.exists():
                print(f"{name} failed (exit status {finished.returncode})", flush=True)
                failed.append(name)
                continue
            section = Section.from_json(json.loads(result.read_text(encoding="utf-8")))
        sections.append(section)
        print(render_section(section), flush=True)
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)

    if output is not None and sections:
        update_report(output, sections)
        print(f"\nWrote {output}", flush=True)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
