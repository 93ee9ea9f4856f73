"""Reads about requests shared by the web journey, the APIs and staff screens."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from openlocal.assets.models import Asset
from openlocal.core import geo
from openlocal.requests.models import OPEN_STATUSES, Category, Request

#: Words that say nothing about which problem it is.
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "been",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "please",
        "the",
        "there",
        "this",
        "to",
        "was",
        "we",
        "were",
        "with",
        "near",
        "outside",
        "opposite",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")

#: How the ranking weighs closeness, recency and wording (same asset is always first).
DISTANCE_WEIGHT = 0.5
RECENCY_WEIGHT = 0.2
TEXT_WEIGHT = 0.3


@dataclass(frozen=True)
class Candidate:
    """An open request that may be the same problem as one about to be reported."""

    request: Request
    distance_m: float
    same_asset: bool
    #: 0–1: how much of the wording the two descriptions share.
    similarity: float
    score: float


def words(text: str) -> frozenset[str]:
    """The distinctive words of a text, lower-cased, accents removed, crude plurals folded."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    found = set()
    for word in _WORD.findall(plain):
        if word in _STOP_WORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return frozenset(found)


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' distinctive words."""
    first, second = words(a), words(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def duplicate_candidates(
    *,
    category: Category,
    latitude: float,
    longitude: float,
    asset: Asset | None = None,
    text: str = "",
    limit: int = 5,
    now: datetime | None = None,
) -> list[Candidate]:
    """Open public requests that may already be this problem, best first.

    Candidates are open requests on the same asset, or in the same category group within the
    category's duplicate radius and reported within ``DUPLICATE_WINDOW_DAYS``. The look-up
    reads only the H3 cells around the point, so it costs the same however many requests
    are stored.
    """
    geo.validate_point(latitude, longitude)
    now = now or timezone.now()
    window = timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    since = now - window
    radius = float(category.duplicate_radius_m)
    group_ids = list(Category.objects.filter(group=category.group).values_list("pk", flat=True))
    nearby = Request.public_objects.filter(
        cell__in=geo.cells_within(latitude, longitude, radius),
        category_id__in=group_ids,
        status__in=OPEN_STATUSES,
        created_at__gte=since,
    )
    # Rank in Python: no ORDER BY, so the database reads only the index ranges it seeks.
    found: dict[int, Request] = {r.pk: r for r in nearby.with_related().order_by()[:200]}
    if asset is not None:
        for request in (
            Request.public_objects.filter(asset=asset, status__in=OPEN_STATUSES)
            .with_related()
            .order_by("-created_at")[:20]
        ):
            found[request.pk] = request
    candidates = []
    for request in found.values():
        distance = geo.distance_m(latitude, longitude, request.latitude, request.longitude)
        same_asset = asset is not None and request.asset_id == asset.pk
        if not same_asset and distance > radius:
            continue
        similarity = text_similarity(text, f"{request.title} {request.description}") if text else 0
        age = max((now - request.created_at).total_seconds(), 0.0)
        score = (
            (1.0 if same_asset else 0.0)
            + DISTANCE_WEIGHT * max(0.0, 1 - distance / radius if radius else 0.0)
            + RECENCY_WEIGHT * max(0.0, 1 - age / window.total_seconds())
            + TEXT_WEIGHT * similarity
        )
        candidates.append(Candidate(request, distance, same_asset, similarity, score))
    candidates.sort(key=lambda c: (-c.score, c.distance_m, -c.request.pk))
    return candidates[:limit]
