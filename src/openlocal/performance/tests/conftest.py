"""A hand-built set of requests in Testshire whose figures are worked out by hand.

Months are calendar months in the site's time zone. "This month" (``M``) is last month, so
that everything in it has happened; ``P`` is the month before. Times are exact durations
(added in UTC), so they do not shift by an hour across a change of the clocks.

In ``M``, to Testshire County Council:

====  ===========  ======  =====================  =============================  ==========
name  category     where   made                   acknowledged after             fixed after
====  ===========  ======  =====================  =============================  ==========
A     pothole      west    day 3, 09:00           6 hours                        2 days
B     pothole      west    day 4, 09:00           1 day                          8 days (late)
C     pothole      west    day 5, 09:00           2 hours                        4 days
D     pothole      west    day 6, 09:00           1 hour (investigating)         open
E     streetlight  east    day 7, 09:00           10 days (on fixing)            10 days
G     pothole      west    P, two days before M   3 hours (in P)                 3 days, in M
H     pothole      west    day 8: hidden by a moderator, in no figure
X     abuse        west    day 9: a private category, in no figure
====  ===========  ======  =====================  =============================  ==========

Potholes have a service level of 5 days; street lights none. A has two "me too"s and B one;
everyone who reported gave an email, so each request has one follower (its reporter).
West Testshire District Council has F (missed bin, day 3, acknowledged after 3 hours, closed
as not fixed). East Testshire District Council has five open fly-tipping requests (service
level 7 days) made 2, 10, 40, 100 and 400 days ago: one in each age band, four overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from openlocal.requests.models import Category, CategoryGroup, Request, RoutingRule, Status
from openlocal.requests.services import (
    request_create,
    request_hide,
    request_status_change,
    request_support,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Scenario:
    place: object
    month: date
    previous: date
    requests: dict[str, Request]
    abuse: Category
    moderator: object
    #: Every reporter's email, none of which may appear in public.
    emails: list[str]
    #: Text of the hidden and private requests, which may not appear either.
    secrets: list[str]


def first_of_last_month() -> date:
    today = timezone.localdate()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def at(month: date, day: int, hour: int = 9) -> datetime:
    """A local time in ``month``, as an instant in UTC (so durations added are exact)."""
    local = timezone.make_aware(datetime(month.year, month.month, day, hour))
    return local.astimezone(UTC)


def made(place, category, point, when, name, *, email=True, **extra) -> Request:
    return request_create(
        category=category,
        latitude=point[0],
        longitude=point[1],
        title=f"Request {name}: {extra.pop('title', 'a problem')}",
        description=extra.pop("description", f"The description of request {name}."),
        reporter_email=f"reporter-{name.lower()}@example.org" if email else "",
        reporter_name=f"Reporter {name}",
        answers={"depth": "deep"} if category.slug == "pothole" else {},
        created_at=when,
        notify=False,
    )


def moved(request: Request, status: str, when: datetime) -> None:
    request.refresh_from_db()
    request_status_change(
        request=request,
        actor=None,
        status=status,
        at=when,
        check_permission=False,
        notify=False,
    )


@pytest.fixture
def scenario(place) -> Scenario:
    month = first_of_last_month()
    previous = (
        date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)
    )
    place.pothole.service_level_days = 5
    place.pothole.save()
    place.fly_tipping.service_level_days = 7
    place.fly_tipping.save()
    abuse = Category.objects.create(
        name="Abusive behaviour",
        slug="abuse",
        service_code="ABU",
        group=CategoryGroup.OTHER,
        private=True,
    )
    RoutingRule.objects.create(category=abuse, area=place.county, body=place.county_council)
    moderator = get_user_model().objects.create_superuser(
        "moderator@testshire.example", email="moderator@testshire.example", password="pw"
    )
    west, east = place.west_point, place.east_point
    r: dict[str, Request] = {}

    def fixed(name, category, point, when, acknowledge, fix, status=Status.ACKNOWLEDGED):
        r[name] = made(place, category, point, when, name)
        if acknowledge is not None and acknowledge != fix:
            moved(r[name], status, when + acknowledge)
        if fix is not None:
            moved(r[name], Status.FIXED, when + fix)

    fixed("A", place.pothole, west, at(month, 3), 6 * HOUR, 2 * DAY)
    fixed("B", place.pothole, west, at(month, 4), DAY, 8 * DAY)
    fixed("C", place.pothole, west, at(month, 5), 2 * HOUR, 4 * DAY)
    fixed("D", place.pothole, west, at(month, 6), HOUR, None, Status.INVESTIGATING)
    fixed("E", place.streetlight, east, at(month, 7), 10 * DAY, 10 * DAY)
    fixed("G", place.pothole, west, at(month, 1) - 2 * DAY, 3 * HOUR, 3 * DAY)
    fixed("H", place.pothole, west, at(month, 8), HOUR, DAY)
    r["H"].refresh_from_db()
    request_hide(request=r["H"], actor=moderator, reason="Names a neighbour")
    fixed("X", abuse, west, at(month, 9), HOUR, DAY)
    r["F"] = made(place, place.missed_bin, west, at(month, 3), "F")
    moved(r["F"], Status.ACKNOWLEDGED, at(month, 3) + 3 * HOUR)
    moved(r["F"], Status.NOT_FIXED, at(month, 5))
    request_support(request=r["A"], session_key="first-neighbour")
    request_support(request=r["A"], session_key="second-neighbour")
    request_support(request=r["B"], session_key="first-neighbour")
    now = timezone.now()
    for days in (2, 10, 40, 100, 400):
        name = f"T{days}"
        r[name] = made(place, place.fly_tipping, east, now - days * DAY, name)
    return Scenario(
        place=place,
        month=month,
        previous=previous,
        requests=r,
        abuse=abuse,
        moderator=moderator,
        emails=[f"reporter-{name.lower()}@example.org" for name in r]
        + ["moderator@testshire.example", "inspector@testshire.example"],
        secrets=[
            r["H"].title,
            r["H"].description,
            r["X"].title,
            r["X"].description,
            "Names a neighbour",
        ],
    )
