"""/data/: the open data catalogue, downloads, data dictionary and quality reports."""

from django.urls import include, path

app_name = "opendata"

urlpatterns = [
    path("quality", include("openlocal.opendata.quality.urls")),
    path("", include("openlocal.opendata.catalogue.urls")),
]
