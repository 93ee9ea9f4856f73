"""The JSON API's input and output schemas. Every field is listed: nothing private is here.

Outputs are built by the ``*_out`` functions in :mod:`openlocal.api.presenters` from rows
read through public querysets; inputs are checked here for shape and by the services for
meaning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openlocal.requests.models import QuestionDatatype, Source, Status, UpdateKind
from openlocal.subscriptions.models import DeliveryStatus, EventKind

StatusName = Status
UpdateKindName = UpdateKind
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class In(BaseModel):
    """Inputs reject fields they do not know, so a misspelt field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


# Problems ---------------------------------------------------------------------------------


class FieldError(BaseModel):
    field: str = Field(description="Where the error is, e.g. `body.latitude` or `query.bbox`.")
    message: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# Catalogue --------------------------------------------------------------------------------


class CategoryRef(BaseModel):
    code: str = Field(description="The Open311 service code.")
    slug: str
    name: str
    group: str


class BodyRef(BaseModel):
    slug: str
    name: str


class AreaRef(BaseModel):
    slug: str
    name: str
    kind: str
    code: str


class AssetRef(BaseModel):
    id: int
    type: str = Field(description="The asset type's slug.")
    external_id: str = Field(description="The asset's identity in its register.")
    name: str


class QuestionValue(BaseModel):
    key: str
    name: str


class QuestionOut(BaseModel):
    code: str
    label: str
    hint: str
    datatype: QuestionDatatype
    required: bool
    variable: bool = Field(description="False for information that takes no answer.")
    order: int
    values: list[QuestionValue]


class CategoryOut(CategoryRef):
    group_label: str
    description: str
    active: bool
    asset_types: list[str] = Field(
        description="Slugs of the asset types it is reported on: only assets of these types "
        "may be given with a report in it."
    )
    asset_required: bool
    duplicate_radius_m: int
    private: bool = Field(
        description="Requests in it are seen only by their reporter and staff: never in any "
        "list, map, feed or export. Tell the reporter before they send."
    )
    photo_required: bool = Field(
        description="A report needs at least one photo. This API takes no photos, so report "
        "these through Open311 with a `media` file, or on the website."
    )
    stop_notice: str | None = Field(
        description="When set, the category takes no reports: show this notice instead of a "
        "form (e.g. an emergency number to call). Reporting in it is refused."
    )
    service_level_days: int | None = Field(
        description="The days within which the body aims to fix a request, when it has a "
        "service level."
    )
    questions: list[QuestionOut]
    url: str


class BodyOut(BodyRef):
    kind: str
    kind_label: str
    website: str
    description: str
    areas: list[str] = Field(description="Slugs of the areas the body covers.")
    url: str


class AreaOut(AreaRef):
    parent: str | None = Field(description="The slug of the enclosing area.")
    bbox: list[float] = Field(description="min longitude, min latitude, max longitude, max lat.")
    centre: list[float] = Field(description="longitude, latitude")
    geometry: dict[str, Any] | None = Field(
        description="The boundary as a GeoJSON geometry, simplified to about 10 m "
        "(absent with geometry=false)."
    )
    url: str


class AssetOut(AssetRef):
    type_name: str
    latitude: float
    longitude: float
    body: str | None = Field(description="The slug of the body responsible for it.")
    attributes: dict[str, Any]
    request_count: int = Field(description="Public requests made about it.")
    requests: str = Field(description="Its request history in this API.")
    url: str


class CategoryList(BaseModel):
    results: list[CategoryOut]


class BodyList(BaseModel):
    results: list[BodyOut]


class AreaPage(BaseModel):
    results: list[AreaOut]
    next: str | None


class AssetPage(BaseModel):
    results: list[AssetOut]
    next: str | None


# Requests ---------------------------------------------------------------------------------


class RequestOut(BaseModel):
    id: int
    url: str = Field(description="The request's public page.")
    private: bool = Field(
        description="In a private category: only ever true in the answer to the report that "
        "made it. Nobody but its reporter (through the link emailed to them) and staff can "
        "see it; everywhere else it answers 404."
    )
    title: str
    description: str
    status: StatusName
    status_label: str
    open: bool
    category: CategoryRef
    body: BodyRef
    latitude: float
    longitude: float
    address: str
    asset: AssetRef | None
    answers: dict[str, Any] = Field(description="Answers to the category's questions.")
    reporter_name: str | None = Field(description="Only when the reporter chose to show it.")
    supporter_count: int
    follower_count: int
    duplicate_of: int | None
    source: Source
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class PhotoOut(BaseModel):
    url: str
    width: int
    height: int
    alt_text: str


