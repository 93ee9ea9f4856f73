"""What the open data pages show, worked out without templates (and testable without them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from openlocal.assets.models import AssetType
from openlocal.opendata import licence
from openlocal.opendata.columns import KINDS, Column
from openlocal.opendata.datasets import DatasetSpec
from openlocal.opendata.exporters import FORMATS
from openlocal.opendata.filters import DIMENSIONS, DownloadFilters
from openlocal.opendata.models import Dataset
from openlocal.opendata.snapshots import Snapshot, SnapshotFile
from openlocal.places.models import AreaKind, Body
from openlocal.requests.models import Category, Status, UpdateKind


def file_size(size: int) -> str:
    """A size as people read it: "812 bytes", "14.2 kB", "1.3 GB" (powers of 1,000)."""
    if size < 1000:
        return f"{size:,} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    detail: str = ""


@dataclass(frozen=True)
class SnapshotRow:
    name: str
    href: str
    size: str
    rows: str
    sha256: str


def snapshot_rows(snapshot: Snapshot, *, dataset: str | None = None) -> list[SnapshotRow]:
    """The files of a snapshot (of one dataset, or all of them) as table rows."""
    files: list[SnapshotFile] = [
        f for f in snapshot.files if dataset is None or f.dataset == dataset
    ]
    return [
        SnapshotRow(
            name=f.name,
            href=reverse("opendata:snapshot-file", args=[snapshot.name, f.name]),
            size=file_size(f.bytes),
            rows=f"{f.rows:,}" if f.rows is not None else "",
            sha256=f.sha256,
        )
        for f in files
    ]


@dataclass
class DatasetCard:
    spec: DatasetSpec
    page: str
    dictionary: str
    downloads: list[Link]
    snapshot_downloads: list[Link]
    rows: int | None
    modified: datetime | None
    sources: list[licence.Source]
    attributions: list[str] = field(default_factory=list)


def dataset_card(
    spec: DatasetSpec,
    *,
    snapshot: Snapshot | None,
    sources: list[licence.Source],
    query: dict[str, str] | None = None,
    modified: datetime | None = None,
) -> DatasetCard:
    suffix = "?" + urlencode(query) if query else ""
    downloads = [
        Link(
            FORMATS[f].label,
            reverse("opendata:download", args=[spec.slug, FORMATS[f].extension]) + suffix,
        )
        for f in spec.formats
    ]
    snapshot_downloads: list[Link] = []
    rows = None
    if snapshot is not None:
        for f in spec.formats:
            found = snapshot.data_file(spec.slug, f)
            if found is None:
                continue
            rows = found.rows
            snapshot_downloads.append(
                Link(
                    FORMATS[f].label,
                    reverse("opendata:snapshot-file", args=["latest", found.name]),
                    file_size(found.bytes),
                )
            )
    return DatasetCard(
        spec=spec,
        page=reverse("opendata:dataset", args=[spec.slug]),
        dictionary=reverse("opendata:dictionary-dataset", args=[spec.slug]),
        downloads=downloads,
        snapshot_downloads=snapshot_downloads,
        rows=rows,
        modified=modified,
        sources=sources,
        attributions=licence.attributions(spec.slug),
    )


@dataclass(frozen=True)
class ColumnRow:
    name: str
    kind: str
    description: str
    example: str
    nullable: str
    choices: list[tuple[str, str]]


def column_rows(columns: tuple[Column, ...]) -> list[ColumnRow]:
    return [
        ColumnRow(
            name=c.name,
            kind=c.kind.label,
            description=c.description,
            example=c.example,
            nullable="Yes" if c.nullable else "No",
            choices=[(str(v), str(label)) for v, label in c.choices],
        )
        for c in columns
    ]


def kind_rows() -> list[dict[str, str]]:
    return [{"label": k.label, "name": k.name, "written": k.written} for k in KINDS]


# The filter form of a dataset's page ----------------------------------------------------------


def _select(
    name: str, label: str, items: list[tuple[str, str]], value: str, hint: str = ""
) -> dict[str, Any]:
    return {
        "widget": "select",
        "name": name,
        "label": label,
        "hint": hint,
        "items": [{"value": "", "text": "Any"}]
        + [{"value": v, "text": t, "selected": v == value} for v, t in items],
    }


def _text(
    name: str, label: str, value: str, hint: str, width: str = "govuk-input--width-20"
) -> dict[str, Any]:
    return {
        "widget": "text",
        "name": name,
        "label": label,
        "hint": hint,
        "value": value,
        "classes": width,
    }


def filter_fields(slug: str, form: DownloadFilters) -> list[dict[str, Any]]:
    """The fields of a dataset's filter form, with the values given and any errors."""
    data = form.data if form.is_bound else {}

    def given(name: str) -> str:
        return str(data.get(name, "")).strip()

    fields: list[dict[str, Any]] = []
    if slug == Dataset.REQUESTS:
        statuses = [("open", "Open (any open status)"), ("closed", "Closed (any closed status)")]
        statuses += [(str(v), str(label)) for v, label in Status.choices]
        fields = [
            _select("status", "Status", statuses, given("status")),
            _select(
                "category",
                "Category",
                [
                    (code, name)
                    for code, name in Category.objects.order_by("name").values_list(
                        "service_code", "name"
                    )
                ],
                given("category"),
            ),
            _select(
                "body",
                "Responsible body",
                list(Body.objects.order_by("name").values_list("slug", "name")),
                given("body"),
            ),
            _text(
                "area",
                "Area",
                given("area"),
                "The slug of an area, as in the address of its page, e.g. wyvern-vale",
            ),
            _text(
                "updated_since",
                "Changed since",
                given("updated_since"),
                "A date such as 2026-03-01: only requests changed on or after it",
                "govuk-input--width-10",
            ),
        ]
    elif slug == Dataset.UPDATES:
        kinds = [(str(v), str(label)) for v, label in UpdateKind.choices if v != UpdateKind.NOTE]
        fields = [
            _text(
                "since",
                "Posted since",
                given("since"),
                "A date such as 2026-03-01",
                "govuk-input--width-10",
            ),
            _select("kind", "Kind", kinds, given("kind")),
            _text(
                "request",
                "Request number",
                given("request"),
                "Only this request's timeline",
                "govuk-input--width-10",
            ),
        ]
    elif slug == Dataset.ASSETS:
        fields = [
            _select(
                "type",
                "Type",
                list(AssetType.objects.order_by("name").values_list("slug", "name")),
                given("type"),
            ),
            _select(
                "body",
                "Responsible body",
                list(Body.objects.order_by("name").values_list("slug", "name")),
                given("body"),
            ),
        ]
    elif slug == Dataset.AREAS:
        fields = [
            _select(
                "kind",
                "Kind",
                [(str(v), str(label)) for v, label in AreaKind.choices],
                given("kind"),
            ),
            _text(
                "parent",
                "Within",
                given("parent"),
                "The slug of the area they lie in, e.g. wyvernshire",
            ),
        ]
    elif slug == Dataset.STATISTICS:
        fields = [_select("dimension", "Counted by", list(DIMENSIONS), given("dimension"))]
    errors = form.errors if form.is_bound else {}
    for entry in fields:
        if entry["name"] in errors:
            entry["error"] = {"text": str(errors[entry["name"]][0])}
    return fields
