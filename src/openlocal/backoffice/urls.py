"""The back-office pages, under /staff/back-office/. Names: backoffice:index,
backoffice:body, backoffice:edit, backoffice:test, backoffice:retry."""

from django.urls import path

from openlocal.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.body_page, name="body"),
    path("<slug:slug>/edit", views.edit, name="edit"),
    path("<slug:slug>/test", views.test_connection, name="test"),
    path("<slug:slug>/sendings/<int:pk>/retry", views.retry, name="retry"),
]
