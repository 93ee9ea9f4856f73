"""Building the emails subscriptions send: text and HTML parts, and one-click stop headers.

Every email about a subscription carries ``List-Unsubscribe`` (the stop link) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), and a link to the person's
preference centre in its footer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from openlocal.subscriptions import links


def build_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    person_id: int | None = None,
    stop_url: str | None = None,
) -> EmailMultiAlternatives:
    """An email from ``emails/<template>.txt`` and ``.html``, with the stop headers if any."""
    manage = links.manage_url(person_id) if person_id is not None else None
    context = {
        **context,
        "site_name": settings.SITE_NAME,
        "base_url": settings.BASE_URL,
        "manage_url": manage,
        "stop_url": stop_url,
    }
    headers: dict[str, str] = {}
    if stop_url:
        headers["List-Unsubscribe"] = f"<{stop_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message
