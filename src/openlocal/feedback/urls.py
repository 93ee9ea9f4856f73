"""URLs of feedback (filled in as the app grows)."""

from django.urls import URLPattern

app_name = "feedback"

urlpatterns: list[URLPattern] = []
