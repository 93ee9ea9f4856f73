"""Forms for the report journey: one form per question page.

The forms only check what a person typed; ``request_create`` checks everything again when
the report is sent, so a draft that went stale (an area redrawn, a category withdrawn) is
caught there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from openlocal.core import geo
from openlocal.places.selectors import NotCovered, areas_containing
from openlocal.requests.models import Category, CategoryQuestion, QuestionDatatype
from openlocal.requests.photos import PhotoError, photo_reencode

#: The datetime-local input sends ``2026-03-01T14:30`` (seconds when the browser adds them).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

ANSWER_PREFIX = "answer_"


def answer_field_name(question: CategoryQuestion) -> str:
    return f"{ANSWER_PREFIX}{question.code}"


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field whose choices depend on the draft, to set in ``__init__``."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class ReportLocationForm(forms.Form):
    """Where the problem is, as typed coordinates (or set by clicking the map)."""

    latitude = forms.FloatField(
        error_messages={
            "required": "Enter the latitude, for example 50.72150",
            "invalid": "Latitude must be a number, for example 50.72150",
        }
    )
    longitude = forms.FloatField(
        error_messages={
            "required": "Enter the longitude, for example -3.53330",
            "invalid": "Longitude must be a number, for example -3.53330",
        }
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if latitude is None or longitude is None:
            return cleaned
        try:
            geo.validate_point(latitude, longitude)
        except geo.InvalidLocation as exc:
            field = "longitude" if str(exc).startswith("Longitude") else "latitude"
            self.add_error(field, str(exc))
            return cleaned
        if not areas_containing(latitude, longitude):
            self.add_error("latitude", str(NotCovered(latitude, longitude)))
        return cleaned


class PlaceSearchForm(forms.Form):
    """A place name or asset name (or an asset's reference) to look up."""

    q = forms.CharField(
        max_length=100,
        strip=True,
        error_messages={
            "required": "Enter the name of a place or asset to search for",
            "max_length": "Search for 100 characters or fewer",
        },
    )


class PlaceMatchForm(forms.Form):
    """One of the search results, chosen to set the location."""

    match = forms.ChoiceField(
        error_messages={
            "required": "Choose one of the places found, or search again",
            "invalid_choice": "Choose one of the places found, or search again",
        }
    )

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "match").choices = list(choices)


