"""Photo uploads: validated, re-encoded, resized and stripped of all metadata."""

from __future__ import annotations

import io
import uuid
import warnings
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}


class PhotoError(ValueError):
    """A photo we cannot accept, with a message that says why and what to do."""


def _human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def photo_reencode(upload: IO[bytes], *, filename: str = "photo") -> ContentFile[bytes]:
    """Return a fresh JPEG of the upload: no EXIF (so no GPS), no ICC, at most 2048 px.

    Decoding the whole image (not just its header) proves it is an image; re-encoding
    drops anything smuggled inside the original file.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise PhotoError(f"{filename} is empty. Choose a photo file to upload.")
    if size > settings.PHOTO_MAX_BYTES:
        raise PhotoError(
            f"{filename} is {_human_size(size)}; photos must be smaller than "
            f"{_human_size(settings.PHOTO_MAX_BYTES)}. Choose a smaller photo."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoError(
                    f"{filename} is a {image.format or 'unknown'} file. "
                    "Photos must be JPEG, PNG, WebP or GIF."
                )
            if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                raise PhotoError(
                    f"{filename} is {image.width}×{image.height} pixels, too large to process. "
                    "Choose a photo under 40 megapixels."
                )
            image.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(
            f"{filename} is not a photo we can read. Photos must be JPEG, PNG, WebP or GIF."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoError(
            f"{filename} is damaged or incomplete. Try saving it again, or choose another photo."
        ) from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        image = background
    image.thumbnail((settings.PHOTO_MAX_DIMENSION, settings.PHOTO_MAX_DIMENSION))
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
