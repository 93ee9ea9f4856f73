"""Mounted at /data/quality (names in the ``opendata`` namespace).

``/data/quality`` is the page, ``/data/quality.json`` the whole report and
``/data/quality/<dataset>.json`` one dataset's report.
"""

from django.urls import URLPattern, URLResolver, include, path

from openlocal.opendata.quality import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.quality_page, name="quality"),
    path(".json", views.quality_json, name="quality-json"),
    path(
        "/",
        include([path("<slug:dataset>.json", views.dataset_json, name="quality-dataset-json")]),
    ),
]
