"""'Still broken' / 'Fixed' on the public request page: counts, one answer per browser, the
timeline, what staff see, the rate limit and CSRF."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from openlocal.feedback.models import Feedback
from openlocal.feedback.selectors import feedback_counts, feedback_counts_for, feedback_for_staff
from openlocal.requests.merging import request_merge
from openlocal.requests.models import Status, Update, UpdateKind
from openlocal.requests.services import request_hide

from .helpers import REPORTER, page_text

pytestmark = pytest.mark.django_db


def answer(client: Client, request, value: str):
    return client.post(reverse("feedback:give", args=[request.pk]), {"answer": value})


def box(client: Client, request) -> str:
    html = client.get(request.get_absolute_url()).content.decode()
    # The box runs from its own element to the follow box that comes after it.
    found = re.search(
        r'<div class="ol-feedback" id="feedback">.*?(?=<div class="ol-follow")', html, flags=re.S
    )
    assert found, "the request page has the feedback box"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def public_feedback_entries(request) -> list[str]:
    return list(
        Update.public_objects.filter(request=request, kind=UpdateKind.FEEDBACK)
        .order_by("created_at", "id")
        .values_list("text", flat=True)
    )


def test_an_open_request_asks_whether_it_is_still_a_problem_with_two_buttons(
    client, make_request
) -> None:
    request = make_request()
    html = client.get(request.get_absolute_url()).content.decode()
    form = re.search(
        r'<form method="post" action="'
        + re.escape(reverse("feedback:give", args=[request.pk]))
        + r'".*?</form>',
        html,
        flags=re.S,
    )
    assert form is not None, "the feedback form posts to its own address"
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    buttons = re.findall(r"<button\b[^>]*>\s*([^<]+?)\s*</button>", form.group(0))
    assert buttons == ["Still broken", "Fixed"]
    tags = re.findall(r"<button\b[^>]*>", form.group(0))
    assert all('type="submit"' in tag and 'name="answer"' in tag for tag in tags)
    assert ['value="broken"' in tags[0], 'value="fixed"' in tags[1]] == [True, True]
    text = box(client, request)
    assert "Is this still a problem?" in text
    assert "Nobody has said whether this is fixed yet" in text


def test_answers_are_counted_once_per_browser_and_changing_one_replaces_it(
    make_request,
) -> None:
    request = make_request()
    first, second, third = Client(), Client(), Client()

    response = answer(first, request, "broken")
    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url() + "#feedback"
    page = first.get(response["Location"])
    assert "Thank you. You said this is still broken." in page_text(page)
    assert "1 person says this is still broken" in box(first, request)
    assert "You said this is still broken." in box(first, request)

    # The same browser again: still one answer, and one entry on the timeline.
    answer(first, request, "broken")
    assert "You had already given this answer" in page_text(first.get(request.get_absolute_url()))
    assert feedback_counts(request).broken == 1
    assert public_feedback_entries(request) == ["A resident says this is still broken."]

    answer(second, request, "broken")
    answer(third, request, "fixed")
    assert "3 people" not in box(third, request)
    assert "2 people say this is still broken, 1 says it is fixed" in box(third, request)

    # The first browser changes its mind: its answer is replaced, not added.
    answer(first, request, "fixed")
    text = box(first, request)
    assert "1 person says this is still broken, 2 say it is fixed" in text
    assert "You said it is fixed." in text
    assert sorted(public_feedback_entries(request)) == [
        "A resident says this is fixed.",
        "A resident says this is fixed.",
        "A resident says this is still broken.",
    ]
    # Another browser sees the counts but not anyone's own answer.
    assert "You said" not in box(Client(), request)


def test_the_timeline_entry_names_nobody(client, make_request) -> None:
    request = make_request(reporter_name="Rita Reporter", reporter_name_public=False)
    answer(client, request, "broken")
    page = client.get(request.get_absolute_url())
    text = page_text(page)
    assert "A resident says this is still broken." in text
    assert "A resident," in text  # the entry's author line
    html = page.content.decode()
    assert REPORTER not in html and "Rita Reporter" not in html


def test_still_broken_on_a_closed_request_leaves_it_closed_and_flags_it_once_for_staff(
    make_request, close, place
) -> None:
    request = close(make_request(), days_ago=3)
    assert "Was this fixed?" in box(Client(), request)
    assert "Testshire County Council closed this request as Fixed" in box(Client(), request)

    answer(Client(), request, "broken")
    answer(Client(), request, "broken")
    answer(Client(), request, "fixed")

    request.refresh_from_db()
    assert request.status == Status.FIXED, "anyone can say it: it does not reopen the request"
    notes = list(
        Update.private_objects.filter(request=request, kind=UpdateKind.FEEDBACK, public=False)
    )
    assert len(notes) == 1, "the body's staff are told once, not once per answer"
    assert notes[0].text.startswith("A resident says this is still broken, 3 days after it was")
    assert "It stays closed" in notes[0].text
    # The note is internal: never on the public page.
    assert notes[0].text not in page_text(Client().get(request.get_absolute_url()))

    staff = feedback_for_staff(request)
    assert (staff.counts.broken, staff.counts.fixed) == (2, 1)
    assert (staff.counts.broken_since_closed, staff.counts.fixed_since_closed) == (2, 1)
    assert staff.counts.disputed
    assert staff.counts.line == "2 people say this is still broken, 1 says it is fixed"
    assert staff.reporter_line == "The reporter has not been asked whether it was fixed."


def test_staff_counts_for_a_page_of_requests_come_in_one_query(
    make_request, close, django_assert_num_queries
) -> None:
    quiet = make_request(title="Nobody has answered")
    busy = make_request(title="Everyone has answered")
    answer(Client(), busy, "broken")
    answer(Client(), busy, "fixed")
    with django_assert_num_queries(1):
        counts = feedback_counts_for([quiet.pk, busy.pk])
    assert counts[quiet.pk].line == "Nobody has said whether this is fixed yet"
    assert (counts[busy.pk].broken, counts[busy.pk].fixed) == (1, 1)
    # While a request is open, nothing counts as said "since it closed".
    assert counts[busy.pk].broken_since_closed == 0


def test_a_request_closed_long_ago_takes_no_answers(make_request, close) -> None:
    request = close(make_request(), days_ago=120)
    text = box(Client(), request)
    assert "closed too long ago to take answers" in text
    html = Client().get(request.get_absolute_url()).content.decode()
    assert reverse("feedback:give", args=[request.pk]) not in html

    response = answer(Client(), request, "broken")
    assert response.status_code == 409
    assert "This request no longer takes answers" in page_text(response)
    assert not Feedback.objects.filter(request=request).exists()


def test_a_duplicate_has_no_feedback_box_and_refuses_answers(client, make_request, place) -> None:
    original = make_request(title="Pothole by the school gate")
    duplicate = make_request(title="Pothole near the school")
    request_merge(duplicate=duplicate, into=original, actor=place.county_inspector)
    html = client.get(duplicate.get_absolute_url()).content.decode()
    assert 'id="feedback"' not in html
    assert answer(client, duplicate, "broken").status_code == 409
    assert 'id="feedback"' in client.get(original.get_absolute_url()).content.decode()


def test_a_hidden_request_is_not_found(client, make_request, admin_user) -> None:
    request = make_request()
    request_hide(request=request, actor=admin_user, reason="Abusive text")
    assert answer(client, request, "broken").status_code == 404
    assert not Feedback.objects.exists()


def test_an_answer_that_is_neither_gets_a_clear_error(client, make_request) -> None:
    request = make_request()
    response = client.post(reverse("feedback:give", args=[request.pk]), {"answer": "maybe"})
    assert response.status_code == 400
    assert "Choose whether it is still broken or fixed." in page_text(response)
    assert not Feedback.objects.exists()


def test_only_a_post_records_an_answer(client, make_request) -> None:
    request = make_request()
    response = client.get(reverse("feedback:give", args=[request.pk]) + "?answer=broken")
    assert response.status_code == 405
    assert not Feedback.objects.exists()


@override_settings(FEEDBACK_RATE="2/h")
def test_answers_are_rate_limited_per_address_with_a_clear_page(make_request) -> None:
    first, second, third = (
        make_request(title="One"),
        make_request(title="Two"),
        make_request(title="Three"),
    )
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert answer(client, first, "broken").status_code == 302
    assert answer(client, second, "broken").status_code == 302
    response = answer(client, third, "broken")
    assert response.status_code == 429
    assert "Too many requests from your connection" in page_text(response)
    assert not Feedback.objects.filter(request=third).exists()
    # Another address is not held back.
    assert answer(Client(REMOTE_ADDR="198.51.100.8"), third, "broken").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(make_request) -> None:
    request = make_request()
    client = Client(enforce_csrf_checks=True)
    client.get(request.get_absolute_url())
    response = answer(client, request, "broken")
    assert response.status_code == 403
    assert "Your form expired" in page_text(response)
    assert not Feedback.objects.exists()


def test_the_form_with_its_csrf_token_works(make_request) -> None:
    request = make_request()
    client = Client(enforce_csrf_checks=True)
    html = client.get(request.get_absolute_url()).content.decode()
    token = re.search(
        r'<div class="ol-feedback".*?name="csrfmiddlewaretoken" value="([^"]+)"', html, flags=re.S
    )
    assert token is not None
    response = client.post(
        reverse("feedback:give", args=[request.pk]),
        {"answer": "fixed", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert feedback_counts(request).fixed == 1
