"""Build the demo place in the database: ``demo_generate()``.

Everything is written through the services that every other front end uses (``area_save``,
``request_create``, ``request_status_change``, ``request_comment``, ``request_note_add``,
``request_support``, ``request_hide``, ``request_merge``, ``follow``), so the demo's requests
behave exactly like real ones. The exceptions are marked where they happen.

Nothing the demo does is news to anyone: every change is made with ``notify=False``, so its
events are recorded as already told (to nobody) and the worker that ``make run`` starts finds
nothing to send.
"""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from openlocal.apikeys.models import ApiKey, Scope
from openlocal.apikeys.services import apikey_publish, key_hash
from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.demo import catalogue, geography, inventory, stories
from openlocal.demo.geography import Geography
from openlocal.demo.photos import camera_jpeg
from openlocal.places.models import Area, AreaKind, Body, BodyKind, Membership, Role
from openlocal.places.services import area_save
from openlocal.requests.merging import request_merge
from openlocal.requests.models import (
    Category,
    CategoryQuestion,
    Person,
    Photo,
    Priority,
    Request,
    RoutingRule,
    Status,
    Supporter,
    Update,
    UpdateKind,
)
from openlocal.requests.photos import photo_reencode
from openlocal.requests.services import (
    person_for_email,
    request_comment,
    request_create,
    request_hide,
    request_note_add,
    request_status_change,
    request_support,
    session_hash,
)
from openlocal.staff.models import ResponseTemplate
from openlocal.subscriptions.models import Channel, Subscription, WebhookEndpoint
from openlocal.subscriptions.services import follow, new_secret, subscription_stop
from openlocal.subscriptions.targets import Target

#: The one seed: change it and you get a different county.
SEED = 20250601

SUPERUSER_EMAIL = "admin@openlocal.example"
SUPERUSER_PASSWORD = "demo-admin"  # noqa: S105 - documented demo credential

#: The demo's one webhook endpoint: a civic tech group keeping a copy of the county's requests.
#: example.org is reserved for documentation (RFC 2606), so nothing real receives it.
WEBHOOK_OWNER_EMAIL = "civic.tech@example.org"
WEBHOOK_URL = "https://example.org/wyvernshire/openlocal-webhook"

#: The demo's API key, published so the README and the API examples can use it: it submits
#: requests and acts for Wyvernshire County Council (as its own inspector). Stored, like
#: every key, only as a hash.
DEMO_API_KEY = "ol_demo_wyvernshire_county_key"
DEMO_API_KEY_NAME = "Wyvernshire demo integration"
DEMO_API_KEY_SCOPES = (Scope.SUBMIT, Scope.BODY)


def staff_email(body_slug: str, role: str) -> str:
    """The demo login of a body's staff user: ``staff@<slug>.example`` or ``admin@...``."""
    return f"{'admin' if role == Role.ADMINISTRATOR else 'staff'}@{body_slug}.example"


def staff_password(body_slug: str, role: str) -> str:
    """The demo password, public by design: ``demo-<slug>`` (``-admin`` for administrators)."""
    return f"demo-{body_slug}{'-admin' if role == Role.ADMINISTRATOR else ''}"


@dataclass(frozen=True)
class Credential:
    body: str
    role: str
    email: str
    password: str


