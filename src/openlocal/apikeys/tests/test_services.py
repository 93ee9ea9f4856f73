"""Creating, checking and revoking keys through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from openlocal.apikeys.models import ApiKey, Scope
from openlocal.apikeys.services import (
    apikey_authenticate,
    apikey_create,
    apikey_publish,
    apikey_revoke,
)
from openlocal.core.models import AuditEntry
from openlocal.places.models import Membership, Role
from openlocal.places.permissions import has_role, role_in

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_key_is_stored(place: Any, county_admin: Any) -> None:
    key, raw = apikey_create(
        name="Fix-it app", scopes=[Scope.SUBMIT], body=place.county_council, actor=county_admin
    )
    assert raw.startswith("ol_") and len(raw) > 40
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert not any(raw in str(value) for value in stored.values())
    assert stored["prefix"] == raw[:11] and len(stored["key_hash"]) == 64
    audit = AuditEntry.objects.get(action="apikey.create", target_id=str(key.pk))
    assert raw not in str(audit.data)
    assert audit.actor == county_admin


def test_two_keys_are_never_the_same(place: Any) -> None:
    raws = {
        apikey_create(name=f"App {n}", scopes=["submit"], check_permission=False)[1]
        for n in range(5)
    }
    assert len(raws) == 5


def test_the_raw_key_authenticates_and_nothing_else_does(place: Any) -> None:
    key, raw = apikey_create(name="App", scopes=["submit"], check_permission=False)
    assert key.last_used_at is None
    found = apikey_authenticate(raw)
    assert found is not None and found.pk == key.pk and found.has_scope("submit")
    assert not found.has_scope("webhooks")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert apikey_authenticate(f"  {raw}\n") is not None
    for wrong in ("", raw[:-1], raw + "x", raw.upper(), key.prefix, key.key_hash, "Bearer " + raw):
        assert apikey_authenticate(wrong) is None, wrong


def test_a_revoked_key_no_longer_authenticates(place: Any, superuser: Any) -> None:
    key, raw = apikey_create(name="App", scopes=["submit", "webhooks"], actor=superuser)
    assert apikey_revoke(key=key, actor=superuser) is True
    assert apikey_authenticate(raw) is None
    assert apikey_revoke(key=key, actor=superuser) is False
    key.refresh_from_db()
    assert not key.has_scope("submit")
    assert AuditEntry.objects.filter(action="apikey.revoke", target_id=str(key.pk)).count() == 1


def test_a_body_key_acts_as_an_inspector_who_cannot_sign_in(place: Any, county_admin: Any) -> None:
    key, raw = apikey_create(
        name="Highways back office",
        scopes=[Scope.BODY, Scope.SUBMIT],
        body=place.county_council,
        actor=county_admin,
    )
    user = key.user
    assert user is not None and user.first_name == "Highways back office"
    assert role_in(user, place.county_council) == Role.INSPECTOR
    assert not has_role(user, place.county_council, Role.MANAGER)
    assert role_in(user, place.west_council) is None
    assert not user.has_usable_password()
    for password in ("", "pw", raw, None):
        assert authenticate(username=user.get_username(), password=password) is None
    client = Client()
    response = client.post(
        "/staff/login", {"username": user.get_username(), "password": raw}, follow=False
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_key_without_the_body_scope_has_no_staff_identity(place: Any, county_admin: Any) -> None:
    key, _raw = apikey_create(
        name="App", scopes=[Scope.SUBMIT], body=place.county_council, actor=county_admin
    )
    assert key.user is None
    assert Membership.objects.filter(body=place.county_council).count() == 2


def test_revoking_a_body_key_removes_its_membership_and_switches_its_user_off(
    place: Any, county_admin: Any
) -> None:
    key, raw = apikey_create(
        name="Back office", scopes=[Scope.BODY], body=place.county_council, actor=county_admin
    )
    assert key.user is not None
    user_pk = key.user.pk
    assert apikey_revoke(key=key, actor=county_admin)
    user = get_user_model().objects.get(pk=user_pk)
    assert not user.is_active
    assert not Membership.objects.filter(user=user).exists()
    assert role_in(user, place.county_council) is None
    assert apikey_authenticate(raw) is None


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "  "}, "name", "Name the key after who will use it"),
        ({"name": "x" * 121}, "name", "120 characters or fewer"),
        ({"scopes": []}, "scopes", "Choose one or more scopes from: submit, webhooks, body."),
        (
            {"scopes": ["submit", "admin", "root"]},
            "scopes",
            "Choose one or more scopes from: submit, webhooks, body. Unknown: admin, root.",
        ),
        ({"scopes": ["body"], "body": None}, "scopes", "A key that acts for a body needs the body"),
        ({"contact_email": "not an address"}, "contact_email", "like name@example.com"),
    ],
)
def test_bad_input_is_refused_with_a_message_that_says_what_to_do(
    place: Any, superuser: Any, kwargs: dict[str, Any], field: str, message: str
) -> None:
    arguments: dict[str, Any] = {
        "name": "App",
        "scopes": ["submit"],
        "body": place.county_council,
        "actor": superuser,
        **kwargs,
    }
    with pytest.raises(ValidationError) as caught:
        apikey_create(**arguments)
    assert message in " ".join(caught.value.message_dict[field])
    assert not ApiKey.objects.exists()
    assert get_user_model().objects.filter(username__startswith="apikey-").count() == 0


def test_only_administrators_of_the_body_create_and_revoke_its_keys(
    place: Any, staff_user: Any, county_admin: Any
) -> None:
    west_admin = staff_user("Wes", Role.ADMINISTRATOR, place.west_council)
    manager = staff_user("Meg", Role.MANAGER)
    for actor in (None, manager, west_admin, place.county_inspector):
        with pytest.raises(PermissionDenied):
            apikey_create(name="App", scopes=["submit"], body=place.county_council, actor=actor)
    assert not ApiKey.objects.exists()
    key, raw = apikey_create(
        name="App", scopes=["body"], body=place.county_council, actor=county_admin
    )
    for actor in (None, manager, west_admin):
        with pytest.raises(PermissionDenied):
            apikey_revoke(key=key, actor=actor)
    assert apikey_authenticate(raw) is not None


def test_site_wide_keys_are_for_superusers_only(
    place: Any, county_admin: Any, superuser: Any
) -> None:
    with pytest.raises(PermissionDenied, match="superusers"):
        apikey_create(name="App", scopes=["submit", "webhooks"], actor=county_admin)
    key, raw = apikey_create(name="App", scopes=["submit", "webhooks"], actor=superuser)
    assert key.body is None and key.user is None
    with pytest.raises(PermissionDenied):
        apikey_revoke(key=key, actor=county_admin)
    superuser.is_active = False
    with pytest.raises(PermissionDenied):
        apikey_revoke(key=key, actor=superuser)
    assert apikey_authenticate(raw) is not None


def test_a_published_key_must_say_it_is_one(place: Any) -> None:
    for weak in ("ol_password", "hunter2", "ol_demo_", "ol_demo"):
        with pytest.raises(ValueError, match="ol_demo_"):
            apikey_publish(raw=weak, name="Demo", scopes=["submit"], body=None)
    key = apikey_publish(
        raw="ol_demo_testshire_key", name="Demo", scopes=["submit"], body=place.county_council
    )
    assert key.prefix == "ol_demo_tes"
    assert "ol_demo_testshire_key" not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    found = apikey_authenticate("ol_demo_testshire_key")
    assert found is not None and found.pk == key.pk
