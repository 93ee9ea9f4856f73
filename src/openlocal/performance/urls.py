"""URLs of performance (filled in as the app grows)."""

from django.urls import URLPattern

app_name = "performance"

urlpatterns: list[URLPattern] = []
