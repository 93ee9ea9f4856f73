"""`openlocal demo`: the generated place is big enough, two-tier, private, and the same every run.

The demo is generated once for the module (it takes a few seconds) inside a transaction that
is rolled back at the end, as Django's ``setUpTestData`` does; each test runs in a savepoint
on top of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from PIL import Image

from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_authenticate, apikey_revoke
from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.demo import generate
from openlocal.places.models import Area, AreaCell, AreaKind, Body, BodyKind, Membership, Role
from openlocal.places.permissions import role_in
from openlocal.places.selectors import routes_at
from openlocal.requests.models import (
    Category,
    CategoryQuestion,
    Person,
    Photo,
    Priority,
    QuestionDatatype,
    Request,
    RequestMerge,
    RoutingRule,
    Status,
    Supporter,
    Update,
    UpdateKind,
)
from openlocal.staff.models import ResponseTemplate
from openlocal.subscriptions.events import fan_out_pending, spatial_subscription_ids
from openlocal.subscriptions.models import (
    Channel,
    Delivery,
    Event,
    Subscription,
    SubscriptionSource,
    TargetKind,
    WebhookEndpoint,
)


@dataclass
class Demo:
    output: str
    now: datetime


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            now = timezone.now()
            call_command("demo", stdout=out)
            yield Demo(out.getvalue(), now)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def credentials_in(output: str) -> list[tuple[str, str, str, str]]:
    """The rows of the logins table the command printed: (body, role, email, password)."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if "Email (username)" in line) + 2
    rows = []
    for line in lines[start:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) != 4:
            break
        rows.append((cells[0], cells[1], cells[2], cells[3]))
    return rows


@pytest.mark.django_db
def test_the_place_is_big_enough_to_explore(demo: Demo) -> None:
    kinds = {kind: Area.objects.filter(kind=kind).count() for kind in AreaKind.values}
    assert kinds[AreaKind.COUNTY] == 1
    assert kinds[AreaKind.DISTRICT] >= 3
    assert kinds[AreaKind.WARD] >= 10
    assert kinds[AreaKind.PARISH] >= 5
    body_kinds = list(Body.objects.values_list("kind", flat=True))
    assert body_kinds.count(BodyKind.COUNTY) == 1
    assert body_kinds.count(BodyKind.DISTRICT) >= 3
    assert body_kinds.count(BodyKind.PARISH) >= 2
    assert BodyKind.COMMUNITY in body_kinds
    assert Category.objects.count() >= 12
    assert Category.objects.values("group").distinct().count() >= 10
    datatypes = set(CategoryQuestion.objects.values_list("datatype", flat=True))
    assert datatypes == set(QuestionDatatype.values)
    assert CategoryQuestion.objects.filter(required=True).exists()
    assert Category.objects.filter(asset_required=True).exists()
    assert Asset.objects.count() >= 1000
    assert AssetType.objects.filter(assets__isnull=False).distinct().count() >= 5
    assert Request.private_objects.count() >= 300
    assert Photo.private_objects.count() >= 30
    assert Request.private_objects.filter(supporter_count__gt=0).count() >= 50
    assert Request.private_objects.filter(asset__isnull=False).count() >= 50
    assert Update.private_objects.filter(kind=UpdateKind.NOTE, public=False).count() >= 20
    assert Request.private_objects.filter(hidden=True).exists()
    assert "Loaded the demo" in demo.output


@pytest.mark.django_db
def test_every_status_is_on_the_map(demo: Demo) -> None:
    present = set(Request.public_objects.values_list("status", flat=True))
    assert present == set(Status.values)


@pytest.mark.django_db
def test_requests_are_spread_over_the_last_year_and_timelines_run_forwards(demo: Demo) -> None:
    now = timezone.now()
    created = sorted(Request.private_objects.values_list("created_at", flat=True))
    assert created[0] >= demo.now - timedelta(days=366)
    assert created[-1] <= now
    months = {(c.year, c.month) for c in created}
    assert len(months) >= 12
    for request in Request.private_objects.prefetch_related("updates"):
        updates = list(request.updates.all())
        assert updates[0].kind == UpdateKind.CREATED
        times = [u.created_at for u in updates]
        assert times == sorted(times), request.title
        assert times[-1] <= now
        if request.status != Status.NEW:
            assert request.acknowledged_at is not None
        if request.status in {Status.FIXED, Status.REFERRED, Status.DUPLICATE}:
            assert request.closed_at is not None


