"""Following, confirming, stopping and the preference centre, under ``subscriptions/``."""

app_name = "subscriptions"

urlpatterns: list = []
