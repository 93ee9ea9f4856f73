"""The staff upload page: upload a file, choose its columns, preview, confirm.

Open to superusers (everything) and to administrators of a body (assets and requests of
their own bodies only); others get a page saying who can. The uploaded file is kept in
the database between the steps, visible only to whoever uploaded it; the preview is a dry
run of the same import the confirmation makes, so what it shows is what happens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openlocal.importers import forms as import_forms
from openlocal.importers.engine import ImportResult, error_report_csv
from openlocal.importers.files import (
    CsvFile,
    ImportFileError,
    display_name,
    read_geojson,
    source_stem,
)
from openlocal.importers.models import ImportKind, ImportRun, Upload
from openlocal.importers.presenters import (
    ERRORS_SHOWN,
    VANISHED_SHOWN,
    error_rows,
    field_components,
    result_counts,
    run_counts,
)
from openlocal.importers.selectors import administered_bodies, allowed_kinds
from openlocal.importers.services import areas_import, assets_import, requests_import
from openlocal.staff.presenters import error_summary
from openlocal.staff.views.common import staff_render

#: Uploads not imported are removed after this long.
UPLOAD_KEPT = timedelta(days=1)
RECENT_RUNS = 20


def _allowed_body_ids(user: Any) -> set[int] | None:
    return (
        None if user.is_superuser else set(administered_bodies(user).values_list("pk", flat=True))
    )


def _not_allowed(request: HttpRequest) -> HttpResponse:
    return staff_render(request, "importers/not_allowed.html", {}, status=403)


def _runs(user: Any) -> QuerySet[ImportRun]:
    runs = ImportRun.objects.select_related("source", "actor")
    return runs if user.is_superuser else runs.filter(actor=user)


def _file_columns(content: bytes, name: str, kind: str) -> tuple[list[str], bool]:
    """The file's columns (or GeoJSON properties), and whether it is GeoJSON."""
    geojson = import_forms._is_geojson_name(name)
    if geojson:
        data = read_geojson(content, max_bytes=import_forms.UPLOAD_MAX_EXPANDED_BYTES)
        if not data.features:
            raise ImportFileError("The file has no features.")
        return data.properties, True
    with CsvFile(content, max_bytes=import_forms.UPLOAD_MAX_EXPANDED_BYTES) as csv_file:
        return csv_file.header, False


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    kinds = allowed_kinds(request.user)
    if not kinds:
        return _not_allowed(request)
    form = import_forms.UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    user: Any = request.user
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        name = display_name(str(upload_file.name))[:255]
        content = upload_file.read(import_forms.UPLOAD_MAX_BYTES + 1)
        try:
            columns, geojson = _file_columns(content, name, form.cleaned_data["kind"])
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            Upload.objects.filter(
                uploaded_by=user, created_at__lt=timezone.now() - UPLOAD_KEPT
            ).delete()
            upload = Upload.objects.create(
                uploaded_by=user,
                kind=form.cleaned_data["kind"],
                file_name=name,
                content=content,
                options={"columns": columns, "geojson": geojson},
            )
            return redirect("importers:upload", pk=upload.pk)
    kind_value = str(form["kind"].value() or "")
    kind_items = [
        {"value": value, "text": str(label), "checked": value == kind_value}
        for value, label in ImportKind.choices
        if value in kinds
    ]
    return staff_render(
        request,
        "importers/start.html",
        {
            "form": form,
            "errors": error_summary(form),
            "kind_items": kind_items,
            "max_mb": import_forms.UPLOAD_MAX_BYTES // (1024 * 1024),
            "runs": list(_runs(request.user)[:RECENT_RUNS]),
            "superuser": user.is_superuser,
        },
        status=400 if request.method == "POST" else 200,
    )


def _mapping_form(upload: Upload, user: Any, data: Any = None) -> import_forms.SourceForm:
    columns: list[str] = list(upload.options.get("columns") or [])
    if upload.kind == ImportKind.AREAS:
        return import_forms.AreaMappingForm(data, columns=columns)
    bodies = list(administered_bodies(user))
    if upload.kind == ImportKind.ASSETS:
        return import_forms.AssetMappingForm(
            data,
            columns=columns,
            geojson=bool(upload.options.get("geojson")),
            bodies=bodies,
            any_body=bool(user.is_superuser),
        )
    return import_forms.RequestMappingForm(
        data, columns=columns, bodies=bodies, any_body=bool(user.is_superuser)
    )


def _saved_form_data(upload: Upload) -> QueryDict | None:
    saved = upload.options.get("form")
    if not isinstance(saved, dict):
        return None
    data = QueryDict(mutable=True)
    for key, values in saved.items():
        data.setlist(key, [str(v) for v in values])
    return data


def _form_sections(form: import_forms.SourceForm) -> list[tuple[str, list[Any]]]:
    source = list(import_forms.SourceForm.source_fields)
    columns = [name for name in form.fields if name not in source]
    return [
        ("Columns", field_components(form, columns)),
        ("Where the data comes from", field_components(form, source)),
    ]


