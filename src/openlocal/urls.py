from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from openlocal.core.views import healthz
from openlocal.web.views import errors

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("staff/", include("openlocal.staff.urls")),
    path("", include("openlocal.web.urls")),
    # Photos are public once re-encoded and attached to a request; drafts and anything else
    # under the media folder are not served. A production site may use object storage.
    path("media/photos/<path:path>", serve, {"document_root": settings.MEDIA_ROOT / "photos"}),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
