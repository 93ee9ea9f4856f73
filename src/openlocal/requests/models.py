"""Categories, requests and everything on a request's timeline.

Requests and updates have no bare ``objects`` manager: a read says whether it is for the
public (``public_objects``) or for staff and internal use (``private_objects``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from openlocal.core.models import TimeStampedModel


class CategoryGroup(models.TextChoices):
    ROADS = "roads", "Roads and pavements"
    LIGHTING = "lighting", "Street lighting"
    WASTE = "waste", "Bins and waste"
    FLY_TIPPING = "fly-tipping", "Fly-tipping"
    GRAFFITI = "graffiti", "Graffiti and vandalism"
    PARKS = "parks", "Parks and open spaces"
    RIGHTS_OF_WAY = "rights-of-way", "Public rights of way"
    BUS_STOPS = "bus-stops", "Bus stops and shelters"
    DRAINAGE = "drainage", "Drains and flooding"
    COMMUNITY = "community", "Community needs"
    OTHER = "other", "Other"


class Category(TimeStampedModel):
    """What kind of request; Open311 calls it a service."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=100, unique=True)
    service_code = models.CharField(max_length=64, unique=True)
    group = models.CharField(max_length=30, choices=CategoryGroup.choices)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=300, blank=True)
    #: Requests within this distance (metres) are suggested as possible duplicates.
    duplicate_radius_m = models.PositiveIntegerField(default=50)
    asset_types = models.ManyToManyField("assets.AssetType", blank=True, related_name="categories")
    #: When set, the report journey asks for an asset of one of ``asset_types``.
    asset_required = models.BooleanField(default=False)
    #: Requests in a private category are seen only by their reporter and by staff: never
    #: on a public page, map, feed, API answer or export.
    private = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Requests are seen only by their reporter and staff (e.g. abuse, safeguarding).",
    )
    photo_required = models.BooleanField(
        default=False, db_default=False, help_text="The reporter must add at least one photo."
    )
    #: When set, the report journey stops here and shows this notice instead of a form
    #: (e.g. "Gas leaks are an emergency: call 0800 111 999 now").
    stop_notice = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Stops the journey with this notice instead of taking a report.",
    )
    #: The service level: how many days the body aims to take to fix a request. It sets a
    #: new request's due date and the "fixed within the service level" share on
    #: /performance/.
    service_level_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days within which requests should be fixed."
    )
    #: A reporter's "not fixed" answer reopens a request closed at most this many days ago;
    #: 0 never reopens (the body is told all the same).
    reopen_within_days = models.PositiveIntegerField(
        default=90,
        db_default=90,
        help_text="A “not fixed” answer reopens requests closed this recently.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:category", args=[self.slug])


class QuestionDatatype(models.TextChoices):
    """The Open311 GeoReport v2 attribute datatypes."""

    STRING = "string", "Short text"
    NUMBER = "number", "Number"
    DATETIME = "datetime", "Date and time"
    TEXT = "text", "Long text"
    SINGLEVALUELIST = "singlevaluelist", "Choose one"
    MULTIVALUELIST = "multivaluelist", "Choose any"


class CategoryQuestion(models.Model):
    """An extra question asked when reporting in a category (an Open311 attribute)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(max_length=64)
    label = models.CharField(max_length=200)
    hint = models.CharField(max_length=300, blank=True)
    datatype = models.CharField(
        max_length=20, choices=QuestionDatatype.choices, default=QuestionDatatype.STRING
    )
    required = models.BooleanField(default=False)
    #: False for Open311 "informational" attributes that take no answer.
    variable = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    #: For list datatypes: ``[{"key": "...", "name": "..."}]``.
    values: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="question_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"


class RoutingRule(models.Model):
    """Which body handles a category within an area.

    Where several rules match a point (two bodies offering the same category, or rules at
    county and ward level), the lowest ``preference`` wins, then the smallest area.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routing_rules")
    area = models.ForeignKey("places.Area", on_delete=models.CASCADE, related_name="routing_rules")
    body = models.ForeignKey("places.Body", on_delete=models.CASCADE, related_name="routing_rules")
    preference = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["preference", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area", "body"], name="routingrule_unique_category_area_body"
            )
        ]
        indexes = [models.Index(fields=["area", "category"])]

    def __str__(self) -> str:
        return f"{self.category} in {self.area} → {self.body}"


