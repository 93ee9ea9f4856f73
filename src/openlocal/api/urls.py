"""The JSON API (django-ninja), under ``api/v1/``.

``api:home`` is the API page for people (``/api/v1/``); ``api:openapi-json`` the OpenAPI
document; every other name is an operation's. Any other address is a 404 problem.
"""

from django.urls import path, re_path

from openlocal.api import views
from openlocal.api.api import api
from openlocal.api.http import not_found, wrap

app_name = "api"

urlpatterns = [
    path("", views.developers, name="home"),
    *wrap(api.urls[0]),
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
