"""Fixtures for the staff screens: requests in Testshire and staff in every role."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from openlocal.places.models import Membership, Role
from openlocal.requests.models import Category, Request
from openlocal.requests.services import request_create


def png(name: str = "photo.png") -> ContentFile[bytes]:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)


@pytest.fixture
def make_request(place: Any) -> Callable[..., Request]:
    """Create a request through the service; a pothole in the west of the county by default."""

    def make(
        *,
        category: Category | None = None,
        point: tuple[float, float] | None = None,
        title: str = "Pothole on the High Street",
        description: str = "A deep hole by the bus stop.",
        days_old: int = 0,
        **kwargs: Any,
    ) -> Request:
        category = category or place.pothole
        latitude, longitude = point or place.west_point
        if category == place.pothole:
            kwargs.setdefault("answers", {"depth": "deep"})
        kwargs.setdefault("notify", False)
        return request_create(
            category=category,
            latitude=latitude,
            longitude=longitude,
            title=title,
            description=description,
            created_at=timezone.now() - timedelta(days=days_old) if days_old else None,
            **kwargs,
        )

    return make


@pytest.fixture
def staff_user(place: Any) -> Callable[..., Any]:
    """A user with a role at a body (or no membership when ``role`` is None)."""

    def make(name: str, role: Role | None = None, body: Any = None) -> Any:
        user = get_user_model().objects.create_user(
            f"{name}@example.org", email=f"{name}@example.org", password="pw", first_name=name
        )
        if role is not None:
            Membership.objects.create(user=user, body=body or place.county_council, role=role)
        return user

    return make
