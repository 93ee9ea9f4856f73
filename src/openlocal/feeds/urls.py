"""Atom feeds for every followable target, under ``feeds/``."""

app_name = "feeds"

urlpatterns: list = []
