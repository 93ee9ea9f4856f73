"""A private request is told to its reporter alone: followers of its area, category, body,
a drawn area or circle around it, other followers of the request itself and webhooks hear
nothing of it, even of a change recorded while it was still public."""

from __future__ import annotations

import pytest

from openlocal.requests.models import Status
from openlocal.requests.services import (
    person_for_email,
    request_category_change,
    request_create,
    request_status_change,
)
from openlocal.requests.tests.category_rules import rule_categories
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import Delivery, DeliveryStatus
from openlocal.subscriptions.services import endpoint_register, follow
from openlocal.subscriptions.targets import Target
from openlocal.subscriptions.testing import webhook_receiver

pytestmark = pytest.mark.django_db

REPORTER = "reporter@example.org"
TITLE = "Needles by the school gate c0de"


@pytest.fixture
def receiver():
    with webhook_receiver() as hooks:
        yield hooks


def broad_followers(place, category, hook_url: str) -> list[str]:
    """Someone following each broad target the point falls under, and a webhook; returns
    the emails."""
    lat, lon = place.west_point
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - 0.01, lat - 0.01],
                [lon + 0.01, lat - 0.01],
                [lon + 0.01, lat + 0.01],
                [lon - 0.01, lat + 0.01],
                [lon - 0.01, lat - 0.01],
            ]
        ],
    }
    targets = {
        "area@example.org": Target.for_area(place.west),
        "category@example.org": Target.for_category(category),
        "category-area@example.org": Target.for_category(category, area=place.west),
        "body@example.org": Target.for_body(place.west_council),
        "polygon@example.org": Target.for_polygon(square, label="Round the school"),
        "circle@example.org": Target.for_point(lat, lon, 500, label="Near the school"),
    }
    for email, target in targets.items():
        follow(target=target, email=email, confirmed=True)
    endpoint, _secret = endpoint_register(
        owner_email="hooks@example.org", url=hook_url, confirmed=True
    )
    for target in (Target.for_area(place.west), Target.for_category(category)):
        follow(target=target, endpoint=endpoint)
    return list(targets)


def test_only_the_reporter_hears_of_a_private_request(
    place, mailoutbox, receiver, django_capture_on_commit_callbacks
):
    rules = rule_categories(place)
    broad_followers(place, rules.needles, receiver.url("/hook"))
    # The same followers do hear of a public request there: the setup can fail.
    public = request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bin missed",
        description="Again.",
    )
    run_batch()
    assert {m.to[0] for m in mailoutbox} >= {"area@example.org", "polygon@example.org"}
    assert receiver.wait_for(1)
    mailoutbox.clear()
    receiver.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        private = request_create(
            category=rules.needles,
            latitude=place.west_point[0],
            longitude=place.west_point[1],
            title=TITLE,
            description="Three syringes.",
            reporter_email=REPORTER,
        )
    assert [m.to[0] for m in mailoutbox] == [REPORTER]  # the report confirmation
    mailoutbox.clear()
    run_batch()
    assert mailoutbox == []

    request_status_change(
        request=private,
        actor=place.west_manager,
        status=Status.IN_PROGRESS,
        message="Our sharps team is on the way.",
    )
    result = run_batch()

    assert [m.to[0] for m in mailoutbox] == [REPORTER]
    [update] = mailoutbox
    assert TITLE in update.subject
    assert f"/requests/{private.pk}/view/" in update.body
    assert result.sent == 1
    assert receiver.requests == []
    assert public.pk != private.pk


def test_a_change_told_while_public_is_withheld_once_the_request_is_private(
    place, mailoutbox, receiver
):
    rules = rule_categories(place)
    request = request_create(
        category=place.fly_tipping,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title=TITLE,
        description="A bag of syringes dumped in the lay-by.",
        reporter_email=REPORTER,
    )
    follow(
        target=Target.for_request(request),
        person=person_for_email("neighbour@example.org"),
        confirmed=True,
    )
    endpoint, _secret = endpoint_register(
        owner_email="hooks@example.org", url=receiver.url("/hook"), confirmed=True
    )
    follow(target=Target.for_request(request), endpoint=endpoint)
    run_batch()
    mailoutbox.clear()

    request_status_change(
        request=request, actor=place.west_manager, status=Status.ACKNOWLEDGED, message="Seen."
    )
    fan_out_pending()
    waiting = Delivery.objects.filter(status=DeliveryStatus.PENDING).count()
    assert waiting == 3  # the reporter, the neighbour and the webhook

    request_category_change(request=request, actor=place.west_manager, category=rules.needles)
    run_batch()

    assert [m.to[0] for m in mailoutbox] == [REPORTER]
    assert receiver.requests == []
    skipped = Delivery.objects.filter(status=DeliveryStatus.SKIPPED)
    assert skipped.count() == 2
    assert {d.last_error for d in skipped} == {
        "The request is private: only its reporter is told about it."
    }
