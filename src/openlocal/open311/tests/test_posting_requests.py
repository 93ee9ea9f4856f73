"""POST requests: keys and scopes, locations, answers, privacy of what is sent, rate limits."""

from __future__ import annotations

import pytest

from openlocal.apikeys.models import ApiKey
from openlocal.apikeys.services import apikey_revoke
from openlocal.open311.tests.conftest import BASE, FORMATS, errors_of, parse_json, pothole_form
from openlocal.requests.models import Person, Request, Source, Update, UpdateKind
from openlocal.subscriptions.models import Event, Subscription

pytestmark = pytest.mark.django_db


def _post(client, fmt: str, form: dict):
    return client.post(f"{BASE}/requests.{fmt}", form)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_without_the_submit_scope_is_403(client, place, keys, fmt) -> None:
    for key in (keys.body, keys.webhooks):
        response = _post(client, fmt, pothole_form(place, api_key=key))
        assert response.status_code == 403
        assert "submit" in errors_of(response, fmt)[0]["description"]
    assert not Request.private_objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_403(client, place, keys, fmt) -> None:
    key = ApiKey.objects.get(name="Fix-it app")
    apikey_revoke(key=key, check_permission=False)
    response = _post(client, fmt, pothole_form(place, api_key=keys.submit))
    assert response.status_code == 403
    assert errors_of(response, fmt)[0]["code"] == 403
    assert not Request.private_objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_point_outside_every_area_is_400_saying_nobody_covers_it(
    client, place, keys, fmt
) -> None:
    response = _post(client, fmt, pothole_form(place, api_key=keys.submit, lat="51.5", long="0"))
    assert response.status_code == 400
    assert (
        "No council or other body on this site covers" in errors_of(response, fmt)[0]["description"]
    )
    assert not Request.private_objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_locations_are_400(client, place, keys, fmt) -> None:
    cases = {
        "lat": pothole_form(place, api_key=keys.submit, lat="north"),
        "between -90 and 90": pothole_form(place, api_key=keys.submit, lat="95"),
        "A location is required": pothole_form(place, api_key=keys.submit, lat=None, long=None),
        "No place called": pothole_form(
            place, api_key=keys.submit, lat=None, long=None, address_string="Atlantis"
        ),
        "not the id of any asset": pothole_form(
            place, api_key=keys.submit, lat=None, long=None, address_id="SL-9999"
        ),
    }
    for words, form in cases.items():
        response = _post(client, fmt, form)
        assert response.status_code == 400, words
        assert words in errors_of(response, fmt)[0]["description"]
    assert not Request.private_objects.exists()


def test_a_category_not_handled_there_is_400(client, place, keys) -> None:
    from shapely.geometry import box

    from openlocal.places.models import Area, AreaKind, Body
    from openlocal.places.services import area_save

    island, _ = area_save(
        name="Island", kind=AreaKind.DISTRICT, code="T07000009", geometry=box(-2, 50, -1.9, 50.1)
    )
    Body.objects.create(name="Island Council", slug="island").areas.add(island)
    response = _post(
        client, "json", pothole_form(place, api_key=keys.submit, lat="50.05", long="-1.95")
    )
    assert response.status_code == 400
    assert "not handled by anyone at this location" in parse_json(response)[0]["description"]
    assert Area.objects.filter(pk=island.pk).exists()


def test_a_bad_answer_is_400_naming_the_attribute(client, place, keys) -> None:
    response = _post(
        client,
        "json",
        pothole_form(place, api_key=keys.submit, **{"attribute[depth]": "bottomless"}),
    )
    assert response.status_code == 400
    message = parse_json(response)[0]["description"]
    assert "attribute[depth]" in message and "bottomless" in message


def test_a_created_request_goes_through_the_same_journey_as_the_web(client, place, keys) -> None:
    response = _post(
        client,
        "json",
        pothole_form(
            place,
            api_key=keys.submit,
            email="Reporter@Example.org",
            first_name="Ada",
            last_name="Lovelace",
            phone="07700 900123",
            device_id="device-42",
            account_id="acct-7",
            address_string="12 High Street",
            description="Deep pothole.\nCars swerve round it.",
        ),
    )
    assert response.status_code == 200, response.content
    item = parse_json(response)[0]
    created = Request.private_objects.get(pk=int(item["service_request_id"]))
    assert created.source == Source.OPEN311
    assert created.body == place.county_council
    assert created.title == "Deep pothole."
    assert created.description == "Deep pothole.\nCars swerve round it."
    assert created.address == "12 High Street"
    assert created.answers == {"depth": "deep"}
    # The reporter is private and follows their request, as on the web.
    assert created.reporter == Person.objects.get(email="reporter@example.org")
    assert created.reporter_name == "Ada Lovelace" and not created.reporter_name_public
    assert Subscription.objects.filter(person=created.reporter).exists()
    assert Event.objects.filter(request=created).exists()
    assert item["account_id"] is None
    assert "Testshire County Council" in item["service_notice"]
    # The phone number is kept nowhere.
    assert "07700" not in str(Request.private_objects.filter(pk=created.pk).values().get())
    assert not Person.objects.filter(name__contains="07700").exists()


