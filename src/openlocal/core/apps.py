from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openlocal.core"
    label = "core"
    verbose_name = "Core"
