"""How feeds answer over HTTP: type, caching, conditional requests, methods."""

from __future__ import annotations

from openlocal.feeds import links
from openlocal.feeds.tests.atom import report
from openlocal.requests.models import Status
from openlocal.requests.services import request_status_change


def test_feeds_are_atom_and_cacheable_for_five_minutes(place, client) -> None:
    report(place, "Cracked paving")
    response = client.get(links.area_feed_url(place.west))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith(" GMT")


def test_a_reader_that_has_the_latest_copy_gets_304(place, client) -> None:
    request = report(place, "Cracked paving")
    url = links.area_feed_url(place.west)
    first = client.get(url)

    by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag["ETag"] == first["ETag"]
    by_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert by_date.status_code == 304

    # A change to a request in the feed makes it new again.
    request_status_change(
        request=request, actor=place.county_inspector, status=Status.FIXED, notify=False
    )
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert b"Fixed" in changed.content


def test_feeds_answer_get_and_head_only(place, client) -> None:
    url = links.all_requests_feed_url()
    assert client.head(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
