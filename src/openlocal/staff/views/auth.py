"""Signing in and out. Sign-in attempts are rate-limited per IP address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView, LogoutView
from django.contrib.messages import get_messages
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from openlocal.staff.forms import StaffLoginForm
from openlocal.staff.presenters import error_message, error_summary, field_value

#: Sign-in attempts (POSTs) allowed per IP address: enough for a shared office connection,
#: too few for guessing passwords.
LOGIN_RATE = "20/h"


@method_decorator(
    ratelimit(group="staff-login", key="ip", rate=LOGIN_RATE, method="POST", block=True),
    name="dispatch",
)
class StaffLoginView(LoginView):
    template_name = "staff/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        # "next" pointing back at this page would make Django refuse with an error.
        if url == self.request.path:
            return resolve_url(settings.LOGIN_REDIRECT_URL)
        return url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "messages": get_messages(self.request),
                "error_message": error_message,
                "error_summary": error_summary,
                "field_value": field_value,
            }
        )
        return context


class StaffLogoutView(LogoutView):
    """POST only (Django's default): a link cannot sign anyone out."""
