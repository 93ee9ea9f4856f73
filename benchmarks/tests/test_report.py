"""The benchmark report keeps what other runs measured and says plainly what it found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Section, Verdict
from benchmarks.report import update_report

ROOT = Path(__file__).resolve().parents[2]


def section(name: str, database: str, median: str, met: bool) -> Section:
    return Section(
        name=name,
        title=name,
        database=database,
        setup="Some look-ups.",
        headers=["Size", "Median"],
        rows=[["10k", median]],
        verdicts=[Verdict("≤ 10 ms at 1M", f"median {median}", met)],
        notes=["Cost grows with the matches."],
    )


def test_a_run_replaces_its_own_figures_and_keeps_the_others(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    update_report(
        report,
        [
            section("duplicates", "PostgreSQL 15.20", "4.00 ms", True),
            section("matching", "SQLite 3.40.1 (file, WAL)", "2.00 ms", True),
        ],
    )
    update_report(report, [section("duplicates", "SQLite 3.40.1 (file, WAL)", "18.00 ms", False)])

    text = report.read_text()
    assert "4.00 ms" in text  # the PostgreSQL figures of the earlier run
    assert "2.00 ms" in text  # another benchmark's figures
    assert "18.00 ms" in text
    assert "median 18.00 ms, **missed**" in text
    assert "median 4.00 ms, **met**" in text
    assert "| PostgreSQL server | 15.20" in text  # remembered from the run that used it
    assert "_Not measured yet: run `make bench`._" in text  # fan-out on SQLite


def test_a_second_run_of_the_same_benchmark_replaces_its_figures(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    update_report(report, [section("fanout", "SQLite 3.40.1 (file, WAL)", "9.00 ms", False)])
    update_report(report, [section("fanout", "SQLite 3.40.1 (file, WAL)", "3.00 ms", True)])

    text = report.read_text()
    assert "9.00 ms" not in text
    assert text.count("3.00 ms") == 2  # the table and the verdict


def test_bad_arguments_get_a_clear_error() -> None:
    for args, message in [
        (["sideways"], "unknown benchmark sideways: choose from duplicates, matching, fanout"),
        (["--sizes", "10k"], "--sizes takes whole numbers separated by commas"),
    ]:
        finished = subprocess.run(
            [sys.executable, "-m", "benchmarks", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert finished.returncode == 2
        assert message in finished.stderr
