"""Following by email or webhook, stopping, and webhook endpoints with their delivery logs."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from openlocal.api import presenters
from openlocal.api.keys import SECURITY, check_write_limit, require_key
from openlocal.api.lookups import (
    area_named,
    asset_from_parts,
    body_named,
    category_named,
    clean_email,
    invalid,
)
from openlocal.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Order, link_header, paginate
from openlocal.api.problems import FORBIDDEN, NOT_FOUND, VALIDATION, Problem, field_errors
from openlocal.api.responses import errors
from openlocal.api.schemas import (
    AreaTarget,
    AssetTarget,
    BodyTarget,
    CategoryTarget,
    DeliveryOut,
    DeliveryPage,
    PointTarget,
    PolygonTarget,
    RequestTarget,
    SubscriptionAccepted,
    SubscriptionIn,
    WebhookCreated,
    WebhookIn,
)
from openlocal.apikeys.http import key_from_request
from openlocal.apikeys.models import ApiKey, Scope
from openlocal.requests.models import Request
from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Delivery, Subscription, SubscriptionSource
from openlocal.subscriptions.models import WebhookEndpoint as Endpoint
from openlocal.subscriptions.services import (
    endpoint_ping,
    endpoint_register,
    follow,
    subscription_stop,
)
from openlocal.subscriptions.targets import Target

router = Router(tags=["Following"])

DELIVERIES = Order("deliveries", "created_at", descending=True)


def target_for(
    target: RequestTarget
    | AssetTarget
    | AreaTarget
    | CategoryTarget
    | BodyTarget
    | PolygonTarget
    | PointTarget,
) -> Target:
    """The followable thing a target object names; a 422 problem when there is none."""
    try:
        if isinstance(target, RequestTarget):
            found = Request.public_objects.filter(pk=target.id).first()
            if found is None:
                raise invalid("body.target.id", f"There is no public request #{target.id}.")
            return Target.for_request(found)
        if isinstance(target, AssetTarget):
            return Target.for_asset(
                asset_from_parts(target.id, target.type, target.external_id, "body.target")
            )
        if isinstance(target, AreaTarget):
            return Target.for_area(area_named(target.slug, "body.target.slug"))
        if isinstance(target, CategoryTarget):
            category = category_named(target.code, "body.target.code")
            area = area_named(target.area, "body.target.area") if target.area else None
            return Target.for_category(category, area=area)
        if isinstance(target, BodyTarget):
            return Target.for_body(body_named(target.slug, "body.target.slug"))
        if isinstance(target, PolygonTarget):
            return Target.for_polygon(target.geometry)
        return Target.for_point(target.latitude, target.longitude, target.radius_m)
    except ValidationError as exc:
        errors_ = field_errors(exc, prefix="body.target")
        raise Problem(
            VALIDATION,
            " ".join(e["message"] for e in errors_),
            errors=errors_,
        ) from exc


def owner_email(key: ApiKey) -> str:
    """Webhook endpoints registered with a key belong to the key's contact email."""
    if not key.contact_email:
        raise Problem(
            FORBIDDEN,
            "This key has no contact email, which owns the webhook endpoints it registers. "
            "Ask the site's staff to create a key with one (create-api-key --contact EMAIL).",
        )
    return key.contact_email.strip().lower()


def owned_endpoint(key: ApiKey, pk: int) -> Endpoint:
    endpoint = None
    if 0 < pk < 2**63:
        endpoint = (
            Endpoint.objects.select_related("owner")
            .filter(pk=pk, owner__email=owner_email(key))
            .first()
        )
    if endpoint is None:
        raise Problem(NOT_FOUND, f"You have no webhook endpoint #{pk}.")
    return endpoint


