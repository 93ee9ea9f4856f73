"""Site administration for asset registers (bulk loads go through ``openlocal import-assets``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo


@admin.register(AssetType)
class AssetTypeAdmin(admin.ModelAdmin[AssetType]):
    list_display = ("name", "slug", "identifier_label")
    search_fields = ("name", "slug")


class AssetForm(forms.ModelForm[Asset]):
    class Meta:
        model = Asset
        fields = (
            "asset_type",
            "external_id",
            "name",
            "latitude",
            "longitude",
            "attributes",
            "body",
            "active",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if latitude is not None and longitude is not None:
            try:
                geo.validate_point(latitude, longitude)
            except geo.InvalidLocation as exc:
                raise ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin[Asset]):
    form = AssetForm
    list_display = ("name", "external_id", "asset_type", "body", "active")
    list_filter = ("asset_type", "active", "body")
    search_fields = ("name", "external_id")
    readonly_fields = ("cell",)

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        # The cell is the index for "assets near here": it moves with the asset.
        obj.cell = geo.point_cell(obj.latitude, obj.longitude)
        super().save_model(request, obj, form, change)
