from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "openlocal.places"
    label = "places"
    verbose_name = "Places and bodies"
