"""Staff forms: they parse and check input; the services decide and write.

Every form has GOV.UK-style error messages ("Enter…", "Select…"). Workspace forms take an
``auto_id`` so that several forms on one page have unique field ids for the error summary.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils import timezone

from openlocal.places.models import Area, Body
from openlocal.requests.models import Category, Priority, Status

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


class RequestNumbersField(forms.Field):
    """The numbers of the requests ticked in the queue (``requests=12&requests=15``)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one request",
        "invalid": "Select requests from the list",
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        numbers: list[int] = []
        for item in values:
            text = str(item).strip()
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            numbers.append(int(text))
        return list(dict.fromkeys(numbers))


class QueueFilterForm(forms.Form):
    """The queue's filters and sort order, read from the query string."""

    STATUS_OPEN = "open"
    STATUS_CLOSED = "closed"
    STATUS_ANY = "any"
    SORTS = [
        ("oldest", "Oldest first"),
        ("newest", "Newest first"),
        ("demand", "Most demand (supporters and followers)"),
        ("supporters", "Most supporters"),
        ("priority", "Highest priority"),
        ("due", "Due soonest"),
        ("status", "Status"),
    ]
    AGES = [
        ("", "Any age"),
        ("7", "Older than 7 days"),
        ("28", "Older than 28 days"),
        ("90", "Older than 90 days"),
    ]
    ASSIGNED_ME = "me"
    ASSIGNED_NONE = "none"
    ASSIGNED = [("", "Anyone or nobody"), (ASSIGNED_ME, "Me"), (ASSIGNED_NONE, "Nobody")]
    DUE_OVERDUE = "overdue"
    DUE_WEEK = "week"
    DUE_NONE = "none"
    DUE = [
        ("", "Any due date"),
        (DUE_OVERDUE, "Overdue"),
        (DUE_WEEK, "Due in the next 7 days"),
        (DUE_NONE, "No due date"),
    ]
    PRIORITIES = [("", "Any priority"), *[(str(v), str(label)) for v, label in Priority.choices]]
    #: The query-string names of the filters, in the order a saved view keeps them.
    NAMES = (
        "body",
        "status",
        "category",
        "area",
        "q",
        "age",
        "priority",
        "supporters",
        "assigned",
        "due",
        "sort",
    )

    body = forms.ModelChoiceField(queryset=Body.objects.none(), required=False)
    status = forms.ChoiceField(required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    area = forms.ModelChoiceField(queryset=Area.objects.none(), required=False)
    q = forms.CharField(required=False, max_length=200, strip=True)
    age = forms.ChoiceField(choices=AGES, required=False)
    priority = forms.TypedChoiceField(
        choices=PRIORITIES, coerce=int, empty_value=None, required=False
    )
    supporters = forms.IntegerField(min_value=0, max_value=10**9, required=False)
    assigned = forms.ChoiceField(choices=ASSIGNED, required=False)
    due = forms.ChoiceField(choices=DUE, required=False)
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
            "age": int(data["age"]) if data.get("age") else None,
            "priority": data.get("priority"),
            "supporters": data.get("supporters") or None,
            "assigned": data.get("assigned") or "",
            "due": data.get("due") or "",
            "sort": data.get("sort") or "oldest",
        }


def filters_query(filters: dict[str, Any]) -> str:
    """The query string that gives these filters: what a saved view keeps.

    Only filters that differ from the defaults are written, in a fixed order, so the same
    filters always give the same string.
    """
    defaults = {"status": QueueFilterForm.STATUS_OPEN, "sort": "oldest"}
    pairs: list[tuple[str, str]] = []
    for name in QueueFilterForm.NAMES:
        value = filters.get(name)
        if value is None or value == "" or defaults.get(name) == value:
            continue
        pairs.append((name, str(value.pk) if hasattr(value, "pk") else str(value)))
    return urlencode(pairs)


