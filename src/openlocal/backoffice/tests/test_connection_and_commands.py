""" "Test connection" against a real Open311 server on loopback, and the operators' commands
``openlocal backoffice-send`` and ``openlocal backoffice-poll``."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from openlocal.backoffice.models import BackOfficeLink, Sending, SendingStatus
from openlocal.requests.models import Request, Status
from openlocal.requests.services import request_status_change
from openlocal.subscriptions.testing import free_port

pytestmark = pytest.mark.django_db(transaction=True)

TEST = "/staff/back-office/testshire/test"


def test_test_connection_lists_the_services_and_the_codes_it_lacks(
    live_server: Any, back_office: Any, open311_link: Any
) -> None:
    open311_link(
        f"{live_server.url}/open311/v2", service_codes={"POT": "HWY-POT", "SLT": "HWY-SLT"}
    )
    admin = Client()
    admin.force_login(back_office.county_admin)
    html = " ".join(admin.post(TEST).content.decode().split())
    assert "Connection works" in html
    assert "Connected: the back office offers 5 services." in html
    assert "HWY-POT (Carriageway defect)" in html
    # The county's street lights would go out under a code the back office lacks.
    assert "the back office does not list them: HWY-SLT." in html

    manager = Client()
    manager.force_login(back_office.county_manager)
    assert manager.post(TEST).status_code == 403


def test_test_connection_says_why_it_failed(back_office: Any, open311_link: Any) -> None:
    open311_link(f"http://127.0.0.1:{free_port()}/open311/v2")
    admin = Client()
    admin.force_login(back_office.county_admin)
    html = admin.post(TEST).content.decode()
    assert "Connection failed" in html
    assert "Reading services: could not connect" in html
    assert back_office.api_key not in html


def test_the_commands_send_and_poll(
    live_server: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    open311_link(f"{live_server.url}/open311/v2")
    original = report()
    out = io.StringIO()
    call_command("backoffice-send", stdout=out)
    assert "sent 1, retrying 0, failed 0" in out.getvalue()
    sending = Sending.objects.get(request=original)
    assert sending.status == SendingStatus.SENT

    copy = Request.private_objects.get(pk=int(sending.external_id))
    request_status_change(
        request=copy, actor=back_office.officer, status=Status.INVESTIGATING, message="Looking."
    )
    out = io.StringIO()
    call_command("backoffice-poll", "--body", "testshire", stdout=out)
    assert "Polled 1 back offices: 1 updates applied" in out.getvalue()
    original.refresh_from_db()
    assert original.status == Status.INVESTIGATING

    with pytest.raises(CommandError, match="No body with slug 'west' has an Open311 link"):
        call_command("backoffice-poll", "--body", "west")

    BackOfficeLink.objects.update(endpoint=f"http://127.0.0.1:{free_port()}/open311/v2")
    with pytest.raises(CommandError, match="Some back offices could not be polled"):
        call_command("backoffice-poll", stdout=io.StringIO())
    link = BackOfficeLink.objects.get()
    assert link.last_poll_error.startswith("Reading updates: could not connect")
