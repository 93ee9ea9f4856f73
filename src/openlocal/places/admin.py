"""Site administration for places: bodies and areas.

Boundaries themselves are loaded with ``openlocal import-areas`` (which also builds their H3
cover); here an administrator corrects names, kinds, parents and which bodies cover an area.
"""

from __future__ import annotations

from django.contrib import admin

from openlocal.places.models import Area, Body, Membership


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin[Body]):
    list_display = ("name", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    filter_horizontal = ("areas",)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin[Area]):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code", "slug")
    raw_id_fields = ("parent",)
    readonly_fields = (
        "min_latitude",
        "min_longitude",
        "max_latitude",
        "max_longitude",
        "centre_latitude",
        "centre_longitude",
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "body", "role")
    list_filter = ("role", "body")
    raw_id_fields = ("user",)
