"""Merging a duplicate from the workspace, and undoing it: choose, check, confirm, undo."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.places.models import Role
from openlocal.requests.models import Request, Status, Supporter
from openlocal.requests.services import person_for_email, request_support
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import Delivery, EventKind, Subscription
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def followers(request: Request) -> set[str]:
    return set(
        Subscription.objects.filter(target_key=f"request:{request.pk}").values_list(
            "person__email", flat=True
        )
    )


@pytest.fixture
def pair(place, make_request):
    """A (the original) and B (a later report of the same pothole), with their people.

    Both reporters follow their own request. Fay follows both; Gus follows only B. A browser
    session says "me too" on both; Hal supports only B.
    """
    a = make_request(title="Pothole at the school gates", reporter_email="ann@example.org")
    b = make_request(
        title="Hole by the school",
        point=(50.70005, -3.55),
        reporter_email="bob@example.org",
    )
    for request in (a, b):
        follow(target=Target.for_request(request), email="fay@example.org", confirmed=True)
        request_support(request=request, session_key="browser-1")
    follow(target=Target.for_request(b), email="gus@example.org", confirmed=True)
    request_support(request=b, person=person_for_email("hal@example.org"))
    for request in (a, b):
        request.refresh_from_db()
    return a, b


def test_the_workspace_suggests_the_original(client: Client, place, pair) -> None:
    a, b = pair
    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:request", args=[b.pk])).content.decode()
    assert "Merge into another request" in html
    assert f'href="{reverse("staff:request_merge", args=[b.pk])}?into={a.pk}"' in html
    assert f"Merge into request {a.pk}: Pothole at the school gates" in html
    # Not itself.
    assert f"?into={b.pk}" not in html


def test_check_then_merge_then_undo(client: Client, place, pair) -> None:
    a, b = pair
    client.force_login(place.county_inspector)
    check = client.get(reverse("staff:request_merge", args=[b.pk]), {"into": f"#{a.pk}"})
    assert check.status_code == 200
    body = text(check)
    assert "Check before merging" in body
    assert "Pothole at the school gates" in body and "Hole by the school" in body
    # Gus and Bob move; Fay already follows A. Hal moves; the browser already supports A.
    assert f"2 followers will move to request {a.pk}" in body
    assert f"1 supporter will move to request {a.pk}" in body
    assert "1 follower and 1 supporter already follow or support" in body
    assert f"The reporter becomes a supporter of request {a.pk}" in body
    b.refresh_from_db()
    assert b.status == Status.NEW  # nothing changes before the confirmation

    response = client.post(
        reverse("staff:request_merge", args=[b.pk]), {"into": str(a.pk), "message": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:request", args=[b.pk])
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.status == Status.DUPLICATE and b.duplicate_of_id == a.pk
    assert followers(a) == {
        "ann@example.org",
        "bob@example.org",
        "fay@example.org",
        "gus@example.org",
    }
    assert followers(b) == set()
    assert (a.follower_count, b.follower_count) == (4, 0)
    # The browser once, Hal, and Bob (B's reporter has the problem too).
    assert Supporter.objects.filter(request=a).count() == 3
    assert (a.supporter_count, b.supporter_count) == (3, 0)
    workspace = client.get(response["Location"]).content.decode()
    assert f"is now a duplicate of request {a.pk}" in workspace
    assert f"Merged into request {a.pk} as a duplicate" in workspace
    assert "Undo merge" in workspace
    a_workspace = client.get(reverse("staff:request", args=[a.pk])).content.decode()
    assert f"Request {b.pk} merged into this one" in a_workspace

    # Each moved follower is told once where their request went; nobody else is told.
    fan_out_pending()
    fan_out_pending()
    told = Delivery.objects.filter(event__kind=EventKind.MERGED, event__request=b)
    assert sorted(told.values_list("subscription__person__email", flat=True)) == [
        "bob@example.org",
        "gus@example.org",
    ]

    response = client.post(reverse("staff:request_unmerge", args=[b.pk]))
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.status == Status.NEW and b.duplicate_of_id is None
    assert followers(b) == {"bob@example.org", "fay@example.org", "gus@example.org"}
    assert followers(a) == {"ann@example.org", "fay@example.org"}
    assert (a.follower_count, b.follower_count) == (2, 3)
    assert (a.supporter_count, b.supporter_count) == (1, 2)
    workspace = client.get(response["Location"]).content.decode()
    assert "Merge undone" in workspace
    assert "Merge into another request" in workspace


@pytest.mark.parametrize(
    ("into", "message"),
    [
        ("", "Enter the number of the request this one duplicates"),
        ("twelve", "Enter a request number, like 1234"),
        ("999999", "There is no public request 999999. Check the number."),
        ("self", "A request cannot be a duplicate of itself."),
    ],
)
def test_bad_numbers_are_explained(client: Client, place, pair, into, message) -> None:
    _a, b = pair
    client.force_login(place.county_inspector)
    value = str(b.pk) if into == "self" else into
    response = client.post(reverse("staff:request_merge", args=[b.pk]), {"into": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert 'href="#merge-into"' in html
    b.refresh_from_db()
    assert b.status == Status.NEW


def test_merging_into_a_duplicate_names_its_original(client: Client, place, pair, make_request):
    a, b = pair
    c = make_request(title="A third report")
    client.force_login(place.county_inspector)
    client.post(reverse("staff:request_merge", args=[b.pk]), {"into": str(a.pk)})
    response = client.post(reverse("staff:request_merge", args=[c.pk]), {"into": str(b.pk)})
    assert response.status_code == 400
    assert f"Merge into #{a.pk} instead." in response.content.decode()
    # An already merged request is not offered the merge again.
    page = client.get(reverse("staff:request_merge", args=[b.pk]), {"into": str(c.pk)})
    assert "undo that merge first" in text(page)


def test_undo_of_a_request_not_merged_is_refused_clearly(client: Client, place, pair) -> None:
    _a, b = pair
    client.force_login(place.county_inspector)
    response = client.post(reverse("staff:request_unmerge", args=[b.pk]))
    assert response.status_code == 400
    assert f"Request #{b.pk} is not merged into another." in response.content.decode()


def test_a_viewer_sees_no_merge_and_cannot_merge(client: Client, place, pair, staff_user):
    a, b = pair
    client.force_login(staff_user("viewer", Role.VIEWER))
    html = client.get(reverse("staff:request", args=[b.pk])).content.decode()
    assert "Merge into another request" not in html
    assert reverse("staff:request_merge", args=[b.pk]) not in html
    assert (
        client.post(reverse("staff:request_merge", args=[b.pk]), {"into": a.pk}).status_code == 403
    )
    b.refresh_from_db()
    assert b.duplicate_of_id is None
