"""Bodies, the areas they cover, and who works for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from openlocal.core.models import TimeStampedModel


class BodyKind(models.TextChoices):
    COUNTY = "county", "County council"
    DISTRICT = "district", "District or city council"
    UNITARY = "unitary", "Unitary authority"
    PARISH = "parish", "Parish or town council"
    NATIONAL = "national", "National agency"
    UTILITY = "utility", "Utility company"
    COMMUNITY = "community", "Community group"


class Body(TimeStampedModel):
    """An organisation that can be responsible for requests."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=BodyKind.choices)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    #: Where the body receives its requests by email. Private: never shown in public.
    contact_email = models.EmailField(blank=True)
    areas = models.ManyToManyField("places.Area", related_name="bodies", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "bodies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:body", args=[self.slug])


class AreaKind(models.TextChoices):
    COUNTY = "county", "County"
    DISTRICT = "district", "District"
    WARD = "ward", "Ward"
    PARISH = "parish", "Parish"
    CUSTOM = "custom", "Custom area"


#: From the largest to the smallest: the order in which a point's areas are listed.
AREA_KIND_ORDER = [
    AreaKind.COUNTY,
    AreaKind.DISTRICT,
    AreaKind.WARD,
    AreaKind.PARISH,
    AreaKind.CUSTOM,
]


class Area(TimeStampedModel):
    """A named boundary with an official code, stored as WKB with an H3 cover for look-ups."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=AreaKind.choices)
    #: The official code, e.g. an ONS code such as ``E05011011``.
    code = models.CharField(max_length=32, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    geometry = models.BinaryField(help_text="The boundary as WKB (WGS84 longitude/latitude).")
    min_latitude = models.FloatField()
    min_longitude = models.FloatField()
    max_latitude = models.FloatField()
    max_longitude = models.FloatField()
    centre_latitude = models.FloatField()
    centre_longitude = models.FloatField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"],
                condition=~models.Q(code=""),
                name="area_unique_kind_code",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:area", args=[self.slug])


class AreaCell(models.Model):
    """One cell of an area's compacted H3 cover: the index behind point-in-area look-ups."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="cells")
    cell = models.BigIntegerField(db_index=True)
    #: True when the cell lies wholly inside the area, so no exact test is needed.
    interior = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "cell"], name="areacell_unique_area_cell")
        ]

    def __str__(self) -> str:
        return f"{self.cell:x} ({'interior' if self.interior else 'boundary'}) of {self.area_id}"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    """Sees the body's queue and requests, including internal notes."""
    INSPECTOR = "inspector", "Inspector"
    """Also updates status, posts public updates and internal notes."""
    MANAGER = "manager", "Manager"
    """Also changes category, reassigns and moderates."""
    ADMINISTRATOR = "administrator", "Administrator"
    """Also manages the body's staff and settings."""


ROLE_RANK = {Role.VIEWER: 0, Role.INSPECTOR: 1, Role.MANAGER: 2, Role.ADMINISTRATOR: 3}


class Membership(TimeStampedModel):
    """A staff user's role in one body."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.INSPECTOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "body"], name="membership_unique_user_body")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.body}"

    def allows(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]
