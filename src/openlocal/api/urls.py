"""The JSON API (django-ninja), under ``api/v1/``."""

app_name = "api"

urlpatterns: list = []
