"""Signed links in emails: they carry an id, refuse tampering, and confirmation links expire."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.test import override_settings

from openlocal.subscriptions import tokens
from openlocal.subscriptions.tokens import BadToken

DAY = 24 * 60 * 60


def at(seconds_from_now: float):
    """Run the signing clock at a moment other than now."""
    moment = time.time() + seconds_from_now
    return mock.patch("django.core.signing.time.time", return_value=moment)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (tokens.confirm_token, tokens.CONFIRM),
        (tokens.stop_token, tokens.STOP),
        (tokens.manage_token, tokens.MANAGE),
        (tokens.endpoint_confirm_token, tokens.ENDPOINT_CONFIRM),
    ],
)
def test_a_token_gives_back_its_id(make, kind) -> None:
    assert tokens.read(kind, make(4242)) == 4242


def test_an_altered_token_is_refused_with_a_reason() -> None:
    token = tokens.confirm_token(12)
    value, rest = token.split(":", 1)
    altered = tokens.make(tokens.CONFIRM, 13).split(":", 1)[0] + ":" + rest
    for bad in (altered, token[:-1], token + "x", "", "12", value):
        with pytest.raises(BadToken) as exc:
            tokens.read(tokens.CONFIRM, bad)
        assert "This confirmation link is not valid" in exc.value.reason
        assert not exc.value.expired


def test_a_token_for_one_purpose_does_not_work_for_another() -> None:
    with pytest.raises(BadToken, match="link to stop emails is not valid"):
        tokens.read(tokens.STOP, tokens.confirm_token(12))
    with pytest.raises(BadToken, match="link to your subscriptions is not valid"):
        tokens.read(tokens.MANAGE, tokens.stop_token(12))


def test_a_token_signed_with_another_key_is_a_forgery() -> None:
    with override_settings(SECRET_KEY="someone-elses-key-0123456789-abcdefghijklmnop"):
        forged = tokens.stop_token(12)
    with pytest.raises(BadToken, match="not valid"):
        tokens.read(tokens.STOP, forged)


def test_a_token_that_holds_something_other_than_an_id_is_refused() -> None:
    from django.core import signing

    token = signing.dumps("12", salt=tokens.STOP.salt)
    with pytest.raises(BadToken, match="not valid"):
        tokens.read(tokens.STOP, token)


def test_confirmation_links_expire_after_seven_days() -> None:
    token = tokens.confirm_token(7)
    with at(6 * DAY + 23 * 60 * 60):
        assert tokens.read(tokens.CONFIRM, token) == 7
    with at(7 * DAY + 60), pytest.raises(BadToken) as exc:
        tokens.read(tokens.CONFIRM, token)
    assert exc.value.expired
    assert exc.value.reason == (
        "This confirmation link has expired: links like it work for 7 days. "
        "Follow again to get a new one."
    )


def test_stop_and_preference_links_keep_working_from_old_emails() -> None:
    stop, manage = tokens.stop_token(3), tokens.manage_token(4)
    with at(400 * DAY):
        assert tokens.read(tokens.STOP, stop) == 3
        assert tokens.read(tokens.MANAGE, manage) == 4
