"""The quality report as pages read it: computed at most every few minutes, then cached.

Each dataset's report is cached on its own (Django's default cache, shared by every web
process) under a key naming the scope and the thresholds. A page asking for it gets:

- the cached report, while it is younger than ``QUALITY_MAX_AGE_SECONDS``;
- once it is older, the same cached report at once, while one background task (the worker)
  recomputes it: a busy site never waits for the report, and only one process computes it;
- when nothing is cached (the first visit, or a report the worker has not refreshed within
  ``STALE_FACTOR`` times the maximum age, e.g. on a site running no worker), a report
  computed there and then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from django.core.cache import cache

from openlocal.opendata.quality.conf import QualitySettings, quality_settings
from openlocal.opendata.quality.datasets import BUILDERS, SCOPED, dataset_report_compute
from openlocal.opendata.quality.report import (
    EVERYTHING,
    PUBLIC,
    REPORT_VERSION,
    DatasetReport,
    Report,
    Scope,
)

logger = logging.getLogger("openlocal.opendata.quality")

#: A report is kept this many times its maximum age: served stale while the worker
#: refreshes it, then dropped, so that a report nobody refreshes is not served for long.
STALE_FACTOR = 4

DATASETS = list(BUILDERS)


def _cache_key(dataset: str, scope: Scope, config: QualitySettings) -> str:
    effective = scope if dataset in SCOPED else PUBLIC
    thresholds = hashlib.sha256(json.dumps(config.as_dict(), sort_keys=True).encode()).hexdigest()[
        :12
    ]
    return f"openlocal:quality:v{REPORT_VERSION}:{thresholds}:{effective.key}:{dataset}"


def dataset_report_refresh(*, dataset: str, scope: Scope) -> DatasetReport:
    """Compute one dataset's report now and cache it for every process."""
    config = quality_settings()
    report = dataset_report_compute(dataset=dataset, scope=scope, config=config)
    cache.set(
        _cache_key(dataset, scope, config),
        (report, time.time()),
        timeout=config.max_age_seconds * STALE_FACTOR,
    )
    logger.info("Quality report for %s (%s) took %.2f s", dataset, scope.key, report.seconds)
    return report


def _enqueue_refresh(dataset: str, scope: Scope, key: str, config: QualitySettings) -> None:
    from openlocal.opendata.quality.tasks import quality_report_refresh

    # One refresh per report per period, however many processes see it stale.
    if cache.add(f"{key}:refreshing", True, timeout=config.max_age_seconds):
        quality_report_refresh.enqueue(
            dataset=dataset,
            scope_key=scope.key,
            bodies=list(scope.bodies) if scope.bodies is not None else None,
            include_hidden=scope.include_hidden,
        )


def dataset_report(*, dataset: str, scope: Scope = PUBLIC) -> DatasetReport:
    """One dataset's report for a scope, from the cache when it is fresh enough."""
    if dataset not in BUILDERS:
        raise KeyError(
            f"There is no dataset {dataset!r}: the quality report covers {', '.join(BUILDERS)}."
        )
    config = quality_settings()
    key = _cache_key(dataset, scope, config)
    entry: Any = cache.get(key)
    if entry is not None:
        report, computed = entry
        if time.time() - computed >= config.max_age_seconds:
            _enqueue_refresh(dataset, scope, key, config)
        return report
    return dataset_report_refresh(dataset=dataset, scope=scope)


def quality_report(*, scope: Scope = PUBLIC) -> Report:
    """Every dataset's report, for a scope."""
    return Report(
        datasets=[dataset_report(dataset=name, scope=scope) for name in DATASETS],
        settings=quality_settings().as_dict(),
    )


def scope_from(*, key: str, bodies: list[int] | None, include_hidden: bool) -> Scope:
    """A scope rebuilt from a task's arguments."""
    if key == PUBLIC.key:
        return PUBLIC
    if key == EVERYTHING.key:
        return EVERYTHING
    return Scope(
        key=key, bodies=tuple(bodies) if bodies is not None else None, include_hidden=include_hidden
    )
