"""Background work for requests, run by ``openlocal worker``.

Updates on a request reach its reporter as they reach every follower: the reporter follows
their own request, and the delivery dispatcher (``openlocal.subscriptions.delivery``) emails
them.
"""

from __future__ import annotations

from django_tasks import task

from openlocal.requests.models import Request


@task()
def send_report_confirmation(request_id: int) -> None:
    """Tell the reporter their request is recorded, with its public link.

    The email carries the stop link of the reporter's follow of their request, and the link
    to their preference centre, like every email about what a person follows.
    """
    from openlocal.requests.access import reporter_url
    from openlocal.subscriptions import links
    from openlocal.subscriptions.emails import build_email
    from openlocal.subscriptions.models import Subscription

    request = Request.private_objects.select_related("reporter", "body", "category").get(
        pk=request_id
    )
    if request.reporter is None:
        return
    follow = Subscription.objects.filter(
        person=request.reporter, target_key=f"request:{request.pk}"
    ).first()
    build_email(
        to=request.reporter.email,
        subject=f"Your report #{request.pk}: {request.title}",
        template="report_confirmation",
        # The reporter link: it shows the request to its reporter even when it is private.
        context={"request": request, "url": reporter_url(request)},
        person_id=request.reporter.pk,
        stop_url=links.stop_url(follow.pk) if follow is not None and follow.active else None,
    ).send()
