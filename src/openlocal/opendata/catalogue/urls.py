"""The catalogue, downloads, data dictionary and snapshots, under ``/data/``.

Names other code relies on (in the ``opendata`` namespace): catalogue, catalogue-jsonld,
licence, dictionary, dictionary-dataset, dataset, download, snapshots, snapshot-file.
"""

from django.urls import URLPattern, URLResolver, path, register_converter

from openlocal.opendata.catalogue import views
from openlocal.opendata.exporters import FORMATS
from openlocal.opendata.models import Dataset


class DatasetConverter:
    """A dataset's name, so that other paths under /data/ never look like one."""

    regex = "|".join(Dataset.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class ExtensionConverter:
    regex = "|".join(f.extension for f in FORMATS.values())

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(DatasetConverter, "opendata_dataset")
register_converter(ExtensionConverter, "opendata_extension")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.catalogue, name="catalogue"),
    path("catalog.jsonld", views.catalogue_jsonld, name="catalogue-jsonld"),
    path("LICENCE", views.licence_notice, name="licence"),
    path("dictionary", views.dictionary, name="dictionary"),
    path("dictionary/<opendata_dataset:slug>", views.dictionary_dataset, name="dictionary-dataset"),
    path("snapshots/", views.snapshots, name="snapshots"),
    path("snapshots/<str:name>/<str:filename>", views.snapshot_file, name="snapshot-file"),
    path("<opendata_dataset:slug>.<opendata_extension:extension>", views.download, name="download"),
    path("<opendata_dataset:slug>", views.dataset, name="dataset"),
]
