"""The data dictionary documents every column that is exported, and nothing else."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from html import unescape

import pytest

from openlocal.opendata.columns import (
    BOOLEAN,
    CODE,
    DATETIME,
    INTEGER,
    JSON,
    LIST,
    MONTH,
    NUMBER,
    URL,
)
from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.exporters import export_text
from openlocal.opendata.models import Dataset


def test_every_published_dataset_has_a_definition() -> None:
    assert list(DATASETS) == list(Dataset.values)


def test_every_column_is_documented_completely() -> None:
    for spec in DATASETS.values():
        names = [c.name for c in spec.columns]
        assert len(names) == len(set(names)), f"{spec.slug} repeats a column"
        for column in spec.columns:
            where = f"{spec.slug}.{column.name}"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", column.name), where
            assert column.description.endswith((".", ")")), where
            assert column.example, where
            if column.kind is INTEGER:
                int(column.example)
            elif column.kind is NUMBER:
                float(column.example)
            elif column.kind is BOOLEAN:
                assert column.example in {"true", "false"}, where
            elif column.kind is DATETIME:
                assert datetime.fromisoformat(column.example).utcoffset() is not None, where
            elif column.kind is MONTH:
                assert re.fullmatch(r"\d{4}-\d{2}", column.example), where
            elif column.kind is URL:
                assert column.example.startswith(("https://", "http://")), where
            elif column.kind is JSON:
                json.loads(column.example)
            elif column.kind is LIST:
                assert "," not in column.example, where
            if column.choices:
                assert column.kind is CODE, where
                assert column.example in {value for value, _ in column.choices}, where


@pytest.mark.django_db
def test_every_exported_column_is_in_the_dictionary(client, published) -> None:
    """What the exporters write and what the dictionary page documents cannot drift."""
    page = client.get("/data/dictionary").content.decode()
    for spec in DATASETS.values():
        header = next(csv.reader(io.StringIO(export_text(spec, "csv"))))
        documented = re.findall(
            rf'<tr class="govuk-table__row" id="{spec.slug}-([a-z0-9_]+)">', page
        )
        assert header == documented, spec.slug
        first = export_text(spec, "ndjson").split("\n", 1)[0]
        assert list(json.loads(first)) == header, spec.slug
        if "geojson" in spec.formats:
            feature = json.loads(export_text(spec, "geojson"))["features"][0]
            assert list(feature["properties"]) == header, spec.slug


@pytest.mark.django_db
def test_the_dictionary_page_says_type_meaning_example_and_empty(client) -> None:
    response = client.get("/data/dictionary/requests")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert '<h1 class="govuk-heading-l">Data dictionary: Service requests</h1>' in html
    row = html.split('id="requests-reporter_name">', 1)[1].split("</tr>", 1)[0]
    assert "<code>reporter_name</code>" in row
    assert "Text" in row
    assert "only when they chose to show it" in row
    assert "Sam Green" in row
    assert ">Yes<" in row
    status = html.split('id="requests-status">', 1)[1].split("</tr>", 1)[0]
    assert "<code>action_scheduled</code></dt><dd>Action scheduled</dd>" in status
    assert 'id="types"' in html
    assert "ISO 8601 in UTC" in html
    assert client.get("/data/dictionary/nothing").status_code == 404
