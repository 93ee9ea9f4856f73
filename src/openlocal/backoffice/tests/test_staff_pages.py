"""The back-office pages: who may see and change what, the link form's errors, the key that
is never shown again, and the sending status in the request workspace."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from openlocal.backoffice.models import BackOfficeLink, Method, Sending, SendingStatus
from openlocal.core.models import AuditEntry
from openlocal.places.models import Membership, Role

pytestmark = pytest.mark.django_db

PAGE = "/staff/back-office/testshire/"
EDIT = "/staff/back-office/testshire/edit"
KEY = "crm-key-0123456789abcdefghij-WXYZ"


def user(name: str, role: Role | str | None, body: Any = None) -> Any:
    users = get_user_model().objects
    email = f"{name}@example.org"
    if role == "superuser":
        return users.create_superuser(email, email=email, password="pw", first_name=name)
    made = users.create_user(email, email=email, password="pw", first_name=name)
    if role is not None:
        assert isinstance(role, Role)
        Membership.objects.create(user=made, body=body, role=role)
    return made


def client_for(who: Any) -> Client:
    client = Client()
    if who is not None:
        client.force_login(who)
    return client


@pytest.mark.parametrize(
    ("who", "page", "edit"),
    [
        ("anonymous", 302, 302),
        ("nobody", 404, 404),
        ("viewer", 403, 403),
        ("inspector", 403, 403),
        ("manager", 200, 403),
        ("administrator", 200, 200),
        ("west_administrator", 404, 404),
        ("superuser", 200, 200),
    ],
)
def test_who_may_see_and_change_the_link(place: Any, who: str, page: int, edit: int) -> None:
    people = {
        "anonymous": None,
        "nobody": user("nobody", None),
        "viewer": user("vic", Role.VIEWER, place.county_council),
        "inspector": user("ivo", Role.INSPECTOR, place.county_council),
        "manager": user("mia", Role.MANAGER, place.county_council),
        "administrator": user("ada", Role.ADMINISTRATOR, place.county_council),
        "west_administrator": user("wes", Role.ADMINISTRATOR, place.west_council),
        "superuser": user("root", "superuser"),
    }
    client = client_for(people[who])
    assert client.get(PAGE).status_code == page
    assert client.get(EDIT).status_code == edit
    posted = client.post(EDIT, {"method": "email", "email": "x@example.org", "format": "json"})
    assert posted.status_code == (edit if edit != 200 else 302)
    assert BackOfficeLink.objects.exists() == (edit == 200)


def test_the_navigation_offers_the_page_to_administrators(place: Any) -> None:
    admin = client_for(user("ada", Role.ADMINISTRATOR, place.county_council))
    inspector = client_for(user("ivo", Role.INSPECTOR, place.county_council))
    assert 'href="/staff/back-office/"' in admin.get("/staff/").content.decode()
    assert 'href="/staff/back-office/"' not in inspector.get("/staff/").content.decode()
    # One body: the index goes straight to it.
    assert admin.get("/staff/back-office/")["Location"] == PAGE
    assert inspector.get("/staff/back-office/").status_code == 403


def test_a_superuser_sees_every_body(place: Any) -> None:
    page = client_for(user("root", "superuser")).get("/staff/back-office/").content.decode()
    for body in (place.county_council, place.west_council, place.east_council):
        assert body.name in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose how the body receives its requests"),
        (
            {"method": "email", "email": "not-an-address"},
            "Enter the email address in the correct format",
        ),
        ({"method": "open311"}, "Enter the address of the Open311 endpoint."),
        (
            {"method": "open311", "endpoint": "ftp://crm.example.gov"},
            "Enter the endpoint’s full address",
        ),
        (
            {"method": "open311", "endpoint": "https://crm.example.gov/open311/v2/services.json"},
            "without services.json",
        ),
        ({"method": "open311", "endpoint": "https://127.0.0.1/open311/v2", "api_key": KEY}, ""),
        ({"method": "open311", "endpoint": "http://127.0.0.1:9/open311/v2"}, "Enter the API key"),
        ({"method": "email", "service_codes": "POT HW-1"}, "Line 1 should be our code"),
        ({"method": "email", "service_codes": "POT=A\nPOT=B"}, "Line 2 maps “POT” a second time"),
        (
            {"method": "email", "service_codes": "ZZZ=HW-1"},
            "“ZZZ” is not one of this site’s service codes.",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    place: Any, settings: Any, data: dict[str, str], message: str
) -> None:
    if not message:
        # The only reason for this one to fail: the site does not call private addresses.
        settings.BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES = False
        message = "is a private or local address (127.0.0.1)"
    admin = client_for(user("ada", Role.ADMINISTRATOR, place.county_council))
    response = admin.post(EDIT, {"format": "json", "enabled": "on", **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    assert not BackOfficeLink.objects.exists()


def test_the_api_key_is_kept_and_never_shown_again(place: Any) -> None:
    admin_user = user("ada", Role.ADMINISTRATOR, place.county_council)
    admin = client_for(admin_user)
    form = admin.get(EDIT).content.decode()
    assert 'value="highways@testshire.example"' in form  # the body's contact email, to start

    saved = admin.post(
        EDIT,
        {
            "method": "open311",
            "endpoint": "http://127.0.0.1:9/open311/v2/",
            "api_key": KEY,
            "jurisdiction_id": "testshire.gov",
            "format": "xml",
            "service_codes": "POT=HW-0042\n\nSLT = HW-0007",
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    link = BackOfficeLink.objects.get()
    assert (link.method, link.endpoint, link.api_key) == (
        Method.OPEN311,
        "http://127.0.0.1:9/open311/v2",
        KEY,
    )
    assert link.service_codes == {"POT": "HW-0042", "SLT": "HW-0007"}
    assert (link.format, link.jurisdiction_id, link.enabled) == ("xml", "testshire.gov", True)

    page = admin.get(PAGE).content.decode()
    assert "Set, ending in …WXYZ" in page
    assert "POT → HW-0042" in page
    form = admin.get(EDIT).content.decode()
    assert "A key is stored (Set, ending in …WXYZ)" in form
    assert "POT=HW-0042\nSLT=HW-0007" in form
    for html in (page, form):
        assert KEY not in html
    audit = AuditEntry.objects.get(action="backoffice.link_save")
    assert audit.data["api_key_changed"] is True
    assert KEY not in str(audit.data)

    # Saving again without typing a key keeps it; removing it is refused while Open311
    # needs one.
    admin.post(
        EDIT,
        {"method": "open311", "endpoint": "http://127.0.0.1:9/open311/v2", "format": "json"},
    )
    link.refresh_from_db()
    assert link.api_key == KEY
    assert link.enabled is False
    refused = admin.post(
        EDIT,
        {
            "method": "open311",
            "endpoint": "http://127.0.0.1:9/open311/v2",
            "format": "json",
            "clear_api_key": "on",
        },
    )
    assert refused.status_code == 400
    assert "Enter the API key" in refused.content.decode()
    link.refresh_from_db()
    assert link.api_key == KEY


def test_the_workspace_shows_where_the_request_went(
    place: Any, back_office: Any, open311_link: Any, report: Any
) -> None:
    link = open311_link("http://127.0.0.1:9/open311/v2")
    request = report()
    Sending.objects.create(
        request=request,
        link=link,
        status=SendingStatus.FAILED,
        attempts=3,
        last_error="Sending the request: the back office answered HTTP 403: Invalid api_key",
    )
    inspector = client_for(place.county_inspector).get(f"/staff/requests/{request.pk}")
    html = inspector.content.decode()
    assert "Back office" in html
    assert "Open311 to Testshire County Council" in html
    assert "Failed" in html
    assert "Tries: 3" in html
    assert "HTTP 403: Invalid api_key" in html
    assert "Retry now" not in html  # inspectors may not

    manager = client_for(back_office.county_manager).get(f"/staff/requests/{request.pk}")
    assert "Retry now" in manager.content.decode()
    # Nothing of it is public.
    public = Client().get(f"/requests/{request.pk}").content.decode()
    assert "HTTP 403" not in public
