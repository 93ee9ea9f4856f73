"""Creating, checking and revoking API keys.

Who may do it: a body's administrators create and revoke that body's keys; site-wide keys
(no body; "submit" and "webhooks" only) are for superusers. The command line
(``openlocal create-api-key``) runs as the operator and passes ``check_permission=False``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from openlocal.apikeys.models import ApiKey, Scope
from openlocal.core.models import AuditEntry
from openlocal.places.models import Body, Membership, Role
from openlocal.places.permissions import require_role

KEY_PREFIX = "ol_"
#: Keys chosen rather than drawn at random start with this, so a published key (the demo's)
#: is recognisable at a glance and can never be mistaken for a secret one.
PUBLISHED_KEY_PREFIX = "ol_demo_"
#: Characters of the key kept in clear, so people can tell their keys apart in a list.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
NAME_MAX_LENGTH = 120


def key_hash(raw: str) -> str:
    """What is stored for a key: its SHA-256 (keys are long random strings, so a slow hash
    adds nothing)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_site_wide(actor: Any) -> None:
    if not getattr(actor, "is_superuser", False) or not getattr(actor, "is_active", False):
        raise PermissionDenied(
            "Only site administrators (superusers) can manage site-wide keys. "
            "Choose a body you administer."
        )


def _validate(
    *, name: str, scopes: Sequence[str], body: Body | None, contact_email: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Name the key after who will use it, e.g. “Fix-it app”."]
    elif len(name.strip()) > NAME_MAX_LENGTH:
        errors["name"] = [f"Name the key in {NAME_MAX_LENGTH} characters or fewer."]
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        errors["scopes"] = [
            f"Choose one or more scopes from: {', '.join(Scope.values)}."
            + (f" Unknown: {', '.join(unknown)}." if unknown else "")
        ]
    elif Scope.BODY in scopes and body is None:
        errors["scopes"] = [
            "A key that acts for a body needs the body: choose one, or leave out the "
            f"“{Scope.BODY.label}” scope."
        ]
    if contact_email.strip():
        try:
            validate_email(contact_email.strip())
        except ValidationError:
            errors["contact_email"] = [
                "Enter the contact email address in the correct format, like name@example.com."
            ]
    return errors


def _store(
    *,
    raw: str,
    name: str,
    scopes: Sequence[str],
    body: Body | None,
    actor: Any,
    contact_email: str,
    check_permission: bool,
) -> ApiKey:
    errors = _validate(name=name, scopes=scopes, body=body, contact_email=contact_email)
    if errors:
        raise ValidationError(errors)
    if check_permission:
        if body is None:
            _check_site_wide(actor)
        else:
            require_role(actor, body, Role.ADMINISTRATOR)
    key = ApiKey(
        name=name.strip(),
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        key_hash=key_hash(raw),
        scopes=sorted(set(scopes)),
        body=body,
        contact_email=contact_email.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if Scope.BODY in scopes and body is not None:
        # The key's own staff identity: an inspector of the body with no password, so it
        # cannot sign in to the staff pages, and every permission check treats it as staff.
        user = get_user_model()(username=f"apikey-{key.prefix}", first_name=key.name[:150])
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, body=body, role=Role.INSPECTOR)
        key.user = user
    key.save()
    AuditEntry.objects.create(
        actor=key.created_by,
        action="apikey.create",
        target_type="apikeys.apikey",
        target_id=str(key.pk),
        data={"name": key.name, "scopes": key.scopes, "body": body.slug if body else None},
    )
    return key


@transaction.atomic
def apikey_create(
    *,
    name: str,
    scopes: Sequence[str],
    body: Body | None = None,
    actor: Any = None,
    contact_email: str = "",
    check_permission: bool = True,
) -> tuple[ApiKey, str]:
    """Create a key; returns it and the key itself, which is not stored and shown only once.

    The key is always drawn at random: no caller can choose it. Raises ValidationError
    (keyed by field) for bad input and PermissionDenied when ``actor`` may not create it.
    """
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = _store(
        raw=raw,
        name=name,
        scopes=scopes,
        body=body,
        actor=actor,
        contact_email=contact_email,
        check_permission=check_permission,
    )
    return key, raw


@transaction.atomic
def apikey_publish(*, raw: str, name: str, scopes: Sequence[str], body: Body | None) -> ApiKey:
    """Store a key whose value is published on purpose, for a demo place's documentation.

    Not for real keys: the value must start with ``ol_demo_``, so anyone can see it is
    public, and it is still stored only as a hash. Nothing on the web or the command line
    reaches this; ``openlocal demo`` does.
    """
    if not raw.startswith(PUBLISHED_KEY_PREFIX) or len(raw) <= SHOWN_PREFIX_LENGTH:
        raise ValueError(
            f"A published key must start with {PUBLISHED_KEY_PREFIX!r} and be longer than "
            f"{SHOWN_PREFIX_LENGTH} characters; use apikey_create() for a real key."
        )
    return _store(
        raw=raw,
        name=name,
        scopes=scopes,
        body=body,
        actor=None,
        contact_email="",
        check_permission=False,
    )


def apikey_authenticate(raw: str) -> ApiKey | None:
    """The active key for a presented key string, or None. Records when it was last used."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.select_related("body", "user").filter(key_hash=key_hash(raw)).first()
    if key is None or not key.active:
        return None
    now = timezone.now()
    # At most one write a minute per key, so a busy integration does not queue on one row.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def apikey_revoke(*, key: ApiKey, actor: Any = None, check_permission: bool = True) -> bool:
    """Stop a key working at once; False when it was already revoked.

    A body key's staff identity loses its membership and is switched off, so nothing it
    could do as staff survives the key.
    """
    if check_permission:
        if key.body is None:
            _check_site_wide(actor)
        else:
            require_role(actor, key.body, Role.ADMINISTRATOR)
    if key.revoked_at is not None:
        return False
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    if key.user is not None:
        key.user.is_active = False
        key.user.save(update_fields=["is_active"])
        Membership.objects.filter(user=key.user).delete()
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="apikey.revoke",
        target_type="apikeys.apikey",
        target_id=str(key.pk),
        data={"name": key.name},
    )
    return True
