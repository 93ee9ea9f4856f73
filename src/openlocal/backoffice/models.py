"""Back-office links: how a body receives its requests, and what happened to each one sent.

A body with a :class:`BackOfficeLink` gets every request routed to it (when it is made, and
when it is passed to the body later) in its own system: by a structured email, or by
``POST requests`` to the body's Open311 server. Each request sent is a :class:`Sending`
with a status the staff pages show; failures are retried with backoff. For an Open311 link,
the worker polls the back office's ``servicerequestupdates`` and puts the body's status
changes on the public timeline; :class:`AppliedUpdate` remembers each one applied, so
polling the same window twice changes nothing twice.

Nothing here is public: links hold the back office's API key, and sendings carry errors
that only the body's staff see.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from openlocal.core.models import TimeStampedModel


class Method(models.TextChoices):
    EMAIL = "email", "Email"
    """A structured email (text, HTML and a JSON attachment) to the body's address."""
    OPEN311 = "open311", "Open311"
    """``POST requests`` to the body's Open311 GeoReport v2 server, then polling its updates."""


class Format(models.TextChoices):
    JSON = "json", "JSON"
    XML = "xml", "XML"


class BackOfficeLink(TimeStampedModel):
    """How one body receives its requests. At most one per body."""

    body = models.OneToOneField(
        "places.Body", on_delete=models.CASCADE, related_name="back_office_link"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    #: Email links: where the requests go (the body's contact email when first set up).
    email = models.EmailField(blank=True)
    #: Open311 links: the endpoint's base URL, e.g. ``https://crm.example.gov/open311/v2``.
    endpoint = models.URLField(max_length=500, blank=True)
    #: Secret: sent to the back office, never rendered back in full and never logged.
    api_key = models.CharField(max_length=500, blank=True)
    jurisdiction_id = models.CharField(max_length=100, blank=True)
    #: Our service codes mapped to the back office's: ``{"POT": "HW-0042"}``. A code not
    #: listed is sent as it is.
    service_codes: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: The Open311 format to ask for (the spec makes only XML mandatory).
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.JSON)
    enabled = models.BooleanField(default=True)
    #: The latest ``updated_datetime`` read from the back office's updates: the next poll
    #: starts a little before it.
    poll_cursor = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    #: Why the last poll failed (empty after a poll that worked). No secrets.
    last_poll_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["body__name"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} link of {self.body}"

    def their_service_code(self, ours: str) -> str:
        return str((self.service_codes or {}).get(ours) or ours)


class SendingStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    """Not tried yet."""
    RETRYING = "retrying", "Retrying"
    """Tried and failed for a reason that may pass (down, busy, 5xx): tried again later."""
    SENT = "sent", "Sent"
    """The back office has it."""
    FAILED = "failed", "Failed"
    """Refused (e.g. an Open311 error document), or still failing after the last retry."""
    CANCELLED = "cancelled", "Not sent"
    """The request left the body, or was hidden by moderation, before it could be sent."""


#: Statuses the worker still sends.
DUE_STATUSES = (SendingStatus.PENDING, SendingStatus.RETRYING)


class Sending(models.Model):
    """One request sent (or being sent) to one body's back office."""

    request = models.ForeignKey(
        "requests.Request", on_delete=models.CASCADE, related_name="back_office_sendings"
    )
    link = models.ForeignKey(BackOfficeLink, on_delete=models.CASCADE, related_name="sendings")
    status = models.CharField(
        max_length=10, choices=SendingStatus.choices, default=SendingStatus.PENDING
    )
    #: Every try, the manual ones included.
    attempts = models.PositiveIntegerField(default=0)
    #: Tries that failed in a row since the last success or "Retry now": sets the backoff.
    consecutive_failures = models.PositiveIntegerField(default=0)
    #: When the worker tries next (also its lease while a try is under way).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: After this, a failure is final (status failed). "Retry now" moves it on.
    give_up_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    #: The back office's ``service_request_id``.
    external_id = models.CharField(max_length=100, blank=True)
    #: A batch Open311 service's token, until ``tokens/{token}`` gives the id.
    token = models.CharField(max_length=100, blank=True)
    #: What went wrong last (no secrets: the API key is removed from anything recorded).
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "link"], name="sending_unique_request_link")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="sending_due"),
            models.Index(fields=["link", "external_id"], name="sending_external_id"),
            models.Index(fields=["link", "created_at"], name="sending_link_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} to {self.link}"


class AppliedUpdate(models.Model):
    """A back office's update already put on a request's timeline (or deliberately not)."""

    link = models.ForeignKey(BackOfficeLink, on_delete=models.CASCADE, related_name="applied")
    #: The back office's ``update_id``.
    remote_id = models.CharField(max_length=100)
    sending = models.ForeignKey(Sending, on_delete=models.CASCADE, related_name="applied")
    #: The timeline entry it became; null when it changed nothing on our side.
    update = models.ForeignKey(
        "requests.Update", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    remote_status = models.CharField(max_length=40, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["applied_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "remote_id"], name="appliedupdate_unique")
        ]

    def __str__(self) -> str:
        return f"Update {self.remote_id} from {self.link}"


class OutboxCursor(models.Model):
    """How far the sender has read the event outbox (``subscriptions.Event``).

    Event ids are handed out when a transaction inserts the row, not when it commits, so on
    PostgreSQL a lower id can appear after a higher one has been read. ``gaps`` keeps the ids
    missing below ``last_event_id`` (``[first, last, first seen]``) and they are looked at
    again on every run until they appear or are old enough to be a rolled-back transaction.
    """

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    gaps: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at event {self.last_event_id}"
