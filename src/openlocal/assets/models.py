"""Things in the world with an identity, against which requests can be made."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse

from openlocal.core.models import TimeStampedModel


class AssetType(TimeStampedModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    #: How the register names each asset's identity, e.g. "ATCO code" for bus stops.
    identifier_label = models.CharField(max_length=60, default="Reference")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Asset(TimeStampedModel):
    asset_type = models.ForeignKey(AssetType, on_delete=models.PROTECT, related_name="assets")
    #: The identity in the source register, e.g. NaPTAN ATCO code ``1100DEA10207``.
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    latitude = models.FloatField()
    longitude = models.FloatField()
    #: H3 cell at ``POINT_CELL_RESOLUTION``: the index for "assets near here".
    cell = models.BigIntegerField(db_index=True)
    attributes: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    body = models.ForeignKey(
        "places.Body", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_type", "external_id"], name="asset_unique_type_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    def get_absolute_url(self) -> str:
        return reverse("web:asset", args=[self.asset_type.slug, self.external_id])
