"""/performance/: each body's, area's and category's figures, and every table as CSV."""

from django.urls import path

from openlocal.performance import views

app_name = "performance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("bodies.csv", views.overview_csv, name="overview-csv"),
    path("bodies/<slug:slug>", views.body, name="body"),
    path("bodies/<slug:slug>/<slug:table>.csv", views.body_csv, name="body-csv"),
    path("areas/<slug:slug>", views.area, name="area"),
    path("areas/<slug:slug>/<slug:table>.csv", views.area_csv, name="area-csv"),
    path("categories/<slug:slug>", views.category, name="category"),
    path("categories/<slug:slug>/<slug:table>.csv", views.category_csv, name="category-csv"),
]
