"""What staff keep for their own work: saved queue views and response templates.

Neither is ever public: both are read only by the staff pages, within the user's bodies.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openlocal.core.models import TimeStampedModel
from openlocal.requests.models import Status


class SavedView(TimeStampedModel):
    """A named set of queue filters and a sort, kept by one member of staff.

    Shared with a body, everyone on that body's staff sees it in their list of views; only
    its owner may delete it.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    #: The queue's query string without the page number, e.g. ``status=open&sort=demand``.
    query = models.CharField(max_length=1000, blank=True)
    #: When set, the view is listed for every member of this body's staff.
    shared_with = models.ForeignKey(
        "places.Body",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shared_views",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedview_unique_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class ResponseTemplate(TimeStampedModel):
    """A ready-made public message a body's staff can start from when they update a request.

    A template without a category fits every category, and one without a status fits every
    status; the workspace offers those that fit the request's category and the chosen status.
    """

    body = models.ForeignKey(
        "places.Body", on_delete=models.CASCADE, related_name="response_templates"
    )
    category = models.ForeignKey(
        "requests.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_templates",
    )
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    title = models.CharField(max_length=120)
    text = models.TextField()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["body", "category"])]

    def __str__(self) -> str:
        return self.title
