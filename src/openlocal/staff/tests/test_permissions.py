"""Every staff endpoint against every kind of user: exactly the expected answer, and when the
answer is no, nothing in the database changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from openlocal.core.models import AuditEntry
from openlocal.places.models import Role
from openlocal.requests.merging import request_merge
from openlocal.requests.models import Photo, Request, Update, UpdateKind
from openlocal.requests.services import request_create, request_hide, request_status_change
from openlocal.requests.workflow import request_assign
from openlocal.staff.tests.conftest import png

pytestmark = pytest.mark.django_db

USERS = ["anonymous", "no_membership", "viewer", "inspector", "manager", "administrator", "other"]


@dataclass
class Endpoint:
    name: str
    method: str
    #: The least role (at the request's body) that may use it; None for "any member".
    role: Role | None
    url: Callable[[Request, Photo, Update], str]
    data: Callable[[Any], dict[str, Any]] = lambda place: {}
    setup: Callable[[Request, Any], None] = lambda request, place: None


def _action(name: str) -> Callable[[Request, Photo, Update], str]:
    return lambda r, p, u: reverse(f"staff:request_{name}", args=[r.pk])


def _hide_first(request: Request, place: Any) -> None:
    root = get_user_model().objects.create_superuser("root@example.org", "root@example.org", "pw")
    request_hide(request=request, actor=root, reason="setup")


def _original(request: Request, place: Any) -> Request:
    """Another report of the same pothole, made just before ``request``."""
    return request_create(
        category=place.pothole,
        latitude=request.latitude,
        longitude=request.longitude,
        title="The same pothole, reported first",
        description="Deep hole.",
        answers={"depth": "deep"},
        notify=False,
    )


def _make_original(request: Request, place: Any) -> None:
    _original(request, place)


def _merge_first(request: Request, place: Any) -> None:
    request_merge(
        duplicate=request, into=_original(request, place), actor=None, check_permission=False
    )


def _assign_to_someone(request: Request, place: Any) -> None:
    """The request is with the place's county inspector: only a manager may hand it on."""
    request_assign(request=request, actor=place.county_inspector, assignee=place.county_inspector)


def _into_original(place: Any) -> dict[str, Any]:
    original = Request.private_objects.get(title="The same pothole, reported first")
    return {"into": str(original.pk)}


ENDPOINTS = [
    Endpoint("queue", "get", None, lambda r, p, u: reverse("staff:queue")),
    Endpoint(
        "workspace", "get", Role.VIEWER, lambda r, p, u: reverse("staff:request", args=[r.pk])
    ),
    Endpoint(
        "status",
        "post",
        Role.INSPECTOR,
        _action("status"),
        lambda place: {"status": "investigating", "message": "Looking"},
    ),
    Endpoint("note", "post", Role.INSPECTOR, _action("note"), lambda place: {"text": "Private"}),
    Endpoint(
        "priority", "post", Role.INSPECTOR, _action("priority"), lambda place: {"priority": "3"}
    ),
    Endpoint(
        "assign",
        "post",
        Role.MANAGER,
        _action("assign"),
        lambda place: {"assignee": "none"},
        setup=_assign_to_someone,
    ),
    Endpoint(
        "due",
        "post",
        Role.MANAGER,
        _action("due"),
        lambda place: {"day": "1", "month": "6", "year": "2099"},
    ),
    Endpoint(
        "category",
        "post",
        Role.MANAGER,
        _action("category"),
        lambda place: {"category": place.streetlight.pk},
    ),
    Endpoint(
        "reassign",
        "post",
        Role.MANAGER,
        _action("reassign"),
        lambda place: {"body": place.east_council.pk},
    ),
    Endpoint("hide", "post", Role.MANAGER, _action("hide"), lambda place: {"reason": "Abuse"}),
    Endpoint("unhide", "post", Role.MANAGER, _action("unhide"), setup=_hide_first),
    Endpoint(
        "redact",
        "post",
        Role.MANAGER,
        _action("redact"),
        lambda place: {"title": "Hole", "description": "[removed]", "reason": "Name"},
    ),
    Endpoint(
        "merge_check",
        "get",
        Role.INSPECTOR,
        lambda r, p, u: (
            reverse("staff:request_merge", args=[r.pk]) + "?into=" + _into_original(None)["into"]
        ),
        setup=_make_original,
    ),
    Endpoint(
        "merge", "post", Role.INSPECTOR, _action("merge"), _into_original, setup=_make_original
    ),
    Endpoint("unmerge", "post", Role.INSPECTOR, _action("unmerge"), setup=_merge_first),
    Endpoint(
        "photo_hide",
        "post",
        Role.MANAGER,
        lambda r, p, u: reverse("staff:photo_hide", args=[r.pk, p.pk]),
        lambda place: {"reason": "Face"},
    ),
    Endpoint(
        "update_redact",
        "post",
        Role.MANAGER,
        lambda r, p, u: reverse("staff:update_redact", args=[r.pk, u.pk]),
        lambda place: {"text": "[removed]", "reason": "Phone number"},
    ),
]