def _run_import(
    upload: Upload,
    form: import_forms.SourceForm,
    user: Any,
    *,
    dry_run: bool,
    skip_invalid: bool = False,
) -> ImportResult:
    common: dict[str, Any] = {
        "data": bytes(upload.content),
        "file_name": upload.file_name,
        "source": form.source(source_stem(upload.file_name)),
        "dry_run": dry_run,
        "skip_invalid": skip_invalid,
        "actor": user,
        "max_bytes": import_forms.UPLOAD_MAX_EXPANDED_BYTES,
    }
    if isinstance(form, import_forms.AreaMappingForm):
        return areas_import(columns=form.columns(), **common)
    allowed = _allowed_body_ids(user)
    if isinstance(form, import_forms.AssetMappingForm):
        return assets_import(columns=form.columns(), allowed_body_ids=allowed, **common)
    assert isinstance(form, import_forms.RequestMappingForm)
    return requests_import(columns=form.columns(), allowed_body_ids=allowed, **common)


def _own_upload(request: HttpRequest, pk: int) -> Upload:
    return get_object_or_404(Upload, pk=pk, uploaded_by=request.user, run__isnull=True)


def _render_mapping(
    request: HttpRequest, upload: Upload, form: import_forms.SourceForm, *, status: int = 200
) -> HttpResponse:
    return staff_render(
        request,
        "importers/mapping.html",
        {
            "upload": upload,
            "kind_label": ImportKind(upload.kind).label,
            "geojson": bool(upload.options.get("geojson")),
            "form": form,
            "errors": error_summary(form),
            "sections": _form_sections(form),
        },
        status=status,
    )


def _render_preview(
    request: HttpRequest,
    upload: Upload,
    result: ImportResult,
    *,
    status: int = 200,
    failed: bool = False,
) -> HttpResponse:
    return staff_render(
        request,
        "importers/preview.html",
        {
            "upload": upload,
            "kind_label": ImportKind(upload.kind).label,
            "result": result,
            "counts": result_counts(result, preview=True),
            "error_rows": error_rows(result.errors),
            "errors_shown": ERRORS_SHOWN,
            "failed": failed,
            "unit": result.unit,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    if not allowed_kinds(request.user):
        return _not_allowed(request)
    item = _own_upload(request, pk)
    if item.kind not in allowed_kinds(request.user):
        return _not_allowed(request)
    if request.method != "POST":
        return _render_mapping(
            request, item, _mapping_form(item, request.user, _saved_form_data(item))
        )
    form = _mapping_form(item, request.user, request.POST)
    if not form.is_valid():
        return _render_mapping(request, item, form, status=400)
    try:
        result = _run_import(item, form, request.user, dry_run=True)
    except ImportFileError as exc:
        form.add_error(None, str(exc))
        return _render_mapping(request, item, form, status=400)
    item.options = {
        **item.options,
        "form": {
            key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"
        },
    }
    item.report = error_report_csv(result.errors, result.unit) if result.errors else ""
    item.save(update_fields=["options", "report"])
    return _render_preview(request, item, result)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    if not allowed_kinds(request.user):
        return _not_allowed(request)
    item = _own_upload(request, pk)
    if item.kind not in allowed_kinds(request.user):
        return _not_allowed(request)
    form = _mapping_form(item, request.user, _saved_form_data(item))
    if not form.is_bound or not form.is_valid():
        messages.error(
            request, "Choose the columns again and preview the import before confirming it."
        )
        return redirect("importers:upload", pk=item.pk)
    try:
        result = _run_import(
            item,
            form,
            request.user,
            dry_run=False,
            skip_invalid=request.POST.get("skip_invalid") == "yes",
        )
    except ImportFileError as exc:
        form.add_error(None, str(exc))
        return _render_mapping(request, item, form, status=400)
    if not result.written or result.run is None:
        return _render_preview(request, item, result, status=400, failed=True)
    item.run = result.run
    item.content = b""
    item.save(update_fields=["run", "content"])
    messages.success(
        request,
        f"Imported {display_name(item.file_name)}: {result.summary()}.",
    )
    return redirect("importers:run", pk=result.run.pk)


@login_required
@require_safe
def run(request: HttpRequest, pk: int) -> HttpResponse:
    if not allowed_kinds(request.user):
        return _not_allowed(request)
    item = get_object_or_404(_runs(request.user), pk=pk)
    return staff_render(
        request,
        "importers/run.html",
        {
            "run": item,
            "counts": run_counts(item),
            "vanished": item.vanished_ids[:VANISHED_SHOWN],
            "vanished_more": max(0, len(item.vanished_ids) - VANISHED_SHOWN),
            "source": item.source,
        },
    )


def _csv_download(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def run_report(request: HttpRequest, pk: int) -> HttpResponse:
    if not allowed_kinds(request.user):
        return _not_allowed(request)
    item = get_object_or_404(_runs(request.user), pk=pk)
    return _csv_download(item.report, f"import-{item.pk}-bad-rows.csv")


@login_required
@require_safe
def upload_report(request: HttpRequest, pk: int) -> HttpResponse:
    if not allowed_kinds(request.user):
        return _not_allowed(request)
    item = _own_upload(request, pk)
    return _csv_download(item.report, f"{source_stem(item.file_name)}-bad-rows.csv")
