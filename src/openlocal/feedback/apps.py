from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "openlocal.feedback"
    label = "feedback"
    verbose_name = "Residents' feedback"
