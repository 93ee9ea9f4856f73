"""Serving request photos: only photos that are public right now."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from openlocal.requests.models import Photo


@require_GET
def photo(request: HttpRequest, path: str) -> FileResponse:
    """A photo attached to a visible request and not hidden by moderation; 404 otherwise.

    Draft uploads of the report journey and photos hidden later live in the same storage
    but are never served, even to someone who kept the address.
    """
    name = f"photos/{path}"
    if not Photo.public_objects.filter(image=name).exists():
        raise Http404("No such photo.")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such photo.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
