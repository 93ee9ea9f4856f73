"""The endpoint benchmark's place routes what it posts, and its figures stay in the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from benchmarks.harness import Section, Verdict
from benchmarks.report import update_report


@pytest.mark.django_db(transaction=True)
def test_every_request_the_benchmark_posts_is_routed_to_the_right_tier(shared_data: Path) -> None:
    from benchmarks.endpoints import Devon, Workload, route_place
    from openlocal.places.models import BodyKind
    from openlocal.places.selectors import routes_at
    from openlocal.requests.models import Category

    place = Devon(np.random.default_rng(1), 5, timezone.now())
    route_place(place)
    workload = Workload(place, api_key="unused")
    district_codes = {"BIN", "LIT", "FLY", "GRA"}
    kinds = set()
    for _ in range(60):
        data = workload.open311_create().data
        assert data is not None
        category = Category.objects.get(service_code=data["service_code"])
        route = routes_at(float(data["lat"]), float(data["long"]))[category.pk]
        expected = BodyKind.DISTRICT if category.service_code in district_codes else BodyKind.COUNTY
        assert route.body.kind == expected
        kinds.add(route.body.kind)
    assert kinds == {BodyKind.DISTRICT, BodyKind.COUNTY}


def _section(name: str, median: str) -> Section:
    return Section(
        name=name,
        title=name,
        database="SQLite 3.40.1 (file, WAL)",
        setup="Some requests.",
        headers=["Size", "Median"],
        rows=[["1M", median]],
        verdicts=[Verdict("p95 < 50 ms at 1M", f"p95 {median}", True)],
    )


def test_the_endpoint_figures_survive_a_run_of_another_benchmark(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    update_report(report, [_section("endpoints", "12.34 ms")])
    update_report(report, [_section("duplicates", "5.67 ms")])

    text = report.read_text()
    assert "## The public APIs over HTTP" in text
    assert "p95 12.34 ms, **met**" in text
    assert "5.67 ms" in text
    # PostgreSQL's block says how to fill it.
    endpoints_pg = text.split("<!-- bench:endpoints-postgresql:start -->")[1]
    assert endpoints_pg.lstrip().startswith("_Not measured yet")
