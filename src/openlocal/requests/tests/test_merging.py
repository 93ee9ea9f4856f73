"""Merging a duplicate into the request it duplicates: followers and supporters move, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openlocal.places.models import Membership, Role
from openlocal.requests.merging import request_merge, request_unmerge
from openlocal.requests.models import (
    Person,
    Request,
    RequestMerge,
    Status,
    Supporter,
    Update,
    UpdateKind,
)
from openlocal.requests.services import (
    person_for_email,
    request_create,
    request_hide,
    request_status_change,
    request_support,
    session_hash,
)
from openlocal.subscriptions.events import fan_out_pending
from openlocal.subscriptions.models import (
    Delivery,
    Event,
    EventKind,
    Subscription,
    WebhookEndpoint,
)
from openlocal.subscriptions.services import endpoint_disable, endpoint_register, follow
from openlocal.subscriptions.targets import Target


def report(place, title: str, *, north: float = 0.0, email: str = "") -> Request:
    return request_create(
        category=place.pothole,
        latitude=place.west_point[0] + north,
        longitude=place.west_point[1],
        title=title,
        description="A deep hole in the road.",
        answers={"depth": "deep"},
        reporter_email=email,
        notify=False,
    )


def person(email: str) -> Person:
    return Person.objects.get(email=email)


def follows(request: Request) -> set[str]:
    """Who follows the request: people by email, endpoints by URL."""
    return who(Subscription.objects.filter(target_key=f"request:{request.pk}"))


def who(subscriptions) -> set[str]:
    return {
        email or url for email, url in subscriptions.values_list("person__email", "endpoint__url")
    }


def supporters(request: Request) -> set[str]:
    return {
        s.person.email if s.person else s.session_hash
        for s in Supporter.objects.filter(request=request).select_related("person")
    }


def fresh(request: Request) -> Request:
    return Request.private_objects.get(pk=request.pk)


@dataclass
class Pair:
    original: Request
    duplicate: Request
    hook: WebhookEndpoint
    dead_hook: WebhookEndpoint


@pytest.fixture
def pair(place) -> Pair:
    """A is the first report; B is the same pothole reported again, each with a following."""
    a = report(place, "Pothole outside the school", email="ann@example.org")
    b = report(place, "Big hole by the school gate", north=0.0001, email="bob@example.org")
    for email, targets in {
        "only.a@example.org": [a],
        "only.b@example.org": [b],
        "both@example.org": [a, b],
    }.items():
        for request in targets:
            follow(target=Target.for_request(request), email=email, confirmed=True)
    follow(target=Target.for_request(b), email="waiting@example.org", notify=False)
    hook, _ = endpoint_register(
        owner_email="dev@example.org", url="https://hooks.example.org/in", confirmed=True
    )
    follow(target=Target.for_request(b), endpoint=hook)
    dead_hook, _ = endpoint_register(
        owner_email="dev@example.org", url="https://dead.example.org/in", confirmed=True
    )
    follow(target=Target.for_request(b), endpoint=dead_hook)
    endpoint_disable(endpoint=dead_hook, reason="Answered 500 too often", notify=False)

    request_support(request=b, person=person_for_email("sam@example.org"))
    request_support(request=b, person=person_for_email("both.support@example.org"))
    request_support(request=a, person=person_for_email("both.support@example.org"))
    request_support(request=b, session_key="browser-one")
    request_support(request=a, session_key="browser-one")
    request_support(request=b, session_key="browser-two")
    # A's reporter said "me too" on B: they cannot support their own report.
    request_support(request=b, person=person("ann@example.org"))
    return Pair(fresh(a), fresh(b), hook, dead_hook)


def test_merge_closes_the_duplicate_and_moves_followers_once_per_person(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    assert a.follower_count == 3 and b.follower_count == 4
    merge = request_merge(duplicate=b, into=a, actor=place.county_inspector)

    b, a = fresh(b), fresh(a)
    assert b.status == Status.DUPLICATE
    assert b.duplicate_of_id == a.pk
    assert b.closed_at is not None
    assert follows(b) == set()
    assert follows(a) == {
        "ann@example.org",
        "only.a@example.org",
        "both@example.org",
        "only.b@example.org",
        "bob@example.org",
        "waiting@example.org",
        "https://hooks.example.org/in",
        "https://dead.example.org/in",
    }
    # One subscription each, whoever followed both.
    assert Subscription.objects.filter(person=person("both@example.org")).count() == 1
    # Counted: confirmed people and live endpoints; not the one waiting, not the dead hook.
    assert (a.follower_count, b.follower_count) == (6, 0)
    assert merge.original_id == a.pk and merge.previous_status == Status.NEW


def test_merge_moves_supporters_once_and_the_reporter_becomes_one(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    assert (a.supporter_count, b.supporter_count) == (2, 5)
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    a, b = fresh(a), fresh(b)
    assert supporters(a) == {
        "sam@example.org",
        "both.support@example.org",
        session_hash("browser-one"),
        session_hash("browser-two"),
        # B's reporter has the same problem: that is demand on A.
        "bob@example.org",
    }
    assert supporters(b) == set()
    assert (a.supporter_count, b.supporter_count) == (5, 0)


def test_the_duplicates_reporter_does_not_support_when_they_reported_the_original(place) -> None:
    a = report(place, "Pothole", email="same@example.org")
    b = report(place, "Pothole again", email="same@example.org")
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    assert supporters(a) == set() and fresh(a).supporter_count == 0
    assert fresh(a).follower_count == 1


def test_both_timelines_say_so(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    request_merge(duplicate=b, into=a, actor=place.county_inspector, message="Same hole.")
    on_b = Update.public_objects.get(request=b, kind=UpdateKind.MERGED)
    on_a = Update.public_objects.get(request=a, kind=UpdateKind.MERGED)
    assert on_b.text == "Same hole."
    assert (on_b.old_status, on_b.new_status) == (Status.NEW, Status.DUPLICATE)
    assert on_b.author_name == "Ivy Inspector, Testshire County Council"
    assert f"#{b.pk}" in on_a.text


def test_each_moved_follower_is_told_once_and_nobody_else(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    moved = {
        s.pk
        for s in Subscription.objects.filter(target_key=f"request:{b.pk}")
        if s.person is None or s.person.email != "both@example.org"
    }
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    event = Event.objects.get(kind=EventKind.MERGED)
    assert event.request_id == b.pk
    assert event.payload["data"]["merged_into"]["id"] == a.pk
    assert event.fanned_out_at is not None
    told = list(Delivery.objects.filter(event=event).values_list("subscription_id", flat=True))
    assert len(told) == len(set(told)) == 3
    assert set(told) <= moved
    recipients = who(Subscription.objects.filter(pk__in=told))
    # Not the person waiting to confirm, not the disabled endpoint, not A's own followers.
    assert recipients == {"only.b@example.org", "bob@example.org", "https://hooks.example.org/in"}
    # The worker has nothing more to do for it.
    fan_out_pending()
    assert Delivery.objects.filter(event=event).count() == 3


def test_a_quiet_merge_tells_nobody(place, pair) -> None:
    request_merge(
        duplicate=pair.duplicate, into=pair.original, actor=place.county_inspector, notify=False
    )
    assert not Delivery.objects.exists()
    assert not Event.objects.filter(fanned_out_at__isnull=True, kind=EventKind.MERGED).exists()


def test_impossible_merges_are_refused_with_a_reason(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    inspector = place.county_inspector
    with pytest.raises(ValidationError, match="cannot be a duplicate of itself"):
        request_merge(duplicate=a, into=a, actor=inspector)
    request_merge(duplicate=b, into=a, actor=inspector)
    with pytest.raises(ValidationError, match=rf"#{b.pk} is already merged into #{a.pk}"):
        request_merge(duplicate=b, into=a, actor=inspector)
    c = report(place, "Third report")
    with pytest.raises(ValidationError, match=rf"Merge into #{a.pk} instead"):
        request_merge(duplicate=c, into=b, actor=inspector)
    manager = get_user_model().objects.create_user("boss@testshire.example", password="pw")
    Membership.objects.create(user=manager, body=place.county_council, role=Role.MANAGER)
    request_hide(request=a, actor=manager, reason="Abusive")
    with pytest.raises(ValidationError, match=rf"#{a.pk} is hidden"):
        request_merge(duplicate=c, into=a, actor=inspector)
    assert fresh(c).status == Status.NEW and fresh(c).duplicate_of_id is None
    assert RequestMerge.objects.count() == 1


def test_nothing_is_merged_into_a_private_request(place, pair) -> None:
    """Followers moved there could not see it: the merge is refused with the reason."""
    a, b = pair.original, pair.duplicate
    Request.private_objects.filter(pk=a.pk).update(private=True)
    with pytest.raises(ValidationError, match=rf"#{a.pk} is private"):
        request_merge(duplicate=b, into=fresh(a), actor=place.county_inspector)
    assert fresh(b).status == Status.NEW and fresh(b).duplicate_of_id is None
    assert not RequestMerge.objects.exists()


def test_viewers_and_other_bodies_staff_may_not_merge(place, pair) -> None:
    viewer = get_user_model().objects.create_user("viewer@testshire.example", password="pw")
    Membership.objects.create(user=viewer, body=place.county_council, role=Role.VIEWER)
    for actor in (viewer, place.west_manager, None):
        with pytest.raises(PermissionDenied):
            request_merge(duplicate=pair.duplicate, into=pair.original, actor=actor)
    assert fresh(pair.duplicate).status == Status.NEW
    assert not RequestMerge.objects.exists()


def test_undo_puts_the_duplicate_and_its_followers_back(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    followers_before = (follows(a), follows(b))
    supporters_before = (supporters(a), supporters(b))
    counts_before = (a.follower_count, b.follower_count, a.supporter_count, b.supporter_count)
    request_merge(duplicate=b, into=a, actor=place.county_inspector)

    # The caller's copy of B predates the merge: undo reads the request afresh.
    merge = request_unmerge(duplicate=b, actor=place.county_inspector)
    a, b = fresh(a), fresh(b)
    assert merge.undone_at is not None and merge.undone_by == place.county_inspector
    assert (b.status, b.duplicate_of_id, b.closed_at, b.acknowledged_at) == (
        Status.NEW,
        None,
        None,
        None,
    )
    assert (follows(a), follows(b)) == followers_before
    # A's reporter had said "me too" on B; that comes back too.
    assert (supporters(a), supporters(b)) == supporters_before
    assert (a.follower_count, b.follower_count, a.supporter_count, b.supporter_count) == (
        counts_before
    )
    both = person("both@example.org")
    assert Subscription.objects.filter(person=both).count() == 2
    restored = Subscription.objects.get(person=both, target_key=f"request:{b.pk}")
    assert restored.active and restored.request_id == b.pk
    waiting = Subscription.objects.get(person=person("waiting@example.org"))
    assert waiting.request_id == b.pk and not waiting.active

    unmerged = Event.objects.get(kind=EventKind.UNMERGED)
    assert unmerged.request_id == b.pk
    assert unmerged.payload["data"]["separated_from"]["id"] == a.pk
    texts = list(
        Update.public_objects.filter(kind=UpdateKind.MERGED).values_list("text", flat=True)
    )
    assert f"This request is no longer treated as a duplicate of #{a.pk}." in texts

    with pytest.raises(ValidationError, match=rf"#{b.pk} is not merged into another"):
        request_unmerge(duplicate=b, actor=place.county_inspector)


def test_undo_restores_a_closed_duplicate_as_it_was(place) -> None:
    a = report(place, "Pothole")
    b = report(place, "Pothole again")
    request_status_change(request=b, actor=place.county_inspector, status=Status.FIXED)
    closed = fresh(b)
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    assert fresh(b).closed_at == closed.closed_at
    request_unmerge(duplicate=b, actor=place.county_inspector)
    b = fresh(b)
    assert (b.status, b.closed_at, b.acknowledged_at) == (
        Status.FIXED,
        closed.closed_at,
        closed.acknowledged_at,
    )


def test_undo_needs_a_role_too(place, pair) -> None:
    request_merge(duplicate=pair.duplicate, into=pair.original, actor=place.county_inspector)
    with pytest.raises(PermissionDenied):
        request_unmerge(duplicate=pair.duplicate, actor=place.west_manager)
    assert fresh(pair.duplicate).status == Status.DUPLICATE


def test_a_merge_can_be_made_again_after_it_was_undone(place, pair) -> None:
    a, b = pair.original, pair.duplicate
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    request_unmerge(duplicate=b, actor=place.county_inspector)
    request_merge(duplicate=b, into=a, actor=place.county_inspector)
    a = fresh(a)
    assert fresh(b).status == Status.DUPLICATE
    assert (a.follower_count, a.supporter_count) == (6, 5)
    assert Subscription.objects.filter(person=person("both@example.org")).count() == 1


def test_a_backdated_merge_is_dated_when_it_happened(place) -> None:
    then = timezone.now() - timedelta(days=30)
    a = report(place, "Pothole")
    b = report(place, "Pothole again", email="bob@example.org")
    request_merge(duplicate=b, into=a, actor=place.county_inspector, at=then)
    b = fresh(b)
    assert b.updated_at == b.closed_at == b.acknowledged_at == then
    assert Supporter.objects.get(request=a).created_at == then
    assert Update.public_objects.get(request=a, kind=UpdateKind.MERGED).created_at == then
    # The original was updated after the merge's date: it keeps its later time.
    assert fresh(a).updated_at > then
