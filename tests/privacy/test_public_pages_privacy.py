"""Nothing private reaches a public page.

Builds the whole generated demo place, collects every secret in it (reporters', followers'
and staff emails, bodies' private contact addresses, internal notes, hidden requests, names
that reporters chose not to show), then renders every public page and every Atom feed and
searches each response. Feeds escape their HTML content twice (XML, then HTML), so a feed is
also searched as the text a feed reader would show.
"""

from __future__ import annotations

import html
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import NoReverseMatch, reverse
from PIL import Image

from openlocal.assets.models import Asset
from openlocal.demo.generate import demo_generate
from openlocal.feeds import links as feed_links
from openlocal.places.models import Area, Body, Membership, Role
from openlocal.requests.models import Category, Person, Photo, Request, Update, UpdateKind
from openlocal.requests.photos import photo_reencode
from openlocal.requests.services import (
    photo_hide,
    request_create,
    request_hide,
    request_note_add,
)
from openlocal.subscriptions.models import Subscription, WebhookEndpoint

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: File names such as ``logo@2x.png`` look like addresses; these endings are never domains.
FILE_ENDINGS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "woff2"})
#: Addresses a public page may show. None today: bodies' contact addresses are private.
PUBLIC_EMAILS: frozenset[str] = frozenset()
HIDDEN_TITLE = "Privacy canary: hidden request 7f3a"
NOTE_TEXT = "Privacy canary: internal note 9c1e, staff only"


@dataclass
class Secrets:
    emails: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    hidden_titles: set[str] = field(default_factory=set)
    hidden_ids: set[int] = field(default_factory=set)
    private_names: set[str] = field(default_factory=set)
    hidden_photos: set[str] = field(default_factory=set)
    #: Webhook endpoints' URLs and signing secrets (followers' emails are in ``emails``).
    webhooks: set[str] = field(default_factory=set)


@dataclass
class Leak:
    url: str
    what: str
    value: str


def public_text() -> str:
    """Every string the public may legitimately see, to avoid flagging a coincidence."""
    parts: list[str] = []
    for title, description in Request.public_objects.values_list("title", "description"):
        parts += [title, description]
    parts += Update.public_objects.values_list("text", flat=True)
    parts += Update.public_objects.values_list("author_name", flat=True)
    parts += [
        r.reporter_name
        for r in Request.public_objects.filter(reporter_name_public=True).only("reporter_name")
    ]
    return "\n".join(parts)


def collect_secrets() -> Secrets:
    secrets = Secrets()
    User = get_user_model()
    secrets.emails |= {e.lower() for e in Person.objects.values_list("email", flat=True) if e}
    secrets.emails |= {e.lower() for e in User.objects.values_list("email", flat=True) if e}
    secrets.emails |= {
        e.lower() for e in User.objects.values_list("username", flat=True) if "@" in e
    }
    secrets.emails |= {e.lower() for e in Body.objects.values_list("contact_email", flat=True) if e}
    visible = public_text()
    notes = Update.private_objects.filter(public=False).exclude(text="")
    hidden_updates = Update.private_objects.filter(hidden=True).exclude(text="")
    secrets.notes |= {
        t
        for t in [
            *notes.values_list("text", flat=True),
            *hidden_updates.values_list("text", flat=True),
        ]
        if len(t) >= 12 and t not in visible
    }
    for pk, title in Request.private_objects.filter(hidden=True).values_list("pk", "title"):
        secrets.hidden_ids.add(pk)
        if title not in visible:
            secrets.hidden_titles.add(title)
    secrets.private_names |= {
        name
        for name in Request.private_objects.filter(reporter_name_public=False)
        .exclude(reporter_name="")
        .values_list("reporter_name", flat=True)
        if " " in name.strip() and name not in visible
    }
    secrets.hidden_photos |= {
        name for name in Photo.private_objects.filter(hidden=True).values_list("image", flat=True)
    }
    secrets.emails |= {
        e.lower() for e in Subscription.objects.values_list("person__email", flat=True) if e
    }
    for url, secret in WebhookEndpoint.objects.values_list("url", "secret"):
        secrets.webhooks |= {url, secret, secret.removeprefix("whsec_")}
    return secrets


def staff_manager(body: Body):
    """A manager of the body: an existing one from the demo, or a new one."""
    membership = Membership.objects.filter(
        body=body, role__in=[Role.MANAGER, Role.ADMINISTRATOR]
    ).first()
    if membership is not None:
        return membership.user
    user = get_user_model().objects.create_user(
        "privacy-manager@council.example", email="privacy-manager@council.example"
    )
    Membership.objects.create(user=user, body=body, role=Role.MANAGER)
    return user


