"""The licence and attribution statements that travel with every piece of open data.

The site publishes its data under one licence (``DATA_LICENCE_NAME`` at ``DATA_LICENCE_URL``,
the Open Government Licence v3.0 unless configured otherwise), in the name of
``DATA_PUBLISHER``. Imported data keeps its source's own licence and the attribution
statement that licence asks for (:class:`~openlocal.opendata.models.DataSource`). Everything
here is read by the catalogue, the downloads, the snapshot's ``LICENCE.txt`` and the
``Link: <...>; rel="license"`` header, so that they all say the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from openlocal.opendata.models import Dataset, DataSource


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    publisher: str

    @property
    def attribution(self) -> str:
        """The site's own attribution statement, for data it publishes itself."""
        return (
            f"Contains data from {self.publisher} ({settings.BASE_URL}/data/), "
            f"available under the {self.name}."
        )


@dataclass(frozen=True)
class Source:
    """An imported source, as the public sees it (a :class:`DataSource` row)."""

    dataset: str
    name: str
    publisher: str
    licence_name: str
    licence_url: str
    attribution: str
    source_url: str

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "publisher": self.publisher,
            "licence": self.licence_name,
            "licence_url": self.licence_url,
            "attribution": self.attribution,
            "source_url": self.source_url,
        }


def site_licence() -> Licence:
    return Licence(
        name=settings.DATA_LICENCE_NAME,
        url=settings.DATA_LICENCE_URL,
        publisher=settings.DATA_PUBLISHER,
    )


def sources(*, datasets: Iterable[str] | None = None) -> list[Source]:
    """The imported sources of the given datasets (all of them by default), by dataset."""
    rows = DataSource.objects.order_by("dataset", "name")
    if datasets is not None:
        rows = rows.filter(dataset__in=list(datasets))
    return [
        Source(
            dataset=row.dataset,
            name=row.name,
            publisher=row.publisher,
            licence_name=row.licence_name,
            licence_url=row.licence_url,
            attribution=row.attribution,
            source_url=row.source_url,
        )
        for row in rows
    ]


def attributions(dataset: str) -> list[str]:
    """Every statement a user of the dataset must repeat: the sources' first, then the site's."""
    statements = [s.attribution for s in sources(datasets=[dataset]) if s.attribution.strip()]
    return [*dict.fromkeys(statements), site_licence().attribution]


def link_value(url: str, rel: str, **params: str) -> str:
    """One RFC 8288 link. Parameters that are not plain ASCII are left out (headers are ASCII)."""
    parts = [f"<{url}>", f'rel="{rel}"']
    for key, value in params.items():
        if value.isascii() and '"' not in value and "\\" not in value:
            parts.append(f'{key}="{value}"')
    return "; ".join(parts)


def licence_link() -> str:
    """The ``Link`` header value naming the licence, e.g. ``<https://...>; rel="license"``."""
    licence = site_licence()
    return link_value(licence.url, "license", title=licence.name)


def add_link(existing: str | None, link: str) -> str:
    """``existing`` (a ``Link`` header value or nothing) with ``link`` appended."""
    return f"{existing}, {link}" if existing else link


def licence_text(*, datasets: Iterable[str] | None = None) -> str:
    """The plain-text licence and attribution notice: ``/data/LICENCE`` and ``LICENCE.txt``."""
    licence = site_licence()
    chosen = list(datasets) if datasets is not None else list(Dataset.values)
    lines = [
        f"Open data from {settings.SITE_NAME}",
        "",
        f"Publisher: {licence.publisher}",
        f"Licence: {licence.name}",
        f"  {licence.url}",
        "",
        "When you use or publish this data, say where it came from with these statements:",
        "",
        f"  {licence.attribution}",
    ]
    by_dataset: dict[str, list[Source]] = {}
    for source in sources(datasets=chosen):
        by_dataset.setdefault(source.dataset, []).append(source)
    statements = [
        s.attribution for group in by_dataset.values() for s in group if s.attribution.strip()
    ]
    lines += [f"  {statement}" for statement in dict.fromkeys(statements)]
    if by_dataset:
        lines += [
            "",
            "Some of the data was imported from other publishers, under their own licences:",
        ]
        labels = dict(Dataset.choices)
        for dataset in chosen:
            for source in by_dataset.get(dataset, []):
                lines += ["", f"{labels.get(dataset, dataset)}: {source.name}"]
                if source.publisher:
                    lines.append(f"  Publisher: {source.publisher}")
                if source.licence_name or source.licence_url:
                    named = source.licence_name or source.licence_url
                    lines.append(f"  Licence: {named}")
                    if source.licence_url and source.licence_name:
                        lines.append(f"    {source.licence_url}")
                if source.attribution:
                    lines.append(f"  Attribution: {source.attribution}")
                if source.source_url:
                    lines.append(f"  Source: {source.source_url}")
    lines += [
        "",
        "What every column means: " + settings.BASE_URL + "/data/dictionary",
        "The catalogue (DCAT-AP, JSON-LD): " + settings.BASE_URL + "/data/catalog.jsonld",
        "",
        "Nothing private is in this data: no reporter's or follower's email address or phone",
        "number, no reporter's name unless they chose to show it, no internal note, no hidden",
        "request and no text that a moderator removed.",
        "",
    ]
    return "\n".join(lines)
