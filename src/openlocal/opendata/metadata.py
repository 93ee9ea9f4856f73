"""What travels with a download: its name, licence, attributions, and links to its dictionary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from openlocal.opendata import licence
from openlocal.opendata.columns import datetime_text
from openlocal.opendata.datasets import DatasetSpec
from openlocal.opendata.exporters import FORMATS


def dictionary_url(spec: DatasetSpec) -> str:
    return settings.BASE_URL + reverse("opendata:dictionary-dataset", args=[spec.slug])


def licence_notice_url() -> str:
    return settings.BASE_URL + reverse("opendata:licence")


def download_metadata(spec: DatasetSpec, *, generated_at: datetime) -> dict[str, Any]:
    """The members a GeoJSON download carries beside its features."""
    site = licence.site_licence()
    return {
        "name": spec.slug,
        "title": f"{spec.title} – {settings.SITE_NAME}",
        "description": spec.description,
        "publisher": site.publisher,
        "licence": {"name": site.name, "url": site.url},
        "attribution": licence.attributions(spec.slug),
        "sources": [s.as_json() for s in licence.sources(datasets=[spec.slug])],
        "dictionary": dictionary_url(spec),
        "generated_at": datetime_text(generated_at),
    }


def download_links(spec: DatasetSpec) -> str:
    """The ``Link`` header of a download: its licence, the notice, and its dictionary."""
    return ", ".join(
        [
            licence.licence_link(),
            licence.link_value(licence_notice_url(), "describedby", type="text/plain"),
            licence.link_value(dictionary_url(spec), "describedby", type="text/html"),
        ]
    )


def download_filename(spec: DatasetSpec, format_name: str, day: date) -> str:
    return f"{spec.slug}-{day.isoformat()}.{FORMATS[format_name].extension}"
