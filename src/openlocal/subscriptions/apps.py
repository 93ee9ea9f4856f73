from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "openlocal.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions and deliveries"
