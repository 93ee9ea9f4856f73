"""Background work for requests, run by ``openlocal worker``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django_tasks import task

from openlocal.requests.models import Request, Update


def _send(to: str, subject: str, template: str, context: dict) -> None:
    context = {**context, "site_name": settings.SITE_NAME, "base_url": settings.BASE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


@task()
def send_report_confirmation(request_id: int) -> None:
    """Tell the reporter their request is recorded, with its public link."""
    request = Request.private_objects.select_related("reporter", "body", "category").get(
        pk=request_id
    )
    if request.reporter is None:
        return
    _send(
        request.reporter.email,
        f"Your report #{request.pk}: {request.title}",
        "report_confirmation",
        {"request": request, "url": settings.BASE_URL + request.get_absolute_url()},
    )


@task()
def send_reporter_update(update_id: int) -> None:
    """Tell the reporter about a public update on their request."""
    update = (
        Update.public_objects.select_related("request__reporter", "request__body")
        .filter(pk=update_id)
        .first()
    )
    if update is None or update.request.reporter is None:
        return
    request = update.request
    reporter = update.request.reporter
    _send(
        reporter.email,
        f"Update on your report #{request.pk}: {request.title}",
        "reporter_update",
        {
            "request": request,
            "update": update,
            "url": settings.BASE_URL + request.get_absolute_url(),
        },
    )