def plant_canaries() -> None:
    """A hidden request and an internal note that we know must never appear."""
    seed = Request.public_objects.select_related("body", "category", "asset").first()
    assert seed is not None, "the demo produced no public requests"
    manager = staff_manager(seed.body)
    request_note_add(request=seed, actor=manager, text=NOTE_TEXT)
    hidden = request_create(
        category=seed.category,
        latitude=seed.latitude,
        longitude=seed.longitude,
        asset=seed.asset,
        answers=seed.answers,
        title=HIDDEN_TITLE,
        description="Abusive text that a moderator took down.",
        reporter_email="canary.reporter@example.org",
        reporter_name="Canary Reporter",
        notify=False,
    )
    request_hide(request=hidden, actor=manager, reason="Abusive")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, format="JPEG")
    with_photo = request_create(
        category=seed.category,
        latitude=seed.latitude,
        longitude=seed.longitude,
        asset=seed.asset,
        answers=seed.answers,
        title="Privacy canary: request whose photo was taken down",
        description="The photo showed a car's number plate.",
        photos=[photo_reencode(buffer, filename="canary.jpg")],
        notify=False,
    )
    photo_hide(photo=with_photo.photos.get(), actor=manager, reason="Shows a number plate")


def public_urls(secrets: Secrets) -> Iterator[str]:
    """Every public page worth a look: all request pages, and every listing that has any."""
    yield reverse("web:home")
    yield reverse("web:places")
    browse, points = reverse("web:browse"), reverse("web:browse-map")
    filters = ["", "?sort=oldest", "?sort=supported", *(f"?page={n}" for n in range(2, 8))]
    filters += [f"?status={status}" for status in ("open", "closed", "new", "fixed")]
    filters += [f"?category={slug}" for slug in Category.objects.values_list("slug", flat=True)]
    filters += [f"?body={slug}" for slug in Body.objects.values_list("slug", flat=True)]
    filters += [f"?area={slug}" for slug in Area.objects.values_list("slug", flat=True)[:10]]
    # Searching for a secret must not find the request it belongs to. The page repeats the
    # query back, so search for part of the secret and look for all of it in the results.
    filters += [
        "?q=" + quote(text.split(" ", 1)[-1][:40])
        for text in sorted([*secrets.hidden_titles, *secrets.notes], key=len, reverse=True)[:10]
    ]
    for query in filters:
        yield browse + query
        yield points + query
    hidden = Request.private_objects.filter(hidden=True)
    for request in [*Request.public_objects.all()[:3], *hidden]:
        lat, lon = request.latitude, request.longitude
        yield f"{reverse('web:around')}?lat={lat}&lon={lon}"
        yield f"{reverse('web:around')}?q={lat:.5f},{lon:.5f}"
    for area in Area.objects.all()[:3]:
        yield f"{reverse('web:around')}?q={quote(area.name)}"
        yield f"{reverse('web:report')}?q={quote(area.name)}"
    for pk in Request.public_objects.values_list("pk", flat=True):
        yield reverse("web:request", args=[pk])
    with_requests = Area.objects.annotate(n=Count("requests")).order_by("-n")
    for area in [*with_requests.filter(n__gt=0), *with_requests.filter(n=0)[:3]]:
        yield area.get_absolute_url()
    bodies = Body.objects.annotate(n=Count("requests")).order_by("-n")
    for body in [*bodies.filter(n__gt=0), *bodies.filter(n=0)[:3]]:
        yield body.get_absolute_url()
    categories = Category.objects.annotate(n=Count("requests")).order_by("-n")
    for category in [*categories.filter(n__gt=0), *categories.filter(n=0)[:3]]:
        yield category.get_absolute_url()
    assets = Asset.objects.select_related("asset_type").annotate(n=Count("requests")).order_by("-n")
    for asset in [*assets.filter(n__gt=0), *assets.filter(n=0)[:5]]:
        try:
            yield asset.get_absolute_url()
        except NoReverseMatch:
            yield f"cannot link to asset {asset.asset_type.slug} {asset.external_id!r}"


