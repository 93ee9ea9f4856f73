"""Downloading a dataset: CSV, GeoJSON and NDJSON that tools read, streamed, with filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from openlocal.opendata.columns import DATETIME, FORMULA_STARTS
from openlocal.opendata.datasets import DATASETS, REQUESTS
from openlocal.opendata.exporters import Export, export_text, stream
from openlocal.requests.models import Request

from .conftest import FORMULA_TITLE, PUBLIC_NAME

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse), "downloads must stream"
    return response.getvalue().decode("utf-8")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_requests_csv_is_rfc_4180_with_a_header_and_the_licence(client, published) -> None:
    response = client.get("/data/requests.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="requests-{today}.csv"'
    assert (
        "<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>; "
        'rel="license"' in response["Link"]
    )
    assert '/data/dictionary/requests>; rel="describedby"' in response["Link"]
    assert response["Access-Control-Allow-Origin"] == "*"
    text = body(response)
    assert not text.startswith("\ufeff"), "no byte order mark"
    assert text.endswith("\r\n")
    assert text.split("\r\n", 1)[0] == ",".join(c.name for c in REQUESTS.columns)
    rows = {row["id"]: row for row in csv_rows(text)}
    # Hidden requests are not published at all.
    assert str(published.hidden.pk) not in rows
    assert len(rows) == Request.public_objects.count() == 5
    awkward = rows[str(published.awkward.pk)]
    assert awkward["title"] == 'Hole, "huge", by the café'
    assert awkward["description"] == (
        'First line, with a comma\nSecond line with “quotes” and "straight" ones'
    )
    assert awkward["reporter_name"] == PUBLIC_NAME
    assert awkward["address"] == "1 High Street, Westbury"
    assert json.loads(awkward["answers"]) == {"depth": "deep"}
    assert awkward["open"] == "true"
    assert awkward["category"] == "POT"
    assert awkward["longitude"] == "-3.45"  # numbers are never guarded as formulas
    assert awkward["url"] == f"http://127.0.0.1:8000/requests/{published.awkward.pk}"
    assert awkward["areas"] == "east-testshire;testshire"
    lamp = rows[str(published.lamp.pk)]
    assert lamp["reporter_name"] == ""  # they chose not to show it
    assert lamp["asset_id"] == str(published.lamp.asset_id)
    assert lamp["asset_type"] == "streetlight"
    assert lamp["asset_reference"] == "SL-0001"
    assert lamp["status"] == "investigating"
    assert lamp["status_label"] == "Investigating"
    fixed = rows[str(published.fixed.pk)]
    assert fixed["open"] == "false"
    assert fixed["closed_at"].endswith("+00:00")
    assert fixed["closed_at"] == published.fixed.closed_at.astimezone(UTC).isoformat(
        timespec="seconds"
    )


def test_the_csv_is_the_same_text_the_csv_module_writes(published) -> None:
    """The fast writer quotes exactly where RFC 4180 and Python's csv module do."""
    text = export_text(REQUESTS, "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == text


def test_cells_that_look_like_formulas_are_made_text(client, published) -> None:
    rows = {row["id"]: row for row in csv_rows(body(client.get("/data/requests.csv")))}
    formula = rows[str(published.formula.pk)]
    assert formula["title"] == "'" + FORMULA_TITLE
    assert formula["description"] == "'-1 bins collected, @everyone"
    for row in rows.values():
        for name, value in row.items():
            if REQUESTS.column(name).kind is not DATETIME and name not in {"latitude", "longitude"}:
                assert not value.startswith(FORMULA_STARTS), (name, value)
    # JSON formats carry the text as it is.
    lines = body(client.get("/data/requests.ndjson")).splitlines()
    titles = {json.loads(line)["title"] for line in lines}
    assert FORMULA_TITLE in titles


def test_requests_geojson_has_points_and_the_licence(client, published) -> None:
    response = client.get("/data/requests.geojson")
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].endswith('.geojson"')
    data = json.loads(body(response))
    assert data["type"] == "FeatureCollection"
    assert data["licence"]["name"] == "Open Government Licence v3.0"
    assert data["attribution"][-1].startswith("Contains data from OpenLocal")
    assert data["dictionary"].endswith("/data/dictionary/requests")
    features = {f["properties"]["id"]: f for f in data["features"]}
    assert set(features) == set(Request.public_objects.values_list("pk", flat=True))
    awkward = features[published.awkward.pk]
    assert awkward["type"] == "Feature"
    assert awkward["geometry"] == {"type": "Point", "coordinates": [-3.45, 50.65]}
    props = awkward["properties"]
    assert list(props) == [c.name for c in REQUESTS.columns]
    assert props["answers"] == {"depth": "deep"}
    assert props["open"] is True
    assert props["areas"] == ["east-testshire", "testshire"]
    assert props["asset_id"] is None
    assert props["closed_at"] is None
    assert features[published.lamp.pk]["properties"]["reporter_name"] is None


