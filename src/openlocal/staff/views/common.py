"""What every staff page passes to its template."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openlocal.apikeys.selectors import may_manage_keys
from openlocal.backoffice.selectors import may_configure_back_office
from openlocal.importers.selectors import may_import
from openlocal.staff.presenters import (
    error_message,
    error_summary,
    field_value,
    priority_tag,
    status_tag,
)
from openlocal.staff.selectors import managed_bodies


def staff_render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a staff page with the messages and the form helpers its template uses."""
    full = {
        "messages": get_messages(request),
        "error_message": error_message,
        "error_summary": error_summary,
        "field_value": field_value,
        "status_tag": status_tag,
        "priority_tag": priority_tag,
        "may_manage_templates": managed_bodies(request.user).exists(),
        "may_manage_api_keys": may_manage_keys(request.user),
        "may_import": may_import(request.user),
        "may_configure_back_office": may_configure_back_office(request.user),
        **context,
    }
    return render(request, template, full, status=status)