def feed_urls(secrets: Secrets) -> Iterator[str]:
    """Every feed of the demo: each request, area, body, category and asset with requests
    (plus a few without), each category within the area holding most of its requests, and
    points and drawn areas around hidden and public requests."""
    yield feed_links.all_requests_feed_url()
    for request in Request.public_objects.only("pk"):
        yield feed_links.request_feed_url(request)
    areas = Area.objects.defer("geometry").annotate(n=Count("requests")).order_by("-n", "slug")
    for area in [*areas.filter(n__gt=0), *areas.filter(n=0)[:3]]:
        yield feed_links.area_feed_url(area)
    for body in Body.objects.order_by("slug"):
        yield feed_links.body_feed_url(body)
    for category in Category.objects.order_by("slug"):
        yield feed_links.category_feed_url(category)
        busiest = (
            Area.objects.defer("geometry")
            .filter(requests__category=category)
            .annotate(n=Count("requests"))
            .order_by("-n", "slug")
            .first()
        )
        if busiest is not None:
            yield feed_links.category_feed_url(category, busiest)
    assets = Asset.objects.select_related("asset_type").annotate(n=Count("requests")).order_by("-n")
    for asset in [*assets.filter(n__gt=0), *assets.filter(n=0)[:5]]:
        yield feed_links.asset_feed_url(asset)
    hidden = Request.private_objects.filter(hidden=True)
    for request in [*Request.public_objects.all()[:3], *hidden]:
        lat, lon = request.latitude, request.longitude
        for radius in (50, 1000, 20_000):
            yield feed_links.around_feed_url(lat, lon, radius)
        box = (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
        yield reverse("feeds:within") + "?bbox=" + ",".join(f"{v:.6f}" for v in box)
        ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon, lat + 0.01]]
        polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        yield reverse("feeds:within") + "?polygon=" + quote(json.dumps(polygon))


def feed_reader_text(body: str) -> str:
    """A feed's text as a reader shows it: XML parsed, then the HTML content unescaped."""
    root = ET.fromstring(body)  # noqa: S314 (our own output, not untrusted XML)
    parts = [html.unescape(t) for element in root.iter() for t in (element.text, element.tail) if t]
    parts += [value for element in root.iter() for value in element.attrib.values()]
    return "\n".join(parts)


def leaks_in(url: str, body: str, secrets: Secrets) -> list[Leak]:
    leaks: list[Leak] = []
    lowered = body.lower()
    for email in secrets.emails:
        if email in lowered:
            leaks.append(Leak(url, "email", email))
    for found in set(EMAIL.findall(body)):
        lowered_found = found.lower()
        if lowered_found.rsplit(".", 1)[-1] in FILE_ENDINGS:
            continue
        if lowered_found not in PUBLIC_EMAILS and lowered_found not in secrets.emails:
            leaks.append(Leak(url, "email-like text", found))
    for note in secrets.notes:
        if note in body:
            leaks.append(Leak(url, "internal note", note))
    for title in secrets.hidden_titles:
        if title in body:
            leaks.append(Leak(url, "hidden request title", title))
    for pk in secrets.hidden_ids:
        if re.search(rf"/requests/{pk}(?![0-9])", body):
            leaks.append(Leak(url, "link to hidden request", str(pk)))
    for name in secrets.private_names:
        if name in body:
            leaks.append(Leak(url, "reporter name they chose not to show", name))
    for photo in secrets.hidden_photos:
        if photo in body:
            leaks.append(Leak(url, "hidden photo", photo))
    for webhook in secrets.webhooks:
        if webhook in body:
            leaks.append(Leak(url, "webhook URL or secret", webhook))
    return leaks


@pytest.fixture
def demo_place(db) -> None:
    started = time.monotonic()
    summary = demo_generate()
    print(
        f"privacy: generated the demo place in {time.monotonic() - started:.1f}s: {summary.counts}"
    )


