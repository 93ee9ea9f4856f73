"""Webhook endpoints: register, confirm (the secret is shown once), and manage each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from openlocal.requests.models import Person
from openlocal.subscriptions import tokens
from openlocal.subscriptions.forms import AreaTargetForm, EndpointForm, EndpointTargetForm
from openlocal.subscriptions.models import Delivery, DeliveryStatus, Subscription, WebhookEndpoint
from openlocal.subscriptions.services import (
    endpoint_confirm,
    endpoint_delete,
    endpoint_enable,
    endpoint_ping,
    endpoint_register,
    endpoint_rotate_secret,
    follow,
    subscription_delete,
)
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.views.common import (
    bad_token,
    csrf_checked,
    not_found,
    private_page,
    target_from_key,
    target_url,
)
from openlocal.subscriptions.views.follow import area_page, area_search, follow_rate
from openlocal.subscriptions.views.manage import (
    TokenProblem,
    endpoint_state,
    manage_href,
    person_for_token,
)
from openlocal.web.views.public import render_page
from openlocal.web.views.report import error_list

#: Deliveries shown in an endpoint's log, newest first.
DELIVERY_LOG_LIMIT = 50


# Registering and confirming ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=follow_rate, method="POST", block=True)
def endpoint_new(request: HttpRequest) -> HttpResponse:
    """Register an endpoint. Its owner confirms by email before anything is sent to it."""
    if request.method == "GET":
        return _new_page(request, EndpointForm())
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _new_page(request, form, status=400)
    try:
        endpoint_register(
            owner_email=form.cleaned_data["email"],
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return _new_page(request, form, status=400)
    return render_page(
        request,
        "subscriptions/endpoint_sent.html",
        {"email": form.cleaned_data["email"], "endpoint_url": form.cleaned_data["url"]},
    )


def _new_page(request: HttpRequest, form: EndpointForm, *, status: int = 200) -> HttpResponse:
    return render_page(
        request,
        "subscriptions/endpoint_new.html",
        {"form": form, "errors": error_list(form)},
        status=status,
    )


@private_page
@csrf_checked
@require_http_methods(["GET", "POST"])
def endpoint_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks the owner to confirm; POST confirms and shows the signing secret, once.

    Confirming takes a button press, not just opening the link, so that a mail scanner
    opening links in advance cannot use up the one showing of the secret.
    """
    try:
        pk = tokens.read(tokens.ENDPOINT_CONFIRM, token)
    except tokens.BadToken as exc:
        return bad_token(request, exc)
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
    if endpoint is None:
        return not_found(request, "This webhook endpoint no longer exists")
    manage = reverse(
        "subscriptions:endpoint", args=[tokens.manage_token(endpoint.owner_id), endpoint.pk]
    )
    context: dict[str, Any] = {"endpoint": endpoint, "manage": manage, "private": True}
    if request.method == "POST" and endpoint_confirm(endpoint=endpoint):
        endpoint.refresh_from_db()
        context.update(secret=endpoint.secret, confirmed_now=True)
        return render_page(request, "subscriptions/endpoint_secret.html", context)
    context["already"] = endpoint.confirmed_at is not None
    return render_page(request, "subscriptions/endpoint_confirm.html", context)


# Managing one endpoint (from the owner's preference centre link) --------------------------


def _endpoint(request: HttpRequest, token: str, pk: int) -> tuple[Person, WebhookEndpoint]:
    person = person_for_token(request, token)
    endpoint = WebhookEndpoint.objects.filter(owner=person, pk=pk).first()
    if endpoint is None:
        raise Http404("No such endpoint")
    return person, endpoint


def _endpoint_href(token: str, endpoint: WebhookEndpoint) -> str:
    return reverse("subscriptions:endpoint", args=[token, endpoint.pk])


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    created_at: datetime
    event: str
    event_kind: str
    status: str
    status_class: str
    attempts: int
    http_status: int | None
    last_error: str
    next_attempt: datetime | None


_STATUS_CLASSES: dict[str, str] = {
    DeliveryStatus.SENT: "govuk-tag--green",
    DeliveryStatus.FAILED: "govuk-tag--red",
    DeliveryStatus.PENDING: "govuk-tag--blue",
    DeliveryStatus.SKIPPED: "govuk-tag--grey",
}


def delivery_log(endpoint: WebhookEndpoint) -> list[DeliveryRow]:
    """The endpoint's latest deliveries, newest first: only this endpoint's, never another's."""
    deliveries = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-id")[:DELIVERY_LOG_LIMIT]
    )
    return [
        DeliveryRow(
            id=d.pk,
            created_at=d.created_at,
            event=str(d.event.get_kind_display()),
            event_kind=d.event.kind,
            status=str(d.get_status_display()),
            status_class=_STATUS_CLASSES.get(d.status, "govuk-tag--grey"),
            attempts=d.attempts,
            http_status=d.response_status,
            last_error=d.last_error,
            next_attempt=d.due_at if d.status == DeliveryStatus.PENDING else None,
        )
        for d in deliveries
    ]


