"""Site administration for the catalogue of categories and how they are routed.

Requests themselves are worked on the staff pages, whose every change goes through the
services (timeline, events, counts); they are deliberately not editable here. Saving a
category whose privacy changed applies it to the requests already in it
(:func:`~openlocal.requests.services.category_privacy_apply`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from openlocal.requests.models import Category, CategoryQuestion, RoutingRule
from openlocal.requests.services import category_privacy_apply


class QuestionInline(admin.StackedInline[CategoryQuestion, Category]):
    model = CategoryQuestion
    extra = 0


class CategoryForm(forms.ModelForm[Category]):
    """The category's fields, with help that says what each rule does to reports."""

    class Meta:
        model = Category
        fields = (
            "name",
            "slug",
            "service_code",
            "group",
            "description",
            "keywords",
            "active",
            "stop_notice",
            "photo_required",
            "asset_types",
            "asset_required",
            "duplicate_radius_m",
            "private",
            "service_level_days",
            "reopen_within_days",
        )
        help_texts = {
            "private": (
                "Requests are seen only by their reporter (through the link in their "
                "confirmation email) and by staff: never on a public page, the map, a feed, "
                "an API answer, an export or an email to followers. Use it where a public "
                "report could put someone at risk or identify them (abuse, needles, "
                "safeguarding). Changing it applies to the category's existing requests "
                "too: making it public publishes all of them."
            ),
            "photo_required": (
                "Reports need at least one photo: the website asks for one, Open311 needs a "
                "media file, and the JSON API (which takes no photos) refuses reports."
            ),
            "stop_notice": (
                "When filled in, nobody can report in this category on any interface: the "
                "website shows this notice instead of the form, and the APIs refuse reports "
                "with it. Say what to do instead, e.g. “Gas leaks are an emergency: leave "
                "the building and call the National Gas Emergency Service on 0800 111 999.”"
            ),
            "service_level_days": (
                "How many days the body aims to take to fix a request. It sets each new "
                "request's due date and the share fixed in time on the performance pages. "
                "Leave empty for no service level."
            ),
            "reopen_within_days": (
                "A reporter's “not fixed” answer reopens a request closed at most this many "
                "days ago; 0 never reopens one (the body is told all the same)."
            ),
            "asset_types": (
                "The kinds of asset a report in this category can be about: the report "
                "journey and the APIs offer and accept only assets of these types."
            ),
        }

    def clean_stop_notice(self) -> str:
        return str(self.cleaned_data.get("stop_notice") or "").strip()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    form = CategoryForm
    list_display = (
        "name",
        "service_code",
        "group",
        "active",
        "private",
        "photo_required",
        "takes_reports",
        "service_level_days",
    )
    list_filter = ("group", "active", "private", "photo_required")
    search_fields = ("name", "service_code", "keywords")
    filter_horizontal = ("asset_types",)
    inlines = (QuestionInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", "service_code", "group", "description", "keywords")}),
        (
            "What a report needs",
            {
                "fields": (
                    "active",
                    "stop_notice",
                    "photo_required",
                    "asset_types",
                    "asset_required",
                    "duplicate_radius_m",
                )
            },
        ),
        ("Who sees reports", {"fields": ("private",)}),
        ("Service level", {"fields": ("service_level_days", "reopen_within_days")}),
    )

    @admin.display(boolean=True, description="Takes reports")
    def takes_reports(self, obj: Category) -> bool:
        return not obj.stop_notice.strip()

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "private" in form.changed_data:
            changed = category_privacy_apply(category=obj)
            if changed:
                what = "private" if obj.private else "public"
                messages.info(
                    request,
                    f"{changed} request{'s' if changed != 1 else ''} in “{obj.name}” "
                    f"{'are' if changed != 1 else 'is'} now {what}.",
                )


class RoutingRuleForm(forms.ModelForm[RoutingRule]):
    class Meta:
        model = RoutingRule
        fields = ("category", "area", "body", "preference")
        help_texts = {
            "preference": (
                "Where several rules give this category at the same point (two bodies "
                "offering it, or rules at county and ward level), the lowest preference "
                "wins; at equal preference the rule on the finer kind of area (county, then "
                "district, ward, parish, custom), then between two areas of one kind the "
                "one whose name sorts last, then the rule made first. 100 by default: give "
                "a body that should come first a lower number, e.g. 50."
            ),
            "body": "Any body: a council, a national agency, a utility or a community group.",
        }


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    form = RoutingRuleForm
    list_display = ("category", "area", "body", "preference")
    list_filter = ("category", "body")
    search_fields = ("category__name", "area__name", "body__name")
    raw_id_fields = ("area",)