def test_no_private_data_on_any_public_page(demo_place, client: Client) -> None:
    assert Update.private_objects.filter(kind=UpdateKind.NOTE, public=False).exists(), (
        "the demo has no internal notes"
    )
    assert Request.private_objects.filter(hidden=True).exists(), "the demo hides no request"
    plant_canaries()
    secrets = collect_secrets()
    # The test can only catch a leak if there is something to leak.
    assert len(secrets.emails) >= 5, secrets.emails
    assert NOTE_TEXT in secrets.notes
    assert HIDDEN_TITLE in secrets.hidden_titles
    assert "canary.reporter@example.org" in secrets.emails
    assert len(secrets.hidden_photos) >= 1
    assert len(secrets.webhooks) >= 3, "the demo has no webhook endpoint"
    print(
        f"privacy: looking for {len(secrets.emails)} emails, {len(secrets.notes)} internal "
        f"notes, {len(secrets.hidden_ids)} hidden requests, {len(secrets.private_names)} "
        f"unshown reporter names and {len(secrets.hidden_photos)} hidden photos"
    )

    started = time.monotonic()
    leaks: list[Leak] = []
    broken: list[str] = []
    rendered = 0
    # A page that fails shows nothing, so it proves nothing: every page must render.
    client.raise_request_exception = False
    feeds = 0
    for url in dict.fromkeys([*public_urls(secrets), *feed_urls(secrets)]):
        if not url.startswith("/"):
            broken.append(url)
            continue
        response = client.get(url)
        if response.status_code != 200:
            broken.append(f"{url} answered {response.status_code}")
            continue
        rendered += 1
        body = response.content.decode()
        if response["Content-Type"].startswith("application/atom+xml"):
            feeds += 1
            body = f"{body}\n{feed_reader_text(body)}"
        leaks += leaks_in(url, body, secrets)
    for name in secrets.hidden_photos:
        status = client.get(f"/media/{name}").status_code
        if status != 404:
            broken.append(f"/media/{name} is a hidden photo but answered {status}, not 404")
    for pk in secrets.hidden_ids:
        for url in (reverse("web:request", args=[pk]), reverse("feeds:request", args=[pk])):
            status = client.get(url).status_code
            if status != 404:
                broken.append(f"{url} is a hidden request but answered {status}, not 404")
    elapsed = time.monotonic() - started
    print(f"privacy: rendered {rendered} public pages ({feeds} of them feeds) in {elapsed:.1f}s")
    assert not leaks, "\n".join(f"{leak.url}: {leak.what}: {leak.value}" for leak in leaks[:50])
    assert not broken, f"{len(broken)} public pages failed:\n" + "\n".join(broken[:50])
    assert rendered > Request.public_objects.count()
    assert feeds > Request.public_objects.count()


def test_the_leak_search_finds_what_it_looks_for() -> None:
    secrets = Secrets(
        emails={"a.person@example.org"},
        notes={NOTE_TEXT},
        hidden_titles={HIDDEN_TITLE},
        hidden_ids={41},
        private_names={"Pat Private"},
        hidden_photos={"photos/2026/01/x.jpg"},
        webhooks={"https://hooks.example.org/in-7c2d", "whsec_c2VjcmV0"},
    )
    page = (
        f"<p>Mail A.Person@example.org or other@somewhere.example</p><p>{NOTE_TEXT}</p>"
        f'<h2>{HIDDEN_TITLE}</h2><a href="/requests/41">#41</a><p>Pat Private</p>'
        '<img src="/media/photos/2026/01/x.jpg" alt="">'
        '<a href="https://hooks.example.org/in-7c2d">hook</a><code>whsec_c2VjcmV0</code>'
    )
    found = {(leak.what, leak.value) for leak in leaks_in("/", page, secrets)}
    assert found == {
        ("email", "a.person@example.org"),
        ("email-like text", "other@somewhere.example"),
        ("internal note", NOTE_TEXT),
        ("hidden request title", HIDDEN_TITLE),
        ("link to hidden request", "41"),
        ("reporter name they chose not to show", "Pat Private"),
        ("hidden photo", "photos/2026/01/x.jpg"),
        ("webhook URL or secret", "https://hooks.example.org/in-7c2d"),
        ("webhook URL or secret", "whsec_c2VjcmV0"),
    }
    clean = '<a href="/requests/410">#410</a><img src="/static/x@2x.png" alt="">'
    assert leaks_in("/", clean, secrets) == []


def test_a_feed_is_searched_as_a_reader_shows_it() -> None:
    """Feed content is HTML inside XML: "Tom & Jerry" arrives as "Tom &amp;amp; Jerry"."""
    note = "Internal: Tom & Jerry's <b>report</b>"
    secrets = Secrets(notes={note}, private_names={"Pat O'Private"})
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<entry><author><name>Pat O\'Private</name></author><content type="html">'
        "&lt;p&gt;Internal: Tom &amp;amp; Jerry&amp;#x27;s &amp;lt;b&amp;gt;report"
        "&amp;lt;/b&amp;gt;&lt;/p&gt;</content></entry></feed>"
    )
    assert leaks_in("/feeds/requests", feed, secrets) == [
        Leak("/feeds/requests", "reporter name they chose not to show", "Pat O'Private")
    ]
    found = leaks_in("/feeds/requests", f"{feed}\n{feed_reader_text(feed)}", secrets)
    assert {(leak.what, leak.value) for leak in found} == {
        ("internal note", note),
        ("reporter name they chose not to show", "Pat O'Private"),
    }