def _detail_page(
    request: HttpRequest,
    token: str,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointTargetForm | None = None,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    state, tag = endpoint_state(endpoint)
    subscriptions = (
        Subscription.objects.filter(endpoint=endpoint)
        .select_related("asset__asset_type", "area", "category", "body")
        .order_by("created_at", "id")
    )
    href = _endpoint_href(token, endpoint)
    follows = [
        {
            "id": s.pk,
            "label": s.label,
            "key": s.target_key,
            "url": target_url(s),
            "remove": reverse("subscriptions:endpoint-unfollow", args=[token, endpoint.pk, s.pk]),
        }
        for s in subscriptions
    ]
    form = form or EndpointTargetForm()
    return render_page(
        request,
        "subscriptions/endpoint.html",
        {
            "endpoint": endpoint,
            "state": state,
            "tag_class": tag,
            "follows": follows,
            "deliveries": delivery_log(endpoint),
            "limit": DELIVERY_LOG_LIMIT,
            "form": form,
            "errors": errors if errors is not None else error_list(form),
            "href": href,
            "manage": manage_href(token),
            "token": token,
            "private": True,
        },
        status=status,
    )


@private_page
@require_http_methods(["GET"])
def endpoint_detail(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    return _detail_page(request, token, endpoint)


@private_page
@csrf_checked
@require_POST
def endpoint_follow(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """Add a target to the endpoint by its key."""
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    form = EndpointTargetForm(request.POST)
    if form.is_valid():
        try:
            target = target_from_key(form.cleaned_data["target"])
        except ValidationError as exc:
            form.add_error("target", exc.messages[0])
        except Http404:
            form.add_error("target", f"Nothing public has the key “{form.cleaned_data['target']}”.")
        else:
            result = follow(target=target, endpoint=endpoint)
            _followed_message(request, result.created, target)
            return redirect(_endpoint_href(token, endpoint))
    return _detail_page(request, token, endpoint, form=form, status=400)


def _followed_message(request: HttpRequest, created: bool, target: Target) -> None:
    if created:
        messages.success(request, f"Added: {target.label}.")
    else:
        messages.success(request, f"The endpoint already follows {target.label}.")


@private_page
@csrf_checked
@require_http_methods(["GET", "POST"])
def endpoint_follow_area(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """Add a point with a distance, or a drawn area, to the endpoint."""
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    action = reverse("subscriptions:endpoint-follow-area", args=[token, endpoint.pk])
    extra = {"endpoint": endpoint, "back": _endpoint_href(token, endpoint), "private": True}
    if request.method == "GET":
        search = area_search(request)
        form = AreaTargetForm(initial=search["initial"])
        return area_page(request, form, action=action, search=search, extra=extra)
    form = AreaTargetForm(request.POST)
    if not form.is_valid():
        empty: dict[str, Any] = {"query": "", "search_form": None, "choices": []}
        return area_page(request, form, action=action, search=empty, extra=extra, status=400)
    target: Target = form.cleaned_data["target"]
    result = follow(target=target, endpoint=endpoint)
    _followed_message(request, result.created, target)
    return redirect(_endpoint_href(token, endpoint))


@private_page
@csrf_checked
@require_POST
def endpoint_unfollow(request: HttpRequest, token: str, pk: int, sub: int) -> HttpResponse:
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    subscription = Subscription.objects.filter(endpoint=endpoint, pk=sub).first()
    if subscription is not None:
        subscription_delete(subscription=subscription)
        messages.success(request, f"Removed: {subscription.label}.")
    else:
        messages.success(request, "That was already removed.")
    return redirect(_endpoint_href(token, endpoint))


@private_page
@csrf_checked
@require_POST
def endpoint_ping_view(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    try:
        endpoint_ping(endpoint=endpoint)
    except ValidationError as exc:
        errors = [{"text": m, "href": "#ping"} for m in exc.messages]
        return _detail_page(request, token, endpoint, errors=errors, status=400)
    messages.success(
        request, "A test ping is on its way. It appears in the delivery log below once sent."
    )
    return redirect(_endpoint_href(token, endpoint) + "#deliveries")


@private_page
@csrf_checked
@require_POST
def endpoint_rotate(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """Replace the signing secret and show the new one, once."""
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    secret = endpoint_rotate_secret(endpoint=endpoint)
    return render_page(
        request,
        "subscriptions/endpoint_secret.html",
        {
            "endpoint": endpoint,
            "secret": secret,
            "rotated": True,
            "manage": _endpoint_href(token, endpoint),
            "private": True,
        },
    )


@private_page
@csrf_checked
@require_POST
def endpoint_enable_view(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    if endpoint_enable(endpoint=endpoint):
        messages.success(request, "The endpoint is back on. New events will be sent to it.")
    else:
        messages.success(request, "The endpoint was already on.")
    return redirect(_endpoint_href(token, endpoint))


@private_page
@csrf_checked
@require_http_methods(["GET", "POST"])
def endpoint_delete_view(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """GET asks "are you sure"; POST deletes the endpoint, its subscriptions and its log."""
    try:
        _person, endpoint = _endpoint(request, token, pk)
    except TokenProblem as problem:
        return problem.response
    if request.method == "GET":
        return render_page(
            request,
            "subscriptions/endpoint_delete.html",
            {
                "endpoint": endpoint,
                "back": _endpoint_href(token, endpoint),
                "action": reverse("subscriptions:endpoint-delete", args=[token, endpoint.pk]),
                "private": True,
            },
        )
    url = endpoint.url
    endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted the webhook endpoint {url}.")
    return redirect(manage_href(token))