@router.post(
    "/subscriptions",
    response={202: SubscriptionAccepted, **errors(400, 401, 403, 404, 422, 429)},
    summary="Follow something by email or webhook",
)
def subscription_new(request: HttpRequest, data: SubscriptionIn) -> Any:
    """Follow a request, asset, area, category (optionally in an area), body, drawn polygon
    or circle.

    By email: no key is needed; a confirmation link is sent and nothing else is sent until
    it is opened. By webhook: `endpoint` is one of your endpoints, and the key needs the
    `webhooks` scope.
    """
    if bool(data.email.strip()) == (data.endpoint is not None):
        raise invalid("body", "Give either an email address or a webhook endpoint, not both.")
    if data.endpoint is not None:
        key = require_key(request, Scope.WEBHOOKS)
        endpoint = owned_endpoint(key, data.endpoint)
        target = target_for(data.target)
        result = follow(target=target, endpoint=endpoint, source=SubscriptionSource.API)
        return Status(
            202,
            {
                "status": "active" if result.subscription.active else "confirmation_sent",
                "target": {"kind": target.kind, "label": target.label},
                "detail": f"Endpoint #{endpoint.pk} follows this.",
                "stop_token": tokens.stop_token(result.subscription.pk),
            },
        )
    email = clean_email(data.email, "body.email")
    check_write_limit(request, key_from_request(request))
    target = target_for(data.target)
    follow(target=target, email=email, channel=data.channel, source=SubscriptionSource.API)
    # The same answer whether or not the address already follows it: who follows what is
    # private.
    return Status(
        202,
        {
            "status": "confirmation_sent",
            "target": {"kind": target.kind, "label": target.label},
            "detail": "Unless this address already follows it, a link to confirm has been sent.",
            "stop_token": None,
        },
    )


@router.delete(
    "/subscriptions/{token}",
    response={204: None, **errors(404, 429)},
    summary="Stop a subscription",
)
def subscription_delete(request: HttpRequest, token: str) -> Any:
    """Stop with the token from an email's stop link (or from following by webhook)."""
    check_write_limit(request, key_from_request(request))
    try:
        pk = tokens.read(tokens.STOP, token)
    except tokens.BadToken as exc:
        raise Problem(NOT_FOUND, exc.reason) from exc
    subscription = Subscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise Problem(NOT_FOUND, "This subscription has already been deleted.")
    subscription_stop(subscription=subscription)
    return Status(204, None)


@router.post(
    "/webhooks",
    response={201: WebhookCreated, **errors(400, 401, 403, 422, 429)},
    summary="Register a webhook endpoint",
    openapi_extra={"security": SECURITY},
)
def webhook_new(request: HttpRequest, response: HttpResponse, data: WebhookIn) -> Any:
    """Register a URL to receive signed events (API key with the `webhooks` scope).

    The answer holds the signing secret, shown only this once. Then follow things with
    POST /subscriptions and `endpoint`.
    """
    key = require_key(request, Scope.WEBHOOKS)
    endpoint, secret = endpoint_register(
        owner_email=owner_email(key),
        url=data.url,
        description=data.description,
        confirmed=True,
    )
    response["Location"] = presenters.api_url(f"/webhooks/{endpoint.pk}/deliveries")
    return Status(201, {**presenters.webhook_out(endpoint), "secret": secret})


class DeliveryParams(Schema):
    cursor: Annotated[str, Field(max_length=200)] = ""
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.get(
    "/webhooks/{int:pk}/deliveries",
    response={200: DeliveryPage, **errors(401, 403, 404, 422)},
    summary="A webhook endpoint's delivery log",
    openapi_extra={"security": SECURITY},
)
def webhook_deliveries(
    request: HttpRequest, response: HttpResponse, pk: int, params: Query[DeliveryParams]
) -> dict[str, Any]:
    """What was sent to one of your endpoints, newest first, with each attempt's outcome."""
    key = require_key(request, Scope.WEBHOOKS, write=False)
    endpoint = owned_endpoint(key, pk)
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    page = paginate(request, deliveries, DELIVERIES, cursor=params.cursor, limit=params.limit)
    for name, value in link_header(page.next_url).items():
        response[name] = value
    return {"results": [presenters.delivery_out(d) for d in page.rows], "next": page.next_url}


@router.post(
    "/webhooks/{int:pk}/ping",
    response={202: DeliveryOut, **errors(401, 403, 404, 422, 429)},
    summary="Send a test ping to a webhook endpoint",
    openapi_extra={"security": SECURITY},
)
def webhook_ping(request: HttpRequest, pk: int) -> Any:
    """Queue a signed `ping` event to the endpoint; it shows in the delivery log."""
    key = require_key(request, Scope.WEBHOOKS)
    delivery = endpoint_ping(endpoint=owned_endpoint(key, pk))
    return Status(
        202, presenters.delivery_out(Delivery.objects.select_related("event").get(pk=delivery.pk))
    )
