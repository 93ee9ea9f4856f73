"""The staff upload page, under /staff/imports/. Names: importers:start, importers:upload,
importers:confirm, importers:upload_report, importers:run, importers:run_report."""

from django.urls import URLPattern, URLResolver, path

from openlocal.importers import views

app_name = "importers"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.start, name="start"),
    path("<int:pk>", views.upload, name="upload"),
    path("<int:pk>/import", views.confirm, name="confirm"),
    path("<int:pk>/bad-rows.csv", views.upload_report, name="upload_report"),
    path("runs/<int:pk>", views.run, name="run"),
    path("runs/<int:pk>/bad-rows.csv", views.run_report, name="run_report"),
]
