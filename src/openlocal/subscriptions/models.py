"""Who follows what, what happened, and each attempt to tell them.

A :class:`Subscription` is a person's (by email) or a webhook endpoint's standing interest in
one target: a request, an asset, an area, a category (optionally within an area), a body, a
drawn polygon or a point with a radius. Every target has a ``target_key`` (``"request:12"``,
``"category:3@area:7"``, ``"polygon:<digest>"``) so that following the same thing twice is
one subscription, and so that matching an event to its followers is an indexed look-up.
Polygons and circles are matched through :class:`SubscriptionCell`, their H3 cover, the
same way areas are.

An :class:`Event` is written in the same transaction as the change that caused it. The
worker fans each event out into :class:`Delivery` rows, one per (event, subscription), and
then claims deliveries in batches to send them. Nothing here is ever public: these rows hold
followers' email addresses and endpoints' secrets.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from openlocal.core.models import TimeStampedModel


class TargetKind(models.TextChoices):
    REQUEST = "request", "Request"
    ASSET = "asset", "Asset"
    AREA = "area", "Area"
    CATEGORY = "category", "Category"
    BODY = "body", "Organisation"
    POLYGON = "polygon", "Drawn area"
    POINT = "point", "Around a point"


#: Targets matched by where a request is rather than by a key.
SPATIAL_KINDS = frozenset({TargetKind.POLYGON, TargetKind.POINT})


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", "Email straight away"
    DIGEST = "digest", "Daily digest email"
    OFF = "off", "Off"
    WEBHOOK = "webhook", "Webhook"


#: The channels a person may choose between in the preference centre.
EMAIL_CHANNELS = (Channel.IMMEDIATE, Channel.DIGEST, Channel.OFF)


class SubscriptionSource(models.TextChoices):
    WEB = "web", "Follow form"
    REPORTER = "reporter", "Reported it"
    SUPPORTER = "supporter", "Said “me too”"
    API = "api", "API"
    MERGE = "merge", "Moved by a merge"


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed event payloads. Its owner manages it by email."""

    owner = models.ForeignKey(
        "requests.Person", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    #: ``whsec_`` + base64 key, per the Standard Webhooks specification. Shown to the owner once.
    secret = models.CharField(max_length=100)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    #: Set when repeated failures stopped deliveries; the owner re-enables it.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    #: Deliveries that failed in a row; reset by any success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Webhook endpoint {self.pk}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.disabled_at is None


class Subscription(TimeStampedModel):
    """A person's or an endpoint's standing interest in one target."""

    person = models.ForeignKey(
        "requests.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    #: Identifies the target: one subscription per subscriber and key.
    target_key = models.CharField(max_length=100, db_index=True)
    #: A plain description of the target for emails and the preference centre.
    label = models.CharField(max_length=300)
    request = models.ForeignKey(
        "requests.Request", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey(
        "places.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "requests.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    body = models.ForeignKey(
        "places.Body", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: Polygon targets: the shape as WKB; point targets: the circle's centre and radius.
    geometry = models.BinaryField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.IMMEDIATE)
    #: Set when the person clicked the confirmation link (or needed none: a reporter).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=20, choices=SubscriptionSource.choices, default=SubscriptionSource.WEB
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, endpoint__isnull=True)
                    | models.Q(person__isnull=True, endpoint__isnull=False)
                ),
                name="subscription_person_xor_endpoint",
            ),
            models.UniqueConstraint(
                fields=["person", "target_key"],
                condition=models.Q(person__isnull=False),
                name="subscription_unique_person_target",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "target_key"],
                condition=models.Q(endpoint__isnull=False),
                name="subscription_unique_endpoint_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Subscription {self.pk} to {self.target_key}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.channel != Channel.OFF


class SubscriptionCell(models.Model):
    """One cell of a polygon or circle subscription's compacted H3 cover."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="cells")
    cell = models.BigIntegerField(db_index=True)
    #: True when the cell lies wholly inside the shape, so no exact test is needed.
    interior = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "cell"], name="subscriptioncell_unique_subscription_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cell:x} of subscription {self.subscription_id}"


class EventKind(models.TextChoices):
    CREATED = "request.created", "New request"
    STATUS_CHANGED = "request.status_changed", "Status changed"
    FIXED = "request.fixed", "Fixed"
    REOPENED = "request.reopened", "Reopened"
    COMMENTED = "request.commented", "Public update"
    REASSIGNED = "request.reassigned", "Passed to another organisation"
    MERGED = "request.merged", "Merged into another request"
    UNMERGED = "request.unmerged", "Merge undone"
    PING = "ping", "Test ping"


class Event(models.Model):
    """Something that happened that followers may want to hear about.

    ``payload`` is the public snapshot sent to webhooks and used for emails, built when the
    event is recorded; it holds nothing private.
    """

    kind = models.CharField(max_length=40, choices=EventKind.choices)
    request = models.ForeignKey(
        "requests.Request", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    update = models.ForeignKey(
        "requests.Update", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload: models.JSONField[Any, Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    #: Set once the event's deliveries have been written. Null: waiting for the worker.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="event_pending_fan_out",
            ),
            models.Index(fields=["request", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.request_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class Delivery(models.Model):
    """One (event, subscription) pair: delivered at least once, recorded once."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    #: Null only for a test ping, which goes to an endpoint rather than through a subscription.
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    #: Set for webhook deliveries: the endpoint's delivery log reads by it.
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    #: The channel at fan-out time: immediate and digest emails, or a webhook.
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    #: Not to be tried before this time (backoff, or the digest hour).
    due_at = models.DateTimeField(default=timezone.now)
    #: A worker holds the delivery until then; after it, another may take it over.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    #: The receiver's HTTP status for webhooks.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="delivery_unique_event_subscription"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "due_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due",
            ),
            models.Index(fields=["subscription", "created_at"]),
            models.Index(fields=["endpoint", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of event {self.event_id}"