class ReportCategoryForm(forms.Form):
    """What kind of problem it is, from the categories handled at the point."""

    category = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose what kind of problem it is",
            "invalid_choice": "Choose one of the kinds of problem listed",
        },
    )

    def __init__(self, *args: Any, categories: Sequence[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "category").choices = [(c.pk, c.name) for c in categories]


#: The value of the "none of these" choice on the asset page.
NO_ASSET = "none"


class ReportAssetForm(forms.Form):
    """Which nearby asset the problem is with, or none of them."""

    asset = forms.ChoiceField(
        error_messages={
            "required": "Choose the one with the problem",
            "invalid_choice": "Choose one of the ones listed",
        }
    )

    def __init__(
        self, *args: Any, asset_ids: Sequence[int], allow_none: bool, kind: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(pk), str(pk)) for pk in asset_ids]
        if allow_none:
            choices.append((NO_ASSET, NO_ASSET))
        field = _choice_field(self, "asset")
        field.choices = choices
        field.error_messages["required"] = (
            f"Choose the {kind} with the problem, or say you cannot see it"
            if allow_none
            else f"Choose the {kind} with the problem"
        )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of uploaded files; the form checks how many and whether they are photos."""

    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [f for f in files if f]


class ReportDetailsForm(forms.Form):
    """The title, description, the category's extra questions and photos."""

    title = forms.CharField(
        max_length=120,
        error_messages={
            "required": "Enter a short summary of the problem",
            "max_length": "The summary must be 120 characters or fewer",
        },
    )
    description = forms.CharField(
        max_length=5000,
        widget=forms.Textarea,
        error_messages={
            "required": "Describe the problem",
            "max_length": "The description must be 5,000 characters or fewer",
        },
    )
    photos = PhotosField(required=False)
    remove_photos = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": "Choose from the photos you have added"},
    )

    def __init__(
        self,
        *args: Any,
        questions: Sequence[CategoryQuestion],
        kept_photos: Sequence[tuple[str, str]] = (),
        photo_required: str = "",
        **kwargs: Any,
    ) -> None:
        """``kept_photos``: ``(draft name, label)`` for photos already added to the draft.

        ``photo_required``: for a category that needs a photo, the error to give when the
        report would have none ("" when photos are optional).
        """
        super().__init__(*args, **kwargs)
        self.questions = [q for q in questions if q.variable]
        self.kept_photos = list(kept_photos)
        self.photo_required = photo_required
        _choice_field(self, "remove_photos").choices = self.kept_photos
        for question in self.questions:
            self.fields[answer_field_name(question)] = self._answer_field(question)
        #: Re-encoded photos ready to add to the draft, set by a successful ``clean_photos``.
        self.new_photos: list[tuple[ContentFile[bytes], str]] = []

    @staticmethod
    def _answer_field(question: CategoryQuestion) -> forms.Field:
        messages = {"required": f"Answer “{question.label}”"}
        choices = [(str(v["key"]), str(v["name"])) for v in question.values]
        common: dict[str, Any] = {"required": question.required, "label": question.label}
        match question.datatype:
            case QuestionDatatype.TEXT:
                return forms.CharField(widget=forms.Textarea, error_messages=messages, **common)
            case QuestionDatatype.NUMBER:
                messages["invalid"] = f"“{question.label}” must be a number, like 3 or 2.5"
                return forms.DecimalField(error_messages=messages, **common)
            case QuestionDatatype.DATETIME:
                messages["invalid"] = (
                    f"“{question.label}” must be a date and time, like 1 March 2026 at 2:30pm"
                )
                return forms.DateTimeField(
                    input_formats=DATETIME_LOCAL_FORMATS, error_messages=messages, **common
                )
            case QuestionDatatype.SINGLEVALUELIST:
                messages["invalid_choice"] = f"Choose one of the answers to “{question.label}”"
                return forms.ChoiceField(choices=choices, error_messages=messages, **common)
            case QuestionDatatype.MULTIVALUELIST:
                messages["invalid_choice"] = f"Choose from the answers to “{question.label}”"
                return forms.MultipleChoiceField(choices=choices, error_messages=messages, **common)
            case _:
                return forms.CharField(max_length=1000, error_messages=messages, **common)

    def clean_photos(self) -> list[UploadedFile]:
        uploads: list[UploadedFile] = self.cleaned_data.get("photos") or []
        removing = (
            set(self.data.getlist("remove_photos")) if hasattr(self.data, "getlist") else set()
        )
        kept = [name for name, _label in self.kept_photos if name not in removing]
        limit = settings.PHOTOS_PER_REQUEST
        if len(kept) + len(uploads) > limit:
            already = f" You have already added {len(kept)}." if kept else ""
            raise forms.ValidationError(
                f"Add at most {limit} photos to a report.{already} "
                "Choose fewer photos, or remove one you added before."
            )
        errors: list[str] = []
        processed: list[tuple[ContentFile[bytes], str]] = []
        for upload in uploads:
            label = upload.name or "The photo"
            try:
                processed.append((photo_reencode(upload, filename=label), label))
            except PhotoError as exc:
                errors.append(str(exc))
        if errors:
            raise forms.ValidationError(errors)
        if self.photo_required and not kept and not processed:
            raise forms.ValidationError(self.photo_required)
        self.new_photos = processed
        return uploads

    def answers(self) -> dict[str, Any]:
        """The answers, as JSON values ``request_create`` accepts: ``{code: value}``."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(answer_field_name(question))
            if value in (None, "", []):
                continue
            if isinstance(value, Decimal):
                value = str(value)
            elif hasattr(value, "strftime"):
                value = value.strftime("%Y-%m-%dT%H:%M")
            answers[question.code] = value
        return answers


NAME_PUBLIC = "public"
NAME_ANONYMOUS = "anonymous"


class ReportAboutYouForm(forms.Form):
    """Optional contact details; only the name, and only if the reporter agrees, is public."""

    name = forms.CharField(
        required=False,
        max_length=120,
        error_messages={"max_length": "Your name must be 120 characters or fewer"},
    )
    show_name = forms.ChoiceField(
        choices=[(NAME_PUBLIC, "Show my name"), (NAME_ANONYMOUS, "Stay anonymous")],
        error_messages={
            "required": "Choose whether to show your name on the report or stay anonymous"
        },
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("show_name") == NAME_PUBLIC and not cleaned.get("name"):
            self.add_error("name", "Enter your name, or choose to stay anonymous")
        return cleaned


ANSWER_ME_TOO = "me-too"
ANSWER_DIFFERENT = "different"


class ReportDuplicateForm(forms.Form):
    """The answer to "already reported?": one of the requests offered, or a different problem."""

    answer = forms.ChoiceField(
        choices=[
            (ANSWER_ME_TOO, "This is my problem"),
            (ANSWER_DIFFERENT, "Mine is a different problem"),
        ],
        error_messages={
            "required": "Choose the report of your problem, or say yours is a different one",
            "invalid_choice": "Choose the report of your problem, or say yours is a different one",
        },
    )
    request = forms.TypedChoiceField(
        coerce=int,
        required=False,
        error_messages={
            "invalid_choice": (
                "That report is no longer open. Choose another, or say yours is a different problem"
            ),
        },
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Your email address must be 254 characters or fewer",
        },
    )

    def __init__(self, *args: Any, request_ids: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "request").choices = [(str(pk), str(pk)) for pk in request_ids]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("answer") == ANSWER_ME_TOO
            and not cleaned.get("request")
            and "request" not in self.errors
        ):
            self.add_error(
                "request", "Choose the report of your problem, or say yours is a different one"
            )
        return cleaned