@pytest.mark.django_db
def test_duplicates_are_merged_into_an_earlier_report_of_the_same_problem(demo: Demo) -> None:
    duplicates = Request.private_objects.filter(status=Status.DUPLICATE).select_related(
        "duplicate_of"
    )
    assert duplicates.count() >= 10
    for duplicate in duplicates:
        original = duplicate.duplicate_of
        assert original is not None
        assert original.category_id == duplicate.category_id
        assert original.created_at < duplicate.created_at
        assert geo.distance_m(
            original.latitude, original.longitude, duplicate.latitude, duplicate.longitude
        ) <= max(original.category.duplicate_radius_m, 15)
        assert duplicate.updates.filter(kind=UpdateKind.MERGED, public=True).exists()
        assert original.updates.filter(kind=UpdateKind.MERGED, data__from=duplicate.pk).exists()


@pytest.mark.django_db
def test_two_tier_routing_sends_roads_to_the_county_and_bins_to_each_district(demo: Demo) -> None:
    county = Body.objects.get(kind=BodyKind.COUNTY)
    pothole = Category.objects.get(service_code="POT")
    missed_bin = Category.objects.get(service_code="BIN")
    devices = Category.objects.get(service_code="DEV")
    districts = list(Area.objects.filter(kind=AreaKind.DISTRICT).order_by("code")[:2])
    bodies = []
    for district in districts:
        point = (district.centre_latitude, district.centre_longitude)
        routes = routes_at(*point)
        assert routes[pothole.pk].body == county
        assert routes[devices.pk].body.kind == BodyKind.COMMUNITY
        bodies.append(routes[missed_bin.pk].body)
        assert bodies[-1].kind == BodyKind.DISTRICT
        assert district in bodies[-1].areas.all()
    assert bodies[0] != bodies[1]


@pytest.mark.django_db
def test_a_parish_council_takes_benches_in_its_parish_ahead_of_the_district(demo: Demo) -> None:
    bench = Category.objects.get(service_code="BEN")
    parish_council = Body.objects.filter(kind=BodyKind.PARISH).first()
    assert parish_council is not None
    parish = parish_council.areas.get()
    routes = routes_at(parish.centre_latitude, parish.centre_longitude)
    assert routes[bench.pk].body == parish_council
    other = Area.objects.filter(kind=AreaKind.PARISH, bodies__isnull=True).first()
    assert other is not None
    routes = routes_at(other.centre_latitude, other.centre_longitude)
    assert routes[bench.pk].body.kind == BodyKind.DISTRICT


@pytest.mark.django_db
def test_everything_is_inside_the_county(demo: Demo) -> None:
    county = Area.objects.get(kind=AreaKind.COUNTY)
    outline = shapely.from_wkb(bytes(county.geometry))
    shapely.prepare(outline)
    points = list(Request.private_objects.values_list("longitude", "latitude"))
    points += list(Asset.objects.values_list("longitude", "latitude"))
    inside = outline.covers(shapely.points(points))
    assert inside.all(), [p for p, ok in zip(points, inside, strict=True) if not ok][:5]
    assert 50.5 < county.centre_latitude < 51.3 and -3.9 < county.centre_longitude < -2.7
    for area in Area.objects.exclude(kind=AreaKind.COUNTY):
        shape = shapely.from_wkb(bytes(area.geometry))
        assert shape.is_valid and shape.area > 0, area.name
        assert outline.buffer(1e-9).covers(shape), area.name
        assert AreaCell.objects.filter(area=area).exists(), area.name


@pytest.mark.django_db
def test_assets_have_their_cell_a_body_and_a_name(demo: Demo) -> None:
    for asset in Asset.objects.all():
        assert asset.cell == geo.point_cell(asset.latitude, asset.longitude)
        assert asset.body_id is not None
        assert asset.name and asset.attributes
    stops = Asset.objects.filter(asset_type__slug="bus-stop")
    assert all(re.fullmatch(r"1990WYV\d{5}", s.external_id) for s in stops)


