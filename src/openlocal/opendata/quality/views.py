"""/data/quality: the data quality report, as a page and as JSON.

The page is public; signed-in staff see their own version of it (see ``presenters``), which
is never cached by browsers or proxies. The JSON documents are always the public report.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from openlocal.opendata.quality import presenters, selectors
from openlocal.opendata.quality.conf import quality_settings
from openlocal.opendata.quality.report import PUBLIC, REPORT_VERSION


def _public_json(
    data: dict[str, Any], *, status: int = 200, content_type: str = "application/json"
) -> HttpResponse:
    response = JsonResponse(
        data, status=status, content_type=content_type, json_dumps_params={"ensure_ascii": False}
    )
    patch_cache_control(response, public=True, max_age=60)
    response["Link"] = f'<{settings.DATA_LICENCE_URL}>; rel="license"'
    return response


@require_safe
def quality_page(request: HttpRequest) -> HttpResponse:
    viewer = presenters.viewer_for(request.user)
    report = selectors.quality_report(scope=viewer.scope)
    response = render(request, "opendata/quality.html", presenters.report_context(viewer, report))
    patch_vary_headers(response, ["Cookie"])
    if viewer.staff:
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
    return response


@require_safe
def quality_json(request: HttpRequest) -> HttpResponse:
    return _public_json(selectors.quality_report(scope=PUBLIC).as_json())


@require_safe
def dataset_json(request: HttpRequest, dataset: str) -> HttpResponse:
    if dataset not in selectors.DATASETS:
        return _public_json(
            {
                "type": "about:blank",
                "title": "No such dataset",
                "status": 404,
                "detail": (
                    f"There is no quality report for {dataset!r}. Reports exist for "
                    f"{', '.join(selectors.DATASETS)}: for example /data/quality/assets.json."
                ),
            },
            status=404,
            content_type="application/problem+json",
        )
    report = selectors.dataset_report(dataset=dataset, scope=PUBLIC)
    return _public_json(
        {"version": REPORT_VERSION, "settings": quality_settings().as_dict(), **report.as_json()}
    )
