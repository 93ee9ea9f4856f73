"""The staff page for API keys: who may use it, creating (the key shown once), revoking."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_authenticate, apikey_create
from openlocal.places.models import Role

pytestmark = pytest.mark.django_db

LIST = "/staff/api-keys/"
CREATE = "/staff/api-keys/new"

USERS = [
    "anonymous",
    "no_membership",
    "viewer",
    "inspector",
    "manager",
    "administrator",
    "other_administrator",
    "superuser",
]


def make_user(who: str, place: Any, staff_user: Callable[..., Any]) -> Any:
    if who == "anonymous":
        return None
    if who == "no_membership":
        return staff_user("Nobody")
    if who == "superuser":
        return staff_user("Root", "superuser")
    if who == "other_administrator":
        return staff_user("Wes", Role.ADMINISTRATOR, place.west_council)
    return staff_user(who.title(), Role(who))


def client_for(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> list[tuple[Any, ...]]:
    return list(ApiKey.objects.order_by("pk").values_list("pk", "name", "revoked_at"))


def create_data(place: Any, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Fix-it app",
        "body": str(place.county_council.pk),
        "scopes": ["submit"],
        "contact_email": "",
        **changes,
    }


def shown_key(html: str) -> str:
    match = re.search(r'<code id="api-key">(ol_[A-Za-z0-9_\-]+)</code>', html)
    assert match, "the new key is not on the page"
    return match[1]


# (list, create form, create, revoke page, revoke) for each kind of user.
EXPECTED = {
    "anonymous": ("login",) * 5,
    "no_membership": (403,) * 5,
    "viewer": (403,) * 5,
    "inspector": (403,) * 5,
    "manager": (403,) * 5,
    "administrator": (200, 200, 200, 200, 302),
    # Another body's administrator: the page is theirs, this body's key is not.
    "other_administrator": (200, 200, 400, 404, 404),
    "superuser": (200, 200, 200, 200, 302),
}


@pytest.mark.parametrize("who", USERS)
def test_exactly_administrators_of_the_body_manage_its_keys(
    who: str, place: Any, staff_user: Callable[..., Any]
) -> None:
    county_key, county_raw = apikey_create(
        name="County back office", scopes=["body"], body=place.county_council, actor=None,
        check_permission=False,
    )  # fmt: skip
    user = make_user(who, place, staff_user)
    client = client_for(user)
    revoke = reverse("apikeys:revoke", args=[county_key.pk])
    expected = EXPECTED[who]
    before = snapshot()

    answers = [
        client.get(LIST),
        client.get(CREATE),
        client.post(CREATE, create_data(place)),
        client.get(revoke),
        client.post(revoke),
    ]
    for url, answer, wanted in zip(
        [LIST, CREATE, CREATE, revoke, revoke], answers, expected, strict=True
    ):
        if wanted == "login":
            assert answer.status_code == 302
            assert answer["Location"].startswith("/staff/login?next=")
        else:
            assert answer.status_code == wanted, (who, url, answer.status_code)
    if expected[0] == 403:
        assert "Only administrators can manage API keys" in answers[0].content.decode()
    if expected[2] == 200:
        assert len(snapshot()) == len(before) + 1
        assert apikey_authenticate(county_raw) is None  # revoked by the last POST
    else:
        assert snapshot() == before
        assert apikey_authenticate(county_raw) is not None
    if expected[0] == 200:
        listed = answers[0].content.decode()
        assert ("County back office" in listed) == (who != "other_administrator")


def test_a_new_key_is_shown_once_and_never_again(place: Any, county_admin: Any) -> None:
    client = client_for(county_admin)
    response = client.post(
        CREATE, create_data(place, scopes=["submit", "body"], contact_email="dev@fixit.example")
    )
    assert response.status_code == 200
    html = response.content.decode()
    raw = shown_key(html)
    assert "This is the only time it is shown" in html
    assert f"Authorization: Bearer {raw}" in html
    assert "no-store" in response["Cache-Control"]
    key = apikey_authenticate(raw)
    assert key is not None and key.body == place.county_council
    assert key.scopes == ["body", "submit"] and key.created_by == county_admin
    assert key.contact_email == "dev@fixit.example"

    for url in (LIST, CREATE, reverse("apikeys:revoke", args=[key.pk]), "/staff/"):
        page = client.get(url).content.decode()
        assert raw not in page, url
        assert raw[len(key.prefix) :] not in page, url
    listed = client.get(LIST).content.decode()
    assert key.prefix in listed and "Fix-it app" in listed
    assert "Submit requests, Act for a body" in listed
    assert "dev@fixit.example" in listed and "by Ada" in listed


def test_the_list_shows_who_made_each_key_when_it_was_used_and_what_was_revoked(
    place: Any, county_admin: Any
) -> None:
    _used, used_raw = apikey_create(
        name="Used app", scopes=["submit"], body=place.county_council, actor=county_admin
    )
    apikey_authenticate(used_raw)
    gone, _ = apikey_create(
        name="Old app", scopes=["submit"], body=place.county_council, check_permission=False
    )
    client = client_for(county_admin)
    client.post(reverse("apikeys:revoke", args=[gone.pk]))
    html = client.get(LIST).content.decode()
    rows = {
        name: row
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
        for name in ("Used app", "Old app")
        if name in row
    }
    assert "by Ada" in rows["Used app"] and "Active" in rows["Used app"]
    assert "Never" not in rows["Used app"] and "Revoke" in rows["Used app"]
    assert "by The command line" in rows["Old app"] and "Revoked" in rows["Old app"]
    assert "Never" in rows["Old app"] and "Revoke<" not in rows["Old app"]


def test_a_revoked_key_stops_working_and_revoking_again_changes_nothing(
    place: Any, county_admin: Any
) -> None:
    key, raw = apikey_create(
        name="App", scopes=["body"], body=place.county_council, actor=county_admin
    )
    client = client_for(county_admin)
    confirm = client.get(reverse("apikeys:revoke", args=[key.pk])).content.decode()
    assert "stop working at once" in confirm and "Revoke key" in confirm
    response = client.post(reverse("apikeys:revoke", args=[key.pk]), follow=True)
    assert "Revoked “App”. Programs using it can no longer write." in response.content.decode()
    assert apikey_authenticate(raw) is None
    key.refresh_from_db()
    revoked_at = key.revoked_at
    again = client.post(reverse("apikeys:revoke", args=[key.pk]), follow=True)
    assert "“App” was already revoked." in again.content.decode()
    key.refresh_from_db()
    assert key.revoked_at == revoked_at
    page = client.get(reverse("apikeys:revoke", args=[key.pk])).content.decode()
    assert "This key was revoked on" in page and "Revoke key" not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter a name for the key"),
        ({"name": "x" * 121}, "Name the key in 120 characters or fewer"),
        ({"scopes": []}, "Select at least one thing the key may do"),
        ({"scopes": ["submit", "admin"]}, "Select only the scopes listed"),
        ({"body": ""}, "Select the body the key is for"),
        ({"body": "site"}, "Select a body you administer"),
        ({"contact_email": "dev at example"}, "in the correct format, like name@example.com"),
    ],
)
def test_bad_input_shows_the_error_summary_and_creates_nothing(
    place: Any, county_admin: Any, changes: dict[str, Any], message: str
) -> None:
    response = client_for(county_admin).post(CREATE, create_data(place, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert "<title>Error: " in html
    assert not ApiKey.objects.exists()


def test_superusers_create_site_wide_keys_but_not_site_wide_body_keys(
    place: Any, superuser: Any, county_admin: Any
) -> None:
    assert "Site-wide: no body" not in client_for(county_admin).get(CREATE).content.decode()
    client = client_for(superuser)
    assert "Site-wide: no body" in client.get(CREATE).content.decode()
    refused = client.post(CREATE, create_data(place, body="site", scopes=["submit", "body"]))
    assert refused.status_code == 400
    assert "A site-wide key cannot act for a body" in refused.content.decode()
    assert not ApiKey.objects.exists()
    created = client.post(CREATE, create_data(place, body="site", scopes=["submit", "webhooks"]))
    key = apikey_authenticate(shown_key(created.content.decode()))
    assert key is not None and key.body is None and key.scopes == ["submit", "webhooks"]
    assert "Site-wide" in client.get(LIST).content.decode()
    assert "Fix-it app" not in client_for(county_admin).get(LIST).content.decode()


def test_nobody_chooses_their_own_key(place: Any, county_admin: Any) -> None:
    chosen = "ol_chosen_weak_key"
    response = client_for(county_admin).post(
        CREATE, create_data(place, key=chosen, raw=chosen, prefix="ol_chosen")
    )
    assert shown_key(response.content.decode()) != chosen
    assert apikey_authenticate(chosen) is None
    assert not ApiKey.objects.filter(prefix__startswith="ol_chosen").exists()


def test_every_form_carries_a_csrf_token_and_is_refused_without_one(
    place: Any, county_admin: Any
) -> None:
    key, raw = apikey_create(
        name="App", scopes=["submit"], body=place.county_council, actor=county_admin
    )
    client = client_for(county_admin, enforce_csrf_checks=True)
    revoke = reverse("apikeys:revoke", args=[key.pk])
    for url in (CREATE, revoke):
        html = client.get(url).content.decode()
        forms = re.findall(r'<form method="post"(.*?)</form>', html, re.S)
        assert len(forms) == 2, url  # the page's own form and the sign-out button
        for form in forms:
            assert 'name="csrfmiddlewaretoken"' in form, url

    assert client.post(CREATE, create_data(place)).status_code == 403
    assert client.post(revoke).status_code == 403
    assert ApiKey.objects.count() == 1 and apikey_authenticate(raw) is not None

    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(CREATE).content.decode()
    )
    assert token
    created = client.post(CREATE, {**create_data(place), "csrfmiddlewaretoken": token[1]})
    assert created.status_code == 200 and ApiKey.objects.count() == 2
    assert client.post(revoke, {"csrfmiddlewaretoken": token[1]}).status_code == 302
    assert apikey_authenticate(raw) is None