@pytest.mark.django_db
def test_photos_are_jpegs_with_no_exif(demo: Demo) -> None:
    photos = Photo.private_objects.all()
    assert photos.count() >= 30
    for photo in photos:
        with photo.image.open("rb") as f:
            image = Image.open(f)
            image.load()
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
        assert photo.width == image.width and photo.height == image.height


@pytest.mark.django_db
def test_reporters_are_obviously_fake_and_named_only_when_they_chose(demo: Demo) -> None:
    emails = list(Person.objects.values_list("email", flat=True))
    assert len(emails) >= 50
    assert all(e.endswith(("@example.org", "@example.com")) for e in emails)
    assert Request.private_objects.filter(reporter_name_public=True).exists()
    assert Request.private_objects.filter(reporter_name_public=False).exclude(reporter_name="")
    assert Request.private_objects.filter(reporter__isnull=True).exists()
    email_like = re.compile(r"\S+@\S+\.\w+")
    for title, description in Request.private_objects.values_list("title", "description"):
        assert not email_like.search(title + description)


@pytest.mark.django_db
def test_the_printed_logins_work(demo: Demo, client: Client) -> None:
    rows = credentials_in(demo.output)
    # Every user but the API key's own staff identity, which cannot sign in.
    assert len(rows) == get_user_model().objects.filter(api_key__isnull=True).count() >= 9
    roles = {role for _body, role, _email, _password in rows}
    assert {"Manager", "Inspector", "Administrator", "Superuser"} <= roles
    for _body, _role, email, password in rows:
        assert client.login(username=email, password=password), email
        client.logout()
    county = Body.objects.get(kind=BodyKind.COUNTY)
    assert Membership.objects.filter(body=county, role=Role.MANAGER).exists()
    for body in Body.objects.all():
        assert Membership.objects.filter(body=body).exists(), body.name


@pytest.mark.django_db
def test_the_published_api_key_submits_and_acts_for_the_county(demo: Demo) -> None:
    county = Body.objects.get(kind=BodyKind.COUNTY)
    assert generate.DEMO_API_KEY == "ol_demo_wyvernshire_county_key"
    assert generate.demo_api_keys() == [
        generate.DemoApiKey(county.name, "body, submit", generate.DEMO_API_KEY)
    ]
    key = apikey_authenticate(generate.DEMO_API_KEY)
    assert key is not None and key.body == county
    assert key.has_scope("submit") and key.has_scope("body") and not key.has_scope("webhooks")
    assert key.user is not None and role_in(key.user, county) == Role.INSPECTOR
    assert not key.user.has_usable_password()
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert not any(generate.DEMO_API_KEY in str(value) for value in stored.values())
    assert generate.demo_summary().counts["API keys"] == 1
    apikey_revoke(key=key, check_permission=False)
    assert generate.demo_api_keys() == []


@pytest.mark.django_db
def test_the_published_api_key_is_printed_with_the_logins(demo: Demo) -> None:
    line = f"  {generate.DEMO_API_KEY}  Wyvernshire County Council, scopes: body, submit"
    assert line in demo.output.splitlines()
    out = io.StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert line in out.getvalue().splitlines()
    apikey_revoke(key=ApiKey.objects.get(), check_permission=False)
    out = io.StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert generate.DEMO_API_KEY not in out.getvalue()


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
def test_a_cheap_demo_password_hash_still_checks_and_is_upgraded_at_login() -> None:
    encoded = generate._published_password_hash("demo-wyvernshire")
    upgraded: list[str] = []
    assert check_password("demo-wyvernshire", encoded, setter=upgraded.append)
    assert upgraded == ["demo-wyvernshire"]
    assert not check_password("wrong", encoded)


@pytest.mark.django_db
def test_if_empty_on_a_loaded_place_loads_nothing_and_prints_the_logins(demo: Demo) -> None:
    before = (Request.private_objects.count(), Asset.objects.count(), Area.objects.count())
    out = io.StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert (Request.private_objects.count(), Asset.objects.count(), Area.objects.count()) == before
    assert "not loaded" in out.getvalue()
    assert credentials_in(out.getvalue()) == credentials_in(demo.output)


@pytest.mark.django_db
def test_plain_demo_on_a_loaded_place_refuses_and_says_what_to_do(demo: Demo) -> None:
    with pytest.raises(CommandError, match="--if-empty"):
        call_command("demo", stdout=io.StringIO())


