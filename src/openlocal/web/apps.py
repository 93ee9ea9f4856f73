from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openlocal.web"
    label = "web"
    verbose_name = "Public web"
