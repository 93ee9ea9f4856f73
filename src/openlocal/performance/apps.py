from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "openlocal.performance"
    label = "performance"
    verbose_name = "Performance"

    def ready(self) -> None:
        from django.conf import settings

        from openlocal.core import schedule
        from openlocal.performance.rollups import refresh_job

        # Rollups the /performance/ pages read, brought up to date every few minutes.
        schedule.register(
            "performance.rollups", every=settings.PERFORMANCE_REFRESH_SECONDS, run=refresh_job
        )
