"""The preference centre: everything one person follows, by the link in every email."""

from __future__ import annotations

import pytest
from django.test import Client

from openlocal.requests.services import person_for_email
from openlocal.subscriptions import tokens
from openlocal.subscriptions.models import Channel, Subscription
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db


def _follows(place, email: str = "pat@example.org") -> list[Subscription]:
    targets = [
        Target.for_area(place.west),
        Target.for_category(place.pothole, area=place.east),
        Target.for_point(50.71, -3.52, 500),
    ]
    return [
        follow(target=t, email=email, confirmed=True, notify=False).subscription for t in targets
    ]


def _manage(person_id: int | None) -> str:
    assert person_id is not None
    return f"/subscriptions/manage/{tokens.manage_token(person_id)}"


def test_the_preference_centre_lists_everything_the_person_follows(client, place) -> None:
    mine = _follows(place)
    follow(target=Target.for_body(place.east_council), email="pat@example.org", notify=False)
    theirs = follow(
        target=Target.for_body(place.west_council),
        email="other@example.org",
        confirmed=True,
        notify=False,
    ).subscription
    endpoint, _secret = endpoint_register(
        owner_email="pat@example.org", url="http://127.0.0.1:9/hook"
    )
    response = client.get(_manage(mine[0].person_id))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "New requests in West Testshire",
        "New “Pothole” requests in East Testshire",
        "Within 500 m of 50.71000, -3.52000",
        "New requests to East Testshire District Council",
        "Waiting for you to confirm",
        "http://127.0.0.1:9/hook",
        "Waiting for confirmation",
        "pat@example.org",
    ):
        assert text in html, text
    assert theirs.label not in html
    assert "other@example.org" not in html
    assert 'href="/areas/west-testshire"' in html
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert 'name="robots" content="noindex' in html
    assert f"/webhooks/{endpoint.pk}" in html


def test_changing_the_channel(client, place) -> None:
    subscription = _follows(place)[0]
    manage = _manage(subscription.person_id)
    action = f"{manage}/subscriptions/{subscription.pk}"
    response = client.post(action, {"channel": "digest"}, follow=True)
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.channel == Channel.DIGEST
    assert response.redirect_chain[-1][0] == manage
    assert response["Cache-Control"] == "private, no-store"

    client.post(action, {"channel": "off"})
    subscription.refresh_from_db()
    assert subscription.channel == Channel.OFF
    assert not subscription.active

    client.post(action, {"channel": "immediate"})
    subscription.refresh_from_db()
    assert subscription.channel == Channel.IMMEDIATE
    assert subscription.active


def test_choosing_a_channel_from_the_manage_link_confirms(client, place) -> None:
    pending = follow(
        target=Target.for_area(place.east), email="pat@example.org", notify=False
    ).subscription
    client.post(f"{_manage(pending.person_id)}/subscriptions/{pending.pk}", {"channel": "digest"})
    pending.refresh_from_db()
    assert pending.active
    assert pending.channel == Channel.DIGEST


def test_a_channel_that_is_not_offered_changes_nothing(client, place) -> None:
    subscription = _follows(place)[0]
    response = client.post(
        f"{_manage(subscription.person_id)}/subscriptions/{subscription.pk}", {"channel": "webhook"}
    )
    assert response.status_code == 400
    assert "Choose how you want to hear" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.channel == Channel.IMMEDIATE


def test_stop_everything(client, place) -> None:
    subscriptions = _follows(place)
    response = client.post(f"{_manage(subscriptions[0].person_id)}/stop-everything", follow=True)
    assert "Stopped 3 subscriptions" in response.content.decode()
    assert all(
        s.channel == Channel.OFF
        for s in Subscription.objects.filter(person__subscriptions=subscriptions[0])
    )
    again = client.post(f"{_manage(subscriptions[0].person_id)}/stop-everything", follow=True)
    assert "Everything was already stopped" in again.content.decode()


def test_another_persons_subscription_cannot_be_changed_with_my_link(client, place) -> None:
    mine = _follows(place)[0]
    theirs = _follows(place, email="other@example.org")[0]
    response = client.post(
        f"{_manage(mine.person_id)}/subscriptions/{theirs.pk}", {"channel": "off"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.channel == Channel.IMMEDIATE


def test_a_bad_manage_link_gets_a_clear_page(client, place) -> None:
    person = person_for_email("pat@example.org")
    token = tokens.manage_token(person.pk)
    response = client.get(f"/subscriptions/manage/{token[:-4]}abcd")
    assert response.status_code == 400
    assert "link to your subscriptions is not valid" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    person.delete()
    response = client.get(f"/subscriptions/manage/{token}")
    assert response.status_code == 404


def test_forms_in_the_preference_centre_need_csrf(place) -> None:
    subscription = _follows(place)[0]
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        f"{_manage(subscription.person_id)}/subscriptions/{subscription.pk}", {"channel": "off"}
    )
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.channel == Channel.IMMEDIATE


def test_forms_work_under_no_referrer_where_browsers_send_a_null_origin(place) -> None:
    """Pages with ``Referrer-Policy: no-referrer`` make browsers post ``Origin: null``."""
    subscription = _follows(place)[0]
    browser = Client(enforce_csrf_checks=True)
    manage = _manage(subscription.person_id)
    page = browser.get(manage)
    token = page.cookies["csrftoken"].value
    response = browser.post(
        f"{manage}/subscriptions/{subscription.pk}",
        {"channel": "digest", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.channel == Channel.DIGEST
    # Without the form's token the same post is refused, and its page is private too.
    refused = browser.post(
        f"{manage}/subscriptions/{subscription.pk}", {"channel": "off"}, HTTP_ORIGIN="null"
    )
    assert refused.status_code == 403
    assert refused["Referrer-Policy"] == "no-referrer"
    subscription.refresh_from_db()
    assert subscription.channel == Channel.DIGEST
