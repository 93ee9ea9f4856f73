"""Forms for following, the preference centre and webhook endpoints.

The forms check what a person typed; the services check again and have the last word.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from openlocal.subscriptions.models import Channel
from openlocal.subscriptions.targets import Target

EMAIL_ERRORS = {
    "required": "Enter your email address",
    "invalid": "Enter an email address in the correct format, like name@example.com",
    "max_length": "Enter an email address of 254 characters or fewer",
}

#: What a follower may choose when following: the preference centre adds "off".
FOLLOW_CHANNELS = [
    (Channel.IMMEDIATE.value, "An email each time there is something new"),
    (Channel.DIGEST.value, "One email a day with everything new"),
]
MANAGE_CHANNELS = [
    (Channel.IMMEDIATE.value, "Email straight away"),
    (Channel.DIGEST.value, "Daily digest email"),
    (Channel.OFF.value, "Off"),
]

#: Distances offered for "around a point", in metres.
RADIUS_CHOICES = [
    ("100", "100 metres"),
    ("250", "250 metres"),
    ("500", "500 metres"),
    ("1000", "1 kilometre"),
    ("2000", "2 kilometres"),
    ("5000", "5 kilometres"),
]
DEFAULT_RADIUS = "500"
#: A drawn polygon arrives as GeoJSON text; larger posts are not a hand-drawn shape.
MAX_POLYGON_TEXT = 200_000


class FollowForm(forms.Form):
    """Follow one target by email (posted from a request, area, body, category or asset page)."""

    target = forms.CharField(max_length=100)
    email = forms.EmailField(max_length=254, error_messages=EMAIL_ERRORS)
    channel = forms.ChoiceField(choices=FOLLOW_CHANNELS, required=False)
    next = forms.CharField(max_length=500, required=False)

    def clean_channel(self) -> str:
        return self.cleaned_data.get("channel") or Channel.IMMEDIATE.value


class ChannelForm(forms.Form):
    """How a person hears about one subscription, from the preference centre."""

    channel = forms.ChoiceField(
        choices=MANAGE_CHANNELS,
        error_messages={
            "required": "Choose how you want to hear",
            "invalid_choice": "Choose how you want to hear",
        },
    )


def _float(text: str, name: str, example: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {name: [f"{name.capitalize()} must be a number, for example {example}"]}
        ) from exc


class AreaTargetForm(forms.Form):
    """A point with a distance, or (drawn on the map) a polygon as GeoJSON."""

    latitude = forms.CharField(required=False, max_length=40)
    longitude = forms.CharField(required=False, max_length=40)
    radius = forms.ChoiceField(
        choices=RADIUS_CHOICES,
        initial=DEFAULT_RADIUS,
        error_messages={
            "required": "Choose how far around the point",
            "invalid_choice": "Choose how far around the point",
        },
    )
    polygon = forms.CharField(required=False, max_length=MAX_POLYGON_TEXT)
    name = forms.CharField(required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        polygon = (cleaned.get("polygon") or "").strip()
        name = (cleaned.get("name") or "").strip()
        try:
            if polygon:
                try:
                    geojson = json.loads(polygon)
                except ValueError as exc:
                    raise ValidationError(
                        {"polygon": ["The drawn area could not be read. Draw it again."]}
                    ) from exc
                if not isinstance(geojson, dict):
                    raise ValidationError(
                        {"polygon": ["The drawn area could not be read. Draw it again."]}
                    )
                cleaned["target"] = Target.for_polygon(geojson)
                return cleaned
            lat_text = (cleaned.get("latitude") or "").strip()
            lon_text = (cleaned.get("longitude") or "").strip()
            errors: dict[str, list[str]] = {}
            if not lat_text:
                errors["latitude"] = ["Enter the latitude, for example 50.72150"]
            if not lon_text:
                errors["longitude"] = ["Enter the longitude, for example -3.53330"]
            if errors:
                raise ValidationError(errors)
            latitude = _float(lat_text, "latitude", "50.72150")
            longitude = _float(lon_text, "longitude", "-3.53330")
            if "radius" not in cleaned:
                return cleaned
            radius = int(cleaned["radius"])
            label = f"Within {dict(RADIUS_CHOICES)[cleaned['radius']]} of {name}" if name else ""
            cleaned["target"] = Target.for_point(latitude, longitude, radius, label=label)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else "latitude", message)
        return cleaned


class FollowAreaForm(AreaTargetForm):
    """Follow a point or a drawn area by email."""

    email = forms.EmailField(max_length=254, error_messages=EMAIL_ERRORS)
    channel = forms.ChoiceField(choices=FOLLOW_CHANNELS, required=False)

    field_order = ["latitude", "longitude", "radius", "polygon", "email", "channel"]

    def clean_channel(self) -> str:
        return self.cleaned_data.get("channel") or Channel.IMMEDIATE.value


class PlaceSearchForm(forms.Form):
    q = forms.CharField(
        max_length=100,
        strip=True,
        error_messages={
            "required": "Enter the name of a place to search for",
            "max_length": "Search for 100 characters or fewer",
        },
    )


class EndpointForm(forms.Form):
    """A new webhook endpoint: who owns it and where to send."""

    email = forms.EmailField(max_length=254, error_messages=EMAIL_ERRORS)
    url = forms.CharField(
        max_length=500,
        error_messages={
            "required": "Enter the address of your endpoint, like https://example.com/hook",
            "max_length": "Enter an address of 500 characters or fewer",
        },
    )
    description = forms.CharField(
        max_length=200,
        required=False,
        error_messages={"max_length": "Describe the endpoint in 200 characters or fewer"},
    )


class EndpointTargetForm(forms.Form):
    """Add a target to an endpoint by its key (``area:7``, ``category:3@area:7``, ...)."""

    target = forms.CharField(
        max_length=100,
        error_messages={"required": "Enter what to follow, like area:7 or request:12"},
    )
