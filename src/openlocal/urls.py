from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from openlocal.core.views import healthz
from openlocal.requests.views import photo
from openlocal.web.views import errors

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("staff/api-keys/", include("openlocal.apikeys.urls")),
    path("staff/imports/", include("openlocal.importers.urls")),
    path("staff/back-office/", include("openlocal.backoffice.urls")),
    path("staff/", include("openlocal.staff.urls")),
    path("subscriptions/", include("openlocal.subscriptions.urls")),
    path("feeds/", include("openlocal.feeds.urls")),
    path("open311/v2/", include("openlocal.open311.urls")),
    path("api/v1/", include("openlocal.api.urls")),
    path("data/", include("openlocal.opendata.urls")),
    path("performance/", include("openlocal.performance.urls")),
    path("", include("openlocal.feedback.urls")),
    path("developers/", RedirectView.as_view(url="/api/v1/", permanent=False), name="developers"),
    path("", include("openlocal.web.urls")),
    path("media/photos/<path:path>", photo, name="photo"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
