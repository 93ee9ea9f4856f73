"""Following, confirming, stopping and the preference centre, under ``subscriptions/``."""

from django.urls import path

from openlocal.subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("follow", views.follow_view, name="follow"),
    path("follow/around", views.follow_area, name="follow-area"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("stop/<str:token>", views.stop, name="stop"),
    path("manage/<str:token>", views.manage, name="manage"),
    path("digest-stop/<str:token>", views.digest_stop, name="digest-stop"),
    path(
        "manage/<str:token>/subscriptions/<int:pk>",
        views.manage_subscription,
        name="manage-subscription",
    ),
    path("manage/<str:token>/stop-everything", views.manage_stop_all, name="manage-stop-all"),
    path("manage/<str:token>/webhooks/<int:pk>", views.endpoint_detail, name="endpoint"),
    path(
        "manage/<str:token>/webhooks/<int:pk>/follow",
        views.endpoint_follow,
        name="endpoint-follow",
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/follow/around",
        views.endpoint_follow_area,
        name="endpoint-follow-area",
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/unfollow/<int:sub>",
        views.endpoint_unfollow,
        name="endpoint-unfollow",
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/ping", views.endpoint_ping_view, name="endpoint-ping"
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/rotate",
        views.endpoint_rotate,
        name="endpoint-rotate",
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/enable",
        views.endpoint_enable_view,
        name="endpoint-enable",
    ),
    path(
        "manage/<str:token>/webhooks/<int:pk>/delete",
        views.endpoint_delete_view,
        name="endpoint-delete",
    ),
    path("webhooks/new", views.endpoint_new, name="endpoint-new"),
    path("webhooks/confirm/<str:token>", views.endpoint_confirm_view, name="endpoint-confirm"),
]
