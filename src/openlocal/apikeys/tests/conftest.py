"""Fixtures for API key tests: staff in every role at Testshire County Council."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from openlocal.places.models import Membership, Role


@pytest.fixture
def staff_user(place: Any) -> Callable[..., Any]:
    """A user with a role at a body (the county by default), or with none when ``role`` is
    None; ``"superuser"`` makes a site superuser. The password is "pw"."""

    def make(name: str, role: Role | str | None = None, body: Any = None) -> Any:
        users = get_user_model().objects
        email = f"{name}@example.org"
        if role == "superuser":
            return users.create_superuser(email, email=email, password="pw", first_name=name)
        user = users.create_user(email, email=email, password="pw", first_name=name)
        if role is not None:
            Membership.objects.create(user=user, body=body or place.county_council, role=role)
        return user

    return make


@pytest.fixture
def county_admin(staff_user: Callable[..., Any]) -> Any:
    return staff_user("Ada", Role.ADMINISTRATOR)


@pytest.fixture
def superuser(staff_user: Callable[..., Any]) -> Any:
    return staff_user("Root", "superuser")
