"""Display logic for the performance pages: words, tables and charts from figures.

Each table is a :class:`Table` whose cells carry both the value written to its CSV
download and the text shown on the page, the text always made from the value, so the page
and the download say the same. Charts are drawn here as geometry for an inline SVG that
the template writes out; each stands beside the table of its figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openlocal.performance.figures import Backlog, Figures
from openlocal.performance.models import BacklogBand

#: Shown (with "no figure" for screen readers) where there is nothing to measure.
NO_FIGURE = "–"


# Words -------------------------------------------------------------------------------------


def days_value(days: float | None) -> float | None:
    """A duration in days as it is published: to three decimals (under two minutes)."""
    return None if days is None else round(days, 3)


def duration_text(days: float | None) -> str:
    """A duration in words: minutes under an hour, hours under two days, then days."""
    if days is None:
        return NO_FIGURE
    minutes = days * 24 * 60
    if minutes < 1:
        return "under a minute"
    if minutes < 59.5:
        n = round(minutes)
        return f"{n} minute{'s' if n != 1 else ''}"
    hours = days * 24
    if hours < 48:
        shown = f"{hours:.1f}".removesuffix(".0") if hours < 10 else f"{round(hours)}"
        return f"{shown} hour{'s' if shown != '1' else ''}"
    shown = f"{days:.1f}".removesuffix(".0") if days < 10 else f"{round(days):,}"
    return f"{shown} days"


def percent_value(percent: float | None) -> float | None:
    return None if percent is None else round(percent, 1)


def percent_text(percent: float | None) -> str:
    if percent is None:
        return NO_FIGURE
    return f"{percent:.1f}".removesuffix(".0") + "%"


def count_text(n: int | None) -> str:
    return NO_FIGURE if n is None else f"{n:,}"


def month_name(month: date) -> str:
    return month.strftime("%B %Y")


def period_text(months: Sequence[date]) -> str:
    """A run of months in words, e.g. "August 2025 to July 2026"."""
    return f"{month_name(months[0])} to {month_name(months[-1])}"


def refreshed_text(when: datetime | None, local: Callable[[datetime], datetime]) -> str:
    if when is None:
        return (
            "These figures have not been worked out yet. The site's background worker works "
            "them out within a few minutes of starting."
        )
    moment = local(when)
    clock = moment.strftime("%-I:%M%p").lower()
    return f"Figures last brought up to date at {clock} on {moment.strftime('%-d %B %Y')}."


# Tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    heading: str
    #: The CSV's heading for the column (with its unit where the page's cells carry one).
    csv_heading: str
    numeric: bool = True
    #: The key a sortable table sorts by when this column's heading is chosen.
    sort: str = ""


@dataclass(frozen=True)
class Cell:
    #: The value in the CSV download: a number, text, or None for an empty cell.
    value: Any
    #: The text shown on the page, made from ``value``.
    text: str
    href: str = ""

    @property
    def missing(self) -> bool:
        return self.text == NO_FIGURE


@dataclass
class Table:
    """A GOV.UK table of figures, downloadable as CSV."""

    caption: str
    columns: list[Column]
    rows: list[list[Cell]]
    #: The CSV download's address.
    csv_url: str = ""
    #: The CSV download's file name (without the date).
    name: str = ""
    #: The first column names each row (a ``<th scope="row">``).
    row_headers: bool = True
    #: For a sortable table: the sort key in force and whether it is descending.
    sorted_by: str = ""
    descending: bool = False
    empty: str = "Nothing to show yet."


def count_cell(n: int) -> Cell:
    return Cell(n, count_text(n))


def duration_cell(days: float | None) -> Cell:
    value = days_value(days)
    return Cell(value, duration_text(value))


def percent_cell(percent: float | None) -> Cell:
    value = percent_value(percent)
    return Cell(value, percent_text(value))


BREAKDOWN_COLUMNS = [
    Column("Requests made", "Requests made", sort="requests"),
    Column("Supporters", "Supporters", sort="supporters"),
    Column("Followers", "Followers", sort="followers"),
    Column(
        "Median time to acknowledge",
        "Median time to acknowledge (days)",
        sort="acknowledge",
    ),
    Column("Median time to fix", "Median time to fix (days)", sort="fix"),
    Column("Fixed within service level", "Fixed within service level (%)", sort="in_time"),
    Column("Open now", "Open now", sort="open"),
]


def figure_cells(figures: Figures, backlog: Backlog) -> list[Cell]:
    """The cells of :data:`BREAKDOWN_COLUMNS` for one row."""
    return [
        count_cell(figures.requests),
        count_cell(figures.supporters),
        count_cell(figures.followers),
        duration_cell(figures.median_acknowledge_days),
        duration_cell(figures.median_fix_days),
        percent_cell(figures.in_time_percent),
        count_cell(backlog.open),
    ]


@dataclass(frozen=True)
class Named:
    """A row's name and where it links to."""

    name: str
    href: str = ""
    #: An area's kind ("Ward"), shown in a column of its own where the table has one.
    kind: str = ""