class TimelineEntry(BaseModel):
    id: int
    kind: UpdateKindName
    text: str
    old_status: StatusName | None
    new_status: StatusName | None
    author: str | None = Field(description="The body or public name that posted it.")
    data: dict[str, Any]
    created_at: datetime


class RequestDetail(RequestOut):
    areas: list[AreaRef]
    photos: list[PhotoOut]
    duplicates: list[int] = Field(description="Public requests merged into this one.")
    timeline: list[TimelineEntry]


class RequestPage(BaseModel):
    results: list[RequestOut]
    next: str | None = Field(description="The next page, or null on the last.")


class SimilarOut(BaseModel):
    request: RequestOut
    distance_m: float
    same_asset: bool
    similarity: float = Field(description="0–1: how much of the wording is shared.")
    score: float


class SimilarList(BaseModel):
    results: list[SimilarOut]


class AssetIn(In):
    """An asset by its id, or by its type's slug and its register reference."""

    id: Id | None = None
    type: Annotated[str, Field(max_length=100)] | None = None
    external_id: Annotated[str, Field(max_length=100)] | None = None


Answer = str | int | float | list[str]


class RequestIn(In):
    category: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="The category's service code or slug."
    )
    latitude: Latitude
    longitude: Longitude
    title: Annotated[str, Field(min_length=1, max_length=120)]
    description: Annotated[str, Field(min_length=1, max_length=5000)]
    asset: AssetIn | None = None
    answers: dict[Annotated[str, Field(max_length=64)], Answer] = Field(default_factory=dict)
    address: Annotated[str, Field(max_length=300)] = ""
    email: Annotated[str, Field(max_length=254)] = Field(
        default="", description="The reporter's email (private): they follow the request."
    )
    name: Annotated[str, Field(max_length=120)] = ""
    name_public: bool = Field(default=False, description="Show the name on the request.")
    external_id: Annotated[str, Field(max_length=100)] = Field(
        default="", description="Your system's reference for the request."
    )


class RequestCreated(BaseModel):
    request: RequestDetail
    similar: list[SimilarOut] = Field(
        description="Other open requests that may be the same problem: offer them to the "
        "reporter to support instead."
    )


class SupportIn(In):
    email: Annotated[str, Field(max_length=254)] = Field(
        default="",
        description="The supporter's email (private). Without it the support is counted once "
        "per API key. With it the person is counted once and is sent a link to follow.",
    )


class SupportOut(BaseModel):
    counted: bool = Field(description="False when this supporter had already said so.")
    supporter_count: int
    follow_confirmation_sent: bool


class StaffUpdateIn(In):
    status: StatusName | None = Field(default=None, description="A new status.")
    message: Annotated[str, Field(max_length=5000)] = Field(
        default="", description="A public message (with or without a status)."
    )
    note: Annotated[str, Field(max_length=5000)] = Field(
        default="", description="An internal note: seen by staff only, never public."
    )


class StaffUpdateOut(BaseModel):
    id: int
    kind: UpdateKindName
    public: bool
    text: str
    old_status: StatusName | None
    new_status: StatusName | None
    created_at: datetime


class StaffUpdateList(BaseModel):
    request: RequestOut
    updates: list[StaffUpdateOut]


class MergeIn(In):
    into: Id = Field(description="The request this one duplicates.")
    message: Annotated[str, Field(max_length=5000)] = ""


class MergeOut(BaseModel):
    duplicate: RequestOut
    into: RequestOut


PriorityName = Literal["low", "normal", "high", "urgent"]


