from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "openlocal.importers"
    label = "importers"
    verbose_name = "Importers"
