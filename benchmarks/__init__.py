"""Benchmarks of the operations whose cost must not grow with the data (``make bench``).

``python -m benchmarks`` runs every benchmark; ``python -m benchmarks duplicates matching``
runs some. Each benchmark runs in its own process (so its peak memory is its own) against
its own throwaway database, filled with synthetic rows loaded in bulk, and reports median
and 95th-percentile times over many repetitions together with the ratio to the smallest
size measured in the same run. Results are printed and written to ``docs/benchmarks.md``.
"""

#: The benchmarks in the order they run, each a module of this package with ``run()``.
BENCHMARKS = (
    "duplicates",
    "matching",
    "fanout",
    "endpoints",
    "imports",
    "exports",
    "performance",
)
