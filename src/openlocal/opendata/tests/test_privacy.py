"""Nothing private reaches open data: every export of the demo place, searched.

Builds the generated demo place once for the module (inside a transaction rolled back at
the end), plants a hidden request, an internal note and moderated (redacted) text whose
originals must never be published, then downloads every dataset in every format (with and
without filters), builds a daily snapshot, reads the catalogue and the licence notice, and
searches all of it for every private string in the database: the secrets the public pages'
privacy test looks for (``tests/privacy``: every email address, internal notes, hidden
requests' titles and links, names reporters chose not to show, webhook secrets), plus the
text of hidden requests and the originals of moderated text, which a file could carry even
where a page would not.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client, override_settings

from openlocal.assets.models import AssetType
from openlocal.core.models import AuditEntry
from openlocal.demo.generate import demo_generate
from openlocal.opendata.datasets import DATASETS
from openlocal.opendata.snapshots import snapshot_build
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request, Update, UpdateKind
from openlocal.requests.services import request_redact, update_redact
from tests.privacy.test_public_pages_privacy import (
    HIDDEN_TITLE,
    NOTE_TEXT,
    Leak,
    Secrets,
    collect_secrets,
    leaks_in,
    plant_canaries,
    public_text,
    staff_manager,
)

REDACTED_DESCRIPTION = "Privacy canary 5d2e: call me on 07700 900982, flat 3"
REDACTED_UPDATE = "Privacy canary 8b41: the resident at 14 Mill Lane is away until June"


@dataclass
class Demo:
    secrets: Secrets
    #: Hidden requests' text and the originals of moderated text.
    withheld: set[str]


def redact_canaries() -> None:
    """A public request and a public comment whose text a moderator took out."""
    request = (
        Request.public_objects.filter(updates__kind=UpdateKind.COMMENT)
        .select_related("body")
        .first()
    )
    assert request is not None, "the demo has no public comment"
    manager = staff_manager(request.body)
    original = request.description
    request.description = f"{original} {REDACTED_DESCRIPTION}"
    request.save(update_fields=["description"])
    request_redact(request=request, actor=manager, description=original, reason="Phone number")
    comment = Update.public_objects.filter(request=request, kind=UpdateKind.COMMENT).first()
    assert comment is not None
    comment.text = f"{comment.text} {REDACTED_UPDATE}"
    comment.save(update_fields=["text"])
    update_redact(update=comment, actor=manager, text="[removed]", reason="Personal details")


def withheld_text() -> set[str]:
    """Text the public never sees: hidden requests' words and moderated originals."""
    visible = public_text()
    texts: set[str] = set()
    for title, description in Request.private_objects.filter(hidden=True).values_list(
        "title", "description"
    ):
        texts |= {title, description}
    for entry in AuditEntry.objects.filter(action__in=["request.redact", "update.redact"]):
        original = entry.data.get("original")
        if isinstance(original, dict):
            texts |= {str(v) for v in original.values()}
        elif original:
            texts.add(str(original))
    return {t for t in texts if len(t) >= 12 and t not in visible}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            started = time.monotonic()
            demo_generate()
            plant_canaries()
            redact_canaries()
            secrets = collect_secrets()
            # The canaries themselves, and everything moderation withheld.
            withheld = withheld_text() | {REDACTED_DESCRIPTION, REDACTED_UPDATE}
            print(f"privacy: demo and canaries in {time.monotonic() - started:.1f}s")
            yield Demo(secrets, withheld)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def search(where: str, text: str, demo: Demo) -> list[Leak]:
    found = leaks_in(where, text, demo.secrets)
    found += [Leak(where, "withheld text", t) for t in demo.withheld if t in text]
    return found


def download_urls() -> Iterator[str]:
    """Every dataset in every format, and with each filter a download can take."""
    for spec in DATASETS.values():
        for format_name in spec.formats:
            yield f"/data/{spec.slug}.{format_name}"
    hidden = Request.private_objects.filter(hidden=True).values_list("pk", flat=True)
    yield "/data/requests.csv?status=open"
    yield "/data/requests.csv?status=closed"
    for code in Category.objects.values_list("service_code", flat=True):
        yield f"/data/requests.ndjson?category={code}"
    for slug in Body.objects.values_list("slug", flat=True):
        yield f"/data/requests.geojson?body={slug}"
    for slug in Area.objects.values_list("slug", flat=True)[:10]:
        yield f"/data/requests.csv?area={slug}"
    yield "/data/requests.csv?updated_since=2000-01-01"
    for pk in hidden:
        yield f"/data/updates.ndjson?request={pk}"
    for kind in UpdateKind.values:
        if kind != UpdateKind.NOTE:
            yield f"/data/updates.csv?kind={kind}"
    for slug in AssetType.objects.values_list("slug", flat=True):
        yield f"/data/assets.csv?type={slug}"
    for dimension in ("site", "category", "body", "area"):
        yield f"/data/statistics.ndjson?dimension={dimension}"


