"""Display logic, tested without the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError

from openlocal.core.models import AuditEntry
from openlocal.places.models import Area, AreaKind, Role
from openlocal.requests.models import Update, UpdateKind
from openlocal.staff import presenters

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_age_text() -> None:
    assert presenters.age_text(NOW - timedelta(hours=5), NOW) == "Less than a day"
    assert presenters.age_text(NOW - timedelta(days=1, hours=2), NOW) == "1 day"
    assert presenters.age_text(NOW - timedelta(days=12), NOW) == "12 days"
    assert presenters.age_text(NOW - timedelta(days=1500), NOW) == "1,500 days"


def test_status_tag() -> None:
    assert presenters.status_tag("fixed") == {"text": "Fixed", "classes": "govuk-tag--green"}
    assert presenters.status_tag("no_further_action")["classes"] == "govuk-tag--grey"
    assert presenters.status_tag("something-new")["text"] == "something-new"


def test_smallest_area() -> None:
    county = Area(name="County", kind=AreaKind.COUNTY)
    ward = Area(name="Ward", kind=AreaKind.WARD)
    district = Area(name="District", kind=AreaKind.DISTRICT)
    assert presenters.smallest_area([county, ward, district]) is ward
    assert presenters.smallest_area([]) is None


def test_allowed_actions() -> None:
    assert presenters.allowed_actions(None) == set()
    assert presenters.allowed_actions(Role.VIEWER) == set()
    assert presenters.allowed_actions(Role.INSPECTOR) == {
        "status",
        "note",
        "merge",
        "unmerge",
        "assign",
        "priority",
        "bulk",
    }
    manager = presenters.allowed_actions(Role.MANAGER)
    assert {"category", "reassign", "hide", "redact", "photo_hide", "audit", "due"} <= manager
    assert "due" not in presenters.allowed_actions(Role.INSPECTOR)
    assert presenters.allowed_actions(Role.ADMINISTRATOR) == manager


def test_timeline_entries() -> None:
    note = presenters.timeline_entry(
        Update(pk=1, kind=UpdateKind.NOTE, public=False, text="x", created_at=NOW)
    )
    assert note.internal and note.internal_label == "Internal note – not public"
    status = presenters.timeline_entry(
        Update(pk=2, kind=UpdateKind.STATUS, old_status="new", new_status="fixed", created_at=NOW)
    )
    assert status.heading == "Status changed from New to Fixed"
    assert not status.internal and status.internal_label == ""
    moved = presenters.timeline_entry(
        Update(
            pk=3,
            kind=UpdateKind.CATEGORY,
            data={"from": "Pothole", "to": "Missed bin", "from_body": "County", "to_body": "West"},
            created_at=NOW,
        )
    )
    assert moved.heading == "Category changed from Pothole to Missed bin; moved from County to West"
    moderated = presenters.timeline_entry(
        Update(pk=4, kind=UpdateKind.MODERATED, public=False, text="Hidden: spam", created_at=NOW)
    )
    assert moderated.internal_label == "Internal – not public"
    assert not moderated.redactable


def test_audit_line_keeps_originals() -> None:
    line = presenters.audit_line(
        AuditEntry(
            action="request.redact",
            data={"original": {"title": "T", "description": "D"}, "reason": "PII"},
            created_at=NOW,
        ),
        actor_name="Max",
    )
    assert line.action == "Request text redacted"
    assert line.originals == [("Description", "D"), ("Title", "T")]
    assert line.reason == "PII"
    text = presenters.audit_line(
        AuditEntry(action="update.redact", data={"original": "old"}, created_at=NOW)
    )
    assert text.originals == [("Text", "old")]
    assert text.actor == "Unknown or deleted user"


def test_answer_rows() -> None:
    class Question:
        code = "depth"
        label = "How deep is it?"
        values = [{"key": "deep", "name": "5 cm or deeper"}]

    rows = presenters.answer_rows([Question()], {"depth": "deep", "old": ["a", "b"]})
    assert rows == [("How deep is it?", "5 cm or deeper"), ("old", "a, b")]


class _Form(forms.Form):
    text = forms.CharField()
    reason = forms.CharField(required=False)


def test_errors_link_to_fields() -> None:
    form = _Form({"text": ""}, auto_id="note-%s")
    assert not form.is_valid()
    assert presenters.error_summary(form) == [
        {"text": "This field is required.", "href": "#note-text"}
    ]
    assert presenters.error_message(form, "text") == {"text": "This field is required."}
    assert presenters.error_message(form, "reason") is None
    assert presenters.error_summary(None) == []


def test_service_errors_land_on_their_fields() -> None:
    form = _Form({"text": "hello"}, auto_id="x-%s")
    assert form.is_valid()
    presenters.add_service_errors(form, ValidationError({"text": ["Bad"], "other": ["Odd"]}))
    assert form.errors["text"] == ["Bad"]
    assert form.non_field_errors() == ["Odd"]
    assert presenters.error_summary(form)[1] == {"text": "Odd", "href": "#x-text"}
    plain = _Form({"text": "hello"})
    plain.is_valid()
    presenters.add_service_errors(plain, ValidationError("Not now"))
    assert plain.non_field_errors() == ["Not now"]
