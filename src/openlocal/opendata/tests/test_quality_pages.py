"""/data/quality as people and programs see it: the page, the JSON, staff links, the cache.

The site administration registers no OpenLocal model yet, so the links to its change pages
are tested with a URLconf (this module) that mounts an admin site where they are registered,
as a site that registers them would.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import path

from openlocal import urls as site_urls
from openlocal.assets.models import Asset
from openlocal.opendata.quality import selectors
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.report import PUBLIC
from openlocal.opendata.tests.test_quality_checks import BadPlace, build_bad_place
from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Request, RoutingRule

quality_admin = admin.AdminSite(name="admin")
for model in (Asset, Area, Body, Category, RoutingRule):
    quality_admin.register(model)

#: The site's URLs with an admin site where the fixable models are registered.
urlpatterns = [path("admin/", quality_admin.urls)] + [
    pattern for pattern in site_urls.urlpatterns if getattr(pattern, "app_name", None) != "admin"
]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


@pytest.fixture
def bad_place(place: Any) -> BadPlace:
    return build_bad_place(place)


DATASETS = ["requests", "updates", "assets", "areas", "bodies", "categories"]


def main_text(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def assert_csp_clean(html: str) -> None:
    """No inline style at all; no inline script without the response's nonce."""
    assert "style=" not in html and "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or "nonce=" in tag or 'type="application/json"' in tag, tag


@pytest.mark.django_db
def test_the_page_summarises_every_dataset_then_each_check(
    client: Client, bad_place: BadPlace
) -> None:
    response = client.get("/data/quality")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    assert_csp_clean(response.content.decode())
    main = main_text(response)
    assert '<h1 class="govuk-heading-l">Data quality</h1>' in main
    summary = main[main.index("<caption") : main.index("</table>")]
    for title in (
        "Service requests",
        "Public updates",
        "Assets",
        "Areas",
        "Bodies",
        "Categories",
    ):
        assert f">{title}</a>" in summary
    assert 'href="#requests-open-too-long">Requests open far longer' in summary
    # Every table says what it is.
    assert main.count("<table") == main.count("<caption")
    for expected in (
        "Areas with an invalid boundary",
        "Self-intersection",
        "Crossed Ward",
        "Likely duplicate assets",
        "Column 1, High Street (again)",
        "Requests outside every area",
        "Bins missed in London",
        "Bins missed for weeks",
        "Dog fouling in East Testshire",
        "None found",
    ):
        assert expected in main, expected
    # The public sees no way in to staff tools and no fixing hints.
    assert "/staff/requests/" not in main and "/admin/" not in main
    assert "Private" not in main