class Person(TimeStampedModel):
    """A private email identity: a reporter, supporter or follower. Never shown in public."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=120, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"Person {self.pk}"


class Status(models.TextChoices):
    NEW = "new", "New"
    """Reported and routed; nobody at the body has looked at it yet."""
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    """The body has seen it."""
    INVESTIGATING = "investigating", "Investigating"
    """Someone is finding out what is needed."""
    IN_PROGRESS = "in_progress", "In progress"
    """Work is under way."""
    ACTION_SCHEDULED = "action_scheduled", "Action scheduled"
    """Work is booked for a date."""
    FIXED = "fixed", "Fixed"
    """Closed: the problem is gone or the need met."""
    NOT_FIXED = "not_fixed", "Not fixed"
    """Closed: the body could not fix it."""
    DUPLICATE = "duplicate", "Duplicate"
    """Closed: another request tracks the same problem."""
    NOT_RESPONSIBLE = "not_responsible", "Not responsible"
    """Closed: no body on this site is responsible for it."""
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    """Closed: the body decided nothing needs doing."""
    REFERRED = "referred", "Referred"
    """Closed: passed to an organisation outside this site."""


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.IN_PROGRESS,
        Status.ACTION_SCHEDULED,
    }
)
CLOSED_STATUSES = frozenset(set(Status) - OPEN_STATUSES)


class Priority(models.IntegerChoices):
    LOW = 0, "Low"
    NORMAL = 1, "Normal"
    HIGH = 2, "High"
    URGENT = 3, "Urgent"


class Source(models.TextChoices):
    WEB = "web", "Website"
    OPEN311 = "open311", "Open311"
    API = "api", "JSON API"
    STAFF = "staff", "Staff"
    IMPORT = "import", "Import"


class RequestQuerySet(models.QuerySet["Request"]):
    def open(self) -> RequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> RequestQuerySet:
        return self.filter(status__in=CLOSED_STATUSES)

    def for_bodies(self, bodies: Any) -> RequestQuerySet:
        return self.filter(body__in=bodies)

    def with_related(self) -> RequestQuerySet:
        return self.select_related("category", "body", "asset", "asset__asset_type")


_RequestManager = models.Manager.from_queryset(RequestQuerySet)


class PublicRequestManager(_RequestManager):
    """What anyone may see: requests neither hidden by moderation nor in a private category."""

    def get_queryset(self):  # the queryset type comes from from_queryset
        return super().get_queryset().filter(hidden=False, private=False)


class PrivateRequestManager(_RequestManager):
    """Every request, hidden ones included: staff and internal use only."""


class Request(TimeStampedModel):
    """A report of a problem or a need at a place, possibly on a specific asset."""

    title = models.CharField(max_length=120)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="requests")
    body = models.ForeignKey("places.Body", on_delete=models.PROTECT, related_name="requests")
    areas = models.ManyToManyField("places.Area", related_name="requests", blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    cell = models.BigIntegerField(db_index=True)
    address = models.CharField(max_length=300, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    answers: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: Private: the reporter's identity. Never on a public page, API, feed or export.
    reporter = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    reporter_name = models.CharField(max_length=120, blank=True)
    #: The reporter agreed to show their name; otherwise the request is anonymous in public.
    reporter_name_public = models.BooleanField(default=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    external_id = models.CharField(max_length=100, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    supporter_count = models.PositiveIntegerField(default=0)
    follower_count = models.PositiveIntegerField(default=0)
    #: Hidden by moderation: gone from every public view, kept for staff.
    hidden = models.BooleanField(default=False, db_index=True)
    #: In a private category: seen only by the reporter and staff (copied from the
    #: category when the request is made or recategorised).
    #: Database defaults too, so that bulk loaders that name their columns (importers,
    #: benchmarks) need not know every workflow field.
    private = models.BooleanField(default=False, db_default=False, db_index=True)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL, db_default=Priority.NORMAL, db_index=True
    )
    #: When the body aims to have fixed it: the category's service level from creation.
    due_at = models.DateTimeField(null=True, blank=True)
    #: The staff member working on it. Private: never shown in public.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )

    public_objects = PublicRequestManager()
    private_objects = PrivateRequestManager()

    class Meta:
        default_manager_name = "private_objects"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["body", "status", "created_at"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["latitude", "longitude"]),
            models.Index(fields=["updated_at"]),
            # "Already reported?": open requests of a category near a point, by age.
            models.Index(
                fields=["cell", "category", "status", "created_at"],
                name="request_duplicate_lookup",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("web:request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def public_reporter_name(self) -> str:
        return self.reporter_name if self.reporter_name_public and self.reporter_name else ""


class UpdateKind(models.TextChoices):
    CREATED = "created", "Reported"
    COMMENT = "comment", "Comment"
    STATUS = "status", "Status change"
    NOTE = "note", "Internal note"
    CATEGORY = "category", "Category change"
    REASSIGNED = "reassigned", "Reassigned"
    MODERATED = "moderated", "Moderated"
    MERGED = "merged", "Merged"
    ASSIGNED = "assigned", "Assigned"
    PRIORITY = "priority", "Priority change"
    DUE = "due", "Due date change"
    FEEDBACK = "feedback", "Resident feedback"
    SENT = "sent", "Sent to back office"


class PublicUpdateManager(models.Manager["Update"]):
    def get_queryset(self) -> models.QuerySet[Update]:
        return (
            super()
            .get_queryset()
            .filter(public=True, hidden=False, request__hidden=False, request__private=False)
        )


class Update(models.Model):
    """One entry on a request's timeline. Internal notes are never public."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=UpdateKind.choices)
    public = models.BooleanField(default=True)
    text = models.TextField(blank=True)
    old_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    #: Staff author (private); the public sees ``author_name`` or the body's name.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.ForeignKey(
        "places.Body", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Kind-specific public facts, e.g. ``{"from": "Potholes", "to": "Road surface"}``.
    data: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    public_objects = PublicUpdateManager()
    private_objects = models.Manager()

    class Meta:
        default_manager_name = "private_objects"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.request_id}"