def demo_credentials() -> list[Credential]:
    """The demo logins that exist in this database, the site superuser last.

    Read from the database rather than remembered, so ``--if-empty`` can print them on every
    start; a demo user whose username no longer follows the pattern is left out.
    """
    kind_order = {kind: n for n, kind in enumerate(BodyKind.values)}
    memberships = sorted(
        Membership.objects.select_related("user", "body"),
        key=lambda m: (kind_order.get(m.body.kind, 99), m.body.name, m.role),
    )
    credentials = [
        Credential(
            m.body.name,
            Role(m.role).label,
            m.user.get_username(),
            staff_password(m.body.slug, m.role),
        )
        for m in memberships
        if m.user.get_username() == staff_email(m.body.slug, m.role)
    ]
    if get_user_model().objects.filter(username=SUPERUSER_EMAIL, is_superuser=True).exists():
        credentials.append(
            Credential("Whole site (/admin/)", "Superuser", SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
        )
    return credentials


@dataclass(frozen=True)
class DemoApiKey:
    body: str
    scopes: str
    key: str


def demo_api_keys() -> list[DemoApiKey]:
    """The published demo key, if this database has it and it is not revoked.

    Found by its hash, as a client presenting it would be, so a key revoked by staff (or a
    database without the demo) prints nothing.
    """
    key = (
        ApiKey.objects.select_related("body")
        .filter(key_hash=key_hash(DEMO_API_KEY), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return []
    body = key.body.name if key.body else "Whole site"
    return [DemoApiKey(body, ", ".join(key.scopes), DEMO_API_KEY)]


@dataclass
class DemoSummary:
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    requests_by_status: dict[str, int] = field(default_factory=dict)
    assets_by_type: dict[str, int] = field(default_factory=dict)


#: Staff names, by body key: the name shown on the public timeline is "Name, Body".
STAFF_NAMES = {
    ("county", Role.MANAGER): ("Helen", "Marsh"),
    ("county", Role.ADMINISTRATOR): ("Tom", "Okafor"),
    ("district", 0): ("Gareth", "Pook"),
    ("district", 1): ("Nadia", "Hussain"),
    ("district", 2): ("Jo", "Trethewey"),
    ("parish", 0): ("Sue", "Ashworth"),
    ("parish", 1): ("Martin", "Bell"),
    ("hub", 0): ("Femi", "Adeyemi"),
    ("utility", 0): ("Priya", "Lowe"),
}


def _published_password_hash(password: str) -> str:
    """A hash of a demo password, made cheaply.

    The demo's passwords are printed on every start, so a slow hash protects nothing, and
    nine full-strength PBKDF2 hashes would be a quarter of the demo's time. Django checks the
    stored iteration count and re-hashes at full strength on the first login.
    """
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=1000)
    return make_password(password)


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(SEED)
        self.geography: Geography = geography.build(self.rng)
        self.inventory = inventory.plan(self.rng, self.geography)
        self.plans, self.residents = stories.plan(self.rng, self.geography, self.inventory)
        # Categories added later (private, photo-required, the water company's) have their
        # requests planned on a generator of their own, so the rest of the year is unchanged.
        apart = stories.plan_apart(
            random.Random(SEED + 2), self.geography, self.inventory, self.residents
        )
        self.plans = stories.in_time_order(self.plans + apart)
        # Followers come from a generator of their own, so the year's requests stay the same.
        self.follow_rng = random.Random(SEED + 1)
        self.followers = stories.request_followers(self.follow_rng, self.plans, len(self.residents))
        self.people: dict[int, Person] = {}

    # Places and bodies ----------------------------------------------------------------------
    def areas(self) -> None:
        g = self.geography
        self.county_area, _ = area_save(
            name=g.county.name, kind=AreaKind.COUNTY, code=g.county.code, geometry=g.county.geometry
        )
        self.district_areas = [
            area_save(
                name=d.name,
                kind=AreaKind.DISTRICT,
                code=d.code,
                geometry=d.geometry,
                parent=self.county_area,
            )[0]
            for d in g.districts
        ]
        for ward in g.wards:
            area_save(
                name=ward.name,
                kind=AreaKind.WARD,
                code=ward.code,
                geometry=ward.geometry,
                parent=self.district_areas[ward.district],
            )
        self.parish_areas = [
            area_save(
                name=p.name,
                kind=AreaKind.PARISH,
                code=p.code,
                geometry=p.geometry,
                parent=self.district_areas[p.district],
            )[0]
            for p in g.parishes
        ]

    def bodies(self) -> None:
        g = self.geography
        self.county = Body.objects.create(
            name=f"{g.county.name} County Council",
            slug="wyvernshire",
            kind=BodyKind.COUNTY,
            website="https://www.wyvernshire.example/",
            description="Highways, street lighting, drainage, rights of way, bus stops and "
            "libraries across the county.",
            contact_email="customer.services@wyvernshire.example",
        )
        self.county.areas.add(self.county_area)
        self.districts = []
        for region, area in zip(g.districts, self.district_areas, strict=True):
            body = Body.objects.create(
                name=f"{region.name} District Council",
                slug=slugify(region.name),
                kind=BodyKind.DISTRICT,
                website=f"https://www.{slugify(region.name)}.example/",
                description="Bins and recycling, street cleaning, fly-tipping, graffiti, "
                f"parks and play areas in {region.name}.",
                contact_email=f"streetscene@{slugify(region.name)}.example",
            )
            body.areas.add(area)
            self.districts.append(body)
        self.council_parishes: dict[int, Body] = {}
        for index in g.council_parishes():
            name = g.parishes[index].name
            body = Body.objects.create(
                name=f"{name} Parish Council",
                slug=f"{slugify(name)}-parish",
                kind=BodyKind.PARISH,
                description=f"The parish council for {name}: benches, the play area and the "
                "village green.",
                contact_email=f"clerk@{slugify(name)}-parish.example",
            )
            body.areas.add(self.parish_areas[index])
            self.council_parishes[index] = body
        self.hub = Body.objects.create(
            name="Wyvern Digital Inclusion Hub",
            slug="wyvern-digital-hub",
            kind=BodyKind.COMMUNITY,
            website="https://wyverndigital.example/",
            description="A community group that gets residents online: donated devices, "
            "digital skills sessions, and public wi-fi in community buildings.",
            contact_email="hello@wyverndigital.example",
        )
        self.hub.areas.add(self.county_area)
        # Not a council: the water company takes water leaks across the county.
        self.water = Body.objects.create(
            name="Wyvern Water",
            slug="wyvern-water",
            kind=BodyKind.UTILITY,
            website="https://www.wyvernwater.example/",
            description="The water and sewerage company for the county: leaks, burst mains "
            "and hydrants.",
            contact_email="leakline@wyvernwater.example",
        )
        self.water.areas.add(self.county_area)

    def staff(self) -> None:
        User = get_user_model()
        keyed: list[tuple[Any, Body, Role]] = [
            (("county", Role.MANAGER), self.county, Role.MANAGER),
            (("county", Role.ADMINISTRATOR), self.county, Role.ADMINISTRATOR),
            *[(("district", i), b, Role.INSPECTOR) for i, b in enumerate(self.districts)],
            *[
                (("parish", i), b, Role.INSPECTOR)
                for i, b in enumerate(self.council_parishes.values())
            ],
            (("hub", 0), self.hub, Role.INSPECTOR),
            (("utility", 0), self.water, Role.INSPECTOR),
        ]
        self.actor: dict[int, Any] = {}
        for key, body, role in keyed:
            email = staff_email(body.slug, role)
            first, last = STAFF_NAMES[key]
            user = User.objects.filter(username=email).first()
            if user is None:
                user = User.objects.create(
                    username=email,
                    email=email,
                    first_name=first,
                    last_name=last,
                    password=_published_password_hash(staff_password(body.slug, role)),
                )
            Membership.objects.create(user=user, body=body, role=role)
            # The body's day-to-day worker acts on its requests: the county's manager, not
            # its administrator.
            self.actor.setdefault(body.pk, user)
        # The published API key, made after the staff so that the county's day-to-day
        # worker stays its manager. Not apikey_create: that draws a random key.
        apikey_publish(
            raw=DEMO_API_KEY,
            name=DEMO_API_KEY_NAME,
            scopes=DEMO_API_KEY_SCOPES,
            body=self.county,
        )
        if not User.objects.filter(username=SUPERUSER_EMAIL).exists():
            User.objects.create(
                username=SUPERUSER_EMAIL,
                email=SUPERUSER_EMAIL,
                first_name="Site",
                last_name="Administrator",
                is_staff=True,
                is_superuser=True,
                password=_published_password_hash(SUPERUSER_PASSWORD),
            )

    # Categories and assets -----------------------------------------------------------------
    def categories(self) -> None:
        self.asset_types = {
            spec.slug: AssetType.objects.create(
                name=spec.name,
                slug=spec.slug,
                identifier_label=spec.identifier_label,
                description=spec.description,
            )
            for spec in catalogue.ASSET_TYPES
        }
        self.categories_by_code: dict[str, Category] = {}
        rules: list[RoutingRule] = []
        questions: list[CategoryQuestion] = []
        for spec in catalogue.CATEGORIES:
            category = Category.objects.create(
                name=spec.name,
                slug=spec.slug,
                service_code=spec.code,
                group=spec.group,
                description=spec.description,
                keywords=spec.keywords,
                duplicate_radius_m=spec.duplicate_radius_m,
                asset_required=spec.asset_required,
                private=spec.private,
                photo_required=spec.photo_required,
                stop_notice=spec.stop_notice,
                service_level_days=spec.service_level_days,
            )
            category.asset_types.set([self.asset_types[slug] for slug in spec.asset_types])
            self.categories_by_code[spec.code] = category
            questions += [
                CategoryQuestion(
                    category=category,
                    code=q.code,
                    label=q.label,
                    hint=q.hint,
                    datatype=q.datatype,
                    required=q.required,
                    order=n,
                    values=q.values_json(),
                )
                for n, q in enumerate(spec.questions)
            ]
            # Two tiers: the county takes roads, lights, drains, paths and bus stops across
            # the whole county; each district takes bins, streets and parks in its own area.
            if spec.tier == catalogue.COUNTY:
                rules.append(
                    RoutingRule(category=category, area=self.county_area, body=self.county)
                )
            elif spec.tier == catalogue.DISTRICT:
                rules += [
                    RoutingRule(category=category, area=area, body=body)
                    for area, body in zip(self.district_areas, self.districts, strict=True)
                ]
            elif spec.tier == catalogue.UTILITY:
                rules.append(RoutingRule(category=category, area=self.county_area, body=self.water))
            else:
                rules.append(RoutingRule(category=category, area=self.county_area, body=self.hub))
            if spec.parish:
                # A lower preference wins: the parish council ahead of its district.
                rules += [
                    RoutingRule(
                        category=category, area=self.parish_areas[i], body=body, preference=50
                    )
                    for i, body in self.council_parishes.items()
                ]
        CategoryQuestion.objects.bulk_create(questions)
        RoutingRule.objects.bulk_create(rules)

    def assets(self) -> None:
        rows = []
        for plan in self.inventory.assets:
            longitude, latitude = geography.to_lonlat(plan.x, plan.y)
            body: Body
            if plan.owner == inventory.COUNTY:
                body = self.county
            elif plan.owner == inventory.HUB:
                body = self.hub
            elif plan.owner == inventory.LOCAL and plan.parish in self.council_parishes:
                body = self.council_parishes[plan.parish]
            else:
                body = self.districts[plan.district]
            rows.append(
                Asset(
                    asset_type=self.asset_types[plan.asset_type],
                    external_id=plan.external_id,
                    name=plan.name,
                    latitude=round(latitude, 6),
                    longitude=round(longitude, 6),
                    cell=geo.point_cell(round(latitude, 6), round(longitude, 6)),
                    attributes=plan.attributes,
                    body=body,
                )
            )
        Asset.objects.bulk_create(rows, batch_size=500)
        # Read back for primary keys: not every database returns them from a bulk insert.
        saved = {(a.asset_type_id, a.external_id): a for a in Asset.objects.all()}
        self.asset_rows = [saved[(row.asset_type.pk, row.external_id)] for row in rows]

    # Time ---------------------------------------------------------------------------------
    def _at(self, raw: datetime, previous: datetime, snap: str) -> datetime:
        """A plausible moment near ``raw``: reports in waking hours, staff in office hours.

        Snapping never moves a moment past "now" or before the previous one, so which steps
        have happened (decided from the raw offsets) is the same whenever the demo runs.
        """
        local = timezone.localtime(raw)
        if snap == "report":
            if local.hour < 7:
                local = local.replace(hour=7)
            elif local.hour >= 22:
                local = (local + timedelta(days=1)).replace(hour=7)
        else:
            while local.weekday() >= 5 or local.hour >= 18:
                local = (local + timedelta(days=1)).replace(hour=8 + local.minute % 3)
            if local.hour < 8:
                local = local.replace(hour=8 + local.minute % 3)
        snapped = local.astimezone(raw.tzinfo)
        if previous < snapped <= self.now:
            return snapped
        return min(max(raw, previous + timedelta(minutes=1)), self.now)

    # Requests -----------------------------------------------------------------------------
    def person(self, index: int) -> Person:
        if index not in self.people:
            resident = self.residents[index]
            self.people[index] = person_for_email(resident.email, name=resident.name)
        return self.people[index]

    def requests(self) -> None:
        self.created: list[Request] = []
        for plan, followers in zip(self.plans, self.followers, strict=True):
            self.created.append(self.request(plan, followers))

    def request(self, plan: stories.RequestPlan, followers: list[stories.Follower]) -> Request:
        longitude, latitude = geography.to_lonlat(plan.x, plan.y)
        latitude, longitude = round(latitude, 6), round(longitude, 6)
        raw = self.now - timedelta(days=plan.days_ago)
        # A second report of a problem comes after the first, whatever the snapping does.
        earliest = (
            self.created[plan.duplicate_of].created_at
            if plan.duplicate_of is not None
            else raw - timedelta(minutes=1)
        )
        created_at = self._at(raw, earliest, "report")
        answers = dict(plan.answers)
        for code, hours in plan.answer_hours_before.items():
            answers[code] = (created_at - timedelta(hours=hours)).replace(microsecond=0, second=0)
        photos = []
        if plan.photo_seed is not None:
            picture = camera_jpeg(
                random.Random(plan.photo_seed), plan.spec.photo, latitude, longitude
            )
            photos.append(photo_reencode(io.BytesIO(picture), filename="photo.jpg"))
        reporter = self.residents[plan.reporter] if plan.reporter is not None else None
        request = request_create(
            category=self.categories_by_code[plan.spec.code],
            latitude=latitude,
            longitude=longitude,
            title=plan.title,
            description=plan.description,
            asset=self.asset_rows[plan.asset] if plan.asset is not None else None,
            answers=answers,
            photos=photos,
            reporter_email=reporter.email if reporter else "",
            reporter_name=plan.reporter_name,
            reporter_name_public=plan.name_public,
            address=plan.address,
            source=plan.source,
            external_id=plan.external_id,
            created_at=created_at,
            notify=False,
        )
        self.follow_request(request, followers, created_at)
        actor = self.actor[request.body_id]
        previous = created_at
        for event in plan.events:
            # Whether a step has happened depends only on the plan's offsets.
            if event.after_hours / 24 > plan.days_ago:
                break
            at = self._at(created_at + timedelta(hours=event.after_hours), previous, "office")
            previous = at
            if event.kind == "status":
                text = event.text
                if event.booked_after_hours is not None:
                    booked = timezone.localtime(
                        created_at + timedelta(hours=event.booked_after_hours)
                    )
                    text = text.format(date=f"{booked:%A} {booked.day} {booked:%B}")
                request_status_change(
                    request=request,
                    actor=actor,
                    status=event.status,
                    message=text,
                    at=at,
                    check_permission=False,
                    notify=False,
                )
            elif event.kind == "comment":
                self.comment(request, actor, event.text, at)
            elif event.kind == "note":
                note = request_note_add(request=request, actor=actor, text=event.text)
                # request_note_add has no ``at``: date the note when it was written.
                Update.private_objects.filter(pk=note.pk).update(created_at=at)
            elif event.kind == "merge" and plan.duplicate_of is not None:
                self.merge(request, self.created[plan.duplicate_of], actor, at)
            elif event.kind == "hide":
                request_hide(request=request, actor=actor, reason=event.text)
                Update.private_objects.filter(request=request, kind=UpdateKind.MODERATED).update(
                    created_at=at
                )
        self.support(request, plan, created_at)
        return request

    def comment(self, request: Request, actor: Any, text: str, at: datetime) -> None:
        """A public message without a change of status, telling nobody."""
        request_comment(request=request, actor=actor, text=text, at=at, notify=False)

    def merge(self, duplicate: Request, original: Request, actor: Any, at: datetime) -> None:
        """Mark a request as a duplicate of an earlier one: its followers move to the original.

        Quietly: the followers who moved were told nothing, as the demo's changes are not news.
        """
        request_merge(
            duplicate=duplicate,
            into=original,
            actor=actor,
            at=at,
            check_permission=False,
            notify=False,
        )
        duplicate.status = Status.DUPLICATE

    def follow_request(
        self, request: Request, followers: list[stories.Follower], created_at: datetime
    ) -> None:
        """Residents who found the request and followed it (its reporter follows anyway)."""
        for follower in followers:
            at = min(created_at + timedelta(hours=follower.after_hours), self.now)
            result = follow(
                target=Target.for_request(request),
                person=self.person(follower.resident),
                channel=Channel.DIGEST if follower.how == "digest" else Channel.IMMEDIATE,
                confirmed=follower.how != "waiting",
                notify=False,
                at=at,
            )
            if follower.how == "stopped":
                subscription_stop(subscription=result.subscription)

    def support(self, request: Request, plan: stories.RequestPlan, created_at: datetime) -> None:
        if not plan.supporters:
            return
        request.refresh_from_db(fields=["closed_at"])
        end = request.closed_at or self.now
        for who, fraction in plan.supporters:
            at = created_at + (end - created_at) * fraction
            if isinstance(who, int):
                person = self.person(who)
                if request_support(request=request, person=person):
                    # request_support has no ``at``: date the "me too" when it was said.
                    Supporter.objects.filter(request=request, person=person).update(created_at=at)
            elif request_support(request=request, session_key=who):
                Supporter.objects.filter(request=request, session_hash=session_hash(who)).update(
                    created_at=at
                )

    # Followers of places, categories, an asset and organisations --------------------------
    def follows(self) -> None:
        """Residents following more than one request, and a webhook endpoint."""
        rng = self.follow_rng
        g = self.geography
        codes = self.categories_by_code
        wards = {a.code: a for a in Area.objects.filter(kind=AreaKind.WARD)}
        targets: list[tuple[Target, str]] = [
            *[(Target.for_area(wards[w.code]), Channel.IMMEDIATE) for w in rng.sample(g.wards, 4)],
            (Target.for_area(rng.choice(self.district_areas)), Channel.DIGEST),
            (Target.for_area(self.parish_areas[g.council_parishes()[0]]), Channel.IMMEDIATE),
            (Target.for_category(codes["POT"]), Channel.DIGEST),
            (Target.for_category(codes["DRN"]), Channel.IMMEDIATE),
            (Target.for_category(codes["FLY"], area=self.district_areas[0]), Channel.IMMEDIATE),
            (Target.for_category(codes["BIN"], area=self.district_areas[1]), Channel.DIGEST),
            (Target.for_body(next(iter(self.council_parishes.values()))), Channel.IMMEDIATE),
            (Target.for_body(self.hub), Channel.DIGEST),
        ]
        # The asset reported most often: someone who walks past it every day.
        reported = Counter(r.asset_id for r in self.created if r.asset_id is not None)
        busiest = min(reported, key=lambda pk: (-reported[pk], pk))
        targets.append((Target.for_asset(Asset.objects.get(pk=busiest)), Channel.IMMEDIATE))
        # A drawn area over the first town's centre, and a circle round a village.
        town = g.towns()[0]
        x, y = town.centre
        corners = [(x - 0.6, y - 0.4), (x + 0.6, y - 0.4), (x + 0.6, y + 0.4), (x - 0.6, y + 0.4)]
        ring = [[round(c, 6) for c in geography.to_lonlat(*corner)] for corner in corners]
        drawn = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        targets.append(
            (Target.for_polygon(drawn, label=f"{town.name} town centre"), Channel.IMMEDIATE)
        )
        village = g.villages()[0]
        longitude, latitude = geography.to_lonlat(*village.centre)
        targets.append(
            (
                Target.for_point(
                    round(latitude, 6),
                    round(longitude, 6),
                    500,
                    label=f"Within 500 m of the middle of {village.name}",
                ),
                Channel.IMMEDIATE,
            )
        )
        for target, channel in targets:
            follow(
                target=target,
                person=self.person(rng.randrange(len(self.residents))),
                channel=channel,
                confirmed=True,
                notify=False,
                at=self.now - timedelta(days=rng.uniform(5, 300)),
            )
        # endpoint_register checks the address in DNS, and the demo must load offline: the
        # endpoint is written directly, confirmed, as if its owner had clicked the link.
        endpoint = WebhookEndpoint.objects.create(
            owner=person_for_email(WEBHOOK_OWNER_EMAIL, name="Wyvern Civic Tech"),
            url=WEBHOOK_URL,
            description="Wyvern Civic Tech's copy of the county's requests",
            secret=new_secret(),
            confirmed_at=self.now - timedelta(days=120),
        )
        for target in (Target.for_body(self.county), Target.for_category(codes["FLY"])):
            follow(target=target, endpoint=endpoint, notify=False, at=endpoint.confirmed_at)

    def workflow(self) -> None:
        """Response templates for every council, and the county's busiest open requests
        triaged: high priority, assigned to its manager, as on a working morning."""
        codes = self.categories_by_code
        templates = [
            ResponseTemplate(
                body=self.county,
                category=codes["POT"],
                status=Status.ACKNOWLEDGED,
                title="Pothole: inspection booked",
                text="Thank you. A highways inspector will look at this within five working "
                "days and book a repair if it meets our intervention level.",
            ),
            ResponseTemplate(
                body=self.county,
                category=codes["POT"],
                status=Status.FIXED,
                title="Pothole: repaired",
                text="Our crew has repaired this pothole. Thank you for reporting it.",
            ),
            ResponseTemplate(
                body=self.county,
                category=codes["SLT"],
                status=Status.FIXED,
                title="Streetlight: lamp replaced",
                text="The lamp has been replaced and the light is working again.",
            ),
            ResponseTemplate(
                body=self.county,
                status=Status.NOT_RESPONSIBLE,
                title="Not ours: passed on",
                text="This is not the county council's to fix. We have passed it to the "
                "organisation responsible.",
            ),
        ]
        for district in self.districts:
            templates += [
                ResponseTemplate(
                    body=district,
                    category=codes["BIN"],
                    status=Status.FIXED,
                    title="Bin: collected",
                    text="The crew has been back and emptied the bin. Sorry it was missed.",
                ),
                ResponseTemplate(
                    body=district,
                    category=codes["FLY"],
                    status=Status.FIXED,
                    title="Fly-tipping: cleared",
                    text="The rubbish has been cleared. We look for evidence of who dumped it "
                    "and prosecute where we can.",
                ),
            ]
        ResponseTemplate.objects.bulk_create(templates)
        manager = self.actor[self.county.pk]
        busiest = (
            Request.private_objects.open()
            .filter(body=self.county)
            .order_by("-supporter_count", "-follower_count", "created_at")
            .values_list("pk", flat=True)[:5]
        )
        Request.private_objects.filter(pk__in=list(busiest)).update(
            priority=Priority.HIGH, assigned_to=manager
        )

    def build(self) -> None:
        self.areas()
        self.bodies()
        self.staff()
        self.categories()
        self.assets()
        self.requests()
        self.follows()
        self.workflow()


def demo_generate(*, now: datetime | None = None) -> DemoSummary:
    """Build the demo place in one transaction; its requests run up to ``now``.

    The caller checks the database is empty: the demo's codes, slugs and usernames would
    clash with an earlier demo.
    """
    started = time.monotonic()
    with transaction.atomic():
        _Builder(now or timezone.now()).build()
    summary = demo_summary()
    summary.seconds = time.monotonic() - started
    return summary


def demo_summary() -> DemoSummary:
    """What the database holds, counted the way the demo's summary prints it."""
    statuses = Counter(Request.private_objects.values_list("status", flat=True))
    types = Counter(Asset.objects.values_list("asset_type__name", flat=True))
    areas = Counter(Area.objects.values_list("kind", flat=True))
    return DemoSummary(
        counts={
            "areas": sum(areas.values()),
            **{f"{AreaKind(kind).label.lower()} areas": n for kind, n in sorted(areas.items())},
            "bodies": Body.objects.count(),
            "staff users": Membership.objects.filter(user__api_key__isnull=True)
            .values("user")
            .distinct()
            .count(),
            "API keys": ApiKey.objects.count(),
            "categories": Category.objects.count(),
            "questions": CategoryQuestion.objects.count(),
            "routing rules": RoutingRule.objects.count(),
            "assets": Asset.objects.count(),
            "requests": Request.private_objects.count(),
            "hidden requests": Request.private_objects.filter(hidden=True).count(),
            "private requests": Request.private_objects.filter(private=True).count(),
            "timeline updates": Update.private_objects.count(),
            "internal notes": Update.private_objects.filter(kind=UpdateKind.NOTE).count(),
            "photos": Photo.private_objects.count(),
            "supporters": Supporter.objects.count(),
            "people": Person.objects.count(),
            "subscriptions": Subscription.objects.count(),
            "webhook endpoints": WebhookEndpoint.objects.count(),
        },
        requests_by_status={Status(s).label: statuses.get(s, 0) for s in Status.values},
        assets_by_type=dict(sorted(types.items())),
    )