@pytest.mark.django_db
def test_the_json_has_a_stable_documented_shape(
    client: Client, bad_place: BadPlace, settings: Any
) -> None:
    response = client.get("/data/quality.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 'rel="license"' in response["Link"]
    data = response.json()
    assert set(data) == {"version", "generated_at", "settings", "datasets"}
    assert data["version"] == 1
    assert data["settings"]["duplicate_distance_m"] == 5.0
    assert [d["dataset"] for d in data["datasets"]] == DATASETS
    for dataset in data["datasets"]:
        assert set(dataset) == {
            "dataset",
            "title",
            "rows",
            "issues",
            "computed_at",
            "fields",
            "checks",
        }
        for field in dataset["fields"]:
            assert set(field) == {
                "field",
                "label",
                "applies_to",
                "rows",
                "filled",
                "missing",
                "share_filled",
            }
        for check in dataset["checks"]:
            assert set(check) == {
                "check",
                "title",
                "description",
                "unit",
                "count",
                "examples",
                "examples_truncated",
                "breakdown",
            }
            for example in check["examples"]:
                assert set(example) == {"id", "name", "url", "detail", "data"}
            assert dataset["issues"] >= check["count"]
    assets = next(d for d in data["datasets"] if d["dataset"] == "assets")
    duplicates = next(c for c in assets["checks"] if c["check"] == "likely-duplicates")
    [pair] = duplicates["examples"]
    assert pair["url"] == f"{settings.BASE_URL}/assets/streetlight/SL-0001-DUP"
    assert pair["data"]["distance_m"] == pytest.approx(2.0, abs=0.05)


@pytest.mark.django_db
def test_one_dataset_as_json_and_a_clear_error_for_an_unknown_one(
    client: Client, bad_place: BadPlace
) -> None:
    response = client.get("/data/quality/areas.json")
    assert response.status_code == 200
    data = response.json()
    assert data["dataset"] == "areas" and data["version"] == 1 and "settings" in data
    assert {c["check"]: c["count"] for c in data["checks"]} == {
        "invalid-geometry": 1,
        "empty-geometry": 1,
        "no-cover-cells": 1,
    }
    missing = client.get("/data/quality/potholes.json")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert "Reports exist for requests, updates, assets" in missing.json()["detail"]


@pytest.mark.django_db
def test_nothing_private_is_in_the_public_page_or_json(client: Client, bad_place: BadPlace) -> None:
    place = bad_place.place
    Request.private_objects.filter(pk=bad_place.far_away.pk).update(
        hidden=True, title="Privacy canary: hidden 41c2"
    )
    place.county_council.contact_email = "private-desk@testshire.example"
    place.county_council.save()
    Request.private_objects.filter(pk=bad_place.long_open.pk).update(reporter_name="Secret Name")
    page = client.get("/data/quality").content.decode()
    documents = [client.get("/data/quality.json").content.decode()] + [
        client.get(f"/data/quality/{d}.json").content.decode() for d in DATASETS
    ]
    for text in [page, *documents]:
        assert "Privacy canary" not in text
        assert "Secret Name" not in text
        assert EMAIL.findall(_without_assets(text)) == []
    data = json.loads(documents[0])
    requests = data["datasets"][0]
    outside = next(c for c in requests["checks"] if c["check"] == "outside-areas")
    assert outside["count"] == 1
    assert [e["id"] for e in outside["examples"]] == [bad_place.just_outside.pk]


def _without_assets(text: str) -> str:
    """The text without URLs of static files (a file name may contain "@")."""
    return re.sub(r'(src|href)="[^"]*"', "", text)


@pytest.mark.django_db
def test_staff_see_their_bodies_requests_with_links_to_the_workspace(
    client: Client, bad_place: BadPlace
) -> None:
    place = bad_place.place
    Request.private_objects.filter(pk=bad_place.far_away.pk).update(
        hidden=True, title="Hidden but still to fix"
    )
    client.force_login(place.west_manager)
    response = client.get("/data/quality")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert_csp_clean(response.content.decode())
    main = main_text(response)
    assert "Requests are those of West Testshire District Council, hidden ones included." in main
    assert "Hidden but still to fix" in main
    for request in (bad_place.far_away, bad_place.just_outside, bad_place.long_open):
        assert f'href="/staff/requests/{request.pk}"' in main
    assert "To fix: Correct the location in the staff workspace" in main
    # Without admin pages for them, assets and areas get no link (see the URLconf tests).
    assert "/admin/" not in main


@pytest.mark.django_db
def test_staff_of_another_body_do_not_see_or_link_to_those_requests(
    client: Client, bad_place: BadPlace
) -> None:
    client.force_login(bad_place.place.county_inspector)
    main = main_text(client.get("/data/quality"))
    assert "Requests are those of Testshire County Council" in main
    assert "Bins missed for weeks" not in main
    assert "/staff/requests/" not in main
    # The rest of the report is the same for everyone.
    assert "Crossed Ward" in main and "Column 1, High Street (again)" in main


@pytest.mark.django_db
def test_a_signed_in_user_who_is_not_staff_sees_the_public_report(
    client: Client, bad_place: BadPlace
) -> None:
    resident = get_user_model().objects.create_user("resident", password="pw")
    client.force_login(resident)
    main = main_text(client.get("/data/quality"))
    assert "signed in as staff" not in main
    assert "/staff/requests/" not in main
    assert "Bins missed in London" in main


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_site_administrators_get_links_to_fix_each_example(
    client: Client, bad_place: BadPlace
) -> None:
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(superuser)
    main = main_text(client.get("/data/quality"))
    assert f'href="/admin/assets/asset/{bad_place.twin_lamp.pk}/change/"' in main
    assert f'href="/admin/places/area/{bad_place.crossed.pk}/change/"' in main
    area = bad_place.place.east
    add_rule = (
        f'href="/admin/requests/routingrule/add/?category={bad_place.dog_fouling.pk}'
        f'&amp;area={area.pk}"'
    )
    assert add_rule in main
    # A superuser works for every body: every request links to the workspace.
    assert f'href="/staff/requests/{bad_place.long_open.pk}"' in main
    assert "Every body&#39;s requests, including hidden ones" in main


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_links_need_the_permission_to_change(client: Client, bad_place: BadPlace) -> None:
    place = bad_place.place
    inspector = place.county_inspector
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    assert "/admin/" not in main_text(client.get("/data/quality"))
    from django.contrib.auth.models import Permission

    inspector.user_permissions.add(Permission.objects.get(codename="change_asset"))
    main = main_text(client.get("/data/quality"))
    assert f'href="/admin/assets/asset/{bad_place.twin_lamp.pk}/change/"' in main
    assert "/admin/places/area/" not in main


@pytest.mark.django_db
def test_a_report_is_cached_then_refreshed_by_a_background_task(
    bad_place: BadPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = selectors.dataset_report(dataset="bodies", scope=PUBLIC)
    assert first.check("no-areas").count == 0
    Body.objects.create(name="New Group", slug="new-group", kind="community")
    # Within the cache's age the same report is served, without recomputing it.
    cached = selectors.dataset_report(dataset="bodies", scope=PUBLIC)
    assert cached.computed_at == first.computed_at
    assert cached.check("no-areas").count == 0
    # Once it is old, the old report is served at once and a task recomputes it (the test
    # settings run tasks straight away; a site's worker runs them a moment later).
    later = time.time() + quality_settings().max_age_seconds + 1
    monkeypatch.setattr(selectors.time, "time", lambda: later)
    stale = selectors.dataset_report(dataset="bodies", scope=PUBLIC)
    assert stale.computed_at == first.computed_at
    fresh = selectors.dataset_report(dataset="bodies", scope=PUBLIC)
    assert fresh.check("no-areas").count == 1
    assert fresh.computed_at > first.computed_at


@pytest.mark.django_db
def test_a_report_nobody_refreshed_is_computed_again_on_the_next_visit(
    bad_place: BadPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a site with no worker running, a report is not served stale for long."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    monkeypatch.setattr(selectors, "cache", LocMemCache("quality-test", {}))
    first = selectors.dataset_report(dataset="bodies")
    Body.objects.create(name="New Group", slug="new-group", kind="community")
    now[0] += quality_settings().max_age_seconds * selectors.STALE_FACTOR + 1
    again = selectors.dataset_report(dataset="bodies")
    assert again.computed_at > first.computed_at
    assert again.check("no-areas").count == 1


@pytest.mark.django_db
def test_changing_a_threshold_is_not_served_from_the_old_cache(
    bad_place: BadPlace, settings: Any
) -> None:
    assert selectors.dataset_report(dataset="assets").check("likely-duplicates").count == 1
    settings.QUALITY_DUPLICATE_DISTANCE_M = 1
    assert selectors.dataset_report(dataset="assets").check("likely-duplicates").count == 0


def test_an_unknown_dataset_is_refused_with_the_list_of_datasets() -> None:
    with pytest.raises(KeyError, match="covers requests, updates, assets"):
        selectors.dataset_report(dataset="potholes")