class BulkForm(forms.Form):
    """Change the requests ticked in the queue: one action, chosen by the button pressed."""

    ACTION_STATUS = "status"
    ACTION_ASSIGN = "assign"
    ACTION_PRIORITY = "priority"

    requests = RequestNumbersField()
    action = forms.ChoiceField(
        choices=[
            (ACTION_STATUS, "Status"),
            (ACTION_ASSIGN, "Assign"),
            (ACTION_PRIORITY, "Priority"),
        ],
        error_messages={
            "required": "Choose what to change",
            "invalid_choice": "Choose what to change",
        },
    )
    status = forms.ChoiceField(
        label="New status",
        choices=[("", "Choose a status"), *SETTABLE_STATUSES],
        required=False,
        error_messages={"invalid_choice": "Select one of the statuses listed"},
    )
    message = forms.CharField(
        label="Public message (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"max_length": "The message must be 5,000 characters or fewer"},
    )
    assignee = forms.ChoiceField(
        label="Assign to",
        required=False,
        error_messages={"invalid_choice": "Select one of the people listed"},
    )
    priority = forms.TypedChoiceField(
        label="New priority",
        choices=[
            ("", "Choose a priority"),
            *[(str(v), str(label)) for v, label in Priority.choices],
        ],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Select one of the priorities listed"},
    )
    #: The queue's query string, to go back to the same filters afterwards.
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assignees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose someone"), *assignees]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == self.ACTION_STATUS and not data.get("status") and "status" not in self.errors:
            self.add_error("status", "Select the status to set")
        if (
            action == self.ACTION_ASSIGN
            and not data.get("assignee")
            and "assignee" not in self.errors
        ):
            self.add_error("assignee", "Select who to assign the requests to")
        if (
            action == self.ACTION_PRIORITY
            and data.get("priority") is None
            and "priority" not in self.errors
        ):
            self.add_error("priority", "Select the priority to set")
        return data


class SavedViewForm(forms.Form):
    """Save the queue's current filters under a name, for oneself or a body's staff."""

    ONLY_ME = "me"

    name = forms.CharField(
        label="Name for this view",
        max_length=80,
        error_messages={
            "required": "Enter a name for the view",
            "max_length": "The name must be 80 characters or fewer",
        },
    )
    share = forms.ChoiceField(
        label="Who sees it",
        error_messages={
            "required": "Choose who sees the view",
            "invalid_choice": "Choose who sees the view from the list",
        },
    )
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, bodies: list[Body], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["share"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(self.ONLY_ME, "Only me")] + [
            (str(b.pk), f"Everyone on the staff of {b.name}") for b in bodies
        ]
        self.bodies = {str(b.pk): b for b in bodies}

    def shared_with(self) -> Body | None:
        return self.bodies.get(self.cleaned_data["share"])


class ResponseTemplateForm(forms.Form):
    """A response template: which body, which category and status it fits, and its words."""

    body = forms.ModelChoiceField(
        label="Body",
        queryset=Body.objects.none(),
        error_messages={
            "required": "Select the body whose staff use this template",
            "invalid_choice": "Select one of the bodies listed",
        },
    )
    category = forms.ModelChoiceField(
        label="Category (optional)",
        queryset=Category.objects.all(),
        required=False,
        error_messages={"invalid_choice": "Select one of the categories listed"},
    )
    status = forms.ChoiceField(
        label="Status (optional)",
        choices=[("", "Any status"), *SETTABLE_STATUSES],
        required=False,
        error_messages={"invalid_choice": "Select one of the statuses listed"},
    )
    title = forms.CharField(
        label="Title",
        max_length=120,
        error_messages={
            "required": "Enter a title, so staff can tell templates apart",
            "max_length": "The title must be 120 characters or fewer",
        },
    )
    text = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter the message",
            "max_length": "The message must be 5,000 characters or fewer",
        },
    )

    def __init__(self, *args: Any, bodies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["body"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = bodies


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


class AssignForm(forms.Form):
    """Who works on the request: the choices are the people the user may assign it to."""

    NOBODY = "none"

    assignee = forms.ChoiceField(
        label="Assigned to",
        error_messages={
            "required": "Select who to assign the request to",
            "invalid_choice": "Select one of the people listed",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(self.NOBODY, "Nobody (not assigned)"), *choices]


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        label="Priority",
        choices=[(str(v), str(label)) for v, label in Priority.choices],
        coerce=int,
        error_messages={
            "required": "Select a priority",
            "invalid_choice": "Select one of the priorities listed",
        },
    )


class DueForm(forms.Form):
    """A due date as GOV.UK's date input asks for it: day, month and year boxes.

    The "Remove the due date" button sends ``remove`` and ignores the boxes.
    """

    day = forms.CharField(required=False, max_length=2)
    month = forms.CharField(required=False, max_length=2)
    year = forms.CharField(required=False, max_length=4)
    remove = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove"):
            data["due"] = None
            return data
        parts = [str(data.get(name) or "").strip() for name in ("day", "month", "year")]
        if not any(parts):
            raise forms.ValidationError("Enter the due date")
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise forms.ValidationError(f"The due date must include a {missing[0]}")
        if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
            raise forms.ValidationError("The due date must be a real date, like 27 3 2027")
        try:
            day = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise forms.ValidationError(
                "The due date must be a real date, like 27 3 2027"
            ) from None
        # Due on a day means by the end of that day, where the body is.
        data["due"] = timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
        return data
