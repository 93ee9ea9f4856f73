"""Building the emails subscriptions send: text and HTML parts, and one-click stop headers.

Every email about a subscription carries ``List-Unsubscribe`` (the stop link) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), and a link to the person's
preference centre in its footer.

Notifications to many followers are rendered once per event (see ``delivery``) with
:data:`STOP_MARK` and :data:`MANAGE_MARK` standing in for each person's own links, which
:func:`personalise` then puts in; :func:`build_email` renders a single email in one go.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from markupsafe import escape

from openlocal.subscriptions import links

#: Stand-ins for a recipient's stop link and preference-centre link in a shared rendering.
STOP_MARK = "openlocal-stop-link-b4c1"
MANAGE_MARK = "openlocal-manage-link-b4c1"


def email_context(
    context: dict[str, Any], *, manage_url: str | None, stop_url: str | None
) -> dict[str, Any]:
    """The template context every email shares: the site, and the footer links."""
    return {
        **context,
        "site_name": settings.SITE_NAME,
        "base_url": settings.BASE_URL,
        "manage_url": manage_url,
        "stop_url": stop_url,
    }


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML parts from ``emails/<template>.txt`` and ``.html``."""
    return (
        render_to_string(f"emails/{template}.txt", context),
        render_to_string(f"emails/{template}.html", context),
    )


def stop_headers(stop_url: str | None, *, one_click: bool = True) -> dict[str, str]:
    """``List-Unsubscribe`` with the link, and the RFC 8058 one-click header when it is one.

    ``one_click`` is False when the link opens a page rather than stopping on a POST (the
    preference centre, for an email about several subscriptions).
    """
    if not stop_url:
        return {}
    headers = {"List-Unsubscribe": f"<{stop_url}>"}
    if one_click:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def personalise(text: str, html: str, *, stop_url: str, manage_url: str) -> tuple[str, str]:
    """Put one recipient's links into parts rendered with the stand-ins."""
    text = text.replace(STOP_MARK, stop_url).replace(MANAGE_MARK, manage_url)
    html = html.replace(STOP_MARK, str(escape(stop_url))).replace(
        MANAGE_MARK, str(escape(manage_url))
    )
    return text, html


def assemble(
    *, to: str, subject: str, text: str, html: str, headers: dict[str, str], connection: Any = None
) -> EmailMultiAlternatives:
    """An email from already rendered parts."""
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[to], headers=headers, connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


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
    text, html = render(template, email_context(context, manage_url=manage, stop_url=stop_url))
    return assemble(to=to, subject=subject, text=text, html=html, headers=stop_headers(stop_url))
