"""The permission matrix: every staff page and every staff API operation, for an anonymous
visitor, a signed-in user of no body, each role at the county council and a manager of
another body, gets exactly the access that role allows.

Pages that act on one request are in ``openlocal/staff/tests/test_permissions.py`` (with
a check that a refusal changes nothing); this module covers the rest of the staff site and
the JSON API's staff operations, and checks that no staff page or staff operation is left
out of either matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from openlocal.apikeys.services import apikey_create
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Priority, Request
from openlocal.requests.services import request_create
from openlocal.staff.models import ResponseTemplate, SavedView
from openlocal.staff.tests.test_permissions import ENDPOINTS as REQUEST_ENDPOINTS

pytestmark = pytest.mark.django_db

USERS = ["anonymous", "no_membership", "viewer", "inspector", "manager", "administrator", "other"]
RANK = {Role.VIEWER: 0, Role.INSPECTOR: 1, Role.MANAGER: 2, Role.ADMINISTRATOR: 3}

#: Pages anyone may open: signing in and out.
OPEN_TO_ALL = {"staff:login", "staff:logout"}
#: Request pages, in the request matrix (its endpoint name → the URL name).
REQUEST_PAGES = {
    "queue": "staff:queue",
    "workspace": "staff:request",
    "merge_check": "staff:request_merge",
    "merge": "staff:request_merge",
    "photo_hide": "staff:photo_hide",
    "update_redact": "staff:update_redact",
}


@dataclass
class World:
    place: Any
    request: Request
    template: ResponseTemplate
    users: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """A staff page: who may use it, and what a user of each kind gets."""

    name: str
    method: str
    url: Callable[[World], str]
    #: The least role at the county council that may use it.
    role: Role
    #: The answer for a user allowed in (GET 200 by default, POST a redirect).
    allowed: int | None = None
    #: The answer for a member of another body: its own pages work the same as for a
    #: member (``None``), a county object is out of sight (404).
    other: int | None = None
    #: What the page answers a user below the role.
    refused: int = 403
    #: What it answers a signed-in user of no body (``None``: as ``refused``).
    no_membership: int | None = None
    data: Callable[[World], dict[str, Any]] = lambda world: {}

    def expected(self, user: str) -> int:
        if user == "anonymous":
            return 302  # to the sign-in page
        if user == "other" and self.other is not None:
            return self.other
        role = {"other": Role.MANAGER}.get(user)
        if user == "no_membership":
            return self.refused if self.no_membership is None else self.no_membership
        actual = role or Role(user)
        if RANK[actual] < RANK[self.role]:
            return self.refused
        if self.allowed is not None:
            return self.allowed
        return 200 if self.method == "get" else 302


PAGES = [
    Page(
        "staff:bulk",
        "post",
        lambda w: reverse("staff:bulk"),
        Role.INSPECTOR,
        other=400,  # not one of its requests: the form says which
        data=lambda w: {
            "requests": [str(w.request.pk)],
            "action": "priority",
            "priority": str(Priority.URGENT),
        },
    ),
    Page(
        "staff:view_save",
        "post",
        lambda w: reverse("staff:view_save"),
        Role.VIEWER,
        data=lambda w: {"name": "Urgent work", "share": "me", "query": "priority=3"},
    ),
    Page(
        "staff:view_delete",
        "post",
        lambda w: reverse("staff:view_delete", args=[w.users["view"].pk]),
        Role.VIEWER,
        no_membership=302,  # their own view: they may always delete it
        other=404,  # someone else's view
    ),
    Page("staff:templates", "get", lambda w: reverse("staff:templates"), Role.MANAGER),
    Page("staff:template_create", "get", lambda w: reverse("staff:template_create"), Role.MANAGER),
    Page(
        "staff:template_edit",
        "get",
        lambda w: reverse("staff:template_edit", args=[w.template.pk]),
        Role.MANAGER,
        other=404,
    ),
    Page(
        "staff:template_delete",
        "post",
        lambda w: reverse("staff:template_delete", args=[w.template.pk]),
        Role.MANAGER,
        other=404,
    ),
    Page("backoffice:index", "get", lambda w: reverse("backoffice:index"), Role.MANAGER, 302),
    Page(
        "backoffice:body",
        "get",
        lambda w: reverse("backoffice:body", args=[w.place.county_council.slug]),
        Role.MANAGER,
        no_membership=404,
        other=404,
    ),
    Page(
        "backoffice:edit",
        "get",
        lambda w: reverse("backoffice:edit", args=[w.place.county_council.slug]),
        Role.ADMINISTRATOR,
        no_membership=404,
        other=404,
    ),
    Page(
        "backoffice:test",
        "post",
        lambda w: reverse("backoffice:test", args=[w.place.county_council.slug]),
        Role.ADMINISTRATOR,
        allowed=302,  # back to the link's form, saying no link is set up yet
        no_membership=404,
        other=404,
    ),
    Page(
        "importers:start",
        "get",
        lambda w: reverse("importers:start"),
        Role.ADMINISTRATOR,
        other=403,  # a manager elsewhere is no administrator either
    ),
    Page(
        "apikeys:list",
        "get",
        lambda w: reverse("apikeys:list"),
        Role.ADMINISTRATOR,
        other=403,
    ),
    Page(
        "apikeys:create",
        "get",
        lambda w: reverse("apikeys:create"),
        Role.ADMINISTRATOR,
        other=403,
    ),
]

#: Staff pages whose access is checked by their own app's tests, which need more set-up
#: than a matrix row (a sending to retry, an upload in progress, a key to revoke).
CHECKED_ELSEWHERE = {
    "backoffice:retry": "openlocal/backoffice/tests/test_staff_pages.py",
    "importers:upload": "openlocal/importers/tests/test_staff_page.py",
    "importers:confirm": "openlocal/importers/tests/test_staff_page.py",
    "importers:upload_report": "openlocal/importers/tests/test_staff_page.py",
    "importers:run": "openlocal/importers/tests/test_staff_page.py",
    "importers:run_report": "openlocal/importers/tests/test_staff_page.py",
    "apikeys:revoke": "openlocal/apikeys/tests/test_staff_page.py",
}


@pytest.fixture
def world(place) -> World:
    request = request_create(
        category=place.pothole,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Pothole on the High Street",
        description="A deep hole by the bus stop.",
        answers={"depth": "deep"},
        notify=False,
    )
    template = ResponseTemplate.objects.create(
        body=place.county_council, title="Filled", text="We filled it."
    )
    return World(place=place, request=request, template=template)


def sign_in(client: Client, world: World, user_kind: str) -> Any:
    place = world.place
    if user_kind == "anonymous":
        return None
    if user_kind == "other":
        user = place.west_manager
    else:
        user = get_user_model().objects.create_user(
            f"{user_kind}@example.org", email=f"{user_kind}@example.org", password="pw"
        )
        if user_kind != "no_membership":
            Membership.objects.create(user=user, body=place.county_council, role=Role(user_kind))
    client.force_login(user)
    return user


@pytest.mark.parametrize("user_kind", USERS)
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_staff_pages(client: Client, world: World, page: Page, user_kind: str) -> None:
    user = sign_in(client, world, user_kind)
    owner = user if user_kind not in ("anonymous", "other") else world.place.county_inspector
    world.users["view"] = SavedView.objects.create(owner=owner, name="Mine", query="status=open")
    url = page.url(world)
    response = client.get(url) if page.method == "get" else client.post(url, page.data(world))
    expected = page.expected(user_kind)
    assert response.status_code == expected, (
        f"{page.name} for {user_kind}: {response.status_code}, expected {expected}\n"
        + response.content.decode()[:1500]
    )
    if user_kind == "anonymous":
        assert response["Location"].startswith(reverse("staff:login") + "?next=")


# The JSON API's staff operations: a key with the body scope acts through a staff identity,
# whose role at the body decides, as a member of staff's would.


@dataclass
class Operation:
    name: str
    path: Callable[[World], str]
    role: Role
    data: Callable[[World], dict[str, Any]]
    #: The answer when allowed.
    allowed: int = 200


OPERATIONS = [
    Operation(
        "staff_update",
        lambda w: f"/api/v1/requests/{w.request.pk}/updates",
        Role.INSPECTOR,
        lambda w: {"status": "investigating", "message": "Looking at it"},
        201,
    ),
    Operation(
        "merge",
        lambda w: f"/api/v1/requests/{w.request.pk}/merge",
        Role.INSPECTOR,
        lambda w: {"into": w.users["original"].pk},
    ),
    Operation(
        "triage",
        lambda w: f"/api/v1/requests/{w.request.pk}/triage",
        Role.INSPECTOR,
        lambda w: {"priority": "urgent"},
    ),
]
KEYS = ["none", "submit", "viewer", "inspector", "manager", "administrator", "other"]


def api_key(world: World, kind: str) -> str:
    place = world.place
    if kind == "none":
        return ""
    if kind == "submit":
        return apikey_create(name="App", scopes=["submit"], check_permission=False)[1]
    body = place.west_council if kind == "other" else place.county_council
    key, raw = apikey_create(name=f"{kind} key", scopes=["body"], body=body, check_permission=False)
    if kind != "other":
        Membership.objects.filter(user=key.user).update(role=Role(kind))
    return raw


def expected_api(operation: Operation, kind: str) -> int:
    if kind == "none":
        return 401
    if kind == "submit":
        return 403  # a key without the body scope
    if kind == "other":
        return 403  # another body's key: its identity has no role at the county
    if RANK[Role(kind)] < RANK[operation.role]:
        return 403
    return operation.allowed


@pytest.mark.parametrize("kind", KEYS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.name for o in OPERATIONS])
def test_staff_api_operations(client: Client, world: World, operation: Operation, kind: str):
    place = world.place
    world.users["original"] = request_create(
        category=place.pothole,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="The same pothole, reported first",
        description="Deep hole.",
        answers={"depth": "deep"},
        notify=False,
    )
    raw = api_key(world, kind)
    before = Request.private_objects.filter(pk=world.request.pk).values().get()
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    response = client.post(
        operation.path(world),
        data=operation.data(world),
        content_type="application/json",
        headers=headers,
    )
    expected = expected_api(operation, kind)
    assert response.status_code == expected, response.content.decode()[:1500]
    after = Request.private_objects.filter(pk=world.request.pk).values().get()
    if expected >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
        assert after == before, "a refused operation changed the request"
    else:
        assert after != before


def _names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{pattern.namespace}:" if pattern.namespace else prefix
            names |= _names(pattern.url_patterns, space)
        elif pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_staff_page_is_in_a_matrix() -> None:
    staff_spaces = ("staff:", "backoffice:", "importers:", "apikeys:")
    pages = {n for n in _names(get_resolver().url_patterns) if n.startswith(staff_spaces)}
    request_pages = {
        REQUEST_PAGES.get(e.name, f"staff:request_{e.name}") for e in REQUEST_ENDPOINTS
    }
    covered = OPEN_TO_ALL | request_pages | {p.name for p in PAGES} | set(CHECKED_ELSEWHERE)
    assert pages - covered == set(), "staff pages missing from the permission matrix"
    assert covered - pages == set(), "the matrix names pages that no longer exist"


def test_every_staff_api_operation_is_in_the_matrix() -> None:
    from openlocal.api.api import api

    schema = api.get_openapi_schema()
    staff = {
        path.replace("{pk}", "N")
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        if "(staff)" in operation.get("summary", "")
    }
    world = World(place=None, request=Request(pk=0), template=ResponseTemplate())
    matrix = {o.path(world).replace("/0/", "/N/") for o in OPERATIONS}
    assert staff == matrix