def photo_path(instance: Photo, filename: str) -> str:
    return f"photos/{timezone.now():%Y/%m}/{filename}"


class PublicPhotoManager(models.Manager["Photo"]):
    def get_queryset(self) -> models.QuerySet[Photo]:
        return (
            super()
            .get_queryset()
            .filter(hidden=False, request__hidden=False, request__private=False)
        )


class Photo(models.Model):
    """A re-encoded photo: resized, stripped of metadata (EXIF GPS included)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="photos")
    update = models.ForeignKey(
        Update, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=300, blank=True)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    public_objects = PublicPhotoManager()
    private_objects = models.Manager()

    class Meta:
        default_manager_name = "private_objects"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Photo {self.pk} on #{self.request_id}"


class Supporter(models.Model):
    """A "me too": someone else with the same problem. Counted once per person."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="supporters")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="supported"
    )
    #: For a visitor who gave no email: a keyed hash of their browser session.
    session_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "person"],
                condition=models.Q(person__isnull=False),
                name="supporter_unique_person",
            ),
            models.UniqueConstraint(
                fields=["request", "session_hash"],
                condition=~models.Q(session_hash=""),
                name="supporter_unique_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Supporter of #{self.request_id}"


class RequestMerge(models.Model):
    """A duplicate merged into an original, with what moved, so the merge can be undone."""

    duplicate = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="merges_out")
    original = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="merges_in")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    #: The duplicate's status and closing time before the merge, restored by undoing it.
    previous_status = models.CharField(max_length=20, choices=Status.choices)
    previous_closed_at = models.DateTimeField(null=True, blank=True)
    #: Subscriptions and supporters moved to the original, and those removed because the
    #: person already followed or supported it: everything needed to put them back.
    moved: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.duplicate_id} merged into #{self.original_id}"


class CellCount(models.Model):
    """How many public requests of a category and status lie in an H3 cell: a map's rollup.

    One row per (resolution, cell, category, status) at each resolution of
    :data:`openlocal.requests.rollups.ROLLUP_RESOLUTIONS`, where ``cell`` is the parent at
    that resolution of each request's stored cell. Kept current by
    :func:`openlocal.requests.rollups.cell_counts_adjust` in the same transaction as every
    change to a request's category, status, visibility or location; a row whose requests
    have all gone stays with a count of 0 until the table is rebuilt.
    """

    resolution = models.PositiveSmallIntegerField()
    cell = models.BigIntegerField()
    #: Not indexed on its own: rows are read by cell, and categories are not deleted.
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    count = models.IntegerField(default=0)
    #: Sums of the requests' positions: their mean is where the cell's cluster is drawn.
    latitude_sum = models.FloatField(default=0.0)
    longitude_sum = models.FloatField(default=0.0)

    class Meta:
        # The unique index also serves look-ups by (resolution, cell): they are its prefix.
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", "cell", "category", "status"], name="cellcount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.status} in {self.cell:x}"
