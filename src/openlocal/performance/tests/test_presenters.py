"""Words, tables and chart geometry for the performance pages (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from openlocal.performance import presenters
from openlocal.performance.figures import Backlog, Figures
from openlocal.performance.presenters import Named


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (None, "–"),
        (0.0001, "under a minute"),
        (1 / 1440, "1 minute"),
        (0.02, "29 minutes"),
        (1 / 24, "1 hour"),
        (2.5 / 24, "2.5 hours"),
        (47 / 24, "47 hours"),
        (2.0, "2 days"),
        (4.24, "4.2 days"),
        (15.4, "15 days"),
        (1234.0, "1,234 days"),
    ],
)
def test_durations_in_words(days, text):
    assert presenters.duration_text(days) == text


def test_shares_and_counts_in_words():
    assert presenters.percent_text(75.0) == "75%"
    assert presenters.percent_text(66.67) == "66.7%"
    assert presenters.percent_text(None) == "–"
    assert presenters.count_text(12345) == "12,345"


def test_the_page_shows_what_the_csv_holds():
    cell = presenters.duration_cell(4.123456)
    assert cell.value == 4.123
    assert cell.text == presenters.duration_text(4.123)
    assert presenters.percent_cell(200 / 3).value == 66.7
    assert presenters.percent_cell(None).missing


def _rows() -> list[tuple[Named, Figures, Backlog]]:
    quick = Figures(requests=5, fixed=1, fix_times={1: 1})
    slow = Figures(requests=5, fixed=1, fix_times={100: 1})
    return [
        (Named("Beta"), slow, Backlog()),
        (Named("Alpha"), quick, Backlog().add(0, 3, 1)),
        (Named("Gamma"), Figures(requests=9), Backlog()),
    ]


def test_breakdowns_sort_by_any_column_with_ties_by_name_and_blanks_last():
    def names(table):
        return [row[0].text for row in table.rows]

    by_requests = presenters.breakdown_table("T", "Body", _rows(), csv_url="/t.csv", name="t")
    assert names(by_requests) == ["Gamma", "Alpha", "Beta"]
    fastest = presenters.breakdown_table(
        "T", "Body", _rows(), csv_url="/t.csv", name="t", sort="fix", descending=False
    )
    assert names(fastest) == ["Alpha", "Beta", "Gamma"]
    slowest = presenters.breakdown_table(
        "T", "Body", _rows(), csv_url="/t.csv", name="t", sort="fix", descending=True
    )
    # Gamma fixed nothing, so it has no time to fix and goes last either way.
    assert names(slowest) == ["Beta", "Alpha", "Gamma"]
    unknown = presenters.breakdown_table("T", "Body", _rows(), csv_url="/t.csv", name="t", sort="x")
    assert names(unknown) == names(by_requests)


def test_a_backlog_table_ends_with_the_whole_backlog():
    backlog = Backlog().add(0, 2, 0).add(3, 4, 3).add(4, 1, 1)
    table = presenters.backlog_table("Open", backlog, csv_url="/b.csv", name="backlog")
    assert [row[0].text for row in table.rows][-1] == presenters.ALL_OPEN
    assert [row[1].value for row in table.rows] == [2, 0, 0, 4, 1, 7]
    assert [row[2].value for row in table.rows] == [0, 0, 0, 3, 1, 4]


def test_axis_tops_are_round():
    assert presenters.nice_top(0) == (1.0, 1.0)
    assert presenters.nice_top(7) == (8.0, 2.0)
    assert presenters.nice_top(26) == (30.0, 10.0)
    assert presenters.nice_top(1234) == (1250.0, 250.0)


def test_bars_are_as_tall_as_their_values_and_a_missing_one_says_so():
    chart = presenters.column_chart(
        "c",
        "Heading",
        "Title",
        "Description",
        [("Jan", "2026"), ("Feb", "")],
        [("Days", [10.0, None], presenters.SOLID)],
    )
    first, second = chart.bars
    assert first.height == pytest.approx(chart.plot_bottom - chart.plot_top)
    assert (second.height, second.label) == (0.0, "–")
    assert [t.label for t in chart.y_ticks][-1] == "10"
    assert chart.x_labels[0].sub == "2026"
    assert chart.legend == []  # one series needs no legend; its heading names it


def test_trend_charts_describe_their_figures_in_words():
    months = {
        date(2026, m, 1): Figures(requests=m, fixed=1, fix_times={100 + m: 1}) for m in (1, 2, 3)
    }
    activity, speed = presenters.trend_charts("t", "Testshire", months)
    assert "In all, 6 were made and 3 fixed" in activity.description
    assert "the most were made in March 2026 (3)" in activity.description
    assert [name for name, _fill in activity.legend] == ["Requests made", "Fixed"]
    assert "shortest in January 2026" in speed.description
    assert "longest in March 2026" in speed.description
