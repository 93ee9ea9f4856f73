"""Finding a place by name, from what this site already knows: its areas and assets.

A place search needs no outside service: area names ("West Testshire", "St Thomas") and asset
names ("Column 1, High Street", a bus stop's name or code) are enough to centre a map. Results
are capped, and each look-up is an indexed-or-bounded query, never a scan returned whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from openlocal.assets.models import Asset
from openlocal.places.models import AREA_KIND_ORDER, Area

#: Most matches returned for one search, so a one-letter search cannot return the world.
MAX_MATCHES = 20


@dataclass(frozen=True)
class PlaceMatch:
    """A named place with a point to centre on."""

    name: str
    #: What it is, e.g. "District" or "Streetlight".
    description: str
    latitude: float
    longitude: float
    #: True when the name matched exactly (ignoring case).
    exact: bool


def find_places(query: str, *, limit: int = MAX_MATCHES) -> list[PlaceMatch]:
    """Areas, then assets, whose names contain ``query`` (case-insensitive); exact names first."""
    text = " ".join(query.split())
    if len(text) < 2:
        return []
    lowered = text.lower()
    rank: dict[str, int] = {str(kind): i for i, kind in enumerate(AREA_KIND_ORDER)}
    areas = list(
        Area.objects.filter(name__icontains=text).defer("geometry").order_by("name")[:limit]
    )
    areas.sort(key=lambda a: (a.name.lower() != lowered, rank.get(a.kind, 99), a.name))
    matches = [
        PlaceMatch(
            name=area.name,
            description=area.get_kind_display(),
            latitude=area.centre_latitude,
            longitude=area.centre_longitude,
            exact=area.name.lower() == lowered,
        )
        for area in areas
    ]
    remaining = limit - len(matches)
    if remaining > 0:
        assets = (
            Asset.objects.filter(active=True, name__icontains=text)
            .select_related("asset_type")
            .order_by("name")[:remaining]
        )
        matches.extend(
            PlaceMatch(
                name=asset.name,
                description=f"{asset.asset_type.name} {asset.external_id}",
                latitude=asset.latitude,
                longitude=asset.longitude,
                exact=asset.name.lower() == lowered,
            )
            for asset in assets
        )
    return matches
