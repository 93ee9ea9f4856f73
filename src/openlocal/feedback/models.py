"""What residents say about whether a request was dealt with, and the reporter's questionnaire.

A :class:`Feedback` row is one person's current answer about one request: "still broken" or
"fixed". Anyone can give one from the request page (counted once per browser session, by a
keyed hash of the session as "me too" does); the reporter gives one by answering their
:class:`Questionnaire`. Answering again replaces the answer. Nothing here is public except
the counts and the anonymous timeline entry each answer puts on the request.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Answer(models.TextChoices):
    BROKEN = "broken", "Still broken"
    """The problem is still there (the questionnaire's “No, it was not fixed”)."""
    FIXED = "fixed", "Fixed"
    """The problem has gone (the questionnaire's “Yes, it was fixed”)."""


class FeedbackSource(models.TextChoices):
    PAGE = "page", "Request page"
    """Anyone, from the buttons on the public request page."""
    QUESTIONNAIRE = "questionnaire", "Reporter's questionnaire"
    """The reporter, from the emailed questionnaire."""


class Feedback(models.Model):
    """One person's current answer about one request. Private: only counts are shown."""

    request = models.ForeignKey(
        "requests.Request", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    answer = models.CharField(max_length=10, choices=Answer.choices)
    source = models.CharField(max_length=20, choices=FeedbackSource.choices)
    #: The reporter, for an answer to their questionnaire.
    person = models.ForeignKey(
        "requests.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: For an answer from the request page: a keyed hash of the browser session.
    session_hash = models.CharField(max_length=64, blank=True)
    #: What the reporter added to their answer (public: it goes on the timeline).
    comment = models.TextField(blank=True)
    #: The public timeline entry that says this answer; replaced with the answer.
    update = models.ForeignKey(
        "requests.Update", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    #: When the current answer was given (an answer changed is an answer given again).
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [
            # Both start with the request: they are also the index that counts a request's
            # answers.
            models.UniqueConstraint(
                fields=["request", "person"],
                condition=models.Q(person__isnull=False),
                name="feedback_unique_person",
            ),
            models.UniqueConstraint(
                fields=["request", "session_hash"],
                condition=~models.Q(session_hash=""),
                name="feedback_unique_session",
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | ~models.Q(session_hash=""),
                name="feedback_has_identity",
            ),
        ]
        indexes = [models.Index(fields=["request", "answer"], name="feedback_request_answer")]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} on #{self.request_id}"


class QuestionnaireStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    """Claimed for sending by a worker, or waiting for a retry."""
    SENT = "sent", "Sent"
    """The reporter has the email; its links work for ``QUESTIONNAIRE_LINK_DAYS``."""
    SKIPPED = "skipped", "Not sent"
    """No longer worth asking: reopened, hidden, or the reporter stopped emails about it."""
    FAILED = "failed", "Failed"
    """The mail server refused the address, or every retry failed."""


class Questionnaire(models.Model):
    """The one time a request's reporter is asked whether it was fixed.

    One row per request, ever (the unique request is what lets several workers look for
    requests to ask about at once: the second to write a row for a request writes nothing).
    """

    request = models.OneToOneField("requests.Request", on_delete=models.CASCADE, related_name="+")
    #: The reporter asked. Private.
    person = models.ForeignKey("requests.Person", on_delete=models.CASCADE, related_name="+")
    #: When the request had closed: the closing the question is about.
    closed_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    #: A worker sending it holds it until then; after that another worker may retry it.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(status="pending"),
                name="questionnaire_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Questionnaire about #{self.request_id}"
