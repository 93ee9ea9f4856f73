"""Atom feeds for every followable target, under ``feeds/``.

Names other code relies on (see ``links.py``): feeds:requests, feeds:request, feeds:asset,
feeds:area, feeds:body, feeds:category, feeds:around, feeds:within.
"""

from django.urls import path

from openlocal.feeds import views

app_name = "feeds"

urlpatterns = [
    path("requests", views.all_requests, name="requests"),
    path("requests/<int:pk>", views.request_timeline, name="request"),
    path("areas/<slug:slug>", views.area, name="area"),
    path("bodies/<slug:slug>", views.body, name="body"),
    path("categories/<slug:slug>", views.category, name="category"),
    # Register references may contain slashes (rights of way such as "BRA/F1/2").
    path("assets/<slug:type_slug>/<path:external_id>", views.asset, name="asset"),
    path("around", views.around, name="around"),
    path("within", views.within, name="within"),
]