def test_ndjson_is_one_object_per_line(client, published) -> None:
    response = client.get("/data/updates.ndjson")
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = body(response).split("\n")
    assert lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    assert records and all(
        list(r) == [c.name for c in DATASETS["updates"].columns] for r in records
    )
    kinds = {r["kind"] for r in records}
    assert "note" not in kinds
    assert {r["request_id"] for r in records} == set(
        Request.public_objects.values_list("pk", flat=True)
    )
    comment = next(r for r in records if r["text"] == "Sorry for the delay")
    assert comment["body"] == "west"
    assert comment["author"] == "Max Manager, West Testshire District Council"


def test_every_dataset_downloads_in_each_of_its_formats(client, published) -> None:
    for spec in DATASETS.values():
        for format_name in spec.formats:
            response = client.get(f"/data/{spec.slug}.{format_name}")
            assert response.status_code == 200, (spec.slug, format_name)
            text = body(response)
            assert text, (spec.slug, format_name)
        # No geometry, no GeoJSON.
        if "geojson" not in spec.formats:
            response = client.get(f"/data/{spec.slug}.geojson")
            assert response.status_code == 404
            assert "has no geometry" in response.content.decode()


def test_areas_geojson_has_the_boundaries(client, place) -> None:
    data = json.loads(body(client.get("/data/areas.geojson")))
    by_slug = {f["properties"]["slug"]: f for f in data["features"]}
    assert set(by_slug) == {"testshire", "west-testshire", "east-testshire"}
    west = by_slug["west-testshire"]
    assert west["geometry"]["type"] == "Polygon"
    ring = west["geometry"]["coordinates"][0]
    assert {tuple(point) for point in ring} >= {(-3.6, 50.6), (-3.5, 50.8)}
    assert west["properties"]["parent"] == "testshire"
    assert west["properties"]["code"] == "T07000001"
    # CSV and NDJSON carry the box, not the boundary.
    rows = csv_rows(body(client.get("/data/areas.csv")))
    assert "geometry" not in rows[0]
    assert {r["min_longitude"] for r in rows} >= {"-3.6"}


def test_bodies_never_carry_their_private_contact_address(client, place) -> None:
    for format_name in ("csv", "ndjson"):
        text = body(client.get(f"/data/bodies.{format_name}"))
        assert "Testshire County Council" in text
        assert "highways@testshire.example" not in text


def test_categories_carry_their_questions(client, place) -> None:
    records = [
        json.loads(line) for line in body(client.get("/data/categories.ndjson")).split("\n")[:-1]
    ]
    pothole = next(r for r in records if r["service_code"] == "POT")
    assert pothole["questions"][0]["code"] == "depth"
    assert pothole["questions"][0]["values"][1] == {"key": "deep", "name": "5 cm or deeper"}
    lights = next(r for r in records if r["service_code"] == "SLT")
    assert lights["asset_types"] == ["streetlight"]


def test_statistics_count_each_month_by_status_now(client, published) -> None:
    rows = csv_rows(body(client.get("/data/statistics.csv")))
    month = timezone.localdate().strftime("%Y-%m")
    site = next(r for r in rows if r["dimension"] == "site")
    assert site == {
        "dimension": "site",
        "key": "all",
        "name": "OpenLocal",
        "area_kind": "",
        "month": month,
        "reported": "5",
        "open": "4",
        "closed": "1",
        "median_days_to_close": "0.0",
    }
    bins = next(r for r in rows if r["dimension"] == "category" and r["key"] == "BIN")
    assert (bins["reported"], bins["open"], bins["closed"]) == ("3", "2", "1")
    west = next(r for r in rows if r["dimension"] == "area" and r["key"] == "west-testshire")
    assert west["area_kind"] == "district"
    assert {r["dimension"] for r in rows} == {"site", "category", "body", "area"}
    only = csv_rows(body(client.get("/data/statistics.csv?dimension=body")))
    assert {r["dimension"] for r in only} == {"body"}


def test_filters_narrow_the_download(client, published, place) -> None:
    def ids(query: str) -> set[int]:
        rows = csv_rows(body(client.get(f"/data/requests.csv?{query}")))
        return {int(r["id"]) for r in rows}

    everyone = ids("")
    assert ids("status=closed") == {published.fixed.pk}
    assert ids("status=open") == everyone - {published.fixed.pk}
    assert ids("status=fixed,investigating") == {published.fixed.pk, published.lamp.pk}
    assert ids("category=POT") == {published.awkward.pk}
    assert ids("category=pothole,SLT") == {published.awkward.pk, published.lamp.pk}
    assert ids("body=testshire") == {published.awkward.pk, published.lamp.pk}
    assert ids("area=east-testshire") == {published.awkward.pk}
    Request.private_objects.filter(pk=published.lamp.pk).update(
        updated_at=timezone.now() - timedelta(days=40)
    )
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert ids(f"updated_since={since}") == everyone - {published.lamp.pk}
    assert ids("updated_since=2000-01-01T00:00:00Z") == everyone