#: Sort keys for a breakdown table: each takes (name, figures, backlog).
SORTS: dict[str, Callable[[Named, Figures, Backlog], Any]] = {
    "name": lambda n, f, b: n.name.lower(),
    "requests": lambda n, f, b: f.requests,
    "supporters": lambda n, f, b: f.supporters,
    "followers": lambda n, f, b: f.followers,
    "acknowledge": lambda n, f, b: f.median_acknowledge_days,
    "fix": lambda n, f, b: f.median_fix_days,
    "in_time": lambda n, f, b: f.in_time_percent,
    "open": lambda n, f, b: b.open,
}


def breakdown_table(
    caption: str,
    first: str,
    rows: Sequence[tuple[Named, Figures, Backlog]],
    *,
    csv_url: str,
    name: str,
    sort: str = "requests",
    descending: bool = True,
    with_kind: bool = False,
    sortable: bool = False,
) -> Table:
    """A table of figures by body, category or area, sorted by ``sort``.

    Rows without a figure for the sort key go last whichever the order; ties go by name.
    """
    key = SORTS.get(sort, SORTS["requests"])
    by_name = sorted(rows, key=lambda r: r[0].name.lower())
    present = [r for r in by_name if key(*r) is not None]
    # Python's sort is stable even reversed, so ties stay in order of name.
    present.sort(key=lambda r: key(*r), reverse=descending)
    absent = [r for r in by_name if key(*r) is None]
    columns = [Column(first, first, numeric=False, sort="name")]
    if with_kind:
        columns.append(Column("Type", "Type", numeric=False))
    columns += BREAKDOWN_COLUMNS
    table_rows = []
    for named, figures, backlog in [*present, *absent]:
        cells = [Cell(named.name, named.name, named.href)]
        if with_kind:
            cells.append(Cell(named.kind, named.kind))
        table_rows.append(cells + figure_cells(figures, backlog))
    return Table(
        caption=caption,
        columns=columns,
        rows=table_rows,
        csv_url=csv_url,
        name=name,
        sorted_by=sort if sortable else "",
        descending=descending,
    )


TREND_COLUMNS = [
    Column("Month", "Month", numeric=False),
    Column("Requests made", "Requests made"),
    Column("Acknowledged", "Acknowledged"),
    Column("Fixed", "Fixed"),
    Column("Median time to acknowledge", "Median time to acknowledge (days)"),
    Column("Median time to fix", "Median time to fix (days)"),
    Column("Fixed within service level", "Fixed within service level (%)"),
]


def trend_table(caption: str, by_month: dict[date, Figures], *, csv_url: str, name: str) -> Table:
    rows = []
    for month, figures in sorted(by_month.items()):
        rows.append(
            [
                Cell(month.strftime("%Y-%m"), month_name(month)),
                count_cell(figures.requests),
                count_cell(figures.acknowledged),
                count_cell(figures.fixed),
                duration_cell(figures.median_acknowledge_days),
                duration_cell(figures.median_fix_days),
                percent_cell(figures.in_time_percent),
            ]
        )
    return Table(caption=caption, columns=TREND_COLUMNS, rows=rows, csv_url=csv_url, name=name)


BACKLOG_COLUMNS = [
    Column("Open for", "Open for", numeric=False),
    Column("Open requests", "Open requests"),
    Column("Past their due date", "Past their due date"),
]
#: The whole backlog's row in the backlog table.
ALL_OPEN = "All open requests"


