from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "openlocal.feedback"
    label = "feedback"
    verbose_name = "Residents' feedback"

    def ready(self) -> None:
        from django.template import engines
        from django.template.backends.jinja2 import Jinja2

        from openlocal.core import schedule
        from openlocal.feedback import jinja, questionnaires

        schedule.register(
            "feedback.questionnaires",
            every=questionnaires.PERIOD_SECONDS,
            run=questionnaires.questionnaires_run,
        )
        # The request page's template calls feedback_box() (see openlocal.feedback.jinja).
        for engine in engines.all():
            if isinstance(engine, Jinja2):
                jinja.install(engine.env)
