"""/data/: the catalogue page, each dataset's page, and the DCAT-AP catalogue in JSON-LD."""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape

import pytest

from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.snapshots import snapshot_build

pytestmark = pytest.mark.django_db


def no_inline_script_or_style(html: str) -> None:
    """The pages keep the site's Content Security Policy: no inline scripts or styles."""
    assert " style=" not in html
    assert "<style" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script or "nonce=" in script, script


def test_the_catalogue_page_lists_every_dataset_with_its_downloads(client, published) -> None:
    response = client.get("/data/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    html = unescape(response.content.decode())
    no_inline_script_or_style(html)
    assert '<h1 class="govuk-heading-xl">Open data</h1>' in html
    assert 'rel="alternate" type="application/ld+json" href="/data/catalog.jsonld"' in html
    for spec in DATASETS.values():
        assert f'href="/data/{spec.slug}"' in html
        assert f'href="/data/dictionary/{spec.slug}"' in html
        for format_name in spec.formats:
            assert f'href="/data/{spec.slug}.{format_name}"' in html
    ogl = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert f'href="{ogl}" rel="license"' in html
    assert "Contains data from OpenLocal (http://127.0.0.1:8000/data/)" in html
    assert "Not made yet" in html


def test_a_dataset_page_offers_filtered_downloads(client, published) -> None:
    response = client.get("/data/requests?status=open&category=POT&updated_since=2026-01-01")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    no_inline_script_or_style(html)
    assert 'href="/data/requests.csv?status=open&category=POT&updated_since=2026-01-01"' in html
    assert '<option value="POT" selected>' in html
    assert "Clear filters" in html


def test_a_dataset_page_shows_what_is_wrong_with_a_filter(client, published) -> None:
    response = client.get("/data/requests?status=broken")
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "There is a problem with the filters" in html
    assert 'href="#status"' in html
    assert "status=broken is not a status" in html


def test_dataset_pages_and_snapshots_page_render(client, published, snapshot_dir) -> None:
    for spec in DATASETS.values():
        response = client.get(f"/data/{spec.slug}")
        assert response.status_code == 200, spec.slug
        no_inline_script_or_style(response.content.decode())
    assert "No snapshot has been made yet" in client.get("/data/snapshots/").content.decode()
    snapshot_build()
    html = unescape(client.get("/data/requests").content.decode())
    assert "/data/snapshots/latest/requests.csv" in html
    page = unescape(client.get("/data/snapshots/").content.decode())
    no_inline_script_or_style(page)
    assert "sha256sum --check" in page
    assert "requests.geojson" in page


def test_the_jsonld_catalogue_describes_every_dataset(client, published, snapshot_dir) -> None:
    snapshot = snapshot_build()
    response = client.get("/data/catalog.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    assert 'rel="license"' in response["Link"]
    assert response["Access-Control-Allow-Origin"] == "*"
    catalog = json.loads(response.content)
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert catalog["@context"]["spdx"] == "http://spdx.org/rdf/terms#"
    assert catalog["dct:publisher"]["foaf:name"] == "OpenLocal"
    licence = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert catalog["dct:license"]["@id"] == licence
    datasets = {d["dct:identifier"]: d for d in catalog["dcat:dataset"]}
    assert list(datasets) == list(DATASETS)
    for slug, entry in datasets.items():
        spec = DATASETS[slug]
        assert entry["@type"] == "dcat:Dataset"
        assert entry["dct:title"] == spec.title
        assert entry["dct:description"] == spec.description
        assert entry["dct:license"]["@id"] == licence
        assert entry["dct:publisher"]["@id"] == catalog["dct:publisher"]["@id"]
        assert entry["dct:modified"]["@type"] == "xsd:dateTime"
        assert entry["dcat:keyword"]
        assert all(
            t["@id"].startswith("http://publications.europa.eu/") for t in entry["dcat:theme"]
        )
        live = [d for d in entry["dcat:distribution"] if "/snapshots/" not in d["@id"]]
        dated = [d for d in entry["dcat:distribution"] if "/snapshots/" in d["@id"]]
        assert len(live) == len(dated) == len(spec.formats)
        for distribution in live:
            assert distribution["@type"] == "dcat:Distribution"
            url = distribution["dcat:downloadURL"]["@id"]
            assert url.startswith("http://127.0.0.1:8000/data/")
            path = url.removeprefix("http://127.0.0.1:8000")
            assert client.head(path).status_code == 200, path
            assert distribution["dct:format"]["@id"].startswith(
                "http://publications.europa.eu/resource/authority/file-type/"
            )
        for distribution in dated:
            name = distribution["dcat:downloadURL"]["@id"].rsplit("/", 1)[1]
            file = snapshot.folder / name
            assert distribution["dcat:byteSize"]["@value"] == str(file.stat().st_size)
            checksum = distribution["spdx:checksum"]
            assert checksum["spdx:algorithm"]["@id"] == (
                "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
            )
            assert (
                checksum["spdx:checksumValue"]["@value"]
                == hashlib.sha256(file.read_bytes()).hexdigest()
            )
        media = {d["dct:format"]["@id"].rsplit("/", 1)[1]: d.get("dcat:mediaType") for d in live}
        assert media["CSV"] == {"@id": "https://www.iana.org/assignments/media-types/text/csv"}
        if "geojson" in spec.formats:
            assert media["GEOJSON"] == {
                "@id": "https://www.iana.org/assignments/media-types/application/geo+json"
            }
            assert entry["dct:spatial"]["dcat:bbox"]["@value"].startswith("POLYGON((-3.6 50.6,")
    assert "dct:source" not in datasets["assets"]
