"""URLs of backoffice (filled in as the app grows)."""

from django.urls import URLPattern

app_name = "backoffice"

urlpatterns: list[URLPattern] = []