class TriageIn(In):
    """Leave a field out to keep it as it is; a value it already has changes nothing."""

    priority: PriorityName | None = Field(default=None, description="How urgent it is.")
    assigned_to: Annotated[str, Field(max_length=254)] | None = Field(
        default=None,
        description="The email address (or username) of the member of staff to work on it "
        "(an inspector, manager or administrator of its body), or null for nobody. A key acts "
        "through its own staff identity, an inspector, which may assign a request only to "
        "itself (its username is in `assigned_to` once it has one) or give it back, unless "
        "the body's administrators made it a manager.",
    )
    due_at: datetime | None = Field(
        default=None,
        description="When it should be fixed by, overriding the category's service level, or "
        "null for no due date. Needs the manager role.",
    )


class TriageOut(BaseModel):
    """Staff only: the assignee is never in a public answer."""

    request: RequestOut
    priority: PriorityName
    assigned_to: str | None = Field(
        description="The assignee's email address (a key's own identity: its username), or null."
    )
    due_at: datetime | None
    updates: list[StaffUpdateOut] = Field(
        description="The internal timeline entries the changes wrote (none when nothing changed)."
    )


# Subscriptions and webhooks ---------------------------------------------------------------


class RequestTarget(In):
    kind: Literal["request"]
    id: Id


class AssetTarget(In):
    kind: Literal["asset"]
    id: Id | None = None
    type: Annotated[str, Field(max_length=100)] | None = None
    external_id: Annotated[str, Field(max_length=100)] | None = None


class AreaTarget(In):
    kind: Literal["area"]
    slug: Annotated[str, Field(max_length=120)]


class CategoryTarget(In):
    kind: Literal["category"]
    code: Annotated[str, Field(max_length=100)] = Field(description="Service code or slug.")
    area: Annotated[str, Field(max_length=120)] | None = Field(
        default=None, description="Only requests in this area (slug)."
    )


class BodyTarget(In):
    kind: Literal["body"]
    slug: Annotated[str, Field(max_length=100)]


class PolygonTarget(In):
    kind: Literal["polygon"]
    geometry: dict[str, Any] = Field(description="A GeoJSON Polygon or MultiPolygon.")


class PointTarget(In):
    kind: Literal["point"]
    latitude: Latitude
    longitude: Longitude
    radius_m: Annotated[int, Field(ge=1, le=100_000)]


TargetIn = Annotated[
    RequestTarget
    | AssetTarget
    | AreaTarget
    | CategoryTarget
    | BodyTarget
    | PolygonTarget
    | PointTarget,
    Field(discriminator="kind"),
]


class SubscriptionIn(In):
    target: TargetIn
    email: Annotated[str, Field(max_length=254)] = Field(
        default="", description="Follow by email: a confirmation link is sent to it."
    )
    channel: Literal["immediate", "digest"] = "immediate"
    endpoint: Id | None = Field(
        default=None,
        description="Follow by webhook: one of your endpoints (needs the webhooks scope).",
    )


class TargetOut(BaseModel):
    kind: str
    label: str


class SubscriptionAccepted(BaseModel):
    status: Literal["confirmation_sent", "active"]
    target: TargetOut
    detail: str
    stop_token: str | None = Field(
        description="For webhook subscriptions: DELETE /subscriptions/{stop_token} stops it. "
        "Email subscriptions get theirs by email."
    )


class WebhookIn(In):
    url: Annotated[str, Field(min_length=1, max_length=500)]
    description: Annotated[str, Field(max_length=200)] = ""


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    active: bool
    disabled_reason: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret. Shown only now: keep it.")


class DeliveryOut(BaseModel):
    id: int
    event_type: EventKind
    request: int | None
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    results: list[DeliveryOut]
    next: str | None


# GeoJSON ----------------------------------------------------------------------------------


class PointGeometry(BaseModel):
    type: Literal["Point"]
    coordinates: list[float]


class FeatureProperties(BaseModel):
    cluster: bool
    count: int = Field(description="Requests in the feature: 1, or the cluster's size.")
    id: int | None = None
    title: str | None = None
    status: StatusName | None = None
    open: bool | None = None
    category: str | None = Field(default=None, description="Service code.")
    url: str | None = None
    cell: str | None = Field(default=None, description="The cluster's H3 cell.")


class Feature(BaseModel):
    type: Literal["Feature"]
    geometry: PointGeometry
    properties: FeatureProperties


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    clustered: bool
    total: int = Field(description="Requests in the box.")
