"""The one write path for requests: creation, routing, answers, timeline, emails."""

import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import override_settings
from PIL import Image

from openlocal.core.models import AuditEntry
from openlocal.places.selectors import NotCovered
from openlocal.requests.models import Request, Status, Update, UpdateKind
from openlocal.requests.photos import photo_reencode
from openlocal.requests.services import (
    CategoryNotAvailable,
    request_category_change,
    request_create,
    request_note_add,
    request_status_change,
    request_support,
)
from openlocal.subscriptions.delivery import run_batch


def make(place, **kwargs):
    fields = {
        "category": place.pothole,
        "latitude": place.west_point[0],
        "longitude": place.west_point[1],
        "title": "Deep pothole outside the school",
        "description": "It has burst two tyres this week.",
        "answers": {"depth": "deep"},
    }
    fields.update(kwargs)
    return request_create(**fields)


def test_create_routes_to_the_responsible_body_and_starts_the_timeline(place):
    request = make(place)
    assert request.body == place.county_council
    assert request.status == Status.NEW
    assert set(request.areas.all()) == {place.county, place.west}
    first = Update.public_objects.get(request=request)
    assert first.kind == UpdateKind.CREATED


def test_district_category_goes_to_the_district_of_the_point(place):
    west = make(place, category=place.missed_bin, answers={})
    east = make(
        place,
        category=place.missed_bin,
        answers={},
        latitude=place.east_point[0],
        longitude=place.east_point[1],
    )
    assert (west.body, east.body) == (place.west_council, place.east_council)


def test_outside_every_area_is_refused_with_a_clear_message(place):
    with pytest.raises(NotCovered, match="No council or other body on this site covers"):
        make(place, latitude=48.8566, longitude=2.3522)
    assert not Request.private_objects.exists()


def test_category_not_handled_here_is_refused(place):
    from openlocal.requests.models import RoutingRule

    RoutingRule.objects.filter(category=place.missed_bin, area=place.east).delete()
    with pytest.raises(CategoryNotAvailable, match="not handled by anyone at this location"):
        make(
            place,
            category=place.missed_bin,
            answers={},
            latitude=place.east_point[0],
            longitude=place.east_point[1],
        )


def test_required_answer_and_list_values_are_enforced(place):
    with pytest.raises(ValidationError) as missing:
        make(place, answers={})
    assert missing.value.message_dict == {"depth": ["Answer “How deep is it?”."]}
    with pytest.raises(ValidationError) as wrong:
        make(place, answers={"depth": "bottomless"})
    assert "“bottomless” is not an option" in wrong.value.message_dict["depth"][0]


def test_reporter_gets_a_confirmation_email_with_the_public_link(
    place, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = make(place, reporter_email="Resident@Example.org", reporter_name="Rita")
    # The confirmation is the only email about a new report, to its reporter.
    run_batch()
    assert request.reporter.email == "resident@example.org"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, mail.EmailMultiAlternatives)
    assert message.to == ["resident@example.org"]
    assert f"/requests/{request.pk}" in message.body
    assert message.alternatives and "text/html" in message.alternatives[0][1]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://")


def test_status_change_needs_a_role_and_records_the_timeline(
    place, django_capture_on_commit_callbacks
):
    request = make(place, reporter_email="resident@example.org")
    with pytest.raises(PermissionDenied):
        request_status_change(request=request, actor=place.west_manager, status=Status.ACKNOWLEDGED)
    with django_capture_on_commit_callbacks(execute=True):
        update = request_status_change(
            request=request,
            actor=place.county_inspector,
            status=Status.FIXED,
            message="Filled today.",
        )
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert request.closed_at is not None and request.acknowledged_at is not None
    assert (update.old_status, update.new_status, update.public) == ("new", "fixed", True)
    assert update.author_name == "Ivy Inspector, Testshire County Council"
    # The reporter follows their request: the dispatcher tells them, not the service itself.
    assert mail.outbox == []
    run_batch()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, mail.EmailMultiAlternatives)
    assert message.to == ["resident@example.org"]
    assert message.subject == f"Fixed: your report #{request.pk}, Deep pothole outside the school"
    assert "Filled today." in message.body
    html, content_type = message.alternatives[0]
    assert content_type == "text/html" and "Filled today." in str(html)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    request_status_change(
        request=request,
        actor=place.county_inspector,
        status=Status.NEW,
        message="Reopened: it has cracked again.",
    )
    request.refresh_from_db()
    assert request.closed_at is None


