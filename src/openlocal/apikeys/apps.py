from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "openlocal.apikeys"
    label = "apikeys"
    verbose_name = "API keys"
