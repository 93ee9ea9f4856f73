"""Categories with rules, added to the root ``place`` fixture by the tests that need them.

Not a conftest: the tests of several apps import :func:`rule_categories`, so that each file
says which place it uses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from openlocal.requests.models import Category, CategoryGroup, RoutingRule

GAS_NOTICE = (
    "A gas leak is an emergency. Do not report it here: call the National Gas Emergency "
    "Service on 0800 111 999 now."
)


@dataclass
class RuleCategories:
    #: Private, handled by each district council.
    needles: Category
    #: Needs a photo, handled by each district council.
    vehicle: Category
    #: Takes no reports: its stop notice says to call the gas emergency number.
    gas: Category


def rule_categories(place: Any) -> RuleCategories:
    needles = Category.objects.create(
        name="Discarded needles",
        slug="needles",
        service_code="NDL",
        group=CategoryGroup.WASTE,
        private=True,
    )
    vehicle = Category.objects.create(
        name="Abandoned vehicle",
        slug="abandoned-vehicle",
        service_code="ABV",
        group=CategoryGroup.OTHER,
        photo_required=True,
    )
    gas = Category.objects.create(
        name="Gas leak",
        slug="gas-leak",
        service_code="GAS",
        group=CategoryGroup.OTHER,
        stop_notice=GAS_NOTICE,
    )
    for category in (needles, vehicle):
        RoutingRule.objects.create(category=category, area=place.west, body=place.west_council)
        RoutingRule.objects.create(category=category, area=place.east, body=place.east_council)
    RoutingRule.objects.create(category=gas, area=place.county, body=place.county_council)
    return RuleCategories(needles, vehicle, gas)


def jpeg_bytes(colour: tuple[int, int, int] = (90, 90, 95)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


def jpeg_upload(name: str = "car.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


def jpeg_content(name: str = "car.jpg") -> ContentFile[bytes]:
    return ContentFile(jpeg_bytes(), name=name)
