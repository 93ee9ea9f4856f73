"""The queue as a triage tool: workflow filters and sorts, saved views, and bulk changes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openlocal.core.models import AuditEntry
from openlocal.places.models import Role
from openlocal.requests.models import Priority, Request, Status, Update, UpdateKind
from openlocal.requests.services import request_status_change, request_support
from openlocal.requests.workflow import request_assign, request_set_due, request_set_priority
from openlocal.staff.models import SavedView
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db

QUEUE = "/staff/"


def numbers(html: str) -> list[int]:
    """The request numbers in the queue table, in order."""
    return [int(n) for n in re.findall(r'href="/staff/requests/(\d+)"', html)]


def get(client: Client, **params: Any) -> str:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def manager(staff_user: Any) -> Any:
    return staff_user("Mona", Role.MANAGER)


# Filters and sorts ---------------------------------------------------------------------------


def test_filters_by_age_priority_and_supporters(client: Client, place, make_request) -> None:
    fresh = make_request(title="Fresh")
    month = make_request(title="A month old", days_old=30)
    ancient = make_request(title="Ancient", days_old=100)
    request_set_priority(request=fresh, actor=place.county_inspector, priority=Priority.URGENT)
    for key in ("a", "b", "c"):
        request_support(request=month, session_key=key)
    client.force_login(place.county_inspector)
    assert numbers(get(client, age="7")) == [ancient.pk, month.pk]
    assert numbers(get(client, age="90")) == [ancient.pk]
    assert numbers(get(client, priority="3")) == [fresh.pk]
    assert numbers(get(client, priority="1")) == [ancient.pk, month.pk]
    assert numbers(get(client, supporters="3")) == [month.pk]
    assert numbers(get(client, supporters="4")) == []


def test_filters_by_assignment(client: Client, place, make_request, manager) -> None:
    mine = make_request(title="Mine")
    theirs = make_request(title="Theirs")
    nobodys = make_request(title="Nobody's")
    request_assign(request=mine, actor=manager, assignee=place.county_inspector)
    request_assign(request=theirs, actor=manager, assignee=manager)
    client.force_login(place.county_inspector)
    assert numbers(get(client, assigned="me")) == [mine.pk]
    assert numbers(get(client, assigned="none")) == [nobodys.pk]
    assert numbers(get(client)) == [mine.pk, theirs.pk, nobodys.pk]
    client.force_login(manager)
    assert numbers(get(client, assigned="me")) == [theirs.pk]


def test_filters_by_due_date(client: Client, place, make_request, manager) -> None:
    now = timezone.now()
    late = make_request(title="Late", days_old=20)
    soon = make_request(title="Soon", days_old=10)
    later = make_request(title="Later", days_old=5)
    undated = make_request(title="Undated")
    done_late = make_request(title="Fixed, late", days_old=30)
    for request, days in ((late, -2), (soon, 3), (later, 20), (done_late, -5)):
        request_set_due(request=request, actor=manager, due_at=now + timedelta(days=days))
    request_status_change(request=done_late, actor=manager, status=Status.FIXED)
    client.force_login(place.county_inspector)
    # A closed request is not overdue, whatever its due date.
    assert numbers(get(client, due="overdue", status="any")) == [late.pk]
    assert numbers(get(client, due="week")) == [soon.pk]
    assert numbers(get(client, due="none")) == [undated.pk]
    assert numbers(get(client, sort="due")) == [late.pk, soon.pk, later.pk, undated.pk]


def test_sort_by_demand_and_priority(client: Client, place, make_request) -> None:
    quiet = make_request(title="Quiet", days_old=9)
    followed = make_request(title="Followed", days_old=5)
    supported = make_request(title="Supported", days_old=1)
    request_support(request=supported, session_key="a")
    request_support(request=supported, session_key="b")
    for n in range(3):
        follow(
            target=Target.for_request(followed),
            email=f"neighbour{n}@example.org",
            confirmed=True,
        )
    request_set_priority(request=quiet, actor=place.county_inspector, priority=Priority.HIGH)
    client.force_login(place.county_inspector)
    # Followed: 3 followers; supported: 2 supporters; quiet: nothing.
    assert numbers(get(client, sort="demand")) == [followed.pk, supported.pk, quiet.pk]
    assert numbers(get(client, sort="supporters")) == [supported.pk, quiet.pk, followed.pk]
    assert numbers(get(client, sort="priority")) == [quiet.pk, followed.pk, supported.pk]
    assert numbers(get(client, sort="oldest")) == [quiet.pk, followed.pk, supported.pk]


def test_rows_show_priority_assignee_and_overdue(
    client: Client, place, make_request, manager
) -> None:
    request = make_request(days_old=12)
    request_set_priority(request=request, actor=manager, priority=Priority.URGENT)
    request_assign(request=request, actor=manager, assignee=place.county_inspector)
    request_set_due(request=request, actor=manager, due_at=timezone.now() - timedelta(days=1))
    client.force_login(place.county_inspector)
    html = get(client)
    for heading in ("Priority", "Assigned to", "Due"):
        assert f">{heading}</th>" in html
    row = re.search(r"<tbody.*?</tbody>", html, flags=re.S)
    assert row is not None
    assert "Urgent" in row.group(0)
    assert "Ivy Inspector" in row.group(0)
    assert "Overdue" in row.group(0)


def test_bad_workflow_filters_fall_back_to_defaults(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    html = get(
        client,
        age="3",
        priority="high",
        supporters="-1",
        assigned="someone",
        due="yesterday",
        sort="loudest",
    )
    assert numbers(html) == [request.pk]


def test_queue_queries_do_not_grow_with_rows(client: Client, place, make_request, manager) -> None:
    """Assignees, priorities, due dates, saved views and the bulk form cost no query per row."""
    SavedView.objects.create(owner=manager, name="Mine", query="sort=demand")
    SavedView.objects.create(
        owner=place.county_inspector,
        name="Shared",
        query="priority=3",
        shared_with=place.county_council,
    )
    now = timezone.now()

    def busy_request() -> Request:
        request = make_request(days_old=5)
        request_assign(request=request, actor=manager, assignee=place.county_inspector)
        request_set_priority(request=request, actor=manager, priority=Priority.HIGH)
        request_set_due(request=request, actor=manager, due_at=now - timedelta(days=1))
        return request

    client.force_login(manager)
    busy_request()
    with CaptureQueriesContext(connection) as few:
        assert len(numbers(get(client, sort="demand"))) == 1
    for _ in range(12):
        busy_request()
    with CaptureQueriesContext(connection) as many:
        assert len(numbers(get(client, sort="demand"))) == 13
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# Saved views ---------------------------------------------------------------------------------


def test_save_a_view_and_use_it(client: Client, place, make_request) -> None:
    urgent = make_request(title="Urgent one")
    make_request(title="Normal one")
    request_set_priority(request=urgent, actor=place.county_inspector, priority=Priority.URGENT)
    client.force_login(place.county_inspector)
    html = get(client, priority="3", sort="newest")
    assert 'name="query" value="priority=3&amp;sort=newest"' in html
    response = client.post(
        reverse("staff:view_save"),
        {"name": "Urgent first", "share": "me", "query": "priority=3&sort=newest&page=2&x=1"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/?priority=3&sort=newest"
    view = SavedView.objects.get()
    assert (view.name, view.query, view.shared_with) == (
        "Urgent first",
        "priority=3&sort=newest",
        None,
    )
    html = client.get(response["Location"]).content.decode()
    assert "Saved the view “Urgent first”." in html
    assert 'href="/staff/?priority=3&amp;sort=newest" aria-current="page"' in html
    assert numbers(html) == [urgent.pk]


def test_shared_views_reach_the_bodys_staff_only(
    client: Client, place, make_request, staff_user
) -> None:
    colleague = staff_user("colleague", Role.VIEWER)
    client.force_login(place.county_inspector)
    client.post(
        reverse("staff:view_save"),
        {"name": "Late ones", "share": str(place.county_council.pk), "query": "due=overdue"},
    )
    client.post(reverse("staff:view_save"), {"name": "Private list", "share": "me", "query": ""})
    assert "Private list" in get(client)  # also shows (and so clears) the success message
    client.force_login(colleague)
    html = get(client)
    assert ">Late ones<" in html
    assert "Shared by Ivy Inspector with Testshire County Council" in html
    assert "Private list" not in html
    # Only the owner may delete it.
    shared = SavedView.objects.get(name="Late ones")
    assert client.post(reverse("staff:view_delete", args=[shared.pk])).status_code == 404
    client.force_login(place.west_manager)
    assert "Late ones" not in get(client)
    client.force_login(place.county_inspector)
    response = client.post(reverse("staff:view_delete", args=[shared.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_sharing_with_a_body_one_is_not_in_is_refused(client: Client, place) -> None:
    client.force_login(place.county_inspector)
    response = client.post(
        reverse("staff:view_save"),
        {"name": "Sneaky", "share": str(place.west_council.pk), "query": ""},
    )
    assert response.status_code == 400
    assert "Choose who sees the view from the list" in response.content.decode()
    assert not SavedView.objects.exists()


def test_saved_view_errors_use_the_error_summary(client: Client, place) -> None:
    client.force_login(place.county_inspector)
    response = client.post(reverse("staff:view_save"), {"name": " ", "share": "me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert '<a href="#view-name">Enter a name for the view</a>' in html
    SavedView.objects.create(owner=place.county_inspector, name="Mine", query="")
    response = client.post(reverse("staff:view_save"), {"name": "Mine", "share": "me"})
    assert response.status_code == 400
    assert "You already have a view called “Mine”" in response.content.decode()
    assert SavedView.objects.count() == 1


# Bulk changes --------------------------------------------------------------------------------


def bulk(client: Client, requests: list[Request], **data: Any) -> Any:
    return client.post(reverse("staff:bulk"), {"requests": [str(r.pk) for r in requests], **data})


def test_bulk_status_change_with_a_message(
    client: Client, place, make_request, django_capture_on_commit_callbacks
) -> None:
    first = make_request(reporter_email="first@example.org")
    second = make_request(reporter_email="second@example.org")
    done = make_request()
    request_status_change(request=done, actor=place.county_inspector, status=Status.IN_PROGRESS)
    untouched = make_request()
    client.force_login(place.county_inspector)
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(
            client,
            [first, second, done],
            action="status",
            status="in_progress",
            message="Crews are out on this road.",
            query="sort=newest&page=3",
        )
    assert response.status_code == 302
    assert response["Location"] == "/staff/?sort=newest"
    html = client.get(response["Location"]).content.decode()
    assert (
        "2 requests moved to In progress. 1 request was already In progress and left as it was."
        in html
    )
    statuses = dict(
        Request.private_objects.filter(pk__in=[first.pk, second.pk, untouched.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {first.pk: "in_progress", second.pk: "in_progress", untouched.pk: "new"}
    assert (
        Update.public_objects.filter(text="Crews are out on this road.", kind=UpdateKind.STATUS)
        .values_list("request_id", flat=True)
        .count()
        == 2
    )
    run_batch()
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.org", "second@example.org"]


def test_bulk_assign_and_priority(client: Client, place, make_request, manager) -> None:
    requests = [make_request(), make_request()]
    client.force_login(manager)
    html = get(client)
    assert f'<option value="{place.county_inspector.pk}">Ivy Inspector</option>' in html
    response = bulk(client, requests, action="assign", assignee=str(place.county_inspector.pk))
    assert response.status_code == 302
    assert "2 requests assigned to Ivy Inspector." in client.get(QUEUE).content.decode()
    response = bulk(client, requests, action="priority", priority="2")
    assert response.status_code == 302
    assert "2 requests set to high priority." in client.get(QUEUE).content.decode()
    rows = Request.private_objects.filter(pk__in=[r.pk for r in requests])
    assert {(r.assigned_to_id, r.priority) for r in rows} == {
        (place.county_inspector.pk, Priority.HIGH)
    }
    assert AuditEntry.objects.filter(action="request.priority", data__bulk=2).count() == 2


def test_inspectors_are_offered_only_themselves(client: Client, place, make_request) -> None:
    make_request()
    client.force_login(place.county_inspector)
    html = get(client)
    options = re.search(r'<select[^>]*name="assignee".*?</select>', html, flags=re.S)
    assert options is not None
    values = re.findall(r'value="([^"]*)"', options.group(0))
    assert values == ["", "me", "none"]


def test_bulk_refusal_names_the_requests_and_changes_nothing(
    client: Client, place, make_request, staff_user
) -> None:
    person = staff_user("both", Role.INSPECTOR, place.county_council)
    person.memberships.create(body=place.west_council, role=Role.VIEWER)
    pothole = make_request()
    west_bin = make_request(category=place.missed_bin)
    client.force_login(person)
    response = bulk(client, [pothole, west_bin], action="priority", priority="3")
    assert response.status_code == 403
    html = response.content.decode()
    assert "There is a problem" in html
    assert f"You may not change request {west_bin.pk}, so nothing was changed." in html
    assert '<a href="#bulk-requests">' in html
    # The ticks survive, so the user can untick the one they may not change.
    assert re.search(rf'value="{pothole.pk}" checked', html)
    assert set(
        Request.private_objects.filter(pk__in=[pothole.pk, west_bin.pk]).values_list(
            "priority", flat=True
        )
    ) == {Priority.NORMAL}


def test_bulk_form_errors(client: Client, place, make_request) -> None:
    request = make_request()
    client.force_login(place.county_inspector)
    cases = [
        ({"action": "status", "status": "fixed"}, "Select at least one request"),
        ({"requests": [str(request.pk)], "action": "status"}, "Select the status to set"),
        ({"requests": [str(request.pk)], "action": "priority"}, "Select the priority to set"),
        (
            {"requests": [str(request.pk)], "action": "assign", "assignee": "42"},
            "Select one of the people listed",
        ),
        (
            {"requests": ["999999"], "action": "priority", "priority": "2"},
            "There is no request 999999 in your bodies",
        ),
        (
            {"requests": ["x"], "action": "priority", "priority": "2"},
            "Select requests from the list",
        ),
        ({"requests": [str(request.pk)]}, "Choose what to change"),
    ]
    for data, message in cases:
        response = client.post(reverse("staff:bulk"), data)
        assert response.status_code == 400, data
        html = response.content.decode()
        assert "There is a problem" in html and message in html, data
    assert Request.private_objects.get(pk=request.pk).priority == Priority.NORMAL


def test_another_bodys_request_is_not_in_reach(client: Client, place, make_request) -> None:
    east_bin = make_request(category=place.missed_bin, point=place.east_point)
    client.force_login(place.west_manager)
    response = bulk(client, [east_bin], action="priority", priority="3")
    assert response.status_code == 400
    assert f"There is no request {east_bin.pk} in your bodies" in response.content.decode()


def test_viewers_have_no_bulk_form_and_may_not_post(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    client.force_login(staff_user("viewer", Role.VIEWER))
    html = get(client)
    assert 'action="/staff/bulk"' not in html
    assert 'name="requests"' not in html
    response = bulk(client, [request], action="priority", priority="3")
    assert response.status_code == 403
    assert Request.private_objects.get(pk=request.pk).priority == Priority.NORMAL


def test_bulk_needs_the_csrf_token(place, make_request) -> None:
    request = make_request()
    client = Client(enforce_csrf_checks=True)
    client.force_login(place.county_inspector)
    assert bulk(client, [request], action="priority", priority="3").status_code == 403
    html = client.get(QUEUE).content.decode()
    form = re.search(r'<form method="post" action="/staff/bulk".*?</form>', html, flags=re.S)
    assert form is not None and 'name="csrfmiddlewaretoken"' in form.group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token is not None
    response = client.post(
        reverse("staff:bulk"),
        {
            "requests": [str(request.pk)],
            "action": "priority",
            "priority": "3",
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    assert response.status_code == 302
    assert Request.private_objects.get(pk=request.pk).priority == Priority.URGENT


def test_queue_controls_are_labelled(client: Client, place, make_request) -> None:
    """Every control has a label; the checkboxes sit in a fieldset with a legend."""
    for _ in range(2):
        make_request()
    client.force_login(place.county_inspector)
    html = get(client)
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert ids
    for control_id in ids:
        assert f'for="{control_id}"' in html, control_id
    assert re.search(
        r'<fieldset class="govuk-fieldset">\s*<legend[^>]*>Select the requests to change</legend>',
        html,
    )
    assert "<caption" in html


def test_signed_out_and_outsiders_change_nothing(
    client: Client, place, make_request, staff_user
) -> None:
    request = make_request()
    data = {"requests": [str(request.pk)], "action": "priority", "priority": "3"}
    response = client.post(reverse("staff:bulk"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
    response = client.post(reverse("staff:view_save"), {"name": "x", "share": "me"})
    assert response["Location"].startswith(reverse("staff:login"))
    client.force_login(staff_user("nobody"))
    assert client.post(reverse("staff:bulk"), data).status_code == 403
    assert client.post(reverse("staff:view_save"), {"name": "x", "share": "me"}).status_code == 403
    assert Request.private_objects.get(pk=request.pk).priority == Priority.NORMAL
    assert not SavedView.objects.exists()


def test_queue_ids_are_unique(client: Client, place, make_request, manager) -> None:
    for _ in range(3):
        make_request()
    SavedView.objects.create(owner=manager, name="Mine", query="")
    client.force_login(manager)
    ids = re.findall(r'\bid="([^"]+)"', get(client))
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
