"""Signing in and out of the staff pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_is_a_govuk_form(client: Client) -> None:
    response = client.get(reverse("staff:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label class="govuk-label govuk-label--s" for="id_username">' in html
    assert "Email address" in html


def test_login_with_email_in_any_case_goes_to_the_queue(client: Client, place) -> None:
    response = client.post(
        reverse("staff:login"),
        {"username": "Inspector@Testshire.EXAMPLE", "password": "pw"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    assert client.get(reverse("staff:queue")).status_code == 200


def test_login_follows_next(client: Client, place) -> None:
    response = client.post(
        reverse("staff:login") + "?next=/staff/requests/1",
        {"username": "inspector@testshire.example", "password": "pw", "next": "/staff/requests/1"},
    )
    assert response["Location"] == "/staff/requests/1"


def test_wrong_password_shows_an_error(client: Client, place) -> None:
    response = client.post(
        reverse("staff:login"), {"username": "inspector@testshire.example", "password": "nope"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter a correct email address and password" in html
    assert "<title>Error: " in html
    assert "_auth_user_id" not in client.session


def test_empty_form_says_what_to_enter(client: Client, place) -> None:
    html = client.post(reverse("staff:login"), {}).content.decode()
    assert "Enter your email address" in html
    assert "Enter your password" in html
    assert 'href="#id_username"' in html


def test_login_attempts_are_rate_limited_per_address(client: Client, place) -> None:
    for _ in range(20):
        response = client.post(
            reverse("staff:login"), {"username": "inspector@testshire.example", "password": "x"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("staff:login"), {"username": "inspector@testshire.example", "password": "pw"}
    )
    assert response.status_code == 429
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.7")
    response = other.post(
        reverse("staff:login"), {"username": "inspector@testshire.example", "password": "pw"}
    )
    assert response.status_code == 302


def test_logout_is_post_only_and_offered_on_staff_pages(client: Client, place) -> None:
    client.force_login(place.county_inspector)
    html = client.get(reverse("staff:queue")).content.decode()
    assert f'action="{reverse("staff:logout")}"' in html
    assert "Sign out" in html
    assert client.get(reverse("staff:logout")).status_code == 405
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_anonymous_staff_pages_redirect_to_login_with_next(client: Client) -> None:
    response = client.get(reverse("staff:queue"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:login')}?next=/staff/"
    response = client.get("/staff/requests/12")
    assert response["Location"] == f"{reverse('staff:login')}?next=/staff/requests/12"


def test_signed_in_user_on_the_login_page_goes_on(client: Client, place) -> None:
    client.force_login(place.county_inspector)
    response = client.get(reverse("staff:login"))
    assert response["Location"] == reverse("staff:queue")
    # A "next" pointing back at the login page is not a redirect loop (nor an error).
    response = client.get(reverse("staff:login") + "?next=/staff/login")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    # A "next" to another site is ignored.
    response = client.get(reverse("staff:login") + "?next=https://evil.example/")
    assert response["Location"] == reverse("staff:queue")
