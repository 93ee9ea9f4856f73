from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "openlocal.assets"
    label = "assets"
    verbose_name = "Assets"
