"""Public pages other than the report journey (included under the ``web`` namespace)."""

from django.urls import path

from openlocal.web.views import browse, directory, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("places/", pages.places, name="places"),
    path("around", pages.around, name="around"),
    path("requests/", browse.browse, name="browse"),
    path("requests/map.json", browse.browse_map, name="browse-map"),
    path("requests/<int:pk>", pages.request_detail, name="request"),
    path("requests/<int:pk>/support", pages.support, name="support"),
    # The reporter link of openlocal.requests.access: signed, it lets a browser see a
    # private request.
    path("requests/<int:pk>/view/<str:token>", pages.request_access, name="request-access"),
    path("areas/<slug:slug>", directory.area, name="area"),
    path("bodies/<slug:slug>", directory.body, name="body"),
    path("categories/<slug:slug>", directory.category, name="category"),
    # Register references may contain slashes (rights of way such as "BRA/F1/2").
    path("assets/<slug:type_slug>/<path:external_id>", directory.asset, name="asset"),
]
