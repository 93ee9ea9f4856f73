"""The staff upload page's forms: they parse and check input; the import services decide.

The mapping forms are built for one file: their column choices are the file's own
columns, so a person picks from what the file has rather than typing names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from openlocal.assets.models import AssetType
from openlocal.importers.areas import AreaColumns, parent_area
from openlocal.importers.assets import AssetColumns
from openlocal.importers.coordinates import point_columns
from openlocal.importers.engine import SourceDetails
from openlocal.importers.files import ImportFileError
from openlocal.importers.history import RequestColumns
from openlocal.importers.mapping import Mapping, parse_mapping, strptime_format, time_zone
from openlocal.importers.models import ImportKind
from openlocal.places.models import Area, AreaKind, Body

#: The largest file the page accepts, as uploaded (compressed or not).
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
#: The most a compressed upload may expand to.
UPLOAD_MAX_EXPANDED_BYTES = 60 * 1024 * 1024
#: File names the page accepts, each optionally followed by ``.gz``.
EXTENSIONS = (".csv", ".tsv", ".txt", ".geojson", ".json")
#: The body choice that routes each request by its category and place.
ROUTED = "routed"


def _is_geojson_name(name: str) -> bool:
    return name.lower().removesuffix(".gz").endswith((".geojson", ".json"))


class UploadForm(forms.Form):
    file = forms.FileField(
        error_messages={
            "required": "Choose a file to import",
            "empty": "The file is empty: choose another",
        }
    )
    kind = forms.ChoiceField(
        choices=ImportKind.choices,
        error_messages={"required": "Select what the file holds"},
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(k, label) for k, label in ImportKind.choices if k in kinds]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = str(upload.name or "")
        if upload.size > UPLOAD_MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {UPLOAD_MAX_BYTES // (1024 * 1024)} MB: import it "
                "on the command line instead (see “Importing data” in the documentation)"
            )
        if not name.lower().removesuffix(".gz").endswith(EXTENSIONS):
            raise ValidationError("The file must be a CSV or GeoJSON file (.csv, .geojson, or .gz)")
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload is not None and kind:
            geojson = _is_geojson_name(str(upload.name))
            if kind == ImportKind.AREAS and not geojson:
                self.add_error("file", "Boundaries must be a GeoJSON file (.geojson)")
            if kind == ImportKind.REQUESTS and geojson:
                self.add_error("file", "Requests must be a CSV file (.csv)")
        return cleaned


def _column_choices(columns: list[str], empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((c, c) for c in columns)]


class SourceForm(forms.Form):
    """Where the data comes from, for the open data catalogue."""

    source_name = forms.CharField(
        max_length=200,
        required=False,
        label="Source",
        help_text="Its name in the open data catalogue, e.g. “NaPTAN (Department for "
        "Transport)”. Import the file again under the same name to update what it gave.",
    )
    publisher = forms.CharField(max_length=200, required=False, label="Publisher")
    licence_name = forms.CharField(
        max_length=200,
        required=False,
        label="Licence",
        help_text="For example “Open Government Licence v3.0”.",
    )
    licence_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Licence address",
        error_messages={"invalid": "Enter the licence's web address, starting with https://"},
    )
    attribution = forms.CharField(
        required=False,
        label="Attribution",
        widget=forms.Textarea,
        help_text="The statement the licence asks users to repeat, word for word.",
    )
    source_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Where the data can be found",
        error_messages={"invalid": "Enter the web address, starting with https://"},
    )
    source_fields = (
        "source_name",
        "publisher",
        "licence_name",
        "licence_url",
        "attribution",
        "source_url",
    )

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_columns = columns

    def source(self, default_name: str) -> SourceDetails:
        data = self.cleaned_data
        return SourceDetails(
            name=data["source_name"].strip(),
            default_name=default_name,
            publisher=data["publisher"].strip(),
            licence_name=data["licence_name"].strip(),
            licence_url=data["licence_url"].strip(),
            attribution=data["attribution"].strip(),
            source_url=data["source_url"].strip(),
        )

    def _column(self, label: str, *, required: bool, help_text: str = "") -> forms.ChoiceField:
        empty = "Choose a column" if required else "None"
        return forms.ChoiceField(
            label=label,
            required=required,
            help_text=help_text,
            choices=_column_choices(self.file_columns, empty),
            error_messages={
                "required": f"Choose the column that holds the {label.lower()}",
                "invalid_choice": "Choose one of the file's columns",
            },
        )

    def clean_mapping(self) -> Mapping:
        try:
            return parse_mapping(self.cleaned_data.get("mapping") or "", name="The mapping")
        except ImportFileError as exc:
            raise ValidationError(str(exc)) from exc


MAPPING_HELP = (
    'TOML, one table per kind of value: [statuses] "Closed" = "fixed"; [categories] '
    '"Street Light Outages" = "streetlight"; "*" = "other" for every value not listed.'
)


class AreaMappingForm(SourceForm):
    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, columns=columns, **kwargs)
        self.fields["code_field"] = self._column(
            "Code", required=True, help_text="The official code, e.g. an ONS code like E05011011."
        )
        self.fields["name_field"] = self._column("Name", required=True)
        self.fields["kind"] = forms.ChoiceField(
            label="Kind of area",
            choices=AreaKind.choices,
            error_messages={"required": "Choose the kind of area"},
        )
        self.fields["parent_code_field"] = self._column(
            "Parent's code",
            required=False,
            help_text="A property holding each area's parent's code, e.g. LAD23CD for wards.",
        )
        self.fields["parent"] = forms.CharField(
            label="Within",
            required=False,
            help_text="Or one area that contains them all: its short name (slug) or its code.",
        )
        self.fields["body"] = forms.ModelChoiceField(
            label="Body covering the areas",
            required=False,
            queryset=Body.objects.order_by("name"),
            empty_label="None",
        )
        self.order_fields(
            ["code_field", "name_field", "kind", "parent_code_field", "parent", "body"]
        )

    def clean_parent(self) -> Area | None:
        value = (self.cleaned_data.get("parent") or "").strip()
        if not value:
            return None
        area = parent_area(value, kind=str(self.data.get("kind") or ""))
        if area is None:
            raise ValidationError(f"No area has the short name or code {value!r}")
        return area

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("parent") and cleaned.get("parent_code_field"):
            self.add_error("parent", "Give either the parent's code or one area, not both")
        return cleaned

    def columns(self) -> AreaColumns:
        data = self.cleaned_data
        return AreaColumns(
            kind=data["kind"],
            code_field=data["code_field"],
            name_field=data["name_field"],
            parent=data["parent"],
            parent_code_field=data["parent_code_field"],
            body=data["body"],
        )


class AssetMappingForm(SourceForm):
    def __init__(
        self,
        *args: Any,
        columns: list[str],
        geojson: bool,
        bodies: list[Body],
        any_body: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, columns=columns, **kwargs)
        self.geojson = geojson
        self.bodies = {str(b.pk): b for b in bodies}
        self.any_body = any_body
        self.fields["id_column"] = self._column(
            "Id",
            required=True,
            help_text="The asset's id in the source register, e.g. ATCOCode: importing the "
            "file again updates assets by it.",
        )
        self.fields["name_column"] = self._column("Name", required=False)
        types = list(AssetType.objects.order_by("name").values_list("slug", "name"))
        self.fields["type_slug"] = forms.ChoiceField(
            label="Type of asset",
            required=False,
            choices=[("", "From a column, or a new type"), *types],
        )
        self.fields["type_name"] = forms.CharField(
            label="New type",
            required=False,
            max_length=120,
            help_text="The name of a new type for every row, e.g. “Bus stop”.",
        )
        self.fields["type_column"] = self._column(
            "Type column",
            required=False,
            help_text="A column naming each row's type (by its short name, or through the "
            "mapping's [asset_types]).",
        )
        if not geojson:
            for name, label in (
                ("latitude_column", "Latitude"),
                ("longitude_column", "Longitude"),
                ("easting_column", "Easting"),
                ("northing_column", "Northing"),
            ):
                self.fields[name] = self._column(label, required=False)
            guessed = point_columns(columns, "", "", "", "")
            for name, value in zip(
                ("latitude_column", "longitude_column", "easting_column", "northing_column"),
                guessed,
                strict=True,
            ):
                self.fields[name].initial = value
        self.fields["attribute_columns"] = forms.MultipleChoiceField(
            label="Other columns to keep",
            required=False,
            help_text="They will be public, like the asset: never choose personal details "
            "such as a contact email address.",
            choices=[(c, c) for c in columns],
        )
        self.fields["active_column"] = self._column(
            "In use",
            required=False,
            help_text="A column saying whether the asset is in use (inactive, no, closed: not).",
        )
        body_choices = [(pk, b.name) for pk, b in self.bodies.items()]
        if any_body:
            body_choices.insert(0, ("", "None"))
        self.fields["body"] = forms.ChoiceField(
            label="Body responsible",
            required=not any_body,
            choices=body_choices,
            error_messages={"required": "Choose the body responsible for these assets"},
        )
        self.fields["mapping"] = forms.CharField(
            label="Mapping (optional)",
            required=False,
            widget=forms.Textarea,
            help_text='TOML: [asset_types] "BCT" = "bus-stop".',
        )
        order = ["id_column", "name_column", "type_slug", "type_name", "type_column"]
        if not geojson:
            order += ["latitude_column", "longitude_column", "easting_column", "northing_column"]
        self.order_fields([*order, "attribute_columns", "active_column", "body", "mapping"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [
            bool(cleaned.get("type_slug")),
            bool(cleaned.get("type_name")),
            bool(cleaned.get("type_column")),
        ]
        if sum(chosen) != 1:
            self.add_error(
                "type_slug",
                "Choose one type of asset, name a new one, or choose a type column (only one)",
            )
        if not self.geojson:
            pairs = [
                (cleaned.get("latitude_column"), cleaned.get("longitude_column")),
                (cleaned.get("easting_column"), cleaned.get("northing_column")),
            ]
            if any(bool(a) != bool(b) for a, b in pairs):
                self.add_error(
                    "latitude_column",
                    "Choose both latitude and longitude (or both easting and northing)",
                )
        return cleaned

    def columns(self) -> AssetColumns:
        data = self.cleaned_data
        type_slug = data["type_slug"]
        type_name = data["type_name"].strip()
        if type_name and not type_slug:
            from django.utils.text import slugify

            type_slug = slugify(type_name)[:100]
        return AssetColumns(
            id_column=data["id_column"],
            name_column=data["name_column"],
            type_slug=type_slug,
            type_name=type_name,
            type_column=data["type_column"],
            latitude_column=data.get("latitude_column") or "",
            longitude_column=data.get("longitude_column") or "",
            easting_column=data.get("easting_column") or "",
            northing_column=data.get("northing_column") or "",
            attribute_columns=list(data["attribute_columns"]),
            active_column=data["active_column"],
            body=self.bodies.get(data["body"] or ""),
            mapping=data["mapping"],
        )


class RequestMappingForm(SourceForm):
    def __init__(
        self, *args: Any, columns: list[str], bodies: list[Body], any_body: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, columns=columns, **kwargs)
        self.bodies = {str(b.pk): b for b in bodies}
        for name, label, required, help_text in (
            ("id_column", "Id", True, "The request's id in the other system."),
            ("category_column", "Category", True, "Translated by the mapping's [categories]."),
            ("opened_column", "Opened", True, "When the request was made."),
            ("title_column", "Title", False, "Without it, the category's name."),
            ("description_column", "Description", False, "Without it, the title."),
            ("status_column", "Status", False, "Translated by the mapping's [statuses]."),
            ("closed_column", "Closed", False, "When it was closed."),
            ("closing_text_column", "Closing message", False, "Public, on the timeline."),
            ("address_column", "Address", False, ""),
            ("latitude_column", "Latitude", False, ""),
            ("longitude_column", "Longitude", False, ""),
            ("easting_column", "Easting", False, ""),
            ("northing_column", "Northing", False, ""),
        ):
            self.fields[name] = self._column(label, required=required, help_text=help_text)
        guessed = point_columns(columns, "", "", "", "")
        for name, value in zip(
            ("latitude_column", "longitude_column", "easting_column", "northing_column"),
            guessed,
            strict=True,
        ):
            self.fields[name].initial = value
        self.fields["date_format"] = forms.CharField(
            label="Date format",
            initial="iso",
            max_length=60,
            help_text="iso (like 2015-01-05 12:40:41), or a pattern like MM/DD/YYYY hh:mm:ss AM.",
        )
        self.fields["time_zone"] = forms.CharField(
            label="Time zone",
            initial=settings.TIME_ZONE,
            max_length=60,
            help_text="Of dates without an offset, e.g. America/New_York.",
        )
        self.fields["mapping"] = forms.CharField(
            label="Mapping (optional)",
            required=False,
            widget=forms.Textarea,
            help_text=MAPPING_HELP,
        )
        body_choices = [(pk, b.name) for pk, b in self.bodies.items()]
        if any_body:
            body_choices.insert(0, (ROUTED, "Route each request by its category and place"))
        self.fields["body"] = forms.ChoiceField(
            label="Body",
            choices=body_choices,
            initial=ROUTED if any_body else None,
            error_messages={"required": "Choose the body the requests go to"},
        )

    def clean_date_format(self) -> str:
        pattern = self.cleaned_data["date_format"].strip() or "iso"
        if pattern.lower() != "iso" and "%" not in strptime_format(pattern):
            raise ValidationError(
                "The date format has no date in it: use iso, or a pattern like MM/DD/YYYY hh:mm"
            )
        return pattern

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            time_zone(name)
        except ImportFileError as exc:
            raise ValidationError(str(exc)) from exc
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pairs = [
            (cleaned.get("latitude_column"), cleaned.get("longitude_column")),
            (cleaned.get("easting_column"), cleaned.get("northing_column")),
        ]
        if any(bool(a) != bool(b) for a, b in pairs):
            self.add_error(
                "latitude_column",
                "Choose both latitude and longitude (or both easting and northing)",
            )
        elif not any(a for a, _ in pairs):
            self.add_error(
                "latitude_column",
                "Choose the latitude and longitude columns (or easting and northing)",
            )
        return cleaned

    def columns(self) -> RequestColumns:
        data = self.cleaned_data
        return RequestColumns(
            id_column=data["id_column"],
            category_column=data["category_column"],
            opened_column=data["opened_column"],
            title_column=data["title_column"],
            description_column=data["description_column"],
            status_column=data["status_column"],
            closed_column=data["closed_column"],
            closing_text_column=data["closing_text_column"],
            address_column=data["address_column"],
            latitude_column=data["latitude_column"],
            longitude_column=data["longitude_column"],
            easting_column=data["easting_column"],
            northing_column=data["northing_column"],
            date_format=data["date_format"],
            time_zone=data["time_zone"],
            body=self.bodies.get(data["body"]),
            mapping=data["mapping"],
        )
