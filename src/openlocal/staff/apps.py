from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "openlocal.staff"
    label = "staff"
    verbose_name = "Staff"
