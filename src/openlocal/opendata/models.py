"""Where imported data came from, so that its licence and attribution travel with it.

Every import names its source: the publisher's licence and the attribution statement the
licence asks for (“Contains OS data © Crown copyright and database right 2023”). The open
data catalogue, every download and the data dictionary repeat them beside the site's own
licence, for the datasets the source contributed to.
"""

from __future__ import annotations

from django.db import models

from openlocal.core.models import TimeStampedModel


class Dataset(models.TextChoices):
    """The published datasets, as named in the catalogue and in download URLs."""

    REQUESTS = "requests", "Service requests"
    UPDATES = "updates", "Public updates"
    ASSETS = "assets", "Assets"
    AREAS = "areas", "Areas"
    BODIES = "bodies", "Bodies"
    CATEGORIES = "categories", "Categories"
    STATISTICS = "statistics", "Statistics"


class DataSource(TimeStampedModel):
    """One external source of imported rows, e.g. “NaPTAN (Department for Transport)”."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    dataset = models.CharField(max_length=20, choices=Dataset.choices)
    publisher = models.CharField(max_length=200, blank=True)
    #: The source's licence, e.g. “Open Government Licence v3.0”, and where to read it.
    licence_name = models.CharField(max_length=200, blank=True)
    licence_url = models.URLField(blank=True)
    #: The statement the licence asks users of the data to repeat, word for word.
    attribution = models.TextField(blank=True)
    source_url = models.URLField(blank=True)
    #: When rows from it were last imported, and how many the source holds now.
    imported_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "name"]

    def __str__(self) -> str:
        return self.name
