"""The report journey, included under the ``web`` namespace at ``report/``.

``web:report`` is the first question (where); the home and "around here" pages link to it
with ``?lat=&lon=`` to start from a point.
"""

from django.urls import path

from openlocal.web.views import report

urlpatterns = [
    path("", report.report_location, name="report"),
    path("category", report.report_category, name="report-category"),
    path("not-here", report.report_stop, name="report-stop"),
    path("asset", report.report_asset, name="report-asset"),
    path("already-reported", report.report_duplicates, name="report-duplicates"),
    path("details", report.report_details, name="report-details"),
    path("about-you", report.report_about_you, name="report-about-you"),
    path("check", report.report_check, name="report-check"),
    path("done/<int:pk>", report.report_done, name="report-done"),
    path("start-again", report.report_start_again, name="report-start-again"),
]
