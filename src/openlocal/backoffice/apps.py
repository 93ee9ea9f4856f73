from django.apps import AppConfig


class BackOfficeConfig(AppConfig):
    name = "openlocal.backoffice"
    label = "backoffice"
    verbose_name = "Back-office links"

    def ready(self) -> None:
        from django.conf import settings

        from openlocal.backoffice.tasks import poll_job, send_job
        from openlocal.core import schedule

        schedule.register("backoffice.send", every=settings.BACK_OFFICE_SEND_EVERY, run=send_job)
        schedule.register("backoffice.poll", every=settings.BACK_OFFICE_POLL_EVERY, run=poll_job)
