"""Routing a point to areas, bodies and categories."""

import pytest
from django.core.management import CommandError, call_command

from openlocal.places.models import Area
from openlocal.places.selectors import NotCovered, areas_containing, routes_at

ST_DAVIDS = "E05011020"  # ONS code of Exeter's St David's ward


def test_point_in_west_is_in_county_and_west_district(place):
    areas = areas_containing(*place.west_point)
    assert [a.name for a in areas] == ["Testshire", "West Testshire"]


def test_two_tier_routes_roads_to_county_and_bins_to_district(place):
    west = routes_at(*place.west_point)
    east = routes_at(*place.east_point)
    assert west[place.pothole.pk].body == place.county_council
    assert east[place.pothole.pk].body == place.county_council
    assert west[place.missed_bin.pk].body == place.west_council
    assert east[place.missed_bin.pk].body == place.east_council


def test_point_outside_every_area_is_not_covered(place):
    with pytest.raises(NotCovered, match="No council or other body on this site covers"):
        routes_at(48.8566, 2.3522)


@pytest.mark.django_db
def test_devon_routing_on_real_boundaries(shared_data):
    from openlocal.places.models import Body, BodyKind
    from openlocal.requests.models import Category, CategoryGroup, RoutingRule

    b = shared_data / "boundaries"
    call_command(
        "import-areas",
        b / "devon_county_derived_from_lad_may2023_buc.geojson",
        kind="county",
        code_field="CTY_code",
        name_field="name",
    )
    county = Area.objects.get(kind="county")
    call_command(
        "import-areas",
        b / "devon_districts_lad_may2023_buc.geojson",
        kind="district",
        code_field="LAD23CD",
        name_field="LAD23NM",
        parent=county.slug,
    )
    call_command(
        "import-areas",
        b / "exeter_wards_dec2023_bsc.geojson",
        kind="ward",
        code_field="WD23CD",
        name_field="WD23NM",
    )
    exeter = Area.objects.get(kind="district", code="E07000041")
    dcc = Body.objects.create(name="Devon County Council", slug="devon", kind=BodyKind.COUNTY)
    ecc = Body.objects.create(name="Exeter City Council", slug="exeter", kind=BodyKind.DISTRICT)
    made = {}
    for slug, group, area, body in [
        ("pothole", CategoryGroup.ROADS, county, dcc),
        ("streetlight", CategoryGroup.LIGHTING, county, dcc),
        ("missed-bin", CategoryGroup.WASTE, exeter, ecc),
        ("fly-tipping", CategoryGroup.FLY_TIPPING, exeter, ecc),
    ]:
        made[slug] = Category.objects.create(name=slug, slug=slug, service_code=slug, group=group)
        RoutingRule.objects.create(category=made[slug], area=area, body=body)

    cathedral = (50.7226, -3.5300)  # Exeter Cathedral, in St David's ward
    areas = areas_containing(*cathedral)
    assert [(a.kind, a.code) for a in areas] == [
        ("county", "E10000008"),
        ("district", "E07000041"),
        ("ward", ST_DAVIDS),
    ]
    routes = routes_at(*cathedral)
    assert routes[made["pothole"].pk].body == dcc
    assert routes[made["streetlight"].pk].body == dcc
    assert routes[made["missed-bin"].pk].body == ecc
    assert routes[made["fly-tipping"].pk].body == ecc

    plymouth_sound = (50.33, -4.15)  # at sea, outside Devon's districts
    with pytest.raises(NotCovered):
        routes_at(*plymouth_sound)


@pytest.mark.django_db
def test_import_areas_reports_missing_property(tmp_path):
    f = tmp_path / "a.geojson"
    f.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"name": "X"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}'
    )
    with pytest.raises(CommandError, match=r"no 'CODE' property\. Properties in this file: name"):
        call_command("import-areas", f, kind="ward", code_field="CODE", name_field="name")
    assert not Area.objects.exists()
