"""Serving request photos: only photos that are public right now, or those of a private
request to the browser of its reporter (see :mod:`openlocal.requests.access`)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from openlocal.requests import access
from openlocal.requests.models import Photo


@require_GET
def photo(request: HttpRequest, path: str) -> FileResponse:
    """A photo attached to a visible request and not hidden by moderation; 404 otherwise.

    Draft uploads of the report journey and photos hidden later live in the same storage
    but are never served, even to someone who kept the address.
    """
    name = f"photos/{path}"
    public = Photo.public_objects.filter(image=name).exists()
    if not public and not _reporter_may_see(request, name):
        raise Http404("No such photo.")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such photo.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _reporter_may_see(request: HttpRequest, name: str) -> bool:
    """Whether this is a visible photo of a private request this browser's reporter may see."""
    allowed = access.remembered(request.session)
    if not allowed:
        return False
    return Photo.private_objects.filter(
        image=name,
        hidden=False,
        request__hidden=False,
        request__private=True,
        request_id__in=allowed,
    ).exists()
