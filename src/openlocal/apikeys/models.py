"""API keys: what lets a program write through Open311 and the JSON API.

Reads need no key. A key carries scopes; a key that acts for a body does so through its own
service user, a member of that body with the inspector role, so that every service's
permission check and every timeline entry treats it like a member of staff. Only a hash of
the key is stored; the key itself is shown once, when it is created.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    SUBMIT = "submit", "Submit requests"
    """Create requests, say "me too", follow (Open311 POST requests, JSON API writes)."""
    WEBHOOKS = "webhooks", "Manage webhooks"
    """Register webhook endpoints without an email confirmation, and read their logs."""
    BODY = "body", "Act for a body"
    """Post status changes and updates for the key's body (back-office integrations)."""


class ApiKey(models.Model):
    name = models.CharField(max_length=120, help_text="Who uses the key, e.g. “Fix-it app”.")
    #: The first characters of the key, shown in lists so a key can be recognised.
    prefix = models.CharField(max_length=16, unique=True)
    #: SHA-256 of the whole key (keys are long random strings; a slow hash adds nothing).
    key_hash = models.CharField(max_length=64, unique=True)
    scopes: models.JSONField[Any, Any] = models.JSONField(default=list)
    body = models.ForeignKey(
        "places.Body", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    #: The key's own staff identity when it acts for a body (no password; cannot sign in).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_key",
    )
    #: A private contact for the key's owner (never public).
    contact_email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.active and scope in self.scopes
