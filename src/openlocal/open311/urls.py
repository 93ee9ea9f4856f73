"""Open311 GeoReport v2, under ``open311/v2/``.

The format is the extension of each path (``.xml`` or ``.json``). ``service/<code>`` (singular)
answers too, because the ``open311`` Python client asks for it.
"""

from django.urls import re_path

from openlocal.open311 import views

app_name = "open311"

_FMT = r"\.(?P<fmt>[^/.]+)$"

urlpatterns = [
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.service_list, name="services"),
    re_path(
        r"^services?/(?P<service_code>[^/]+)" + _FMT,
        views.service_definition,
        name="service-definition",
    ),
    re_path(r"^requests" + _FMT, views.service_requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[^/]+)" + _FMT,
        views.service_request,
        name="request",
    ),
    re_path(r"^tokens/(?P<token>[^/]+)" + _FMT, views.token, name="token"),
    re_path(
        r"^servicerequestupdates" + _FMT,
        views.service_request_updates,
        name="servicerequestupdates",
    ),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
