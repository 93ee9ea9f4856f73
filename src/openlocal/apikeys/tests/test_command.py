"""`openlocal create-api-key`: the key on standard output, clear errors otherwise."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_authenticate
from openlocal.places.models import Role
from openlocal.places.permissions import role_in

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create-api-key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_the_key_alone_on_standard_output(place: Any) -> None:
    out, err = run("--name", "Fix-it app", "--scope", "submit", "--scope", "webhooks")
    raw = out.strip()
    assert out == raw + "\n" and raw.startswith("ol_")
    key = apikey_authenticate(raw)
    assert key is not None and key.name == "Fix-it app"
    assert key.scopes == ["submit", "webhooks"] and key.body is None
    assert "Fix-it app" in err and raw not in err


def test_a_body_key_acts_for_the_body(place: Any) -> None:
    out, _err = run(
        "--name", "Back office", "--scope", "body", "--body", "testshire", "--contact",
        "it@testshire.example",
    )  # fmt: skip
    key = apikey_authenticate(out.strip())
    assert key is not None and key.body == place.county_council
    assert key.contact_email == "it@testshire.example"
    assert role_in(key.user, place.county_council) == Role.INSPECTOR


def test_an_unknown_body_lists_the_bodies_there_are(place: Any) -> None:
    with pytest.raises(CommandError) as caught:
        run("--name", "App", "--scope", "body", "--body", "nowhere")
    message = str(caught.value)
    assert "'nowhere'" in message
    assert "east, testshire, west" in message
    assert not ApiKey.objects.exists()


def test_an_unknown_scope_is_refused_by_the_argument_parser(place: Any) -> None:
    with pytest.raises(
        CommandError, match=r"invalid choice: 'admin'.*'submit', 'webhooks', 'body'"
    ):
        run("--name", "App", "--scope", "admin")
    assert not ApiKey.objects.exists()


def test_the_body_scope_without_a_body_says_what_is_missing(place: Any) -> None:
    with pytest.raises(CommandError, match="needs the body"):
        run("--name", "App", "--scope", "body")
    assert not ApiKey.objects.exists()


def test_a_scope_is_required(place: Any) -> None:
    with pytest.raises(CommandError, match="--scope"):
        run("--name", "App")