def test_the_search_can_fail() -> None:
    """Each kind of secret is found when it is there, or the tests below prove nothing."""
    secrets = Secrets(
        emails={"a.person@example.org"},
        notes={NOTE_TEXT},
        hidden_titles={HIDDEN_TITLE},
        hidden_ids={41},
        private_names={"Pat Private"},
        webhooks={"whsec_c2VjcmV0"},
    )
    demo = Demo(secrets, withheld={REDACTED_DESCRIPTION})
    csv = (
        "id,url,title,description,reporter_name\r\n"
        f'7,http://127.0.0.1:8000/requests/41,"{HIDDEN_TITLE}","{NOTE_TEXT}",Pat Private\r\n'
        f'8,http://127.0.0.1:8000/requests/8,x,"{REDACTED_DESCRIPTION} A.Person@example.org",\r\n'
        "9,,whsec_c2VjcmV0,other@somewhere.example,\r\n"
    )
    found = {(leak.what, leak.value) for leak in search("/data/requests.csv", csv, demo)}
    assert found == {
        ("email", "a.person@example.org"),
        ("email-like text", "other@somewhere.example"),
        ("internal note", NOTE_TEXT),
        ("hidden request title", HIDDEN_TITLE),
        ("link to hidden request", "41"),
        ("reporter name they chose not to show", "Pat Private"),
        ("webhook URL or secret", "whsec_c2VjcmV0"),
        ("withheld text", REDACTED_DESCRIPTION),
    }
    clean = "id,url\r\n410,http://127.0.0.1:8000/requests/410\r\n"
    assert search("/data/requests.csv", clean, demo) == []


@pytest.mark.django_db
def test_the_demo_has_secrets_to_find(demo: Demo) -> None:
    secrets = demo.secrets
    assert len(secrets.emails) >= 5
    assert NOTE_TEXT in secrets.notes
    assert HIDDEN_TITLE in secrets.hidden_titles
    assert secrets.private_names, "no reporter in the demo kept their name private"
    # The moderated originals, as the audit log keeps them, are searched for whole too.
    assert any(REDACTED_DESCRIPTION in t and t != REDACTED_DESCRIPTION for t in demo.withheld)
    assert any(REDACTED_UPDATE in t and t != REDACTED_UPDATE for t in demo.withheld)
    assert any("07700 900461" in t for t in demo.withheld), "the demo's hidden phone number"
    assert Update.private_objects.filter(public=False).count() >= 20
    assert Body.objects.exclude(contact_email="").exists()


@pytest.mark.django_db
def test_no_download_holds_anything_private(demo: Demo, client: Client) -> None:
    started = time.monotonic()
    leaks: list[Leak] = []
    failed: list[str] = []
    searched = 0
    for url in dict.fromkeys(download_urls()):
        response = client.get(url)
        if response.status_code != 200:
            failed.append(f"{url} answered {response.status_code}")
            continue
        text = response.getvalue().decode("utf-8")
        searched += len(text)
        leaks += search(url, text, demo)
    for url in ("/data/catalog.jsonld", "/data/LICENCE", "/data/", "/data/dictionary"):
        response = client.get(url)
        assert response.status_code == 200, url
        leaks += search(url, response.content.decode(), demo)
    elapsed = time.monotonic() - started
    print(f"privacy: searched {searched:,} characters of downloads in {elapsed:.1f}s")
    assert not failed, failed
    assert not leaks, "\n".join(f"{leak.url}: {leak.what}: {leak.value}" for leak in leaks[:50])
    assert searched > 1_000_000, "the demo's downloads are too small to prove anything"


@pytest.mark.django_db
def test_no_snapshot_file_holds_anything_private(demo: Demo, tmp_path: Path) -> None:
    with override_settings(DATA_SNAPSHOT_DIR=tmp_path):
        snapshot = snapshot_build()
    leaks: list[Leak] = []
    names = sorted(p.name for p in snapshot.folder.iterdir())
    for path in sorted(snapshot.folder.iterdir()):
        leaks += search(path.name, path.read_text(encoding="utf-8"), demo)
    assert len(names) == 4 + sum(len(spec.formats) for spec in DATASETS.values())
    assert not leaks, "\n".join(f"{leak.url}: {leak.what}: {leak.value}" for leak in leaks[:50])
