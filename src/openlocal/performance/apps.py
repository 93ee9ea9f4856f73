from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "openlocal.performance"
    label = "performance"
    verbose_name = "Performance"