def backlog_table(caption: str, backlog: Backlog, *, csv_url: str, name: str) -> Table:
    """Open requests by age band, with the whole backlog last."""
    rows = [
        [
            Cell(str(band.label), str(band.label)),
            count_cell(backlog.bands.get(band.value, 0)),
            count_cell(backlog.overdue_bands.get(band.value, 0)),
        ]
        for band in BacklogBand
    ]
    rows.append([Cell(ALL_OPEN, ALL_OPEN), count_cell(backlog.open), count_cell(backlog.overdue)])
    return Table(caption=caption, columns=BACKLOG_COLUMNS, rows=rows, csv_url=csv_url, name=name)


# Charts ------------------------------------------------------------------------------------

#: The drawing's size in SVG user units; it scales to the width of its column.
CHART_WIDTH = 720
CHART_HEIGHT = 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 16, 78
#: Fills: GOV.UK blue (4.9:1 against white) and a black-on-white hatching, so the two
#: series differ in pattern as well as colour; every bar is also labelled with its value.
SOLID = "solid"
HATCHED = "hatched"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    #: The value written above (or beside) the bar.
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    #: A second line under the label (the year under a month).
    sub: str = ""


@dataclass
class Chart:
    """An SVG bar chart: its title and description (read out by screen readers), the bars,
    the axis labels and a legend."""

    id: str
    #: The heading shown above the chart.
    heading: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick] = field(default_factory=list)
    x_labels: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    plot_left: float = _LEFT
    plot_right: float = CHART_WIDTH - _RIGHT
    plot_top: float = _TOP
    plot_bottom: float = CHART_HEIGHT - _BOTTOM
    horizontal: bool = False
    #: Each bar labelled with its value (left out where bars are too narrow for it).
    value_labels: bool = True

    @property
    def hatch_id(self) -> str:
        return f"{self.id}-hatch"


def nice_top(largest: float) -> tuple[float, float]:
    """A round top for an axis holding ``largest``, and the step between its ticks."""
    if largest <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(largest))
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        size = step * magnitude
        if largest / size <= 5:
            return math.ceil(largest / size) * size, size
    return largest, largest  # pragma: no cover - a step of 10 × magnitude always fits


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"


def column_chart(
    chart_id: str,
    heading: str,
    title: str,
    description: str,
    labels: Sequence[tuple[str, str]],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    value_text: Callable[[float | None], str] = lambda v: _number(v or 0),
) -> Chart:
    """Vertical bars, one group per label (two lines: a label and a line under it), one bar
    per series in each group.

    ``series`` is (name, values, fill) with fill :data:`SOLID` or :data:`HATCHED`. A
    missing value (None) draws no bar and labels the place with a dash.
    """
    top, step = nice_top(max((v or 0 for _, values, _ in series for v in values), default=0))
    plot_left, plot_right = _LEFT, CHART_WIDTH - _RIGHT
    plot_top, plot_bottom = _TOP, CHART_HEIGHT - _BOTTOM
    group = (plot_right - plot_left) / max(len(labels), 1)
    gap = group * 0.2
    width = (group - gap) / max(len(series), 1)
    bars = []
    for s, (_name, values, fill) in enumerate(series):
        for i, value in enumerate(values):
            height = 0.0 if value is None else (plot_bottom - plot_top) * value / top
            x = plot_left + i * group + gap / 2 + s * width
            y = plot_bottom - height
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(y, 1),
                    width=round(width, 1),
                    height=round(height, 1),
                    fill=fill,
                    label=value_text(value) if value is not None else NO_FIGURE,
                    label_x=round(x + width / 2, 1),
                    label_y=round(y - 4, 1),
                )
            )
    ticks = []
    steps = round(top / step)
    for n in range(steps + 1):
        value = n * step
        ticks.append(
            Tick(round(plot_bottom - (plot_bottom - plot_top) * value / top, 1), _number(value))
        )
    x_labels = [
        Tick(round(plot_left + i * group + group / 2, 1), label, sub)
        for i, (label, sub) in enumerate(labels)
    ]
    return Chart(
        id=chart_id,
        heading=heading,
        title=title,
        description=description,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bars=bars,
        y_ticks=ticks,
        x_labels=x_labels,
        legend=[(name, fill) for name, _values, fill in series] if len(series) > 1 else [],
        value_labels=len(series) == 1,
    )


