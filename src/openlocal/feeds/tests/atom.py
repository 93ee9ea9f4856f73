"""Reading our Atom output back, the way a feed reader would, for the feed tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone

from openlocal.core import geo
from openlocal.requests.models import Request
from openlocal.requests.services import request_create

NS = {"atom": "http://www.w3.org/2005/Atom", "georss": "http://www.georss.org/georss"}


@dataclass
class Entry:
    title: str
    id: str
    link: str
    author: str
    published: str
    updated: str
    summary: str
    content: str
    categories: list[str]
    point: str


@dataclass
class Feed:
    title: str
    subtitle: str
    id: str
    updated: str
    self_link: str
    alternate: str
    author: str
    entries: list[Entry]

    @property
    def titles(self) -> list[str]:
        return [e.title for e in self.entries]


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "") if found is not None else ""


def _link(element: ET.Element, rel: str) -> str:
    for link in element.findall("atom:link", NS):
        if link.get("rel") == rel:
            return link.get("href", "")
    return ""


def parse_feed(response: HttpResponse) -> Feed:
    assert response.status_code == 200, response.content.decode()[:500]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    # Our own output: defusedxml is not installed, and there is nothing hostile to defuse.
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return Feed(
        title=_text(root, "atom:title"),
        subtitle=_text(root, "atom:subtitle"),
        id=_text(root, "atom:id"),
        updated=_text(root, "atom:updated"),
        self_link=_link(root, "self"),
        alternate=_link(root, "alternate"),
        author=_text(root, "atom:author/atom:name"),
        entries=[
            Entry(
                title=_text(e, "atom:title"),
                id=_text(e, "atom:id"),
                link=_link(e, "alternate"),
                author=_text(e, "atom:author/atom:name"),
                published=_text(e, "atom:published"),
                updated=_text(e, "atom:updated"),
                summary=_text(e, "atom:summary"),
                content=_text(e, "atom:content"),
                categories=[c.get("term", "") for c in e.findall("atom:category", NS)],
                point=_text(e, "georss:point"),
            )
            for e in root.findall("atom:entry", NS)
        ],
    )


def metres_north(latitude: float, metres: float) -> float:
    return latitude + metres / geo.EARTH_RADIUS_M * 180 / 3.141592653589793


def report(
    place,
    title: str,
    *,
    at: tuple[float, float] | None = None,
    category=None,
    minutes_ago: int = 0,
    **fields,
) -> Request:
    """A request made through the service, ``minutes_ago`` in the past (pothole by default)."""
    latitude, longitude = at or place.west_point
    category = category or place.pothole
    answers = {"depth": "deep"} if category == place.pothole else {}
    return request_create(
        category=category,
        latitude=latitude,
        longitude=longitude,
        title=title,
        description=fields.pop("description", f"Description of {title}."),
        answers=answers,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        notify=False,
        **fields,
    )
