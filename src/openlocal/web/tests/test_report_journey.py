"""The report journey without JavaScript, page by page, as a resident goes through it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from PIL import ExifTags, Image

from openlocal.requests.models import Photo, Request

WEST = "50.70000"
WEST_LON = "-3.55000"


def jpeg_with_gps(
    name: str = "pothole.jpg", size: tuple[int, int] = (3000, 2000)
) -> SimpleUploadedFile:
    """A camera-like JPEG: bigger than we keep, with the camera's make and a GPS position."""
    image = Image.new("RGB", size, (120, 90, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (50.0, 42.0, 0.0),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (3.0, 33.0, 0.0),
        }
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), (
        "test photo has GPS"
    )
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def choose_location(client, latitude: str = WEST, longitude: str = WEST_LON):
    return client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": latitude, "longitude": longitude}
    )


def public_page_resolves() -> bool:
    try:
        reverse("web:request", args=[1])
    except NoReverseMatch:
        return False
    return True


@pytest.mark.django_db
def test_whole_pothole_journey_with_a_photo_and_email(
    client, place, django_capture_on_commit_callbacks, mailoutbox
):
    page = client.get(reverse("web:report"))
    assert page.status_code == 200
    assert "Where is the problem?" in text(page)
    assert 'data-ol-map="pick"' in page.content.decode()
    assert "data-ol-geolocate" in page.content.decode()

    response = choose_location(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:report-category")

    page = client.get(reverse("web:report-category"))
    body = text(page)
    assert "What kind of problem is it?" in body
    assert "Pothole" in body
    assert "Handled by Testshire County Council" in body
    assert "Roads and pavements" in body  # the group heading
    assert 'href="/report/"' in page.content.decode()  # the back link

    response = client.post(reverse("web:report-category"), {"category": place.pothole.pk})
    # Potholes have no asset types, so the asset question is skipped.
    assert response["Location"] == reverse("web:report-details")

    page = client.get(reverse("web:report-details"))
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "How deep is it?" in text(page)
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in html
    assert re.search(r'<input[^>]*name="photos"[^>]*multiple', html)

    response = client.post(
        reverse("web:report-details"),
        {
            "title": "Deep pothole by the school",
            "description": "A pothole that has burst two tyres this week.",
            "answer_depth": "deep",
            "photos": [jpeg_with_gps()],
        },
    )
    assert response["Location"] == reverse("web:report-about-you")
    held = client.session["report_draft"]["photos"]
    assert len(held) == 1 and default_storage.exists(held[0]["name"])

    page = client.get(reverse("web:report-about-you"))
    html = page.content.decode()
    assert 'autocomplete="name"' in html and 'autocomplete="email"' in html
    assert "never shown publicly" in text(page)
    response = client.post(
        reverse("web:report-about-you"),
        {"name": "Rita Reporter", "show_name": "anonymous", "email": "rita@example.org"},
    )
    assert response["Location"] == reverse("web:report-check")

    page = client.get(reverse("web:report-check"))
    body = text(page)
    for expected in (
        "Check your report before sending it",
        "50.70000, -3.55000",
        "West Testshire",
        "Pothole",
        "Testshire County Council",
        "Deep pothole by the school",
        "5 cm or deeper",
        "pothole.jpg",
        "rita@example.org",
        "Change",
    ):
        assert expected in body, expected

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:report-done", args=[created.pk])

    assert created.title == "Deep pothole by the school"
    assert created.category == place.pothole
    assert created.body == place.county_council
    assert (created.latitude, created.longitude) == (50.7, -3.55)
    assert created.answers == {"depth": "deep"}
    assert created.reporter is not None and created.reporter.email == "rita@example.org"
    assert created.reporter_name == "Rita Reporter"
    assert created.reporter_name_public is False
    assert created.public_reporter_name == ""
    assert set(created.areas.values_list("name", flat=True)) == {"Testshire", "West Testshire"}

    photo = Photo.private_objects.get(request=created)
    with photo.image.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "JPEG"
        assert max(image.size) <= 2048
        assert not image.getexif()
        assert "exif" not in image.info
    # The draft copy is gone once the report is sent, and so is the draft.
    assert not default_storage.exists(held[0]["name"])
    assert "report_draft" not in client.session

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rita@example.org"]
    assert f"#{created.pk}" in mailoutbox[0].subject

    page = client.get(response["Location"])
    body = text(page)
    assert "Report sent" in body
    assert f"#{created.pk}" in body
    assert "Testshire County Council" in body
    assert "What happens next" in body
    assert created.get_absolute_url() in page.content.decode()
    assert "rita@example.org" not in page.content.decode()

    if public_page_resolves():
        public = client.get(created.get_absolute_url())
        assert public.status_code == 200
        assert "Deep pothole by the school" in text(public)
        assert "rita@example.org" not in public.content.decode()
        assert "Rita Reporter" not in public.content.decode()


@pytest.mark.django_db
def test_confirmation_is_only_for_the_session_that_reported(client, place):
    choose_location(client)
    client.post(reverse("web:report-category"), {"category": place.missed_bin.pk})
    client.post(
        reverse("web:report-details"),
        {"title": "Bins not emptied", "description": "Missed on Tuesday."},
    )
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    response = client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert created.body == place.west_council
    assert created.reporter is None
    assert "Report sent" in text(client.get(response["Location"]))

    from django.test import Client

    stranger = Client()
    other = stranger.get(reverse("web:report-done", args=[created.pk]))
    assert other.status_code == 302
    assert other["Location"] == created.get_absolute_url()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("point", "district", "other_district"),
    [
        ((WEST, WEST_LON), "West Testshire District Council", "East Testshire District Council"),
        (
            ("50.70000", "-3.45000"),
            "East Testshire District Council",
            "West Testshire District Council",
        ),
    ],
)
def test_category_page_offers_only_what_is_handled_there(
    client, place, point, district, other_district
):
    choose_location(client, *point)
    body = text(client.get(reverse("web:report-category")))
    assert "Missed bin collection" in body
    assert f"Handled by {district}" in body
    assert other_district not in body
    assert "Handled by Testshire County Council" in body  # two tiers: potholes go to the county