def test_internal_note_is_never_public(place):
    request = make(place)
    request_note_add(request=request, actor=place.county_inspector, text="Contractor: Smith & Co")
    assert not Update.public_objects.filter(text__contains="Smith").exists()
    assert Update.private_objects.filter(text__contains="Smith", public=False).exists()


def test_category_change_reroutes_to_the_new_body(place):
    request = make(place)
    place.west_manager.memberships.create(body=place.county_council, role="manager")
    update = request_category_change(
        request=request, actor=place.west_manager, category=place.missed_bin
    )
    request.refresh_from_db()
    assert request.body == place.west_council
    assert update.data == {
        "from": "Pothole",
        "to": "Missed bin collection",
        "from_body": "Testshire County Council",
        "to_body": "West Testshire District Council",
    }


def test_me_too_counts_once_per_person_and_per_session(place):
    from openlocal.requests.services import person_for_email

    request = make(place)
    person = person_for_email("neighbour@example.org")
    assert request_support(request=request, person=person) is True
    assert request_support(request=request, person=person) is False
    assert request_support(request=request, session_key="abc") is True
    assert request_support(request=request, session_key="abc") is False
    request.refresh_from_db()
    assert request.supporter_count == 2


def _jpeg_with_gps() -> io.BytesIO:
    image = Image.new("RGB", (3000, 2000), (120, 120, 120))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 43.0, 21.0), 3: "W", 4: (3.0, 31.0, 48.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    out.seek(0)
    return out


def test_photos_are_reencoded_resized_and_stripped(place):
    original = _jpeg_with_gps()
    assert Image.open(original).getexif()  # the upload really carries EXIF GPS
    original.seek(0)
    request = make(place, photos=[photo_reencode(original, filename="IMG_1.jpg")])
    stored = request.photos.get()
    with stored.image.open("rb") as f:
        data = f.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert max(image.size) == 2048
    assert not image.getexif()
    assert b"PhoneMaker" not in data


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "IMG.jpg is empty"),
        (b"GIF89a not really", "is not a photo we can read"),
        (b"%PDF-1.4 a document", "is not a photo we can read"),
    ],
)
def test_bad_photos_get_clear_errors(payload, message):
    from openlocal.requests.photos import PhotoError

    with pytest.raises(PhotoError, match=message):
        photo_reencode(io.BytesIO(payload), filename="IMG.jpg")


def test_oversized_photo_is_refused(settings):
    from openlocal.requests.photos import PhotoError

    settings.PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoError, match="photos must be smaller than"):
        photo_reencode(_jpeg_with_gps(), filename="big.jpg")


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_queued_emails(place):
    """With the database task backend, nothing is sent until `openlocal worker` runs.

    Transactional, because the worker closes its database connection when a batch ends.
    """
    db_backend = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=db_backend):
        make(place, reporter_email="resident@example.org")
        assert mail.outbox == []
        call_command("worker", batch=True, verbosity=0)
        assert [m.to for m in mail.outbox] == [["resident@example.org"]]


def test_a_status_change_by_staff_is_in_the_audit_log(place):
    request = make(place, notify=False)
    request_status_change(
        request=request, actor=place.county_inspector, status=Status.INVESTIGATING, notify=False
    )
    entry = AuditEntry.objects.get(action="request.status", target_id=str(request.pk))
    assert entry.actor == place.county_inspector
    assert entry.data == {"from": "new", "to": "investigating"}
    # A message alone changes no status: the timeline has it, the audit log needs nothing.
    request_status_change(
        request=request,
        actor=place.county_inspector,
        status=Status.INVESTIGATING,
        message="Still looking",
        notify=False,
    )
    assert AuditEntry.objects.filter(action="request.status").count() == 1
