"""mySociety's servicerequestupdates: public updates out, a body's back office's updates in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from openlocal.open311.tests.conftest import BASE, FORMATS, errors_of, parse_json, parse_xml
from openlocal.requests.models import Request, Status, Update, UpdateKind
from openlocal.requests.services import request_note_add, request_status_change
from openlocal.subscriptions.models import Event

pytestmark = pytest.mark.django_db


def _push(client, fmt: str, key: str, request: Request, **fields):
    form = {
        "api_key": key,
        "service_request_id": str(request.pk),
        "update_id": "BO-1",
        "status": "IN_PROGRESS",
        "description": "Crew booked for Tuesday.",
        "updated_datetime": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "email": "officer@backoffice.example",
        "first_name": "Olive",
        "last_name": "Officer",
    }
    form.update(fields)
    return client.post(
        f"{BASE}/servicerequestupdates.{fmt}", {k: v for k, v in form.items() if v is not None}
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_back_office_posts_a_status_change_as_its_key_user(
    client, place, keys, report, fmt
) -> None:
    request = report()
    response = _push(client, fmt, keys.body, request)
    assert response.status_code == 200, response.content
    update = Update.public_objects.get(request=request, kind=UpdateKind.STATUS)
    if fmt == "json":
        assert parse_json(response) == [{"update_id": str(update.pk)}]
    else:
        root = parse_xml(response)
        assert root.tag == "service_request_updates"
        assert root.findtext("request_update/update_id") == str(update.pk)
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    assert update.text == "Crew booked for Tuesday."
    assert update.author is not None
    assert update.author.api_key.name == "Highways back office"
    assert update.author_name.endswith("Testshire County Council")
    assert "Olive" not in update.author_name and "officer@" not in str(update.data)
    assert Event.objects.filter(request=request, update=update).exists()


def test_a_repeated_update_id_posts_once(client, place, keys, report) -> None:
    request = report()
    first = parse_json(_push(client, "json", keys.body, request))
    again = _push(client, "json", keys.body, request, description="Crew booked (resent).")
    assert again.status_code == 200
    assert parse_json(again) == first
    assert Update.private_objects.filter(request=request, kind=UpdateKind.STATUS).count() == 1
    other = _push(client, "json", keys.body, request, update_id="BO-2", status="FIXED")
    assert other.status_code == 200
    request.refresh_from_db()
    assert request.status == Status.FIXED


@pytest.mark.parametrize(
    ("posted", "ours"),
    [
        ("FIXED", Status.FIXED),
        ("CLOSED", Status.NO_FURTHER_ACTION),
        ("INVESTIGATING", Status.INVESTIGATING),
        ("ACTION_SCHEDULED", Status.ACTION_SCHEDULED),
        ("NOT_COUNCILS_RESPONSIBILITY", Status.NOT_RESPONSIBLE),
        ("NO_FURTHER_ACTION", Status.NO_FURTHER_ACTION),
        ("INTERNAL_REFERRAL", Status.REFERRED),
        ("in_progress", Status.IN_PROGRESS),
    ],
)
def test_mysociety_statuses_map_to_ours(client, place, keys, report, posted, ours) -> None:
    request = report()
    assert _push(client, "json", keys.body, request, status=posted).status_code == 200
    request.refresh_from_db()
    assert request.status == ours


def test_open_reopens_a_closed_request_and_comments_on_an_open_one(
    client, place, keys, report
) -> None:
    request = report()
    request_status_change(request=request, actor=place.county_inspector, status=Status.FIXED)
    assert _push(client, "json", keys.body, request, status="OPEN").status_code == 200
    request.refresh_from_db()
    assert request.status == Status.ACKNOWLEDGED
    comment = _push(client, "json", keys.body, request, status="OPEN", update_id="BO-2")
    assert comment.status_code == 200
    latest = Update.public_objects.filter(request=request).last()
    assert latest is not None and latest.kind == UpdateKind.COMMENT
    nothing = _push(
        client, "json", keys.body, request, status="OPEN", update_id="BO-3", description=""
    )
    assert nothing.status_code == 400
    assert "already" in parse_json(nothing)[0]["description"]


def test_duplicate_is_refused_with_how_to_merge(client, place, keys, report) -> None:
    request = report()
    response = _push(client, "json", keys.body, request, status="DUPLICATE")
    assert response.status_code == 400
    assert "merging" in parse_json(response)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_keys_and_bad_input(client, place, keys, report, fmt) -> None:
    request = report()
    assert _push(client, fmt, keys.submit, request).status_code == 403
    assert _push(client, fmt, "", request).status_code == 403
    other_body = _push(client, fmt, keys.west_body, request)
    assert other_body.status_code == 403
    assert "West Testshire District Council" in errors_of(other_body, fmt)[0]["description"]
    missing = _push(client, fmt, keys.body, request, update_id=None)
    assert missing.status_code == 400
    assert "update_id" in errors_of(missing, fmt)[0]["description"]
    unknown = _push(client, fmt, keys.body, request, status="PENDING")
    assert unknown.status_code == 400
    assert "FIXED" in errors_of(unknown, fmt)[0]["description"]
    bad_time = _push(client, fmt, keys.body, request, updated_datetime="Tuesday")
    assert bad_time.status_code == 400
    absent = client.post(
        f"{BASE}/servicerequestupdates.{fmt}",
        {"api_key": keys.body, "service_request_id": "999999", "update_id": "X", "status": "FIXED"},
    )
    assert absent.status_code == 404
    request.refresh_from_db()
    assert request.status == Status.NEW


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_lists_public_updates_only(client, place, keys, report, fmt) -> None:
    request = report()
    request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, message="Filled in"
    )
    request_note_add(request=request, actor=place.county_inspector, text="SECRET NOTE 4711")
    response = client.get(f"{BASE}/servicerequestupdates.{fmt}?service_request_id={request.pk}")
    assert response.status_code == 200
    assert b"SECRET NOTE 4711" not in response.content
    if fmt == "json":
        items = parse_json(response)
        assert [i["description"] for i in items] == ["Filled in", "Reported."]
        fixed = items[0]
        assert fixed["status"] == "closed"
        assert fixed["extended_attributes"]["detailed_status"] == "fixed"
        assert set(fixed) >= {
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        }
    else:
        root = parse_xml(response)
        assert root.tag == "service_request_updates"
        assert [u.findtext("status") for u in root.findall("request_update")] == ["closed", "open"]


def test_get_filters_by_time(client, place, report) -> None:
    request = report(created_at=timezone.now() - timedelta(days=100))
    cutoff = timezone.now()
    request_status_change(request=request, actor=place.county_inspector, status=Status.FIXED)
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    after = parse_json(client.get(f"{BASE}/servicerequestupdates.json?updated_after={stamp}"))
    assert [i["extended_attributes"]["kind"] for i in after] == ["status"]
    # By default, the last 90 days: the report itself is older.
    default = parse_json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert [i["extended_attributes"]["kind"] for i in default] == ["status"]
    old_start = (cutoff - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old_end = (cutoff - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = parse_json(
        client.get(f"{BASE}/servicerequestupdates.json?start_date={old_start}&end_date={old_end}")
    )
    assert [i["extended_attributes"]["kind"] for i in window] == ["created"]
