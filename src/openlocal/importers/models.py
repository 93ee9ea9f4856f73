"""What the importers remember: each run, each imported row's identity, uploads awaiting a
preview.

An import is identified by its source (:class:`~openlocal.opendata.models.DataSource`):
importing a file again under the same source updates the rows it imported before, matched
by the source's own ids, and tells which of them are no longer in the file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from openlocal.opendata.models import DataSource


class ImportKind(models.TextChoices):
    """What an import loads; the values are the open data catalogue's dataset names."""

    AREAS = "areas", "Areas (boundaries)"
    ASSETS = "assets", "Assets"
    REQUESTS = "requests", "Requests (history from another system)"


class ImportRun(models.Model):
    """One completed import: what it did, with the counts shown in its summary.

    Runs whose rows were all refused (nothing written) are not recorded: the report of bad
    rows is what the person importing needs then.
    """

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    #: Who imported through the staff page; empty for the command line.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0)
    #: Rows read from the file (bad ones included).
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    vanished = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    #: The options the file was read with (columns, mapping, formats), to repeat the import.
    options: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: The source's ids imported before but missing from this file: kept, not deleted.
    vanished_ids: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    #: The bad rows left out (with ``--skip-invalid``), as the CSV report written for them.
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} from {self.file_name} at {self.started_at:%Y-%m-%d %H:%M}"
        )


class ImportedRecord(models.Model):
    """One row a source gave us: its id in the source, what it became, and a digest of it.

    The digest is a hash of everything the row wrote; when a later import computes the same
    digest the row is unchanged and nothing is written. Exactly one of ``area``, ``asset``
    and ``request`` is set; deleting that object deletes the record, so a later import
    creates it again.
    """

    source = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    external_id = models.CharField(max_length=200)
    digest = models.BigIntegerField()
    area = models.ForeignKey(
        "places.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request = models.ForeignKey(
        "requests.Request", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        # The unique index is also the look-up by (source, external id).
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="importedrecord_unique_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} from source {self.source_id}"


class Upload(models.Model):
    """A file uploaded on the staff page, kept (in the database, so any web process can read
    it) between its preview and the confirmation that imports it."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    #: The options chosen on the mapping form at the last preview.
    options: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    #: The bad rows found at the last preview, as a CSV report to download.
    report = models.TextField(blank=True)
    #: Set once the upload has been imported.
    run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_kind_display()})"
