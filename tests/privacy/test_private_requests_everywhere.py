"""A request in a private category reaches no public output, and no one but its reporter.

Builds a private request whose title, description, address, answers, timeline and photo
carry a distinctive marker, with a public request beside it, followers of its area (by email
and by webhook) and a worker run; then reads every public output: the pages, the map data
and counts, the JSON API (lists, detail, GeoJSON, similar requests), Open311 (requests and
updates, one by one and listed), the Atom feeds, every open data download and a daily
snapshot, every email sent to anyone but the reporter and every webhook body, and searches
each for the marker and for links to the request.

The search proves it can fail: the same scan, once staff move the request into a public
category, finds it in every kind of output; and the reporter's own email, which may carry
it, does.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client, override_settings

from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.exporters import FORMATS
from openlocal.opendata.snapshots import snapshot_build
from openlocal.places.models import Membership, Role
from openlocal.requests.models import Photo, Request, Status
from openlocal.requests.services import (
    request_category_change,
    request_comment,
    request_create,
    request_status_change,
)
from openlocal.requests.tests.category_rules import jpeg_content, rule_categories
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.testing import webhook_receiver

pytestmark = pytest.mark.django_db

MARKER = "q7x6f1a"
TITLE = f"Needles behind the garages {MARKER}"
DESCRIPTION = f"Five syringes under the hedge, {MARKER} side."
ADDRESS = f"9 Orchard Row {MARKER}"
UPDATE = f"Our sharps team will visit, {MARKER}."
COMMENT = f"The hedge will be cut back too, {MARKER}."
REPORTER = "reporter.q7x@example.org"
AREA_FOLLOWER = "area.follower@example.org"
BOX = "-3.6,50.6,-3.4,50.8"


@dataclass
class World:
    private: Request
    public: Request
    photo: str
    client: Client
    receiver: object
    mailoutbox: list


@pytest.fixture
def receiver() -> Iterator[object]:
    with webhook_receiver() as hooks:
        yield hooks


@pytest.fixture
def world(place, receiver, mailoutbox, django_capture_on_commit_callbacks) -> World:
    rules = rule_categories(place)
    Membership.objects.filter(user=place.west_manager).update(role=Role.MANAGER)
    follow(target=Target.for_area(place.west), email=AREA_FOLLOWER, confirmed=True)
    endpoint, _secret = endpoint_register(
        owner_email="hooks@example.org", url=receiver.url("/hook"), confirmed=True
    )
    follow(target=Target.for_area(place.west), endpoint=endpoint)
    public = request_create(
        category=place.fly_tipping,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Sofa dumped in the lay-by",
        description="An old sofa and two bags.",
        answers={"what": ["furniture"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        private = request_create(
            category=rules.needles,
            latitude=place.west_point[0] + 0.001,
            longitude=place.west_point[1] + 0.001,
            title=TITLE,
            description=DESCRIPTION,
            address=ADDRESS,
            photos=[jpeg_content(f"hedge-{MARKER}.jpg")],
            reporter_email=REPORTER,
            reporter_name=f"Rowan {MARKER}",
            reporter_name_public=True,
        )
    request_status_change(
        request=private, actor=place.west_manager, status=Status.IN_PROGRESS, message=UPDATE
    )
    request_comment(request=private, actor=place.west_manager, text=COMMENT)
    run_batch()
    receiver.wait_for(1)
    photo = Photo.private_objects.get(request=private).image.name
    return World(private, public, photo, Client(), receiver, mailoutbox)


def found_in(body: str, world: World) -> list[str]:
    """What of the private request ``body`` gives away (searched raw and unescaped twice,
    as feeds escape their HTML content once more inside the XML)."""
    texts = [body, html.unescape(body), html.unescape(html.unescape(body))]
    hits = []
    if any(MARKER in t for t in texts):
        hits.append("marker")
    if any(re.search(rf"/requests/{world.private.pk}(?![0-9])", t) for t in texts):
        hits.append("link")
    if any(world.photo in t or world.photo.rsplit("/", 1)[-1] in t for t in texts):
        hits.append("photo")
    return hits


def public_outputs(world: World, tmp_path: Path) -> dict[str, str]:
    """Every public output, by what it is; asserting each answered as a public one should."""
    client, pk = world.client, world.private.pk
    lat, lon = world.private.latitude, world.private.longitude
    outputs: dict[str, str] = {}

    def get(path: str, status: int = 200) -> None:
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        outputs[path] = body.decode()

    for path in (
        "/",
        "/places/",
        "/around?q=West+Testshire",
        f"/around?lat={lat}&lon={lon}",
        "/requests/",
        # Searched by a word of the title: the marker itself would be echoed in the page.
        "/requests/?q=garages",
        "/requests/?category=needles",
        "/requests/map.json",
        "/areas/testshire",
        "/areas/west-testshire",
        "/bodies/west",
        "/categories/needles",
        "/categories/fly-tipping",
    ):
        get(path)
    get(f"/requests/{pk}", 404)
    get(f"/requests/{pk}/view/not-a-valid-link", 404)
    get("/media/" + world.photo, 404)
    # The map: points, and clusters read from the per-cell counts.
    get(f"/api/v1/requests.geojson?bbox={BOX}")
    with override_settings(GEOJSON_CLUSTER_THRESHOLD=0):
        get(f"/api/v1/requests.geojson?bbox={BOX}&__clustered")
    for path in (
        "/api/v1/requests",
        "/api/v1/requests?text=garages",
        "/api/v1/requests?category=NDL",
        f"/api/v1/requests?bbox={BOX}",
        f"/api/v1/similar?category=NDL&lat={lat}&lon={lon}",
        f"/api/v1/similar?category=FLY&lat={lat}&lon={lon}&text=syringes",
        f"/api/v1/requests/{world.public.pk}",
        f"/api/v1/requests/{world.public.pk}/similar",
        "/api/v1/categories",
    ):
        get(path)
    get(f"/api/v1/requests/{pk}", 404)
    get(f"/api/v1/requests/{pk}/similar", 404)
    for fmt in ("json", "xml"):
        for path in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests.{fmt}?extensions=true",
            f"/open311/v2/requests.{fmt}?service_code=NDL",
            f"/open311/v2/requests.{fmt}?service_request_id={pk},{world.public.pk}",
            f"/open311/v2/requests.{fmt}?lat={lat}&long={lon}&radius=500",
            f"/open311/v2/servicerequestupdates.{fmt}",
            f"/open311/v2/servicerequestupdates.{fmt}?service_request_id={pk}",
            f"/open311/v2/services.{fmt}",
        ):
            get(path)
        get(f"/open311/v2/requests/{pk}.{fmt}", 404)
    for path in (
        "/feeds/requests",
        "/feeds/areas/testshire",
        "/feeds/areas/west-testshire",
        "/feeds/bodies/west",
        "/feeds/categories/needles",
        "/feeds/categories/needles?area=west-testshire",
        f"/feeds/around?lat={lat}&lon={lon}&radius=500",
        f"/feeds/within?bbox={BOX}",
    ):
        get(path)
    get(f"/feeds/requests/{pk}", 404)
    for spec in DATASETS.values():
        for fmt in spec.formats:
            get(f"/data/{spec.slug}.{FORMATS[fmt].extension}")
    get("/data/requests.csv?category=NDL")
    snapshot = snapshot_build(root=tmp_path / "snapshots")
    for file in sorted((tmp_path / "snapshots" / snapshot.name).iterdir()):
        outputs[f"snapshot {file.name}"] = file.read_text()
    for message in world.mailoutbox:
        if message.to != [REPORTER]:
            bodies = [message.subject, message.body] + [a[0] for a in message.alternatives]
            outputs[f"email to {message.to[0]}: {message.subject}"] = "\n".join(bodies)
    for n, hook in enumerate(world.receiver.received):
        outputs[f"webhook {n}"] = hook.body.decode()
    return outputs


def test_nothing_public_shows_a_private_request(world: World, tmp_path: Path) -> None:
    outputs = public_outputs(world, tmp_path)

    leaks = {name: hits for name, body in outputs.items() if (hits := found_in(body, world))}
    assert leaks == {}
    # The scan read real outputs: the public request is in them, and its followers heard.
    assert any("Sofa dumped in the lay-by" in body for body in outputs.values())
    assert any(name.startswith("email to area.follower") for name in outputs)
    assert any(name.startswith("webhook") for name in outputs)


def test_map_counts_leave_private_requests_out(world: World) -> None:
    points = world.client.get(f"/api/v1/requests.geojson?bbox={BOX}").json()
    assert points["total"] == 1 and points["clustered"] is False
    with override_settings(GEOJSON_CLUSTER_THRESHOLD=0):
        clusters = world.client.get(f"/api/v1/requests.geojson?bbox={BOX}").json()
    assert clusters["clustered"] is True
    assert sum(f["properties"]["count"] for f in clusters["features"]) == 1
    browse = world.client.get("/requests/map.json").json()
    assert [p["id"] for p in browse["points"]] == [world.public.pk]


def test_only_the_reporter_was_emailed_about_it(world: World) -> None:
    about = [m for m in world.mailoutbox if MARKER in m.subject or MARKER in m.body]
    assert about, "the reporter's own emails carry the marker: the search finds it there"
    assert {m.to[0] for m in about} == {REPORTER}
    assert all(f"/requests/{world.private.pk}/view/" in m.body for m in about)


def test_the_search_finds_the_request_once_it_is_public(
    world: World, place, tmp_path: Path
) -> None:
    request_category_change(
        request=world.private, actor=place.west_manager, category=place.fly_tipping
    )
    request_status_change(
        request=world.private, actor=place.west_manager, status=Status.FIXED, message="Cleared."
    )
    run_batch()
    world.receiver.wait_for(3)

    outputs = public_outputs_after_publishing(world, tmp_path)

    kinds = {
        "page": "/requests/",
        "map": "/requests/map.json",
        "api": "/api/v1/requests",
        "geojson": f"/api/v1/requests.geojson?bbox={BOX}",
        "open311": "/open311/v2/requests.json",
        "feed": "/feeds/areas/west-testshire",
        "export": "/data/requests.csv",
        "snapshot": "snapshot requests.csv",
    }
    for kind, name in kinds.items():
        assert found_in(outputs[name], world), kind
    assert any(found_in(body, world) for name, body in outputs.items() if "webhook" in name)


def public_outputs_after_publishing(world: World, tmp_path: Path) -> dict[str, str]:
    client, pk = world.client, world.private.pk
    outputs: dict[str, str] = {}
    for path in (
        "/requests/",
        "/requests/map.json",
        "/api/v1/requests",
        f"/api/v1/requests.geojson?bbox={BOX}",
        "/open311/v2/requests.json",
        "/feeds/areas/west-testshire",
        "/data/requests.csv",
        f"/requests/{pk}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        outputs[path] = body.decode()
    snapshot = snapshot_build(root=tmp_path / "after")
    outputs["snapshot requests.csv"] = (
        tmp_path / "after" / snapshot.name / "requests.csv"
    ).read_text()
    for n, hook in enumerate(world.receiver.received):
        outputs[f"webhook {n}"] = json.dumps(json.loads(hook.body))
    return outputs
