"""Creating, checking and revoking API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openlocal.apikeys.models import ApiKey, Scope
from openlocal.core.models import AuditEntry
from openlocal.places.models import Body, Membership, Role
from openlocal.places.permissions import require_role

KEY_PREFIX = "ol_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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

    Keys for a body are created by its administrators (or from the command line, with
    ``check_permission=False``).
    """
    if not name.strip():
        raise ValidationError({"name": ["Name the key after who will use it."]})
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": [
                    f"Choose one or more scopes from: {', '.join(Scope.values)}."
                    + (f" Unknown: {', '.join(unknown)}." if unknown else "")
                ]
            }
        )
    if Scope.BODY in scopes and body is None:
        raise ValidationError({"body": ["A key that acts for a body needs the body."]})
    if body is not None and check_permission:
        require_role(actor, body, Role.ADMINISTRATOR)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip()[:120],
        prefix=raw[: len(KEY_PREFIX) + 8],
        key_hash=_hash(raw),
        scopes=sorted(set(scopes)),
        body=body,
        contact_email=contact_email.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if Scope.BODY in scopes and body is not None:
        user_model = get_user_model()
        user = user_model(username=f"apikey-{key.prefix}", first_name=key.name[:150])
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
    return key, raw


def apikey_authenticate(raw: str) -> ApiKey | None:
    """The active key for a presented key string, or None. Records when it was last used."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.select_related("body", "user").filter(key_hash=_hash(raw)).first()
    if key is None or not key.active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@transaction.atomic
def apikey_revoke(*, key: ApiKey, actor: Any = None, check_permission: bool = True) -> bool:
    if key.body is not None and check_permission:
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
