"""Public pages. The report journey and the rest of the site live in their own URL modules.

Names other code relies on: web:home, web:places, web:around, web:report, web:browse,
web:request, web:request-access, web:support, web:area, web:body, web:category, web:asset.
"""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("report/", include("openlocal.web.report_urls")),
    path("", include("openlocal.web.pages_urls")),
]
