"""The performance pages show the scenario's figures, and each CSV says what its table says."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from openlocal.performance import histograms
from openlocal.performance.presenters import duration_text, month_name
from openlocal.performance.rollups import rollups_rebuild

from .pages import csv_rows, row, table, tables


@pytest.fixture
def site(scenario):
    rollups_rebuild()
    return scenario


def days_shown(text: str) -> float:
    """A duration as the pages write it, in days."""
    number, unit = re.fullmatch(r"([\d.,]+) (minutes?|hours?|days)", text).groups()  # type: ignore[union-attr]
    value = float(number.replace(",", ""))
    return value / {"m": 1440, "h": 24, "d": 1}[unit[0]]


def near(text: str, days: float) -> bool:
    # The histograms' precision, and the rounding of what is shown (one decimal place).
    return abs(days_shown(text) - days) <= histograms.PRECISION * days + 0.05 * days


def test_a_body_page_shows_its_figures(client, site):
    page = client.get(reverse("performance:body", args=["testshire"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How Testshire County Council deals with requests" in html
    assert "Figures last brought up to date at" in html
    # Over the last 12 months: A, B, C, D, E and G; fixed A 2, G 3, C 4, B 8, E 10 days.
    headline = re.search(r"Median time to fix</dt>\s*<dd[^>]*>([^<]+)<", html)
    assert headline is not None and near(headline.group(1).strip(), 4)
    trend = table(html, "Month by month")
    assert len(trend.rows) == 12
    month = row(trend, month_name(site.month))
    assert month["Requests made"] == "5"
    assert month["Acknowledged"] == "5"
    assert month["Fixed"] == "5"
    assert month["Fixed within service level"] == "75%"
    assert near(month["Median time to acknowledge"], 6 / 24)
    before = row(trend, month_name(site.previous))
    assert (before["Requests made"], before["Fixed"]) == ("1", "0")
    assert before["Median time to fix"] == "–"
    categories = table(html, "By category")
    pothole = row(categories, "Pothole")
    assert pothole["Requests made"] == "5"
    assert pothole["Supporters"] == "3"
    assert pothole["Followers"] == "5"
    assert pothole["Fixed within service level"] == "75%"
    assert pothole["Open now"] == "1"
    assert row(categories, "Street light not working")["Fixed within service level"] == "–"
    areas = table(html, "By area")
    # The county first, then its districts by name.
    assert [r[0] for r in areas.rows] == ["Testshire", "East Testshire", "West Testshire"]
    assert row(areas, "West Testshire")["Type"] == "District"
    assert row(areas, "East Testshire")["Requests made"] == "1"


def test_the_backlog_table_and_chart(client, site):
    html = client.get(reverse("performance:body", args=["east"])).content.decode()
    backlog = table(html, "Open requests now")
    assert [r[1] for r in backlog.rows] == ["1", "1", "1", "1", "1", "5"]
    assert row(backlog, "Under 1 week")["Past their due date"] == "0"
    assert row(backlog, "All open requests")["Past their due date"] == "4"
    chart = re.search(
        r'<svg class="ol-chart"[^>]*aria-labelledby="backlog-backlog-title[^>]*>(.*?)</svg>',
        html,
        re.S,
    )
    assert chart is not None
    assert (
        '<title id="backlog-backlog-title">Open requests by how long they have been open'
        in chart.group(0)
    )
    assert "Bar chart of the 5 requests open now" in chart.group(1)
    # Each bar has its value as text beside it, not only a length.
    assert re.findall(r'class="ol-chart__value"[^>]*>(\d+)<', chart.group(1)) == ["1"] * 5


def test_every_chart_is_an_image_with_a_title_and_a_description(client, site):
    html = client.get(reverse("performance:body", args=["testshire"])).content.decode()
    charts = re.findall(r"<svg [^>]*>", html)
    assert len(charts) == 3
    for opening in charts:
        assert 'role="img"' in opening
        title, desc = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', opening).groups()  # type: ignore[union-attr]
        assert f'<title id="{title}">' in html
        assert f'<desc id="{desc}">' in html
    # The two series differ in pattern as well as colour, and the legend names them.
    assert 'fill="url(#trend-activity-hatch)"' in html
    assert ">Requests made</text>" in html and ">Fixed</text>" in html


def test_an_area_page_breaks_its_figures_down_by_body_category_and_area(client, site):
    html = client.get(reverse("performance:area", args=[site.place.county.slug])).content.decode()
    bodies = table(html, "By body")
    assert row(bodies, "Testshire County Council")["Requests made"] == "6"
    assert row(bodies, "West Testshire District Council")["Requests made"] == "1"
    assert row(bodies, "East Testshire District Council")["Open now"] == "5"
    categories = table(html, "By category")
    # Made 2, 10, 40, 100 and 400 days ago: the last is older than the 12 months shown,
    # though still open.
    assert row(categories, "Fly-tipping")["Requests made"] == "4"
    assert row(categories, "Fly-tipping")["Open now"] == "5"
    within = table(html, "Areas within Testshire")
    assert row(within, "West Testshire")["Requests made"] == "6"
    assert row(within, "East Testshire")["Requests made"] == "5"


def test_a_category_page_breaks_its_figures_down_by_body(client, site):
    html = client.get(reverse("performance:category", args=["missed-bin"])).content.decode()
    west = row(table(html, "By body"), "West Testshire District Council")
    assert (west["Requests made"], west["Median time to fix"]) == ("1", "–")
    assert near(west["Median time to acknowledge"], 3 / 24)
    private = client.get(reverse("performance:category", args=["abuse"])).content.decode()
    assert "Requests in this category are private" in private
    assert row(table(private, "Month by month"), month_name(site.month))["Requests made"] == "0"


def test_the_overview_lists_every_body_and_sorts_by_any_column(client, site):
    html = client.get(reverse("performance:overview")).content.decode()
    bodies = table(html, "Every body's figures")
    assert [r[0] for r in bodies.rows] == [
        "East Testshire District Council",
        "Testshire County Council",
        "West Testshire District Council",
    ]
    assert 'aria-sort="ascending"' in html
    busiest = client.get(reverse("performance:overview"), {"sort": "requests", "order": "desc"})
    seen = table(busiest.content.decode(), "Every body's figures")
    assert [r[1] for r in seen.rows] == ["6", "4", "1"]
    assert 'aria-sort="descending"' in busiest.content.decode()
    assert seen.download.endswith(
        "bodies.csv?sort=requests&amp;order=desc"
    ) or seen.download.endswith("bodies.csv?sort=requests&order=desc")
    # Nonsense in the address sorts by name rather than failing.
    odd = client.get(reverse("performance:overview"), {"sort": "<script>", "order": "sideways"})
    assert odd.status_code == 200
    assert "<script>" not in odd.content.decode()
    assert 'href="/performance/categories/pothole"' in html
    assert 'href="/performance/areas/' + site.place.county.slug + '"' in html
    # The private category has no figures to show, so it is not offered.
    assert "Abusive behaviour" not in html


def test_before_the_first_refresh_the_pages_say_so(client, scenario):
    html = client.get(reverse("performance:overview")).content.decode()
    assert "These figures have not been worked out yet" in html


def test_the_site_links_to_the_figures(client, site):
    home = client.get(reverse("web:home")).content.decode()
    assert 'href="/performance/"' in home
    body = client.get(reverse("web:body", args=["testshire"])).content.decode()
    assert 'href="/performance/bodies/testshire"' in body


@pytest.mark.parametrize(
    "path",
    [
        "/performance/bodies/nobody",
        "/performance/areas/nowhere",
        "/performance/categories/nothing",
        "/performance/bodies/testshire/nothing.csv",
        "/performance/bodies/nobody/trend.csv",
    ],
)
def test_what_does_not_exist_is_not_found(client, site, path):
    assert client.get(path).status_code == 404


def _expected_text(heading: str, value: str) -> str:
    """What the page shows for a CSV value under a CSV heading."""
    if value == "":
        return "–"
    if heading.endswith("(days)"):
        return duration_text(float(value))
    if heading.endswith("(%)"):
        return value + "%"
    if heading == "Month":
        year, month = value.split("-")
        return month_name(date(int(year), int(month), 1))
    if re.fullmatch(r"\d+", value):
        return f"{int(value):,}"
    return value


def _pages(site) -> list[str]:
    return [
        reverse("performance:overview"),
        reverse("performance:overview") + "?sort=fix&order=asc",
        reverse("performance:body", args=["testshire"]),
        reverse("performance:body", args=["east"]),
        reverse("performance:area", args=[site.place.county.slug]),
        reverse("performance:area", args=[site.place.west.slug]),
        reverse("performance:category", args=["pothole"]),
    ]


def test_every_csv_download_says_what_its_table_says(client, site):
    compared = 0
    for path in _pages(site):
        for seen in tables(client.get(path).content.decode()):
            download = client.get(seen.download.replace("&amp;", "&"))
            assert download.status_code == 200, seen.download
            assert download["Content-Type"].startswith("text/csv")
            assert "attachment" in download["Content-Disposition"]
            assert 'rel="license"' in download["Link"]
            lines = csv_rows(download.getvalue())
            headings, rows = lines[0], lines[1:]
            assert len(rows) == len(seen.rows), seen.caption
            for csv_row, page_row in zip(rows, seen.rows, strict=True):
                shown = [_expected_text(h, v) for h, v in zip(headings, csv_row, strict=True)]
                assert shown == page_row, seen.caption
            compared += 1
    assert compared >= 20


def test_no_page_or_download_holds_anything_private(client, site):
    # The scenario's requests are assigned and noted by staff too.
    d = site.requests["D"]
    d.refresh_from_db()
    d.assigned_to = site.place.county_inspector
    d.save(update_fields=["assigned_to"])
    rollups_rebuild()
    outputs = []
    for path in [*_pages(site), reverse("performance:category", args=["abuse"])]:
        html = client.get(path).content.decode()
        outputs.append(html)
        for seen in tables(html):
            download = client.get(seen.download.replace("&amp;", "&"))
            outputs.append(download.getvalue().decode())
    text = "\n".join(outputs)
    for secret in [*site.emails, *site.secrets, "Ivy Inspector", "Reporter A", "highways@"]:
        assert secret not in text
