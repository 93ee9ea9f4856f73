"""Site administration for the catalogue of categories and how they are routed.

Requests themselves are worked on the staff pages, whose every change goes through the
services (timeline, events, counts); they are deliberately not editable here.
"""

from __future__ import annotations

from django.contrib import admin

from openlocal.requests.models import Category, CategoryQuestion, RoutingRule


class QuestionInline(admin.StackedInline[CategoryQuestion, Category]):
    model = CategoryQuestion
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("name", "service_code", "group", "active", "asset_required")
    list_filter = ("group", "active")
    search_fields = ("name", "service_code", "keywords")
    filter_horizontal = ("asset_types",)
    inlines = (QuestionInline,)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = ("category", "area", "body", "preference")
    list_filter = ("category", "body")
    search_fields = ("category__name", "area__name", "body__name")
    raw_id_fields = ("area",)