def test_a_wrong_filter_says_what_to_write(client, published) -> None:
    cases = {
        "status=broken": "status=broken is not a status: choose open, closed or any of",
        "category=NOPE": "category=NOPE is not a category",
        "body=nobody": "body=nobody is not known here",
        "updated_since=yesterday": "updated_since=yesterday is not a date: write it as 2026-03-01",
    }
    for query, message in cases.items():
        response = client.get(f"/data/requests.csv?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert message in response.content.decode(), query
    response = client.get("/data/updates.csv?kind=note")
    assert response.status_code == 400
    assert "kind=note is not a kind of public update" in response.content.decode()


def test_head_answers_without_building_the_file(
    client, published, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(0):
        response = client.head("/data/requests.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == b""


def test_one_pass_writes_every_format_alike(published) -> None:
    """The snapshot writes all formats from one pass: the same as three downloads."""
    export = Export(REQUESTS, ["csv", "geojson", "ndjson"], metadata={"name": "requests"})
    texts = ["", "", ""]
    for chunk in export.chunks():
        texts = [a + b for a, b in zip(texts, chunk, strict=True)]
    assert export.rows == 5
    assert texts[0] == export_text(REQUESTS, "csv")
    assert texts[2] == export_text(REQUESTS, "ndjson")
    assert texts[1] == export_text(REQUESTS, "geojson", metadata={"name": "requests"})
    with pytest.raises(ValueError, match="published as csv, ndjson"):
        Export(DATASETS["bodies"], ["geojson"])


@pytest.mark.django_db(transaction=True)
def test_a_download_outside_a_transaction_reads_in_its_own_and_ends_it(published) -> None:
    """As on a server: on PostgreSQL the rows stream from a cursor inside a read-only
    transaction that the end of the download closes; SQLite takes no transaction (it would
    take the write lock)."""
    from django.db import connection

    assert not connection.in_atomic_block
    chunks = stream(REQUESTS, "csv")
    header = next(chunks).decode()
    assert header.startswith("id,url,title,")
    assert connection.in_atomic_block == (connection.vendor == "postgresql")
    rest = b"".join(chunks).decode()
    assert len(csv_rows(header + rest)) == 5
    assert not connection.in_atomic_block
    # A client that goes away mid-download ends the transaction too.
    chunks = stream(REQUESTS, "csv")
    next(chunks)
    next(chunks)
    chunks.close()
    assert not connection.in_atomic_block


def test_asset_addresses_match_the_site_s_own_links(client, place) -> None:
    """References may hold slashes, spaces and ampersands (rights of way, odd registers)."""
    from openlocal.assets.models import Asset
    from openlocal.core import geo

    for reference in ("BRA/F1/2", "Bench 4 & 5", "ÉCOLE#1?x=y"):
        Asset.objects.create(
            asset_type=place.streetlight_type,
            external_id=reference,
            name=f"Asset {reference}",
            latitude=50.7,
            longitude=-3.55,
            cell=geo.point_cell(50.7, -3.55),
        )
    rows = csv_rows(body(client.get("/data/assets.csv")))
    for asset in Asset.objects.select_related("asset_type"):
        row = next(r for r in rows if r["id"] == str(asset.pk))
        assert row["url"] == "http://127.0.0.1:8000" + asset.get_absolute_url()
        assert client.get(asset.get_absolute_url()).status_code == 200


def test_a_duplicate_of_a_hidden_request_does_not_say_which(client, published) -> None:
    Request.private_objects.filter(pk=published.formula.pk).update(
        duplicate_of=published.fixed, status="duplicate"
    )
    Request.private_objects.filter(pk=published.awkward.pk).update(
        duplicate_of=published.hidden, status="duplicate"
    )
    rows = {r["id"]: r for r in csv_rows(body(client.get("/data/requests.csv")))}
    assert rows[str(published.formula.pk)]["duplicate_of"] == str(published.fixed.pk)
    assert rows[str(published.awkward.pk)]["duplicate_of"] == ""


def test_areas_are_the_same_whether_a_chunk_is_dense_or_sparse_in_ids(published) -> None:
    from openlocal.opendata.datasets import _with_area_ids

    expected = {
        r.pk: ";".join(sorted(str(pk) for pk in r.areas.values_list("pk", flat=True))) or None
        for r in Request.public_objects.all()
    }
    ordered = sorted(expected)
    # Every request: ids close together, read as one range.
    dense = list(_with_area_ids(iter([(pk, pk) for pk in ordered]), 1))
    # The first and the last only, far apart in ids: read as a list of ids.
    far = [ordered[0], ordered[-1] + 1000]
    sparse = list(_with_area_ids(iter([(ordered[0], ordered[0]), (far[1], far[1])]), 1))

    assert {row[0]: row[1] for row in dense} == expected
    assert sparse == [[ordered[0], expected[ordered[0]]], [far[1], None]]
