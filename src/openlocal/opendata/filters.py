"""The filters a download takes, e.g. ``/data/requests.csv?status=open&updated_since=2026-01-01``.

Each dataset with filters has a form here. The download views answer ``400 Bad Request`` with
the form's first error when a filter is wrong; the dataset's page shows the same errors
beside its fields. A filter left empty does not filter. Daily snapshots are never filtered.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from openlocal.assets.models import AssetType
from openlocal.places.models import Area, AreaKind, Body
from openlocal.requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Category,
    Status,
    UpdateKind,
)

#: The ``dimension`` filter of the statistics dataset.
DIMENSIONS = (
    ("site", "The whole site"),
    ("category", "Each category"),
    ("body", "Each body"),
    ("area", "Each area"),
)


def _words(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_since(value: str, name: str) -> datetime:
    """A date (midnight, site time) or a date and time (site time unless it says otherwise)."""
    text = value.strip()
    try:
        moment = parse_datetime(text)
        day = None if moment is not None else parse_date(text)
    except ValueError:
        moment, day = None, None
    if moment is None and day is None:
        raise forms.ValidationError(
            f"{name}={text} is not a date: write it as 2026-03-01, or with a time as "
            "2026-03-01T09:30:00Z."
        )
    if moment is None:
        assert day is not None
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class DownloadFilters(forms.Form):
    """A dataset's filters. Subclasses apply the cleaned values to the dataset's query."""

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def first_error(self) -> str:
        """The first problem, in a sentence that says how to put it right."""
        for errors in self.errors.values():
            return str(errors[0])
        return ""

    def used(self) -> dict[str, str]:
        """The filters given, as they were written (for links to the filtered downloads)."""
        if not self.is_bound:
            return {}
        return {
            name: str(self.data.get(name, "")).strip()
            for name in self.fields
            if str(self.data.get(name, "")).strip()
        }


class RequestFilters(DownloadFilters):
    status = forms.CharField(required=False, max_length=300)
    category = forms.CharField(required=False, max_length=300)
    body = forms.CharField(required=False, max_length=100)
    area = forms.CharField(required=False, max_length=120)
    updated_since = forms.CharField(required=False, max_length=40)

    def clean_status(self) -> list[str]:
        words = _words(self.cleaned_data["status"])
        statuses: set[str] = set()
        for word in words:
            if word == "open":
                statuses |= {str(s) for s in OPEN_STATUSES}
            elif word == "closed":
                statuses |= {str(s) for s in CLOSED_STATUSES}
            elif word in Status.values:
                statuses.add(word)
            else:
                raise forms.ValidationError(
                    f"status={word} is not a status: choose open, closed or any of "
                    f"{', '.join(Status.values)} (several separated by commas)."
                )
        return sorted(statuses)

    def clean_category(self) -> list[int]:
        ids = []
        for word in _words(self.cleaned_data["category"]):
            found = (
                Category.objects.filter(Q(service_code=word) | Q(slug=word))
                .values_list("pk", flat=True)
                .first()
            )
            if found is None:
                raise forms.ValidationError(
                    f"category={word} is not a category: give a service code or slug from "
                    "the categories dataset (/data/categories.csv), several separated by commas."
                )
            ids.append(found)
        return ids

    def clean_body(self) -> int | None:
        return _slug_pk(Body.objects.all(), self.cleaned_data["body"], "body", "bodies")

    def clean_area(self) -> int | None:
        return _slug_pk(Area.objects.defer("geometry"), self.cleaned_data["area"], "area", "areas")

    def clean_updated_since(self) -> datetime | None:
        value = self.cleaned_data["updated_since"]
        return parse_since(value, "updated_since") if value.strip() else None

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.cleaned_data
        if data.get("status"):
            queryset = queryset.filter(status__in=data["status"])
        if data.get("category"):
            queryset = queryset.filter(category_id__in=data["category"])
        if data.get("body"):
            queryset = queryset.filter(body_id=data["body"])
        if data.get("area"):
            queryset = queryset.filter(areas=data["area"])
        if data.get("updated_since"):
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        return queryset


class UpdateFilters(DownloadFilters):
    since = forms.CharField(required=False, max_length=40)
    kind = forms.CharField(required=False, max_length=20)
    request = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": "request= takes a request's number, e.g. request=1042.",
            "min_value": "request= takes a request's number, e.g. request=1042.",
        },
    )

    def clean_since(self) -> datetime | None:
        value = self.cleaned_data["since"]
        return parse_since(value, "since") if value.strip() else None

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"].strip()
        public_kinds = [k for k in UpdateKind.values if k != UpdateKind.NOTE]
        if kind and kind not in public_kinds:
            raise forms.ValidationError(
                f"kind={kind} is not a kind of public update: choose one of "
                f"{', '.join(public_kinds)}."
            )
        return kind

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.cleaned_data
        if data.get("since"):
            queryset = queryset.filter(created_at__gte=data["since"])
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("request"):
            queryset = queryset.filter(request_id=data["request"])
        return queryset


class AssetFilters(DownloadFilters):
    type = forms.CharField(required=False, max_length=100)
    body = forms.CharField(required=False, max_length=100)

    def clean_type(self) -> int | None:
        return _slug_pk(AssetType.objects.all(), self.cleaned_data["type"], "type", "asset types")

    def clean_body(self) -> int | None:
        return _slug_pk(Body.objects.all(), self.cleaned_data["body"], "body", "bodies")

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.cleaned_data
        if data.get("type"):
            queryset = queryset.filter(asset_type_id=data["type"])
        if data.get("body"):
            queryset = queryset.filter(body_id=data["body"])
        return queryset


class AreaFilters(DownloadFilters):
    kind = forms.CharField(required=False, max_length=20)
    parent = forms.CharField(required=False, max_length=120)

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"].strip()
        if kind and kind not in AreaKind.values:
            raise forms.ValidationError(
                f"kind={kind} is not a kind of area: choose one of {', '.join(AreaKind.values)}."
            )
        return kind

    def clean_parent(self) -> int | None:
        return _slug_pk(
            Area.objects.defer("geometry"), self.cleaned_data["parent"], "parent", "areas"
        )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.cleaned_data
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("parent"):
            queryset = queryset.filter(parent_id=data["parent"])
        return queryset


class StatisticsFilters(DownloadFilters):
    dimension = forms.CharField(required=False, max_length=20)

    def clean_dimension(self) -> str:
        dimension = self.cleaned_data["dimension"].strip()
        names = [name for name, _label in DIMENSIONS]
        if dimension and dimension not in names:
            raise forms.ValidationError(
                f"dimension={dimension} is not a dimension: choose one of {', '.join(names)}."
            )
        return dimension


def _slug_pk(queryset: QuerySet[Any], value: str, name: str, plural: str) -> int | None:
    slug = value.strip()
    if not slug:
        return None
    found = queryset.filter(slug=slug).values_list("pk", flat=True).first()
    if found is None:
        raise forms.ValidationError(
            f"{name}={slug} is not known here: give the slug of one of the {plural} "
            "(see their dataset, or the address of their page on this site)."
        )
    return int(found)
