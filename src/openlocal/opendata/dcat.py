"""The catalogue as DCAT-AP in JSON-LD (``/data/catalog.jsonld``).

One ``dcat:Catalog`` with a ``dcat:Dataset`` per dataset. Each dataset has a distribution
per format for the live download, and one per file of the latest daily snapshot with its
size (``dcat:byteSize``) and SHA-256 checksum (``spdx:checksum``). The licence, publisher
and the attribution statements of imported sources (``dct:rights``, ``dct:source``) are on
every dataset. Themes come from the EU data-theme vocabulary, formats from the EU file-type
vocabulary, media types from IANA's register. Newline-delimited JSON has no registered
media type, so its distributions give only ``dct:format``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse

from openlocal.opendata import licence
from openlocal.opendata.columns import datetime_text
from openlocal.opendata.datasets import DATASETS, DatasetSpec
from openlocal.opendata.exporters import FORMATS
from openlocal.opendata.metadata import dictionary_url
from openlocal.opendata.snapshots import Snapshot, snapshot_for
from openlocal.places.models import Area

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/ENG"
IANA = "https://www.iana.org/assignments/media-types/"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def _url(name: str, *args: str) -> str:
    return settings.BASE_URL + reverse(name, args=args or None)


def _when(value: datetime) -> dict[str, str]:
    return {"@value": datetime_text(value), "@type": "xsd:dateTime"}


def _licence() -> dict[str, Any]:
    site = licence.site_licence()
    return {"@id": site.url, "@type": "dct:LicenseDocument", "rdfs:label": site.name}


def _publisher() -> dict[str, Any]:
    return {
        "@id": settings.BASE_URL + "/#publisher",
        "@type": "foaf:Agent",
        "foaf:name": settings.DATA_PUBLISHER,
        "foaf:homepage": {"@id": settings.BASE_URL + "/"},
    }


def _bbox() -> dict[str, Any] | None:
    """The box around every area, as a WKT polygon: where the geographic datasets lie."""
    box = Area.objects.aggregate(
        s=Min("min_latitude"), w=Min("min_longitude"), n=Max("max_latitude"), e=Max("max_longitude")
    )
    if any(box[k] is None for k in "swne"):
        return None
    s, w, n, e = (float(box[k]) for k in "swne")
    wkt = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
    return {"@type": "dct:Location", "dcat:bbox": {"@value": wkt, "@type": "gsp:wktLiteral"}}


def _distribution(spec: DatasetSpec, format_name: str, snapshot: Snapshot | None) -> dict[str, Any]:
    fmt = FORMATS[format_name]
    if snapshot is None:
        url = _url("opendata:download", spec.slug, fmt.extension)
        access = _url("opendata:dataset", spec.slug)
        title = f"{spec.title} as {fmt.label}, up to the minute"
    else:
        url = _url("opendata:snapshot-file", snapshot.name, f"{spec.slug}.{fmt.extension}")
        access = _url("opendata:snapshots")
        title = f"{spec.title} as {fmt.label}, daily snapshot of {snapshot.name}"
    distribution: dict[str, Any] = {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:accessURL": {"@id": access},
        "dcat:downloadURL": {"@id": url},
        "dct:format": {"@id": FILE_TYPE + fmt.file_type},
        "dct:license": _licence(),
        "dct:conformsTo": {"@id": dictionary_url(spec)},
    }
    if fmt.iana is not None:
        distribution["dcat:mediaType"] = {"@id": IANA + fmt.iana}
    if snapshot is not None:
        file = snapshot.data_file(spec.slug, format_name)
        if file is not None:
            distribution["dct:issued"] = _when(snapshot.generated_at)
            distribution["dcat:byteSize"] = {
                "@value": str(file.bytes),
                "@type": "xsd:nonNegativeInteger",
            }
            distribution["spdx:checksum"] = {
                "@type": "spdx:Checksum",
                "spdx:algorithm": {"@id": SHA256},
                "spdx:checksumValue": {"@value": file.sha256, "@type": "xsd:hexBinary"},
            }
    return distribution


def _source(source: licence.Source) -> dict[str, Any]:
    entry: dict[str, Any] = {"@type": "dcat:Dataset", "dct:title": source.name}
    if source.publisher:
        entry["dct:publisher"] = {"@type": "foaf:Agent", "foaf:name": source.publisher}
    if source.licence_url:
        entry["dct:license"] = {
            "@id": source.licence_url,
            "@type": "dct:LicenseDocument",
            "rdfs:label": source.licence_name or source.licence_url,
        }
    if source.attribution:
        entry["dct:rights"] = {"@type": "dct:RightsStatement", "rdfs:label": source.attribution}
    if source.source_url:
        entry["dcat:landingPage"] = {"@id": source.source_url}
    return entry


def dataset_entry(
    spec: DatasetSpec,
    *,
    snapshot: Snapshot | None,
    modified: datetime | None,
    spatial: dict[str, Any] | None,
    sources: list[licence.Source],
) -> dict[str, Any]:
    page = _url("opendata:dataset", spec.slug)
    entry: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": spec.slug,
        "dct:title": spec.title,
        "dct:description": spec.description,
        "dcat:keyword": list(spec.keywords),
        "dcat:theme": [{"@id": THEME + theme} for theme in spec.themes],
        "dct:license": _licence(),
        "dct:publisher": {"@id": settings.BASE_URL + "/#publisher"},
        "dct:rights": {
            "@type": "dct:RightsStatement",
            "rdfs:label": " ".join(licence.attributions(spec.slug)),
        },
        "dct:accrualPeriodicity": {"@id": FREQUENCY + "CONT"},
        "dct:language": {"@id": LANGUAGE},
        "dcat:landingPage": {"@id": page},
        "dct:conformsTo": {
            "@id": dictionary_url(spec),
            "@type": "dct:Standard",
            "rdfs:label": f"Data dictionary: {spec.title}",
        },
        "dcat:distribution": [
            *(_distribution(spec, f, None) for f in spec.formats),
            *(_distribution(spec, f, snapshot) for f in spec.formats if snapshot is not None),
        ],
    }
    if modified is not None:
        entry["dct:modified"] = _when(modified)
    if spec.geometry is not None and spatial is not None:
        entry["dct:spatial"] = spatial
    if sources:
        entry["dct:source"] = [_source(s) for s in sources]
    return entry


def catalogue() -> dict[str, Any]:
    """The whole catalogue, ready for ``json.dumps``."""
    snapshot = snapshot_for("latest")
    spatial = _bbox()
    all_sources = licence.sources()
    datasets = []
    modified: list[datetime] = []
    for spec in DATASETS.values():
        changed = spec.modified()
        if changed is not None:
            modified.append(changed)
        datasets.append(
            dataset_entry(
                spec,
                snapshot=snapshot,
                modified=changed,
                spatial=spatial,
                sources=[s for s in all_sources if s.dataset == spec.slug],
            )
        )
    catalog: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": _url("opendata:catalogue"),
        "@type": "dcat:Catalog",
        "dct:title": f"Open data from {settings.SITE_NAME}",
        "dct:description": (
            "Every public service request on this site, its public timeline, the assets, "
            "areas, bodies and categories requests are about, and monthly statistics; "
            "downloadable as CSV, GeoJSON and newline-delimited JSON, with daily snapshots."
        ),
        "dct:publisher": _publisher(),
        "dct:license": _licence(),
        "dct:language": {"@id": LANGUAGE},
        "foaf:homepage": {"@id": _url("opendata:catalogue")},
        "dcat:dataset": datasets,
    }
    if modified:
        catalog["dct:modified"] = _when(max(modified))
    return catalog