@pytest.mark.django_db
def test_category_page_says_when_nobody_handles_anything_there(client, place):
    place.pothole.routing_rules.all().delete()
    place.streetlight.routing_rules.all().delete()
    place.missed_bin.routing_rules.all().delete()
    place.fly_tipping.routing_rules.all().delete()
    choose_location(client)
    body = text(client.get(reverse("web:report-category")))
    assert "Nobody on this site handles reports here" in body
    assert "Change the location" in body


@pytest.mark.django_db
def test_streetlight_report_picks_the_nearby_lamp(client, place):
    # A point about 70 metres from the lamp.
    choose_location(client, "50.70060", "-3.55020")
    response = client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    assert response["Location"] == reverse("web:report-asset")

    page = client.get(reverse("web:report-asset"))
    body = text(page)
    assert "Which streetlight is it?" in body
    assert "Column 1, High Street" in body
    assert re.search(r"SL-0001, \d+ metres away", body)
    assert "None of these, or I cannot see it" in body

    response = client.post(reverse("web:report-asset"), {"asset": str(place.lamp.pk)})
    assert response["Location"] == reverse("web:report-details")
    client.post(
        reverse("web:report-details"),
        {"title": "Light out", "description": "Dark since Friday."},
    )
    client.post(reverse("web:report-about-you"), {"name": "Sam", "show_name": "public"})
    body = text(client.get(reverse("web:report-check")))
    assert "Column 1, High Street (SL-0001)" in body
    assert "Sam (shown on the report)" in body
    response = client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert created.asset == place.lamp
    # Choosing the asset moved the report to the asset's position.
    assert (created.latitude, created.longitude) == (place.lamp.latitude, place.lamp.longitude)
    assert created.public_reporter_name == "Sam"


@pytest.mark.django_db
def test_none_of_these_keeps_the_chosen_point(client, place):
    choose_location(client, "50.70060", "-3.55020")
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    response = client.post(reverse("web:report-asset"), {"asset": "none"})
    assert response["Location"] == reverse("web:report-details")
    client.post(reverse("web:report-details"), {"title": "Light out", "description": "Dark."})
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert created.asset is None
    assert (created.latitude, created.longitude) == (50.7006, -3.5502)


@pytest.mark.django_db
def test_asset_required_offers_no_way_round(client, place):
    place.streetlight.asset_required = True
    place.streetlight.save()
    choose_location(client, "50.70060", "-3.55020")
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    body = text(client.get(reverse("web:report-asset")))
    assert "None of these" not in body
    response = client.post(reverse("web:report-asset"), {"asset": "none"})
    assert "Choose one of the ones listed" in text(response)

    # Far from any lamp: the page says so and offers to change the location.
    choose_location(client, "50.75000", "-3.58000")
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    body = text(client.get(reverse("web:report-asset")))
    assert "There is no streetlight near this point" in body