def bar_chart(
    chart_id: str,
    heading: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int],
) -> Chart:
    """Horizontal bars, one per label, each labelled with its value."""
    left, right = 150, CHART_WIDTH - 70
    row = 34
    height = _TOP + row * len(labels) + 10
    top, _step = nice_top(max(values, default=0))
    bars = []
    for i, value in enumerate(values):
        length = (right - left) * value / top
        y = _TOP + i * row + 6
        bars.append(
            Bar(
                x=left,
                y=y,
                width=round(length, 1),
                height=row - 12,
                fill=SOLID,
                label=f"{value:,}",
                label_x=round(left + length + 6, 1),
                label_y=round(y + (row - 12) / 2 + 5, 1),
            )
        )
    names = [Tick(round(_TOP + i * row + row / 2 + 1, 1), label) for i, label in enumerate(labels)]
    return Chart(
        id=chart_id,
        heading=heading,
        title=title,
        description=description,
        width=CHART_WIDTH,
        height=height,
        bars=bars,
        x_labels=names,
        plot_left=left,
        plot_right=right,
        plot_top=_TOP,
        plot_bottom=height - 10,
        horizontal=True,
    )


def short_month(month: date, first: bool) -> tuple[str, str]:
    """A month's label on a chart, with the year under January and the first month shown."""
    return month.strftime("%b"), month.strftime("%Y") if first or month.month == 1 else ""


def trend_charts(chart_id: str, subject: str, by_month: dict[date, Figures]) -> list[Chart]:
    """Requests made and fixed each month; and the median time to fix each month."""
    months = sorted(by_month)
    labels = [short_month(m, i == 0) for i, m in enumerate(months)]
    made = [by_month[m].requests for m in months]
    fixed = [by_month[m].fixed for m in months]
    busiest = max(range(len(months)), key=lambda i: made[i]) if months else 0
    period = period_text(months) if months else ""
    activity = column_chart(
        f"{chart_id}-activity",
        "Requests made and fixed each month",
        f"Requests made and fixed each month, {subject}",
        (
            f"Bar chart of the requests made (solid bars) and fixed (hatched bars) each month "
            f"from {period}. In all, {sum(made):,} were made and {sum(fixed):,} fixed"
            + (
                f"; the most were made in {month_name(months[busiest])} ({made[busiest]:,})"
                if any(made)
                else ""
            )
            + ". The table below gives every figure."
        ),
        labels,
        [("Requests made", made, SOLID), ("Fixed", fixed, HATCHED)],
    )
    medians = [days_value(by_month[m].median_fix_days) for m in months]
    measured = [(m, v) for m, v in zip(months, medians, strict=True) if v is not None]
    if measured:
        fastest = min(measured, key=lambda item: item[1])
        slowest = max(measured, key=lambda item: item[1])
        summary = (
            f" It was shortest in {month_name(fastest[0])} ({duration_text(fastest[1])}) and "
            f"longest in {month_name(slowest[0])} ({duration_text(slowest[1])})."
        )
    else:
        summary = " No request was fixed in these months."
    speed = column_chart(
        f"{chart_id}-speed",
        "Median time to fix each month, in days",
        f"Median time to fix, in days, each month, {subject}",
        f"Bar chart of the median number of days taken to fix requests, by the month they "
        f"were fixed, from {period}.{summary} The table below gives every figure.",
        labels,
        [("Median days to fix", medians, SOLID)],
        value_text=lambda v: f"{v:.1f}" if v is not None and v < 10 else _number(v or 0),
    )
    return [activity, speed]


def backlog_chart(chart_id: str, subject: str, backlog: Backlog) -> Chart:
    labels = [str(band.label) for band in BacklogBand]
    values = [backlog.bands.get(band.value, 0) for band in BacklogBand]
    largest = max(range(len(values)), key=values.__getitem__)
    return bar_chart(
        f"{chart_id}-backlog",
        "Open requests by how long they have been open",
        f"Open requests by how long they have been open, {subject}",
        (
            f"Bar chart of the {backlog.open:,} requests open now, by how long they have been "
            f"open"
            + (f"; most ({values[largest]:,}) {labels[largest].lower()}" if backlog.open else "")
            + ". The table below gives every figure."
        ),
        labels,
        values,
    )
