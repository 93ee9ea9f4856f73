"""The reporter's questionnaire end to end, over a real SMTP conversation on loopback: the job
asks once, the link opens a page, the button records, "not fixed" reopens by the category's
rule, followers and the body are told."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from openlocal.core import schedule
from openlocal.core.models import AuditEntry
from openlocal.feedback import tokens
from openlocal.feedback.models import Answer, Feedback, Questionnaire, QuestionnaireStatus
from openlocal.feedback.questionnaires import questionnaires_run
from openlocal.feedback.selectors import feedback_for_staff
from openlocal.requests.models import Status, Update, UpdateKind
from openlocal.subscriptions import links
from openlocal.subscriptions import tokens as subscription_tokens
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.models import Subscription
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

from .helpers import REPORTER, page_text

pytestmark = pytest.mark.django_db

BODY_EMAIL = "highways@testshire.example"
NEIGHBOUR = "neighbour@example.org"


@pytest.fixture
def closed(make_request, close, smtp):
    """A request closed as fixed 30 days ago, its reporter and a neighbour told by email."""

    def make(days_ago: float = 30, **kwargs):
        request = make_request(**kwargs)
        follow(target=Target.for_request(request), email=NEIGHBOUR, confirmed=True)
        close(request, days_ago=days_ago)
        run_batch()
        assert smtp.to(REPORTER), "the reporter was told of the closing"
        smtp.clear()
        return request

    return make


def questionnaire_links(text: str) -> dict[str, str]:
    """The questionnaire links in an email, by the answer each stands for (read, not rebuilt:
    links carry the second they were signed)."""
    before, after = links.absolute(reverse("feedback:questionnaire", args=["TOKEN"])).split("TOKEN")
    found = {}
    for token in re.findall(re.escape(before) + r"([\w:-]+)" + re.escape(after), text):
        found[tokens.read(token).answer] = before + token + after
    return found


def path_of(url: str) -> str:
    return url.removeprefix(settings.BASE_URL)


def ask(smtp) -> dict[str, str]:
    """Run the job and return the links in the one email it sent to the reporter."""
    questionnaires_run()
    [mail] = smtp.to(REPORTER)
    return questionnaire_links(mail.text)


def test_the_job_asks_the_reporter_once_with_two_signed_links(closed, smtp) -> None:
    request = closed(days_ago=30)

    dealt = questionnaires_run()

    assert dealt == 1
    [mail] = smtp.messages
    assert mail.to == REPORTER
    assert mail.subject == f"Was it fixed? Your report #{request.pk}: {request.title}"
    assert mail.header("From") == settings.DEFAULT_FROM_EMAIL
    follow_row = Subscription.objects.get(person__email=REPORTER, request=request)
    unsubscribe = mail.header("List-Unsubscribe")
    assert unsubscribe.startswith("<") and unsubscribe.endswith(">")
    assert path_of(unsubscribe[1:-1]).startswith("/subscriptions/stop/")
    stop_token = path_of(unsubscribe[1:-1]).removeprefix("/subscriptions/stop/")
    assert subscription_tokens.read(subscription_tokens.STOP, stop_token) == follow_row.pk
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    questionnaire = Questionnaire.objects.get(request=request)
    for part in (mail.text, mail.html):
        found = questionnaire_links(part.replace("&amp;", "&"))
        assert set(found) == {Answer.FIXED, Answer.BROKEN}
        for url in found.values():
            assert tokens.read(url.rsplit("/", 1)[1]).questionnaire_id == questionnaire.pk
    assert "Yes, it was fixed" in mail.text and "No, it is not fixed" in mail.text
    assert "Yes, it was fixed" in mail.html and "No, it is not fixed" in mail.html
    assert "Testshire County Council closed it as Fixed" in mail.text
    assert questionnaire.status == QuestionnaireStatus.SENT
    assert questionnaire.sent_at is not None

    # Asked once: later runs send nothing more.
    assert questionnaires_run() == 0
    assert len(smtp.messages) == 1


def test_the_link_opens_a_page_and_only_the_button_records(closed, smtp) -> None:
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    client = Client()

    page = client.get(path_of(no))

    assert page.status_code == 200
    html = page.content.decode()
    checked = re.findall(r'<input[^>]*name="answer"[^>]*>', html)
    assert [('value="broken"' in tag, "checked" in tag) for tag in checked] == [
        (False, False),
        (True, True),
    ], "the No link opens the page with No chosen"
    assert "Send your answer" in page_text(page)
    assert "Testshire County Council closed it as Fixed on" in page_text(page)
    assert page["Cache-Control"] == "private, no-store"
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    # Opening the link (as a mail system's link scanner does) changes nothing.
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert Questionnaire.objects.get(request=request).answer == ""
    assert not Feedback.objects.exists()
    assert REPORTER not in html


def test_not_fixed_within_the_window_reopens_and_tells_followers_and_the_body(
    closed, smtp, django_capture_on_commit_callbacks, place
) -> None:
    request = closed(days_ago=30)  # the pothole category reopens within 90 days
    no = ask(smtp)[Answer.BROKEN]
    smtp.clear()
    client = Client()
    client.get(path_of(no))

    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(
            path_of(no), {"answer": "broken", "comment": "Still a crater after the rain."}
        )

    assert answered.status_code == 200
    text = page_text(answered)
    assert "Answer sent" in text
    assert "We have reopened your request and told Testshire County Council." in text
    assert REPORTER not in answered.content.decode()
    request.refresh_from_db()
    assert request.status == Status.ACKNOWLEDGED
    assert request.closed_at is None
    public = [
        (u.kind, u.text)
        for u in Update.public_objects.filter(request=request).order_by("created_at", "id")
    ]
    assert (
        UpdateKind.FEEDBACK,
        "The reporter says this was not fixed.\n\nStill a crater after the rain.",
    ) in public
    assert (UpdateKind.STATUS, "Reopened because the reporter says it was not fixed.") in public
    reopening = Update.public_objects.get(
        request=request, kind=UpdateKind.STATUS, new_status="acknowledged"
    )
    assert (reopening.old_status, reopening.author_name) == (Status.FIXED, "The reporter")
    audit = AuditEntry.objects.get(action="request.reopen", target_id=str(request.pk))
    assert audit.actor is None
    assert audit.data["by"] == "reporter" and audit.data["reopen_within_days"] == 90
    note = Update.private_objects.get(request=request, kind=UpdateKind.FEEDBACK, public=False)
    assert note.text.startswith("The reporter answered the questionnaire: not fixed, 30 days")
    assert "It has been reopened" in note.text

    # The body hears at its contact address, with the link to the request.
    [notice] = smtp.to(BODY_EMAIL)
    assert notice.subject == (
        f"Reopened, not fixed says the reporter: request #{request.pk}, {request.title}"
    )
    assert settings.BASE_URL + request.get_absolute_url() in notice.text
    assert settings.BASE_URL + reverse("staff:request", args=[request.pk]) in notice.text
    assert "Still a crater after the rain." in notice.text
    assert REPORTER not in notice.text and REPORTER not in notice.html

    # Followers are told it was reopened, by the dispatcher like any status change.
    run_batch()
    [neighbour] = smtp.to(NEIGHBOUR)
    assert neighbour.subject == f"Reopened: report #{request.pk}, {request.title}"
    assert "reopened report" in neighbour.text
    [reporter] = smtp.to(REPORTER)
    assert reporter.subject == f"Reopened: your report #{request.pk}, {request.title}"

    # The public page says what happened, and never who.
    page = Client().get(request.get_absolute_url())
    assert "Still a crater after the rain." in page_text(page)
    assert REPORTER not in page.content.decode()
    assert note.text not in page_text(page)

    # Staff see the reporter's answer.
    staff = feedback_for_staff(request)
    assert staff.reporter_line == "The reporter says it was not fixed."
    assert staff.reporter_comment == "Still a crater after the rain."


def test_answering_again_the_same_way_changes_nothing(
    closed, smtp, django_capture_on_commit_callbacks
) -> None:
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    smtp.clear()
    client = Client()
    client.get(path_of(no))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(no), {"answer": "broken"})
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(path_of(no), {"answer": "broken"})

    assert "You had already sent this answer. Nothing has changed." in page_text(again)
    assert len(smtp.to(BODY_EMAIL)) == 1, "the body is told once"
    assert Update.private_objects.filter(request=request, kind=UpdateKind.STATUS).count() == 2
    assert Feedback.objects.filter(request=request).count() == 1


def test_a_second_answer_replaces_the_first(
    closed, smtp, django_capture_on_commit_callbacks
) -> None:
    request = closed()
    found = ask(smtp)
    smtp.clear()
    client = Client()
    client.get(path_of(found[Answer.FIXED]))
    client.post(path_of(found[Answer.FIXED]), {"answer": "fixed"})
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert smtp.messages == [], "a fixed answer tells nobody by email"
    assert "1 person says it is fixed" in page_text(Client().get(request.get_absolute_url()))

    # The reporter thinks again, from the other link, within the link's life.
    page = client.get(path_of(found[Answer.BROKEN]))
    assert "You answered that it was fixed on" in page_text(page)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(found[Answer.BROKEN]), {"answer": "broken"})
    request.refresh_from_db()
    assert request.status == Status.ACKNOWLEDGED
    assert len(smtp.to(BODY_EMAIL)) == 1
    again = page_text(client.get(path_of(found[Answer.FIXED])))
    assert "It is open again: its status is acknowledged." in again
    assert "You answered that it was not fixed on" in again
    entries = list(
        Update.public_objects.filter(request=request, kind=UpdateKind.FEEDBACK).values_list(
            "text", flat=True
        )
    )
    assert entries == ["The reporter says this was not fixed."], "the answer was replaced"
    text = page_text(Client().get(request.get_absolute_url()))
    assert "1 person says this is still broken" in text


def test_not_fixed_after_the_window_tells_the_body_but_stays_closed(
    closed, smtp, django_capture_on_commit_callbacks, place
) -> None:
    place.pothole.reopen_within_days = 20
    place.pothole.save()
    request = closed(days_ago=30)
    no = ask(smtp)[Answer.BROKEN]
    smtp.clear()
    client = Client()
    client.get(path_of(no))

    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(path_of(no), {"answer": "broken"})

    text = page_text(answered)
    assert "We have told Testshire County Council." in text
    assert "reopen on the reporter's answer only within 20 days of closing" in text
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert not AuditEntry.objects.filter(action="request.reopen").exists()
    [notice] = smtp.to(BODY_EMAIL)
    assert notice.subject == (
        f"Not fixed, says the reporter: request #{request.pk}, {request.title}"
    )
    assert "It stays closed" in notice.text
    note = Update.private_objects.get(request=request, kind=UpdateKind.FEEDBACK, public=False)
    assert "It stays closed" in note.text
    run_batch()
    assert smtp.to(NEIGHBOUR) == [], "nothing changed that followers need to hear"


def test_a_category_that_never_reopens_still_tells_the_body(
    closed, smtp, django_capture_on_commit_callbacks, place
) -> None:
    place.pothole.reopen_within_days = 0
    place.pothole.save()
    request = closed(days_ago=29)
    no = ask(smtp)[Answer.BROKEN]
    smtp.clear()
    client = Client()
    client.get(path_of(no))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(no), {"answer": "broken"})
    request.refresh_from_db()
    assert request.status == Status.FIXED
    [notice] = smtp.to(BODY_EMAIL)
    assert "never reopen on the reporter's answer" in notice.text


def test_a_body_without_a_contact_address_has_the_internal_note(
    closed, smtp, django_capture_on_commit_callbacks, place
) -> None:
    place.county_council.contact_email = ""
    place.county_council.save()
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    smtp.clear()
    client = Client()
    client.get(path_of(no))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(no), {"answer": "broken"})
    assert smtp.messages == []
    assert Update.private_objects.filter(
        request=request, kind=UpdateKind.FEEDBACK, public=False
    ).exists()


def test_a_comment_too_long_gets_a_form_error_and_records_nothing(closed, smtp) -> None:
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    client = Client()
    client.get(path_of(no))
    response = client.post(path_of(no), {"answer": "broken", "comment": "x" * 1001})
    assert response.status_code == 400
    text = page_text(response)
    assert "There is a problem" in text
    assert "Your comment must be 1,000 characters or fewer." in text
    request.refresh_from_db()
    assert request.status == Status.FIXED
    assert not Feedback.objects.exists()


def test_a_form_without_an_answer_gets_a_form_error(closed, smtp) -> None:
    closed()
    no = ask(smtp)[Answer.BROKEN]
    client = Client()
    client.get(path_of(no))
    response = client.post(path_of(no), {"comment": "Hmm"})
    assert response.status_code == 400
    assert "Choose yes if it was fixed, or no if it was not." in page_text(response)
    assert re.search(r"<title>\s*Error: ", response.content.decode())


def test_the_questionnaire_form_needs_its_csrf_token(closed, smtp) -> None:
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    client = Client(enforce_csrf_checks=True)
    client.get(path_of(no))
    response = client.post(path_of(no), {"answer": "broken"})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == Status.FIXED


def test_a_forged_link_gets_a_clear_page(client, closed, smtp) -> None:
    closed()
    no = ask(smtp)[Answer.BROKEN]
    token = no.rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "not-a-token", tokens.make(10**9, "fixed")[:-1]):
        response = client.get(reverse("feedback:questionnaire", args=[bad]))
        assert response.status_code == 400
        assert "This link does not work" in page_text(response)
        assert "Nothing has been recorded." in page_text(response)
        post = client.post(reverse("feedback:questionnaire", args=[bad]), {"answer": "broken"})
        assert post.status_code == 400


def test_an_expired_link_gets_a_clear_page(client, closed, smtp) -> None:
    request = closed()
    no = ask(smtp)[Answer.BROKEN]
    later = time.time() + (settings.QUESTIONNAIRE_LINK_DAYS + 1) * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path_of(no))
        post = client.post(path_of(no), {"answer": "broken"})
    assert response.status_code == 410
    assert "This link has expired" in page_text(response)
    assert "work for 90 days" in page_text(response)
    assert post.status_code == 410
    request.refresh_from_db()
    assert request.status == Status.FIXED


def test_a_link_to_a_questionnaire_that_is_gone_is_not_found(client, closed, smtp) -> None:
    closed()
    ask(smtp)
    response = client.get(reverse("feedback:questionnaire", args=[tokens.make(10**9, "fixed")]))
    assert response.status_code == 404
    assert "This request is no longer on the site" in page_text(response)


def test_the_periodic_job_is_registered_and_runs_from_the_schedule(closed, smtp) -> None:
    closed()
    assert "feedback.questionnaires" in [job.name for job in schedule.jobs()]
    results = schedule.run_all()
    assert results["feedback.questionnaires"] is True
    assert len(smtp.to(REPORTER)) == 1
