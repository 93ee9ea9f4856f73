from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "openlocal.opendata"
    label = "opendata"
    verbose_name = "Open data"
