"""/data/: the catalogue page, DCAT-AP catalogue, downloads, dictionary and snapshots.

Downloads stream (``StreamingHttpResponse``) from :mod:`openlocal.opendata.exporters`;
snapshot files are served from ``DATA_SNAPSHOT_DIR`` a block at a time
(``FileResponse``). Every answer that carries data names its licence in a ``Link`` header,
and open data may be read from any web page (``Access-Control-Allow-Origin: *``): nothing
here depends on who asks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openlocal.opendata import dcat, licence
from openlocal.opendata.catalogue import presenters
from openlocal.opendata.datasets import DATASETS, DatasetSpec
from openlocal.opendata.exporters import FORMATS, stream
from openlocal.opendata.metadata import download_filename, download_links, download_metadata
from openlocal.opendata.snapshots import (
    LICENCE,
    MANIFEST,
    README,
    SUMS,
    snapshot_for,
    snapshot_list,
)

#: Companion files of a snapshot, served as text to read in the browser.
TEXT_FILES = {README, LICENCE, SUMS}


def open_data(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Readable from any web page, with the headers a program needs to read it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Content-Disposition, ETag, Link, Repr-Digest"
        if 'rel="license"' not in response.get("Link", ""):
            response["Link"] = licence.add_link(response.get("Link"), licence.licence_link())
        return response

    return wrapped


def _spec(slug: str) -> DatasetSpec:
    try:
        return DATASETS[slug]
    except KeyError:
        raise Http404("No dataset has this name.") from None


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")


# Pages ------------------------------------------------------------------------------------------


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    snapshot = snapshot_for("latest")
    all_sources = licence.sources()
    cards = [
        presenters.dataset_card(
            spec,
            snapshot=snapshot,
            sources=[s for s in all_sources if s.dataset == spec.slug],
        )
        for spec in DATASETS.values()
    ]
    return render(
        request,
        "opendata/catalogue.html",
        {
            "cards": cards,
            "licence": licence.site_licence(),
            "snapshot": snapshot,
            "sources": all_sources,
            "base_url": settings.BASE_URL,
        },
    )


@require_safe
def dataset(request: HttpRequest, slug: str) -> HttpResponse:
    spec = _spec(slug)
    form = None
    query: dict[str, str] = {}
    error_list: list[dict[str, str]] = []
    if spec.filter_form is not None:
        form = spec.filter_form(request.GET or None)
        if form.is_bound:
            if form.is_valid():
                query = form.used()
            else:
                error_list = [
                    {"text": str(errors[0]), "href": f"#{name}"}
                    for name, errors in form.errors.items()
                ]
    snapshot = snapshot_for("latest")
    sources = licence.sources(datasets=[spec.slug])
    card = presenters.dataset_card(
        spec, snapshot=snapshot, sources=sources, query=query, modified=spec.modified()
    )
    return render(
        request,
        "opendata/dataset.html",
        {
            "spec": spec,
            "card": card,
            "fields": presenters.filter_fields(spec.slug, form) if form is not None else [],
            "filtered": bool(query),
            "error_list": error_list,
            "snapshot": snapshot,
            "snapshot_rows": (
                presenters.snapshot_rows(snapshot, dataset=spec.slug) if snapshot else []
            ),
            "licence": licence.site_licence(),
            "geometry": spec.geometry,
            "base_url": settings.BASE_URL,
        },
        status=400 if error_list else 200,
    )


@require_safe
def dictionary(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/dictionary.html",
        {
            "specs": [(spec, presenters.column_rows(spec.columns)) for spec in DATASETS.values()],
            "kinds": presenters.kind_rows(),
            "single": False,
        },
    )


@require_safe
def dictionary_dataset(request: HttpRequest, slug: str) -> HttpResponse:
    spec = _spec(slug)
    return render(
        request,
        "opendata/dictionary.html",
        {
            "specs": [(spec, presenters.column_rows(spec.columns))],
            "kinds": presenters.kind_rows(),
            "single": True,
        },
    )


@require_safe
def snapshots(request: HttpRequest) -> HttpResponse:
    found = snapshot_list()
    return render(
        request,
        "opendata/snapshots.html",
        {
            "snapshots": [(s, presenters.snapshot_rows(s)) for s in found],
            "base_url": settings.BASE_URL,
        },
    )


# Data -------------------------------------------------------------------------------------------


@require_safe
@open_data
def catalogue_jsonld(request: HttpRequest) -> HttpResponse:
    body = json.dumps(dcat.catalogue(), ensure_ascii=False, indent=1)
    return HttpResponse(body, content_type="application/ld+json; charset=utf-8")


@require_safe
@open_data
def licence_notice(request: HttpRequest) -> HttpResponse:
    return HttpResponse(licence.licence_text(), content_type="text/plain; charset=utf-8")


@require_safe
@open_data
def download(request: HttpRequest, slug: str, extension: str) -> HttpResponseBase:
    spec = _spec(slug)
    format_name = next((f.name for f in FORMATS.values() if f.extension == extension), "")
    if format_name not in spec.formats:
        labels = ", ".join(f".{FORMATS[f].extension}" for f in spec.formats)
        return HttpResponse(
            f"The {spec.slug} dataset has no geometry, so there is no .{extension} download. "
            f"Choose one of: {labels}.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    form = None
    if spec.filter_form is not None:
        form = spec.filter_form(request.GET)
        if not form.is_valid():
            return _bad_request(form.first_error())
    fmt = FORMATS[format_name]
    now = timezone.now()
    headers = {
        "Content-Disposition": (
            f'attachment; filename="{download_filename(spec, format_name, timezone.localdate())}"'
        ),
        "Link": download_links(spec),
        "Cache-Control": "no-cache",
    }
    if request.method == "HEAD":
        return HttpResponse(content_type=fmt.content_type, headers=headers)
    return StreamingHttpResponse(
        stream(
            spec,
            format_name,
            metadata=download_metadata(spec, generated_at=now),
            filters=form,
        ),
        content_type=fmt.content_type,
        headers=headers,
    )


@require_safe
@open_data
def snapshot_file(request: HttpRequest, name: str, filename: str) -> HttpResponseBase:
    snapshot = snapshot_for(name)
    if snapshot is None:
        raise Http404(
            "No snapshot of this date: see /data/snapshots/ for the dates kept."
            if name != "latest"
            else "No snapshot has been made yet."
        )
    file = snapshot.file(filename)
    path = snapshot.folder / filename
    if file is None or not path.is_file():
        raise Http404("The snapshot has no file of this name.")
    if filename in TEXT_FILES:
        content_type, attachment = "text/plain; charset=utf-8", False
    elif filename == MANIFEST:
        content_type, attachment = "application/json", False
    else:
        content_type, attachment = FORMATS[file.format].content_type, True
    response = FileResponse(
        path.open("rb"),
        content_type=content_type,
        as_attachment=attachment,
        filename=f"{file.dataset}-{snapshot.name}.{FORMATS[file.format].extension}"
        if attachment
        else filename,
    )
    if file.sha256:
        response["ETag"] = f'"{file.sha256}"'
        digest = base64.b64encode(bytes.fromhex(file.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
    if file.dataset:
        response["Link"] = download_links(DATASETS[file.dataset])
    # A dated file never changes; "latest" moves on every day.
    response["Cache-Control"] = (
        "public, max-age=86400, immutable" if name != "latest" else "public, max-age=300"
    )
    if request.method == "HEAD":
        response.close()
        head = HttpResponse(content_type=content_type)
        for header, value in response.items():
            head[header] = value
        return head
    return response