RANK = {Role.VIEWER: 0, Role.INSPECTOR: 1, Role.MANAGER: 2, Role.ADMINISTRATOR: 3}


def expected_status(endpoint: Endpoint, user: str) -> int:
    if user == "anonymous":
        return 302
    if endpoint.name == "queue":
        return 403 if user == "no_membership" else 200
    if user in ("no_membership", "other"):
        return 404  # another body's request is indistinguishable from none
    assert endpoint.role is not None
    if RANK[Role(user)] < RANK[endpoint.role]:
        return 403
    return 200 if endpoint.method == "get" else 302


def snapshot(request: Request) -> tuple[Any, ...]:
    """Everything a staff action could change."""
    return (
        tuple(
            Request.private_objects.filter(pk=request.pk).values_list(
                "status",
                "body_id",
                "category_id",
                "hidden",
                "title",
                "description",
                "acknowledged_at",
                "updated_at",
                "duplicate_of_id",
                "supporter_count",
                "assigned_to_id",
                "priority",
                "due_at",
            )
        ),
        tuple(Update.private_objects.order_by("id").values_list("id", "text", "hidden")),
        tuple(Photo.private_objects.order_by("id").values_list("id", "hidden")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("user_kind", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_permission_matrix(
    client: Client, place, make_request, staff_user, endpoint: Endpoint, user_kind: str
) -> None:
    request = make_request(photos=[png()])
    photo = Photo.private_objects.get(request=request)
    update = request_status_change(
        request=request,
        actor=place.county_inspector,
        status="acknowledged",
        message="Call 07700 900123",
        notify=False,
    )
    endpoint.setup(request, place)
    if user_kind == "no_membership":
        client.force_login(staff_user("nobody"))
    elif user_kind == "other":
        client.force_login(place.west_manager)
    elif user_kind != "anonymous":
        client.force_login(staff_user(user_kind, Role(user_kind), place.county_council))

    url = endpoint.url(request, photo, update)
    before = snapshot(request)
    if endpoint.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, endpoint.data(place))

    expected = expected_status(endpoint, user_kind)
    assert response.status_code == expected, response.content.decode()[:2000]
    if user_kind == "anonymous":
        assert response["Location"].startswith(reverse("staff:login") + "?next=")
    if endpoint.method == "post":
        if expected == 302 and user_kind != "anonymous":
            assert snapshot(request) != before
            assert not response["Location"].startswith(reverse("staff:login"))
        else:
            assert snapshot(request) == before
    if expected == 403 and endpoint.name != "queue":
        assert "You cannot do that" in response.content.decode()


def test_no_forms_for_a_viewer(client: Client, place, make_request, staff_user) -> None:
    request = make_request()
    client.force_login(staff_user("viewer", Role.VIEWER))
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert 'method="post" action="/staff/requests' not in html
    assert "lets you see this request but not change it" in html


def test_internal_notes_are_seen_by_viewers(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    client.post(reverse("staff:request_note", args=[request.pk]), {"text": "Gas main nearby"})
    assert Update.private_objects.filter(kind=UpdateKind.NOTE).count() == 1
    client.force_login(staff_user("viewer", Role.VIEWER))
    html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
    assert "Gas main nearby" in html


class TestCsrf:
    def test_action_without_token_is_refused(self, place, make_request) -> None:
        request = make_request()
        client = Client(enforce_csrf_checks=True)
        client.force_login(place.county_inspector)
        before = snapshot(request)
        response = client.post(
            reverse("staff:request_status", args=[request.pk]), {"status": "fixed"}
        )
        assert response.status_code == 403
        assert snapshot(request) == before

    def test_every_workspace_form_has_a_token(self, place, make_request, staff_user) -> None:
        request = make_request(photos=[png()])
        request_status_change(
            request=request,
            actor=place.county_inspector,
            status="acknowledged",
            message="On it",
            notify=False,
        )
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff_user("admin", Role.ADMINISTRATOR))
        html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
        forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        assert len(forms) >= 8
        for form in forms:
            assert 'name="csrfmiddlewaretoken"' in form

    def test_action_with_the_pages_token_works(self, place, make_request) -> None:
        request = make_request()
        client = Client(enforce_csrf_checks=True)
        client.force_login(place.county_inspector)
        html = client.get(reverse("staff:request", args=[request.pk])).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None
        response = client.post(
            reverse("staff:request_status", args=[request.pk]),
            {"status": "fixed", "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.status == "fixed"

    def test_login_without_token_is_refused(self, place) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            reverse("staff:login"), {"username": "inspector@testshire.example", "password": "pw"}
        )
        assert response.status_code == 403
        assert "_auth_user_id" not in client.session

    def test_logout_without_token_is_refused(self, place) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(place.county_inspector)
        assert client.post(reverse("staff:logout")).status_code == 403
        assert "_auth_user_id" in client.session