def test_without_a_description_the_service_name_is_used(client, place, keys) -> None:
    response = _post(client, "json", pothole_form(place, api_key=keys.submit, description=None))
    assert response.status_code == 200
    created = Request.private_objects.get()
    assert (created.title, created.description) == ("Pothole", "Pothole")
    too_long = _post(
        client, "json", pothole_form(place, api_key=keys.submit, description="x" * 4001)
    )
    assert too_long.status_code == 400


def test_media_url_is_kept_as_a_public_link_when_it_is_a_plain_web_address(
    client, place, keys
) -> None:
    url = "https://photos.example.org/pothole.jpg"
    response = _post(client, "json", pothole_form(place, api_key=keys.submit, media_url=url))
    created = Request.private_objects.get(pk=int(parse_json(response)[0]["service_request_id"]))
    first = Update.public_objects.get(request=created, kind=UpdateKind.CREATED)
    assert url in first.text
    shown = parse_json(client.get(f"{BASE}/requests/{created.pk}.json"))[0]
    assert shown["media_url"] == url
    assert url in client.get(created.get_absolute_url()).content.decode()
    for bad in ("javascript:alert(1)", "ftp://x.example/p.jpg", "https://u:pw@x.example/p.jpg"):
        rejected = _post(client, "json", pothole_form(place, api_key=keys.submit, media_url=bad))
        assert rejected.status_code == 400, bad
        assert "media_url" in parse_json(rejected)[0]["description"]
    assert Request.private_objects.count() == 1


def test_duplicate_candidates_are_returned_in_extensions(client, place, keys, report) -> None:
    existing = report()
    response = _post(client, "json", pothole_form(place, api_key=keys.submit))
    item = parse_json(response)[0]
    candidates = item["extensions"]["duplicate_candidates"]
    assert [c["service_request_id"] for c in candidates] == [str(existing.pk)]
    assert candidates[0]["distance"] == 0
    assert item["service_request_id"] not in [c["service_request_id"] for c in candidates]
    assert "similar" in item["service_notice"]
    xml = client.post(f"{BASE}/requests.xml", pothole_form(place, api_key=keys.submit))
    from openlocal.open311.tests.conftest import request_elements

    element = request_elements(xml)[0]
    ids = [
        e.text
        for e in element.findall("extensions/duplicate_candidates/request/service_request_id")
    ]
    assert str(existing.pk) in ids


def test_a_json_body_is_400_not_a_silent_failure(client, place, keys) -> None:
    response = client.post(
        f"{BASE}/requests.json?api_key={keys.submit}",
        {"service_code": "POT"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "application/x-www-form-urlencoded" in parse_json(response)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_over_the_rate_limit_is_429_with_retry_after(client, place, keys, settings, fmt) -> None:
    settings.API_WRITE_RATE_PER_KEY = "2/m"
    for _ in range(2):
        assert _post(client, fmt, pothole_form(place, api_key=keys.submit)).status_code == 200
    limited = _post(client, fmt, pothole_form(place, api_key=keys.submit))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "Too many writes" in errors_of(limited, fmt)[0]["description"]
    assert Request.private_objects.count() == 2


def test_a_jurisdiction_other_than_ours_is_404(client, place, keys, settings) -> None:
    settings.OPEN311_JURISDICTION_ID = "testshire.example"
    assert client.get(f"{BASE}/services.json?jurisdiction_id=testshire.example").status_code == 200
    assert client.get(f"{BASE}/services.json?jurisdiction_id=").status_code == 200
    other = client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere.example")
    assert other.status_code == 404
    posted = _post(
        client, "json", pothole_form(place, api_key=keys.submit, jurisdiction_id="elsewhere")
    )
    assert posted.status_code == 404
    assert not Request.private_objects.exists()
