"""Two-tier and more: non-council bodies, the preference order when two bodies offer the same
category at a point (and the documented tie rule), reassignment that tells followers, and
categories limited to asset types in the report journey and the APIs."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from openlocal.apikeys.models import Scope
from openlocal.apikeys.services import apikey_create
from openlocal.assets.models import Asset, AssetType
from openlocal.core import geo
from openlocal.places.models import Body, BodyKind, Membership, Role
from openlocal.places.selectors import routes_at
from openlocal.requests.models import Category, CategoryGroup, Request, RoutingRule
from openlocal.requests.services import request_create, request_reassign
from openlocal.subscriptions.delivery import run_batch
from openlocal.subscriptions.services import follow
from openlocal.subscriptions.targets import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(place):
    """National Highways and a water company, both covering the whole county."""
    highways = Body.objects.create(
        name="National Highways", slug="national-highways", kind=BodyKind.NATIONAL
    )
    water = Body.objects.create(
        name="Testshire Water", slug="testshire-water", kind=BodyKind.UTILITY
    )
    for body in (highways, water):
        body.areas.add(place.county)
    flooding = Category.objects.create(
        name="Flooding on the road",
        slug="road-flooding",
        service_code="FLD",
        group=CategoryGroup.DRAINAGE,
    )
    return highways, water, flooding


def report(place, category, **extra):
    return request_create(
        category=category,
        latitude=place.west_point[0],
        longitude=place.west_point[1],
        title="Road under water",
        description="Water across both lanes.",
        notify=False,
        **extra,
    )


def test_two_non_council_bodies_offer_a_category_and_the_lower_preference_wins(place, agencies):
    highways, water, flooding = agencies
    RoutingRule.objects.create(category=flooding, area=place.county, body=water, preference=100)
    first = RoutingRule.objects.create(
        category=flooding, area=place.county, body=highways, preference=40
    )

    assert routes_at(*place.west_point)[flooding.pk].body == highways
    assert report(place, flooding).body == highways

    first.preference = 150
    first.save()
    assert routes_at(*place.west_point)[flooding.pk].body == water
    assert report(place, flooding).body == water


def test_at_equal_preference_the_rule_on_the_finer_area_wins(place, agencies):
    highways, water, flooding = agencies
    # County-wide first, then the district: order of creation does not decide this.
    RoutingRule.objects.create(category=flooding, area=place.county, body=highways)
    RoutingRule.objects.create(category=flooding, area=place.west, body=water)

    assert routes_at(*place.west_point)[flooding.pk].body == water
    assert routes_at(*place.east_point)[flooding.pk].body == highways


def test_at_equal_preference_on_the_same_area_the_rule_made_first_wins(place, agencies):
    highways, water, flooding = agencies
    RoutingRule.objects.create(category=flooding, area=place.county, body=water)
    RoutingRule.objects.create(category=flooding, area=place.county, body=highways)

    assert routes_at(*place.west_point)[flooding.pk].body == water
    assert report(place, flooding).body == water


def test_pages_and_journey_name_the_body_routing_chose(client, place, agencies):
    highways, water, flooding = agencies
    RoutingRule.objects.create(category=flooding, area=place.county, body=water, preference=100)
    RoutingRule.objects.create(category=flooding, area=place.county, body=highways, preference=40)

    area_page = client.get(reverse("web:area", args=[place.west.slug])).content.decode()
    row = area_page[area_page.index("Flooding on the road") :][:600]
    assert "National Highways" in row and "Testshire Water" not in row

    client.post(
        reverse("web:report"),
        {"form": "coordinates", "latitude": place.west_point[0], "longitude": place.west_point[1]},
    )
    page = client.get(reverse("web:report-category")).content.decode()
    choice = page[page.index("Flooding on the road") :][:400]
    assert "Handled by National Highways" in choice


def test_staff_reassign_to_a_utility_and_every_follower_is_told(place, agencies, mailoutbox):
    _highways, water, _flooding = agencies
    request = report(place, place.pothole, answers={"depth": "deep"})
    for email in ("first@example.org", "second@example.org"):
        follow(target=Target.for_request(request), email=email, confirmed=True)
    run_batch()
    mailoutbox.clear()

    request_reassign(
        request=request,
        actor=_county_manager(place),
        body=water,
        reason="A burst water main, not a pothole.",
    )
    run_batch()

    request.refresh_from_db()
    assert request.body == water
    told = sorted(m.to[0] for m in mailoutbox)
    assert told == ["first@example.org", "second@example.org"]
    for message in mailoutbox:
        assert "Testshire Water" in message.subject
        assert "instead of Testshire County Council" in message.body
    page = Client().get(request.get_absolute_url()).content.decode()
    assert "A burst water main, not a pothole." in page


def _county_manager(place):
    user = place.county_inspector
    Membership.objects.filter(user=user, body=place.county_council).update(role=Role.MANAGER)
    return user


@pytest.fixture
def bench(place):
    bench_type = AssetType.objects.create(name="Bench", slug="bench", identifier_label="Number")
    # Beside the streetlight: a report journey at this point finds both.
    return Asset.objects.create(
        asset_type=bench_type,
        external_id="BN-7",
        name="Bench by the lamp",
        latitude=50.7001,
        longitude=-3.5501,
        cell=geo.point_cell(50.7001, -3.5501),
        body=place.west_council,
    )


def test_the_journey_offers_only_assets_of_the_categorys_types(client, place, bench):
    client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": 50.7, "longitude": -3.55}
    )
    client.post(reverse("web:report-category"), {"category": place.streetlight.pk})

    page = client.get(reverse("web:report-asset")).content.decode()
    assert "Column 1, High Street" in page
    assert "Bench by the lamp" not in page
    refused = client.post(reverse("web:report-asset"), {"asset": str(bench.pk)})
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.content.decode()
    assert client.session["report_draft"].get("asset_id") is None


def test_the_services_refuse_an_asset_of_another_type(place, bench):
    with pytest.raises(ValidationError, match="not a kind of asset"):
        request_create(
            category=place.streetlight,
            latitude=50.7,
            longitude=-3.55,
            title="Light out",
            description="Dark.",
            asset=bench,
        )


def test_the_json_api_refuses_and_lists_the_types_open311_leaves_it_off(client, place, bench):
    _, key = apikey_create(name="App", scopes=[Scope.SUBMIT], check_permission=False)
    categories = client.get("/api/v1/categories").json()["results"]
    listed = {c["code"]: c["asset_types"] for c in categories}
    assert listed["SLT"] == ["streetlight"] and listed["POT"] == []

    answer = client.post(
        "/api/v1/requests",
        data=json.dumps(
            {
                "category": "SLT",
                "latitude": 50.7,
                "longitude": -3.55,
                "title": "Light out",
                "description": "Dark at night.",
                "asset": {"type": "bench", "external_id": "BN-7"},
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 422
    assert "Bench by the lamp is not a kind of asset" in answer.json()["detail"]

    # Open311's address_id is a place as much as an asset: one of another type places the
    # report there, without tying it to the bench.
    posted = client.post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "SLT", "address_id": "BN-7", "description": "Dark."},
    )
    assert posted.status_code == 200
    created = Request.private_objects.get()
    assert created.asset is None
    assert (created.latitude, created.longitude) == (bench.latitude, bench.longitude)
