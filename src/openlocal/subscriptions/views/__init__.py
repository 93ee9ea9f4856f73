"""Pages for following, confirming, stopping, the preference centre and webhook endpoints."""

from openlocal.subscriptions.views.endpoints import (
    endpoint_confirm_view,
    endpoint_delete_view,
    endpoint_detail,
    endpoint_enable_view,
    endpoint_follow,
    endpoint_follow_area,
    endpoint_new,
    endpoint_ping_view,
    endpoint_rotate,
    endpoint_unfollow,
)
from openlocal.subscriptions.views.follow import confirm, follow_area, follow_view, stop
from openlocal.subscriptions.views.manage import (
    digest_stop,
    manage,
    manage_stop_all,
    manage_subscription,
)

__all__ = [
    "confirm",
    "digest_stop",
    "endpoint_confirm_view",
    "endpoint_delete_view",
    "endpoint_detail",
    "endpoint_enable_view",
    "endpoint_follow",
    "endpoint_follow_area",
    "endpoint_new",
    "endpoint_ping_view",
    "endpoint_rotate",
    "endpoint_unfollow",
    "follow_area",
    "follow_view",
    "manage",
    "manage_stop_all",
    "manage_subscription",
    "stop",
]
