"""Staff forms: they parse and check input; the services decide and write.

Every form has GOV.UK-style error messages ("Enter…", "Select…"). Workspace forms take an
``auto_id`` so that several forms on one page have unique field ids for the error summary.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UsernameField

from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Status

#: Staff cannot set "duplicate" by hand: merging is its own action.
SETTABLE_STATUSES = [(value, label) for value, label in Status.choices if value != Status.DUPLICATE]


class StaffLoginForm(AuthenticationForm):
    """Sign in with an email address; the address is matched case-insensitively."""

    username = UsernameField(
        label="Email address",
        error_messages={"required": "Enter your email address"},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
    )

    error_messages = {
        "invalid_login": (
            "Enter a correct email address and password. The password is case-sensitive."
        ),
        "inactive": "This account has been switched off. Ask your administrator.",
    }

    def clean_username(self) -> str:
        value: str = self.cleaned_data["username"].strip()
        # Usernames are email addresses, which people type in any case.
        users = get_user_model()._default_manager
        matches = list(users.filter(username__iexact=value).values_list("username", flat=True)[:2])
        if value in matches:
            return value
        return matches[0] if len(matches) == 1 else value


class QueueFilterForm(forms.Form):
    """The queue's filters and sort order, read from the query string."""

    STATUS_OPEN = "open"
    STATUS_CLOSED = "closed"
    STATUS_ANY = "any"
    SORTS = [
        ("oldest", "Oldest first"),
        ("newest", "Newest first"),
        ("supporters", "Most supported"),
        ("status", "Status"),
    ]

    body = forms.ModelChoiceField(queryset=Body.objects.none(), required=False)
    status = forms.ChoiceField(required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    area = forms.ModelChoiceField(queryset=Area.objects.none(), required=False)
    q = forms.CharField(required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(choices=SORTS, required=False)

    def __init__(self, *args: Any, bodies: list[Body], areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body_field = self.fields["body"]
        assert isinstance(body_field, forms.ModelChoiceField)
        body_field.queryset = Body.objects.filter(pk__in=[b.pk for b in bodies])
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = areas
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [
            (self.STATUS_OPEN, "Open (any open status)"),
            (self.STATUS_CLOSED, "Closed (any closed status)"),
            (self.STATUS_ANY, "Any status"),
            *Status.choices,
        ]

    def filters(self) -> dict[str, Any]:
        """The cleaned filters, with defaults for anything missing or not valid."""
        # A field that does not validate (a stale link, a hand-edited address) falls back to
        # its default; the valid ones still apply.
        self.is_valid()
        data: dict[str, Any] = self.cleaned_data
        return {
            "body": data.get("body"),
            "status": data.get("status") or self.STATUS_OPEN,
            "category": data.get("category"),
            "area": data.get("area"),
            "q": data.get("q") or "",
            "sort": data.get("sort") or "oldest",
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=SETTABLE_STATUSES,
        error_messages={
            "required": "Select a status",
            "invalid_choice": "Select one of the statuses listed",
        },
    )
    message = forms.CharField(
        label="Public message (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"max_length": "The message must be 5,000 characters or fewer"},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Internal note",
        max_length=5000,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter the note",
            "max_length": "The note must be 5,000 characters or fewer",
        },
    )


class CategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        label="New category",
        queryset=Category.objects.filter(active=True),
        error_messages={
            "required": "Select a category",
            "invalid_choice": "Select one of the categories listed",
        },
    )


class ReassignForm(forms.Form):
    body = forms.ModelChoiceField(
        label="Body",
        queryset=Body.objects.all(),
        error_messages={
            "required": "Select the body to pass the request to",
            "invalid_choice": "Select one of the bodies listed",
        },
    )
    reason = forms.CharField(
        label="Reason (optional, shown in public)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Why are you hiding this request?",
        max_length=2000,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter why the request is being hidden",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )


class UnhideForm(forms.Form):
    """No fields: the button is the whole form."""


class RedactForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=120,
        error_messages={
            "required": "Enter a title; replace removed words with “[removed]”",
            "max_length": "The title must be 120 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea,
        error_messages={"required": "Enter a description; replace removed text with “[removed]”"},
    )
    reason = forms.CharField(
        label="Why are you changing it? (kept in the audit log, not public)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )


class PhotoHideForm(forms.Form):
    reason = forms.CharField(
        label="Why are you hiding this photo?",
        max_length=2000,
        error_messages={
            "required": "Enter why the photo is being hidden",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )


class UpdateRedactForm(forms.Form):
    text = forms.CharField(
        label="Text to show instead",
        widget=forms.Textarea,
        error_messages={
            "required": "Enter the text to show; replace removed words with “[removed]”"
        },
    )
    reason = forms.CharField(
        label="Why are you changing it? (kept in the audit log, not public)",
        required=False,
        max_length=2000,
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )

    def __init__(self, *args: Any, original: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.original = original

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if text.strip() == self.original.strip():
            raise forms.ValidationError("Change the text to redact it")
        return text


class MergeForm(forms.Form):
    """Which request this one duplicates, and an optional public message for its timeline."""

    into = forms.CharField(
        label="Number of the request it duplicates",
        max_length=20,
        error_messages={
            "required": "Enter the number of the request this one duplicates",
            "max_length": "Enter a request number, like 1234",
        },
    )
    message = forms.CharField(
        label="Public message (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"max_length": "The message must be 5,000 characters or fewer"},
    )

    def clean_into(self) -> int:
        text = str(self.cleaned_data["into"]).strip().lstrip("#").strip()
        if not text.isdigit() or len(text) > 18 or int(text) < 1:
            raise forms.ValidationError("Enter a request number, like 1234")
        return int(text)


class UnmergeForm(forms.Form):
    """No fields: the button is the whole form."""
