from django.apps import AppConfig


class BackOfficeConfig(AppConfig):
    name = "openlocal.backoffice"
    label = "backoffice"
    verbose_name = "Back-office links"
