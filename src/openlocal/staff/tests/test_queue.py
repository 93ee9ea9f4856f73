"""The queue: only the user's bodies' requests, filtered and sorted."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from openlocal.places.models import Role
from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_hide, request_status_change, request_support

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[int]:
    """The request numbers in the queue table, in order."""
    return [int(n) for n in re.findall(r'href="/staff/requests/(\d+)"', html)]


def test_west_manager_does_not_see_county_potholes(client: Client, place, make_request) -> None:
    pothole = make_request(title="Crater by the church")
    west_bin = make_request(category=place.missed_bin, title="Bin missed in the west")
    east_bin = make_request(
        category=place.missed_bin, point=place.east_point, title="Bin missed in the east"
    )
    client.force_login(place.west_manager)
    html = client.get(reverse("staff:queue")).content.decode()
    assert numbers(html) == [west_bin.pk]
    assert pothole.title not in html
    assert east_bin.title not in html

    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:queue")).content.decode()
    assert numbers(html) == [pothole.pk]


def test_queue_is_a_table_with_the_triage_columns(client: Client, place, make_request) -> None:
    request = make_request(days_old=12)
    request_support(request=request, session_key="abc")
    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:queue")).content.decode()
    assert "<caption" in html
    for heading in ("Number", "Title", "Category", "Status", "Area", "Age", "Supporters"):
        assert f">{heading}</th>" in html
    assert "12 days" in html
    assert "West Testshire" in html  # the smallest area, not the county
    assert "Pothole" in html
    assert '<strong class="govuk-tag govuk-tag--blue">\n  New' in html


def test_hidden_requests_are_in_the_queue_marked_hidden(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    manager = staff_user("boss", Role.MANAGER)
    request_hide(request=request, actor=manager, reason="Abusive")
    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:queue")).content.decode()
    assert numbers(html) == [request.pk]
    assert "Hidden" in html


def test_status_filter_defaults_to_open(client: Client, place, make_request) -> None:
    open_one = make_request(title="Open one")
    fixed = make_request(title="Fixed one")
    request_status_change(request=fixed, actor=place.county_inspector, status=Status.FIXED)
    client.force_login(place.county_inspector)
    url = reverse("staff:queue")
    assert numbers(client.get(url).content.decode()) == [open_one.pk]
    assert numbers(client.get(url, {"status": "closed"}).content.decode()) == [fixed.pk]
    assert numbers(client.get(url, {"status": "fixed"}).content.decode()) == [fixed.pk]
    assert numbers(client.get(url, {"status": "new"}).content.decode()) == [open_one.pk]
    assert sorted(numbers(client.get(url, {"status": "any"}).content.decode())) == sorted(
        [open_one.pk, fixed.pk]
    )


def test_counts_per_status_link_to_the_filter(client: Client, place, make_request) -> None:
    make_request()
    make_request()
    fixed = make_request()
    request_status_change(request=fixed, actor=place.county_inspector, status=Status.FIXED)
    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:queue")).content.decode()
    assert "Open: 2" in html
    assert "New: 2" in html
    assert "Closed: 1" in html
    assert 'href="?status=fixed"' in html


def test_filters_by_category_area_and_text(client: Client, place, make_request, staff_user) -> None:
    admin = staff_user("admin", Role.ADMINISTRATOR)
    west = make_request(title="Crater on Mill Lane")
    east = make_request(point=place.east_point, title="Sunken drain cover")
    light = make_request(category=place.streetlight, title="Lamp flickering")
    client.force_login(admin)
    url = reverse("staff:queue")
    html = client.get(url, {"category": place.streetlight.pk}).content.decode()
    assert numbers(html) == [light.pk]
    html = client.get(url, {"area": place.east.pk}).content.decode()
    assert numbers(html) == [east.pk]
    html = client.get(url, {"q": "mill lane"}).content.decode()
    assert numbers(html) == [west.pk]
    html = client.get(url, {"q": f"#{light.pk}"}).content.decode()
    assert numbers(html) == [light.pk]


def test_body_filter_for_someone_in_several_bodies(
    client: Client, place, make_request, staff_user
) -> None:
    person = staff_user("both", Role.VIEWER, place.county_council)
    person.memberships.create(body=place.west_council, role="viewer")
    pothole = make_request()
    west_bin = make_request(category=place.missed_bin)
    client.force_login(person)
    url = reverse("staff:queue")
    html = client.get(url).content.decode()
    assert 'name="body"' in html
    assert sorted(numbers(html)) == sorted([pothole.pk, west_bin.pk])
    html = client.get(url, {"body": place.west_council.pk}).content.decode()
    assert numbers(html) == [west_bin.pk]
    # Someone else's body is not a valid choice: the filter falls back to all of theirs.
    html = client.get(url, {"body": place.east_council.pk}).content.decode()
    assert sorted(numbers(html)) == sorted([pothole.pk, west_bin.pk])


def test_single_body_has_no_body_filter(client: Client, place) -> None:
    client.force_login(place.county_inspector)
    assert 'name="body"' not in client.get(reverse("staff:queue")).content.decode()


def test_sorts(client: Client, place, make_request) -> None:
    old = make_request(title="Old", days_old=30)
    middle = make_request(title="Middle", days_old=10)
    new = make_request(title="New")
    for key in ("a", "b"):
        request_support(request=middle, session_key=key)
    request_support(request=new, session_key="c")
    request_status_change(request=new, actor=place.county_inspector, status=Status.IN_PROGRESS)
    client.force_login(place.county_inspector)
    url = reverse("staff:queue")
    assert numbers(client.get(url).content.decode()) == [old.pk, middle.pk, new.pk]
    assert numbers(client.get(url, {"sort": "newest"}).content.decode()) == [
        new.pk,
        middle.pk,
        old.pk,
    ]
    assert numbers(client.get(url, {"sort": "supporters"}).content.decode()) == [
        middle.pk,
        new.pk,
        old.pk,
    ]
    # New before in progress; within a status, oldest first.
    assert numbers(client.get(url, {"sort": "status"}).content.decode()) == [
        old.pk,
        middle.pk,
        new.pk,
    ]


def test_pagination(client: Client, place, make_request) -> None:
    made = [make_request(title=f"Hole {i}", days_old=60 - i) for i in range(27)]
    client.force_login(place.county_inspector)
    url = reverse("staff:queue")
    first = client.get(url).content.decode()
    assert numbers(first) == [r.pk for r in made[:25]]
    assert "govuk-pagination" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert numbers(second) == [r.pk for r in made[25:]]
    # A page out of range or not a number is not an error.
    assert client.get(url, {"page": "99"}).status_code == 200
    assert client.get(url, {"page": "x"}).status_code == 200


def test_nonsense_filters_are_not_an_error(client: Client, place, make_request) -> None:
    make_request()
    client.force_login(place.county_inspector)
    response = client.get(
        reverse("staff:queue"),
        {"status": "bogus", "category": "999999", "area": "x", "sort": "sideways", "q": "9" * 40},
    )
    assert response.status_code == 200


def test_no_memberships_sees_a_friendly_page(client: Client, place, staff_user) -> None:
    client.force_login(staff_user("nobody"))
    response = client.get(reverse("staff:queue"))
    assert response.status_code == 403
    assert "Your account is not a member of any body" in response.content.decode()


def test_superuser_sees_every_body(client: Client, place, make_request) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root@example.org", "root@example.org", "pw")
    requests = [make_request(), make_request(category=place.missed_bin, point=place.east_point)]
    client.force_login(root)
    html = client.get(reverse("staff:queue")).content.decode()
    assert sorted(numbers(html)) == sorted(r.pk for r in requests)
    assert Request.private_objects.count() == 2


def test_queries_do_not_grow_with_the_page(client: Client, place, make_request) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(place.county_inspector)
    make_request()
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("staff:queue"))
    for _ in range(10):
        make_request()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("staff:queue"))
    assert len(many) == len(few)