@pytest.mark.django_db
def test_later_steps_redirect_to_the_first_missing_answer(client, place):
    assert client.get(reverse("web:report-check"))["Location"] == reverse("web:report")
    assert client.get(reverse("web:report-details"))["Location"] == reverse("web:report")
    choose_location(client)
    assert client.get(reverse("web:report-check"))["Location"] == reverse("web:report-category")
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})
    assert client.get(reverse("web:report-details"))["Location"] == reverse("web:report-asset")
    client.post(reverse("web:report-asset"), {"asset": "none"})
    assert client.get(reverse("web:report-check"))["Location"] == reverse("web:report-details")


@pytest.mark.django_db
def test_change_links_return_to_the_check_page(client, place):
    choose_location(client)
    client.post(reverse("web:report-category"), {"category": place.missed_bin.pk})
    client.post(reverse("web:report-details"), {"title": "Bins", "description": "Missed."})
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    page = client.get(reverse("web:report-check"))
    assert f'href="{reverse("web:report-details")}"' in page.content.decode()

    response = client.post(
        reverse("web:report-details"), {"title": "Bins again", "description": "Missed twice."}
    )
    assert response["Location"] == reverse("web:report-check")

    # Moving to the east district: missed bins are still handled, by the east council now.
    response = choose_location(client, "50.70000", "-3.45000")
    assert response["Location"] == reverse("web:report-check")
    assert "East Testshire District Council" in text(client.get(reverse("web:report-check")))

    # Changing to a category with a required question asks the details again.
    response = client.post(reverse("web:report-category"), {"category": place.pothole.pk})
    assert response["Location"] == reverse("web:report-details")
    page = client.get(reverse("web:report-details"))
    assert "Bins again" in page.content.decode()  # what was typed is kept


@pytest.mark.django_db
def test_start_again_forgets_the_draft_and_its_photos(client, place):
    choose_location(client)
    client.post(reverse("web:report-category"), {"category": place.pothole.pk})
    client.post(
        reverse("web:report-details"),
        {"title": "Hole", "description": "", "photos": [jpeg_with_gps(size=(100, 80))]},
    )
    held = client.session["report_draft"]["photos"]
    assert len(held) == 1  # kept although the description was missing
    page = client.get(reverse("web:report-details"))
    assert "Start again" in text(page)
    response = client.get(reverse("web:report-start-again"))
    assert response["Location"] == reverse("web:report")
    assert "report_draft" not in client.session
    assert not default_storage.exists(held[0]["name"])


@pytest.mark.django_db
def test_removing_a_photo_before_sending(client, place):
    choose_location(client)
    client.post(reverse("web:report-category"), {"category": place.missed_bin.pk})
    client.post(
        reverse("web:report-details"),
        {
            "title": "Bins",
            "description": "Missed.",
            "photos": [jpeg_with_gps("one.jpg", (50, 50)), jpeg_with_gps("two.jpg", (50, 50))],
        },
    )
    held = client.session["report_draft"]["photos"]
    page = client.get(reverse("web:report-details"))
    assert "Remove one.jpg" in text(page) and "Remove two.jpg" in text(page)
    client.post(
        reverse("web:report-details"),
        {"title": "Bins", "description": "Missed.", "remove_photos": [held[0]["name"]]},
    )
    assert [p["label"] for p in client.session["report_draft"]["photos"]] == ["two.jpg"]
    assert not default_storage.exists(held[0]["name"])
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    client.post(reverse("web:report-check"))
    assert Photo.private_objects.filter(request=Request.private_objects.get()).count() == 1


@pytest.mark.django_db
def test_prefilled_from_a_link_with_lat_and_lon(client, place):
    page = client.get(reverse("web:report") + "?lat=50.71&lon=-3.52")
    html = page.content.decode()
    assert 'value="50.71"' in html and 'value="-3.52"' in html
    assert 'data-centre-lat="50.71"' in html
    assert "hidden" in html and "leaflet/leaflet.js" in html and "openlocal/map.js" in html


@pytest.mark.django_db
def test_place_search_finds_areas_and_assets(client, place):
    body = text(client.get(reverse("web:report"), {"q": "west testshire"}))
    assert "West Testshire" in body and "District" in body

    page = client.get(reverse("web:report"), {"q": "high street"})
    assert "Column 1, High Street" in text(page)
    response = client.post(
        reverse("web:report"),
        {"form": "match", "q": "high street", "match": f"asset-{place.lamp.pk}"},
    )
    assert response["Location"] == reverse("web:report-category")
    assert client.session["report_draft"]["point"] == [50.7, -3.55]

    body = text(client.get(reverse("web:report"), {"q": "Atlantis"}))
    assert "No places or assets on this site match “Atlantis”" in body

    response = client.post(reverse("web:report"), {"form": "match", "q": "high street"})
    assert "Choose one of the places found, or search again" in text(response)