def fingerprint_data() -> list[object]:
    """Everything a visitor would notice, without database ids or calendar dates."""
    weekday_date = re.compile(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d+ \w+")
    data: list[object] = [
        sorted(Area.objects.values_list("kind", "code", "name", "min_latitude", "max_longitude")),
        sorted(Body.objects.values_list("slug", "name")),
        sorted(Asset.objects.values_list("external_id", "name", "latitude", "longitude")),
    ]
    for request in Request.private_objects.order_by("pk").prefetch_related("updates"):
        answers = {k: v for k, v in request.answers.items() if not str(v)[:4].isdigit()}
        data.append(
            [
                request.title,
                request.description,
                request.status,
                request.category.service_code,
                request.body.slug,
                request.latitude,
                request.longitude,
                request.asset.external_id if request.asset else "",
                json.dumps(answers, sort_keys=True),
                request.reporter_name,
                request.supporter_count,
                request.follower_count,
                request.hidden,
                request.photos.count(),
                # Which entries, not their order: when the dates move, a merge can fall on
                # the other side of a same-day staff update.
                sorted(
                    (
                        u.kind,
                        u.new_status,
                        u.public,
                        re.sub(r"#\d+", "#", weekday_date.sub("", u.text)),
                    )
                    for u in request.updates.all()
                ),
            ]
        )
    data.append(
        sorted(
            Subscription.objects.exclude(kind=TargetKind.REQUEST).values_list(
                "kind", "label", "channel", "person__email", "endpoint__url"
            ),
            key=str,
        )
    )
    return data


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(fingerprint_data(), default=str).encode()).hexdigest()


def empty_the_database() -> None:
    WebhookEndpoint.objects.all().delete()
    Subscription.objects.all().delete()
    Request.private_objects.all().delete()
    Person.objects.all().delete()
    Asset.objects.all().delete()
    RoutingRule.objects.all().delete()
    Category.objects.all().delete()
    AssetType.objects.all().delete()
    get_user_model().objects.all().delete()
    Body.objects.all().delete()
    Area.objects.all().delete()


@pytest.mark.django_db
def test_the_same_place_comes_out_whenever_it_is_generated(demo: Demo) -> None:
    first = fingerprint()
    empty_the_database()
    # Days later, at a different time of day: the dates move, nothing else does.
    generate.demo_generate(now=demo.now + timedelta(days=3, hours=7, minutes=13))
    assert fingerprint() == first


def test_the_plan_does_not_depend_on_python_hash_randomisation() -> None:
    """Set and dict ordering must not leak into the plan: run it under two hash seeds."""
    script = (
        "import django, hashlib, json, random; django.setup();"
        "from openlocal.demo import generate, geography, inventory, stories;"
        "rng = random.Random(generate.SEED); g = geography.build(rng);"
        "i = inventory.plan(rng, g); p, _ = stories.plan(rng, g, i);"
        "print(hashlib.sha256(json.dumps([[a.external_id, a.x, a.y] for a in i.assets]"
        " + [[r.title, r.description, r.x, r.y, r.days_ago, [e.kind for e in r.events]]"
        " for r in p]).encode()).hexdigest())"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "DJANGO_SETTINGS_MODULE": "openlocal.settings.test",
        }
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout.strip())
    assert len(outputs) == 1


