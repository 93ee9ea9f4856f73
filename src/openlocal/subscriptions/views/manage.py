"""The preference centre: everything one person follows, reached by the link in every email."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlocal.requests.models import Person
from openlocal.subscriptions import tokens
from openlocal.subscriptions.forms import MANAGE_CHANNELS, ChannelForm
from openlocal.subscriptions.models import Channel, Subscription, WebhookEndpoint
from openlocal.subscriptions.services import (
    subscription_confirm,
    subscription_set_channel,
    subscription_stop_all,
)
from openlocal.subscriptions.views.common import bad_token, csrf_checked, private_page, target_url
from openlocal.web.views.public import render_page


class TokenProblem(Exception):
    """A manage link that is altered, forged or expired: carries the page to show."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("bad manage link")
        self.response = response


def person_for_token(request: HttpRequest, token: str) -> Person:
    """The person a manage link belongs to; :class:`TokenProblem` or Http404 otherwise."""
    try:
        pk = tokens.read(tokens.MANAGE, token)
    except tokens.BadToken as exc:
        raise TokenProblem(bad_token(request, exc)) from exc
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        raise Http404("No such person")
    return person


def manage_href(token: str) -> str:
    return reverse("subscriptions:manage", args=[token])


@dataclass(frozen=True)
class SubscriptionRow:
    id: int
    label: str
    url: str
    channel: str
    confirmed: bool
    state: str
    action: str


def _state(subscription: Subscription) -> str:
    if subscription.confirmed_at is None:
        return "Waiting for you to confirm by the link we emailed"
    if subscription.channel == Channel.OFF:
        return "Stopped"
    return str(subscription.get_channel_display())


@dataclass(frozen=True)
class EndpointRow:
    id: int
    url: str
    description: str
    state: str
    tag_class: str
    href: str


def endpoint_state(endpoint: WebhookEndpoint) -> tuple[str, str]:
    """A status word for an endpoint and the GOV.UK tag colour that goes with it."""
    if endpoint.disabled_at is not None:
        return "Disabled", "govuk-tag--red"
    if endpoint.confirmed_at is None:
        return "Waiting for confirmation", "govuk-tag--yellow"
    return "Active", "govuk-tag--green"


@private_page
@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person = person_for_token(request, token)
    except TokenProblem as problem:
        return problem.response
    subscriptions = (
        Subscription.objects.filter(person=person)
        .select_related("asset__asset_type", "area", "category", "body")
        .order_by("created_at", "id")
    )
    rows = [
        SubscriptionRow(
            id=s.pk,
            label=s.label,
            url=target_url(s),
            channel=s.channel,
            confirmed=s.confirmed_at is not None,
            state=_state(s),
            action=reverse("subscriptions:manage-subscription", args=[token, s.pk]),
        )
        for s in subscriptions
    ]
    endpoints = []
    for endpoint in WebhookEndpoint.objects.filter(owner=person).order_by("created_at", "id"):
        state, tag = endpoint_state(endpoint)
        endpoints.append(
            EndpointRow(
                id=endpoint.pk,
                url=endpoint.url,
                description=endpoint.description,
                state=state,
                tag_class=tag,
                href=reverse("subscriptions:endpoint", args=[token, endpoint.pk]),
            )
        )
    return render_page(
        request,
        "subscriptions/manage.html",
        {
            "person": person,
            "rows": rows,
            "any_on": any(r.confirmed and r.channel != Channel.OFF for r in rows),
            "endpoints": endpoints,
            "channels": MANAGE_CHANNELS,
            "token": token,
            "stop_all_action": reverse("subscriptions:manage-stop-all", args=[token]),
            "private": True,
        },
    )


@private_page
@csrf_checked
@require_POST
def manage_subscription(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """Change how one subscription is heard (now, digest, off) or stop it."""
    try:
        person = person_for_token(request, token)
    except TokenProblem as problem:
        return problem.response
    subscription = Subscription.objects.filter(person=person, pk=pk).first()
    if subscription is None:
        raise Http404("No such subscription")
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return render_page(
            request,
            "subscriptions/problem.html",
            {
                "title": "Choose how you want to hear",
                "paragraphs": [
                    "Nothing was changed. Choose email straight away, a daily "
                    "digest or off, then save."
                ],
                "back": manage_href(token),
                "private": True,
            },
            status=400,
        )
    channel = form.cleaned_data["channel"]
    confirmed_now = False
    if subscription.confirmed_at is None and channel != Channel.OFF:
        # The manage link reaches only the address's owner, as the confirmation link does.
        confirmed_now = subscription_confirm(subscription=subscription)
        subscription.refresh_from_db()
    changed = subscription_set_channel(subscription=subscription, channel=channel) or confirmed_now
    if channel == Channel.OFF:
        text = f"Stopped: {subscription.label}. You will get no more emails about it."
    elif changed:
        text = f"Saved: {subscription.label}: {subscription.get_channel_display().lower()}."
    else:
        text = f"No change: {subscription.label} was already set that way."
    messages.success(request, text)
    return redirect(manage_href(token))


@private_page
@csrf_checked
@require_POST
def manage_stop_all(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person = person_for_token(request, token)
    except TokenProblem as problem:
        return problem.response
    stopped = subscription_stop_all(person=person)
    if stopped:
        noun = "subscription" if stopped == 1 else "subscriptions"
        messages.success(request, f"Stopped {stopped} {noun}. You will get no more emails from us.")
    else:
        messages.success(request, "Everything was already stopped. You get no emails from us.")
    return redirect(manage_href(token))


@csrf_exempt
@private_page
@require_http_methods(["GET", "POST"])
def digest_stop(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click stop of a daily digest that covers several subscriptions.

    GET asks; POST turns every digest subscription of the person off at once. Like the
    single stop link, POST needs no CSRF token (RFC 8058: mail clients post
    ``List-Unsubscribe=One-Click`` straight here); the signed link is the proof, and it can
    only turn emails off.
    """
    try:
        person = person_for_token(request, token)
    except TokenProblem as problem:
        return problem.response
    digests = list(
        Subscription.objects.filter(person=person, channel=Channel.DIGEST).order_by("label")
    )
    context = {"subscriptions": digests, "manage_href": manage_href(token), "private": True}
    if request.method == "GET":
        return render_page(request, "subscriptions/digest_stop.html", context)
    for subscription in digests:
        subscription_set_channel(subscription=subscription, channel=Channel.OFF)
    return render_page(request, "subscriptions/digest_stopped.html", context)
