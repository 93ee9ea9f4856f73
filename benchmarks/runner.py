"""One benchmark in its own process: ``python -m benchmarks.runner NAME RESULT.json ...``.

The parent (``python -m benchmarks``) starts one of these per benchmark so that each has
its own database, its own Django set-up and its own peak memory figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import time

from benchmarks.harness import peak_rss_mb, throwaway_database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runner")
    parser.add_argument("name")
    parser.add_argument("result")
    parser.add_argument("--sizes", default="")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default="")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with throwaway_database(args.database or None):
        # The benchmark's module imports models, so it is imported once Django is set up.
        module = importlib.import_module(f"benchmarks.{args.name}")
        sizes = [int(s) for s in args.sizes.split(",") if s] or (
            module.QUICK_SIZES if args.quick else module.SIZES
        )
        section = module.run(sizes=sorted(set(sizes)), quick=args.quick)
    section.seconds = time.perf_counter() - start
    section.peak_rss_mb = peak_rss_mb()
    section.load = os.getloadavg()[0]
    with open(args.result, "w", encoding="utf-8") as out:
        json.dump(section.to_json(), out)


if __name__ == "__main__":
    main()
