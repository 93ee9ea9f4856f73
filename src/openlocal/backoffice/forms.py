"""The link form: it parses and checks input; ``link_save`` decides."""

from __future__ import annotations

from typing import Any

from django import forms

from openlocal.backoffice.models import Format, Method
from openlocal.backoffice.presenters import parse_codes


class LinkForm(forms.Form):
    method = forms.ChoiceField(
        choices=Method.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the body receives its requests",
            "invalid_choice": "Choose email or Open311",
        },
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter the email address in the correct format, like name@example.com"
        },
    )
    endpoint = forms.CharField(required=False, max_length=500, strip=True)
    api_key = forms.CharField(required=False, max_length=500, strip=True)
    clear_api_key = forms.BooleanField(required=False)
    jurisdiction_id = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        error_messages={"max_length": "Enter a jurisdiction of 100 characters or fewer"},
    )
    format = forms.ChoiceField(
        choices=Format.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose JSON or XML", "invalid_choice": "Choose JSON or XML"},
    )
    service_codes = forms.CharField(required=False, widget=forms.Textarea, max_length=20_000)
    enabled = forms.BooleanField(required=False)

    def clean_service_codes(self) -> dict[str, str]:
        codes, problems = parse_codes(self.cleaned_data.get("service_codes") or "")
        if problems:
            raise forms.ValidationError(problems)
        return codes

    def api_key_to_save(self) -> str | None:
        """The key for ``link_save``: None keeps the stored one, "" removes it."""
        typed = self.cleaned_data.get("api_key") or ""
        if typed:
            return typed
        return "" if self.cleaned_data.get("clear_api_key") else None

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "method": data["method"],
            "email": data.get("email") or "",
            "endpoint": data.get("endpoint") or "",
            "api_key": self.api_key_to_save(),
            "jurisdiction_id": data.get("jurisdiction_id") or "",
            "service_codes": data.get("service_codes") or {},
            "format": data["format"],
            "enabled": bool(data.get("enabled")),
        }


class RetryForm(forms.Form):
    """Where to go after "Retry now": the back-office page or the request's workspace."""

    next = forms.ChoiceField(choices=[("list", "list"), ("workspace", "workspace")], required=False)