@pytest.mark.django_db
def test_the_demo_leaves_the_worker_nothing_to_send(demo: Demo) -> None:
    """The demo's changes are not news: `make run`'s worker must not email its residents."""
    assert Event.objects.count() >= Request.private_objects.count()
    assert not Event.objects.filter(fanned_out_at__isnull=True).exists()
    assert not Delivery.objects.exists()
    assert fan_out_pending() == 0
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_residents_follow_requests_places_and_more(demo: Demo) -> None:
    kinds = set(Subscription.objects.values_list("kind", flat=True))
    assert kinds == set(TargetKind.values)
    # Every reporter follows their own request (a duplicate's, merged, follows the original).
    reported = set(
        Request.private_objects.filter(reporter__isnull=False)
        .exclude(status=Status.DUPLICATE)
        .values_list("reporter_id", "pk")
    )
    following = set(
        Subscription.objects.filter(kind=TargetKind.REQUEST).values_list("person_id", "request_id")
    )
    assert reported and reported <= following
    followers = Subscription.objects.filter(kind=TargetKind.REQUEST).exclude(
        source=SubscriptionSource.REPORTER
    )
    assert followers.count() >= 100
    channels = set(followers.values_list("channel", flat=True))
    assert {Channel.IMMEDIATE, Channel.DIGEST, Channel.OFF} <= channels
    assert followers.filter(confirmed_at__isnull=True).exists(), "nobody waits to confirm"
    assert Request.private_objects.filter(follower_count__gte=3).count() >= 10
    for request in Request.private_objects.filter(follower_count__gt=0)[:50]:
        active = Subscription.objects.filter(
            target_key=f"request:{request.pk}", confirmed_at__isnull=False
        ).exclude(channel=Channel.OFF)
        assert request.follower_count == active.count(), request.title
    emails = Person.objects.filter(subscriptions__isnull=False).values_list("email", flat=True)
    assert all(e.endswith(("@example.org", "@example.com")) for e in emails)


@pytest.mark.django_db
def test_merged_duplicates_took_their_followers_and_reporter_to_the_original(demo: Demo) -> None:
    merges = RequestMerge.objects.select_related("duplicate", "original")
    assert merges.count() == Request.private_objects.filter(status=Status.DUPLICATE).count()
    moved = 0
    for merge in merges:
        duplicate, original = merge.duplicate, merge.original
        assert duplicate.duplicate_of_id == original.pk and merge.undone_at is None
        assert not Subscription.objects.filter(target_key=f"request:{duplicate.pk}").exists()
        assert duplicate.follower_count == 0
        if duplicate.reporter_id and duplicate.reporter_id != original.reporter_id:
            assert Supporter.objects.filter(
                request=original, person_id=duplicate.reporter_id
            ).exists()
            assert Subscription.objects.filter(
                person_id=duplicate.reporter_id, target_key=f"request:{original.pk}"
            ).exists()
        moved += len(merge.moved["subscriptions"])
    assert moved >= 10


@pytest.mark.django_db
def test_a_confirmed_webhook_endpoint_follows_the_county(demo: Demo) -> None:
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.active
    assert endpoint.url == generate.WEBHOOK_URL and endpoint.url.startswith("https://example.org/")
    assert endpoint.owner.email == generate.WEBHOOK_OWNER_EMAIL
    assert endpoint.secret.startswith("whsec_")
    county = Body.objects.get(kind=BodyKind.COUNTY)
    assert Subscription.objects.filter(
        endpoint=endpoint, target_key=f"body:{county.pk}", confirmed_at__isnull=False
    ).exists()


@pytest.mark.django_db
def test_the_drawn_area_and_the_circle_cover_requests(demo: Demo) -> None:
    spatial = Subscription.objects.filter(kind__in=[TargetKind.POLYGON, TargetKind.POINT])
    assert spatial.count() == 2
    covered: dict[int, int] = dict.fromkeys(spatial.values_list("pk", flat=True), 0)
    for lat, lon in Request.public_objects.values_list("latitude", "longitude"):
        for pk in spatial_subscription_ids(lat, lon):
            covered[pk] += 1
    assert all(n >= 1 for n in covered.values()), covered


@pytest.mark.django_db
def test_the_county_starts_the_day_with_templates_and_its_busiest_requests_triaged(
    demo: Demo, client: Client
) -> None:
    county = Body.objects.get(slug="wyvernshire")
    assert ResponseTemplate.objects.filter(body=county, category__service_code="POT").exists()
    busiest = Request.private_objects.open().filter(body=county, priority=Priority.HIGH)
    assert busiest.count() == 5
    first = busiest.first()
    assert first is not None
    manager = first.assigned_to
    assert manager is not None and manager.email == "staff@wyvernshire.example"
    # The manager finds them under "assigned to me", and the templates in the workspace.
    client.force_login(manager)
    queue = client.get("/staff/?assigned=me").content.decode()
    for pk in busiest.values_list("pk", flat=True):
        assert f"/staff/requests/{pk}" in queue
    pothole = busiest.filter(category__service_code="POT").first() or first
    workspace = client.get(f"/staff/requests/{pothole.pk}").content.decode()
    assert "Not ours: passed on" in workspace
