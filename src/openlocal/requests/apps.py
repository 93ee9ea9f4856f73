from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "openlocal.requests"
    label = "requests"
    verbose_name = "Requests"
