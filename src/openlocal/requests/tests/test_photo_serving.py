"""Photos are served while public, and not once hidden; drafts are never served."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from openlocal.requests.photos import photo_reencode
from openlocal.requests.services import photo_hide, request_create, request_hide


def _photo() -> ContentFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="PNG")
    out.seek(0)
    return photo_reencode(out, filename="p.png")


def _request(place):
    return request_create(
        category=place.missed_bin,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Bins not collected",
        description="Whole street missed.",
        photos=[_photo()],
    )


def test_public_photo_is_served_as_jpeg(client, place):
    photo = _request(place).photos.get()
    response = client.get(photo.image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_hidden_photo_and_photos_of_hidden_requests_are_not_served(client, place):
    request = _request(place)
    photo = request.photos.get()
    photo_hide(photo=photo, actor=place.west_manager, reason="Shows a face")
    assert client.get(photo.image.url).status_code == 404
    other = _request(place)
    request_hide(request=other, actor=place.west_manager, reason="Abusive")
    assert client.get(other.photos.get().image.url).status_code == 404


def test_draft_uploads_are_not_served(client, db):
    name = default_storage.save("drafts/abc.jpg", _photo())
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get("/media/photos/../drafts/abc.jpg").status_code == 404
