"""The form for a new API key: it parses and checks input; ``apikey_create`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from openlocal.apikeys.models import Scope
from openlocal.apikeys.services import NAME_MAX_LENGTH
from openlocal.places.models import Body

#: The body choice for a key that acts for no body (superusers only).
SITE_WIDE = "site"


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": "Enter a name for the key",
            "max_length": f"Name the key in {NAME_MAX_LENGTH} characters or fewer",
        },
    )
    body = forms.ChoiceField(
        error_messages={
            "required": "Select the body the key is for",
            "invalid_choice": "Select a body you administer",
        }
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        error_messages={
            "required": "Select at least one thing the key may do",
            "invalid_choice": "Select only the scopes listed",
        },
    )
    contact_email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter the contact email address in the correct format, "
            "like name@example.com"
        },
    )

    def __init__(self, *args: Any, bodies: list[Body], site_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bodies = {str(b.pk): b for b in bodies}
        choices = [(pk, b.name) for pk, b in self.bodies.items()]
        if site_wide:
            choices.insert(0, (SITE_WIDE, "Site-wide: no body (submit and webhooks only)"))
        body_field = self.fields["body"]
        assert isinstance(body_field, forms.ChoiceField)
        body_field.choices = choices
        if len(choices) == 1 and not self.is_bound:
            self.initial.setdefault("body", choices[0][0])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("body") == SITE_WIDE and Scope.BODY in (cleaned.get("scopes") or []):
            self.add_error(
                "scopes",
                ValidationError(
                    f"A site-wide key cannot act for a body: choose a body, or untick "
                    f"“{Scope.BODY.label}”"
                ),
            )
        return cleaned

    def chosen_body(self) -> Body | None:
        """The body of a valid form (None for a site-wide key)."""
        return self.bodies.get(self.cleaned_data["body"])
