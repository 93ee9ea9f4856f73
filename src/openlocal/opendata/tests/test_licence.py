"""The licence and the attribution of imported data travel with the data, wherever it goes."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.utils import timezone

from openlocal.opendata.models import Dataset, DataSource
from openlocal.opendata.snapshots import snapshot_build

pytestmark = pytest.mark.django_db

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
NAPTAN_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right 2023"


@pytest.fixture
def sources(place) -> list[DataSource]:
    return [
        DataSource.objects.create(
            slug="naptan",
            name="NaPTAN (Department for Transport)",
            dataset=Dataset.ASSETS,
            publisher="Department for Transport",
            licence_name="Open Government Licence v3.0",
            licence_url=OGL,
            attribution=NAPTAN_ATTRIBUTION,
            source_url="https://beta-naptan.dft.gov.uk/",
            imported_at=timezone.now(),
            rows=1,
        ),
        DataSource.objects.create(
            slug="ons-wards",
            name="Ward boundaries (ONS)",
            dataset=Dataset.AREAS,
            publisher="Office for National Statistics",
            licence_name="Open Government Licence v3.0",
            licence_url=OGL,
            attribution=OS_ATTRIBUTION,
        ),
    ]


def links(response) -> list[str]:
    return [part.strip() for part in response.get("Link", "").split(",") if part.strip()]


def test_api_open311_and_feeds_answers_name_the_licence(client, published) -> None:
    license_link = f'<{OGL}>; rel="license"; title="Open Government Licence v3.0"'
    for path in (
        "/api/v1/requests",
        f"/api/v1/requests/{published.fixed.pk}",
        "/api/v1/categories",
        "/open311/v2/services.json",
        "/open311/v2/requests.xml",
        "/feeds/requests",
        f"/feeds/requests/{published.fixed.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert license_link in links(response), path
    # A link the view set (the next page) is kept beside it.
    paged = client.get("/api/v1/requests?limit=1")
    assert any(link.endswith('rel="next"') for link in links(paged))
    assert license_link in links(paged)
    # Pages for people are not data: no licence header there.
    assert "Link" not in client.get("/")


def test_the_licence_is_configurable(client, published, settings) -> None:
    settings.DATA_LICENCE_NAME = "Creative Commons Attribution 4.0"
    settings.DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
    settings.DATA_PUBLISHER = "Testshire County Council"
    expected = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    assert links(client.get("/api/v1/requests"))[0].startswith(expected)
    assert links(client.get("/data/requests.csv"))[0].startswith(expected)
    html = unescape(client.get("/data/").content.decode())
    assert "Published by Testshire County Council under the" in html
    assert ">Creative Commons Attribution 4.0</a>" in html
    catalog = json.loads(client.get("/data/catalog.jsonld").content)
    assert catalog["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    assert catalog["dct:publisher"]["foaf:name"] == "Testshire County Council"


def test_imported_sources_are_credited_with_their_datasets(client, sources) -> None:
    html = unescape(client.get("/data/assets").content.decode())
    assert "NaPTAN (Department for Transport)" in html
    assert f"<q>{NAPTAN_ATTRIBUTION}</q>" in html
    assert OS_ATTRIBUTION not in html  # another dataset's source
    geojson = client.get("/data/assets.geojson").getvalue()
    data = json.loads(geojson)
    assert data["attribution"][0] == NAPTAN_ATTRIBUTION
    assert data["attribution"][1].startswith("Contains data from OpenLocal")
    assert data["sources"][0]["name"] == "NaPTAN (Department for Transport)"
    areas = json.loads(client.get("/data/areas.geojson").getvalue())
    assert areas["attribution"][0] == OS_ATTRIBUTION
    catalog = json.loads(client.get("/data/catalog.jsonld").content)
    entries = {d["dct:identifier"]: d for d in catalog["dcat:dataset"]}
    (naptan,) = entries["assets"]["dct:source"]
    assert naptan["dct:title"] == "NaPTAN (Department for Transport)"
    assert naptan["dct:rights"]["rdfs:label"] == NAPTAN_ATTRIBUTION
    assert naptan["dct:license"]["@id"] == OGL
    assert entries["assets"]["dct:rights"]["rdfs:label"].startswith(NAPTAN_ATTRIBUTION)
    assert "dct:source" not in entries["requests"]
    notice = client.get("/data/LICENCE")
    assert notice["Content-Type"] == "text/plain; charset=utf-8"
    text = notice.content.decode()
    assert "Licence: Open Government Licence v3.0" in text
    assert NAPTAN_ATTRIBUTION in text
    assert OS_ATTRIBUTION in text
    assert "Assets: NaPTAN (Department for Transport)" in text


def test_a_csv_download_points_to_the_notice_with_the_attributions(client, sources) -> None:
    response = client.get("/data/assets.csv")
    notice = next(link for link in links(response) if "/data/LICENCE" in link)
    assert notice == '<http://127.0.0.1:8000/data/LICENCE>; rel="describedby"; type="text/plain"'


def test_the_snapshot_folder_carries_the_licence(sources, snapshot_dir) -> None:
    snapshot = snapshot_build()
    licence = (snapshot.folder / "LICENCE.txt").read_text()
    assert OGL in licence
    assert NAPTAN_ATTRIBUTION in licence
    assert OS_ATTRIBUTION in licence
    readme = (snapshot.folder / "README.txt").read_text()
    assert "sha256sum --check SHA256SUMS" in readme
    assert "Open Government Licence v3.0" in readme
