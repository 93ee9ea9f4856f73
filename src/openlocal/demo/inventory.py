"""The county's assets, planned from its streets and places: lamps along streets, stops on
roads, bins and benches in parks, paths between villages, libraries in towns.

Pure planning: :mod:`openlocal.demo.generate` turns each :class:`AssetPlan` into a row.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Point

from openlocal.demo.geography import Geography, Park, Settlement, Street

#: Who is responsible for an asset: the county council, the council of the district it
#: stands in, the parish council if its parish has one (else the district), or the hub.
COUNTY, DISTRICT, LOCAL, HUB = "county", "district", "local", "hub"


@dataclass
class AssetPlan:
    asset_type: str
    external_id: str
    name: str
    x: float
    y: float
    attributes: dict[str, Any]
    owner: str
    district: int
    parish: int | None
    #: Where it is, for the words of requests made about it.
    place: str
    street: str = ""
    park: str = ""


@dataclass
class Inventory:
    assets: list[AssetPlan] = field(default_factory=list)

    def of_type(self, slug: str) -> list[int]:
        return [i for i, a in enumerate(self.assets) if a.asset_type == slug]


def _along(street: Street, spacing: float, side_offset: float) -> list[tuple[float, float, int]]:
    """Points every ``spacing`` km along a street, alternating sides: ``(x, y, n)``."""
    line = street.line()
    count = int(line.length / spacing)
    points = []
    for n in range(count + 1):
        at = line.interpolate(min(line.length, n * spacing + spacing / 2))
        ahead = line.interpolate(min(line.length, n * spacing + spacing / 2 + 0.01))
        dx, dy = ahead.x - at.x, ahead.y - at.y
        norm = math.hypot(dx, dy) or 1.0
        side = side_offset if n % 2 else -side_offset
        points.append((at.x - dy / norm * side, at.y + dx / norm * side, n + 1))
    return points


def _near(rng: random.Random, centre: tuple[float, float], radius: float) -> tuple[float, float]:
    angle, r = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.random())
    return centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)


STOP_LANDMARKS = ["Shops", "Corner", "School", "Chapel", "Post Office"]


class _Planner:
    def __init__(self, rng: random.Random, geography: Geography) -> None:
        self.rng = rng
        self.geography = geography
        self.inventory = Inventory()
        self.counters: dict[str, int] = {}

    def next_number(self, slug: str) -> int:
        self.counters[slug] = self.counters.get(slug, 0) + 1
        return self.counters[slug]

    def add(
        self,
        slug: str,
        external_id: str,
        name: str,
        xy: tuple[float, float],
        attributes: dict[str, Any],
        owner: str,
        place: str,
        street: str = "",
        park: str = "",
    ) -> None:
        x, y = xy
        # Everything stands on land in the county; a street that wanders to the shore
        # stops having lamps at the shore.
        if not self.geography.county_km.contains(Point(x, y)):
            return
        self.inventory.assets.append(
            AssetPlan(
                slug,
                external_id,
                name,
                x,
                y,
                attributes,
                owner,
                self.geography.district_at(x, y),
                self.geography.parish_at(x, y),
                place,
                street,
                park,
            )
        )

    def streetlights(self, settlement: Settlement) -> None:
        rng = self.rng
        # Towns are lit throughout; in villages only some streets have lamps at all.
        spacing = 0.042 if settlement.kind == "town" else 0.055
        for street in settlement.streets:
            if settlement.kind == "village" and rng.random() < 0.4:
                continue
            lantern = rng.choice(["LED 24W", "LED 36W", "LED 36W", "SON 70W"])
            installed = rng.randint(1998, 2023)
            for x, y, n in _along(street, spacing, 0.006):
                number = self.next_number("streetlight")
                self.add(
                    "streetlight",
                    f"SL{number:05d}",
                    f"Column {n}, {street.name}, {settlement.name}",
                    (x, y),
                    {
                        "street": street.name,
                        "column": n,
                        "lantern": lantern,
                        "height_m": rng.choice([5, 6, 6, 8]),
                        "installed": installed,
                        "part_night": rng.random() < 0.3,
                    },
                    COUNTY,
                    settlement.name,
                    street.name,
                )

    def gullies(self, settlement: Settlement) -> None:
        spacing = 0.11 if settlement.kind == "town" else 0.16
        for street in settlement.streets:
            cycle = self.rng.choice(["annual", "annual", "six-monthly", "on demand"])
            for x, y, n in _along(street, spacing, 0.004):
                number = self.next_number("gully")
                self.add(
                    "gully",
                    f"GY{number:05d}",
                    f"Gully {n}, {street.name}, {settlement.name}",
                    (x, y),
                    {"street": street.name, "kind": "trapped gully", "cleansing": cycle},
                    COUNTY,
                    settlement.name,
                    street.name,
                )

    def bus_stop(
        self,
        xy: tuple[float, float],
        common_name: str,
        place: str,
        street: str,
        indicator: str,
        bearing: str,
    ) -> None:
        rng = self.rng
        number = self.next_number("bus-stop")
        atco = f"1990WYV{number:05d}"
        sms = "wyv" + "".join(rng.choice(string.ascii_lowercase) for _ in range(5))
        self.add(
            "bus-stop",
            atco,
            f"{common_name} ({indicator})",
            xy,
            {
                "atco_code": atco,
                "naptan_code": sms,
                "common_name": common_name,
                "indicator": indicator,
                "bearing": bearing,
                "locality": place,
                "shelter": rng.random() < 0.55,
                "timetable_case": rng.random() < 0.85,
                "operators": rng.choice(
                    [
                        ["Wyvern Coaches"],
                        ["Stagecoach South West"],
                        ["Wyvern Coaches", "Moorland Rider"],
                    ]
                ),
            },
            COUNTY,
            place,
            street,
        )

    def bus_stops(self) -> None:
        rng = self.rng
        bearings = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
        for settlement in self.geography.settlements:
            streets = settlement.streets[: 5 if settlement.kind == "town" else 1]
            for street in streets:
                for x, y, n in _along(street, 0.35, 0.008)[::2]:
                    name = street.name if n == 1 else f"{street.name} {rng.choice(STOP_LANDMARKS)}"
                    pair = rng.random() < 0.5
                    bearing = rng.choice(bearings)
                    self.bus_stop(
                        (x, y),
                        name,
                        settlement.name,
                        street.name,
                        "o/s" if pair else "adj",
                        bearing,
                    )
                    if pair:
                        opposite = bearings[(bearings.index(bearing) + 4) % 8]
                        self.bus_stop(
                            (x + 0.012, y + 0.012),
                            name,
                            settlement.name,
                            street.name,
                            "opp",
                            opposite,
                        )
        for road in self.geography.roads:
            for x, y, _n in _along(road, 1.4, 0.006)[1:-1]:
                place = self._nearest_place(x, y)
                label = rng.choice(["Cross", "Turn", "Farm", "Lane End", "Garage", "Inn"])
                self.bus_stop(
                    (x, y),
                    f"{place} {label}",
                    place,
                    road.name,
                    rng.choice(["N-bound", "S-bound", "E-bound", "W-bound"]),
                    rng.choice(bearings),
                )

    def _nearest_place(self, x: float, y: float) -> str:
        return min(self.geography.settlements, key=lambda s: math.dist(s.centre, (x, y))).name

    def park_furniture(self, park: Park, benches: int, bins: int) -> None:
        rng = self.rng
        for n in range(1, benches + 1):
            number = self.next_number("bench")
            attributes: dict[str, Any] = {
                "material": rng.choice(["timber", "recycled plastic", "cast iron and timber"]),
                "seats": rng.choice([2, 3, 3, 4]),
                "installed": rng.randint(1995, 2024),
            }
            if rng.random() < 0.3:
                first, last = (
                    rng.choice(["Doris", "Albert", "Winifred", "Stanley", "Joan", "Cyril"]),
                    rng.choice(["Squire", "Vosper", "Heard", "Pengelly", "Luscombe"]),
                )
                attributes["plaque"] = f"In loving memory of {first} {last}, who loved this place"
            self.add(
                "bench",
                f"BN{number:04d}",
                f"Bench {n}, {park.name}",
                _near(rng, park.centre, park.radius),
                attributes,
                LOCAL,
                park.settlement,
                park=park.name,
            )
        for n in range(1, bins + 1):
            number = self.next_number("litter-bin")
            self.add(
                "litter-bin",
                f"LB{number:04d}",
                f"Litter bin {n}, {park.name}",
                _near(rng, park.centre, park.radius),
                {
                    "kind": rng.choice(["litter", "litter", "dog waste", "dual recycling"]),
                    "capacity_litres": rng.choice([90, 120, 240]),
                    "emptied": rng.choice(["daily", "twice weekly", "weekly"]),
                },
                DISTRICT,
                park.settlement,
                park=park.name,
            )

    def street_bins(self, settlement: Settlement) -> None:
        rng = self.rng
        for street in settlement.streets[:8]:
            for x, y, n in _along(street, 0.09, 0.005)[:6]:
                if rng.random() < 0.35:
                    continue
                number = self.next_number("litter-bin")
                self.add(
                    "litter-bin",
                    f"LB{number:04d}",
                    f"Litter bin {n}, {street.name}, {settlement.name}",
                    (x, y),
                    {
                        "kind": rng.choice(["litter", "litter", "dual recycling"]),
                        "capacity_litres": rng.choice([90, 120]),
                        "emptied": rng.choice(["daily", "twice weekly"]),
                    },
                    DISTRICT,
                    settlement.name,
                    street.name,
                )
            if rng.random() < 0.3:
                x, y, _n = _along(street, 0.2, 0.006)[0]
                number = self.next_number("bench")
                self.add(
                    "bench",
                    f"BN{number:04d}",
                    f"Bench, {street.name}, {settlement.name}",
                    (x, y),
                    {"material": "timber", "seats": 3},
                    LOCAL,
                    settlement.name,
                    street.name,
                )

    def footpaths(self, settlement: Settlement) -> None:
        rng = self.rng
        # Paths are numbered within their parish, so the reference starts with the parish;
        # no slash in it, as asset URLs end with the reference.
        prefix = "".join(c for c in settlement.name.upper() if c.isalpha())[:4]
        for number in sorted(rng.sample(range(1, 41), rng.randint(2, 4))):
            kind = rng.choice(["Footpath", "Footpath", "Footpath", "Bridleway", "Restricted byway"])
            reference = f"{prefix}-{''.join(w[0] for w in kind.upper().split())}{number}"
            self.add(
                "footpath",
                reference,
                f"{kind} {number}, {settlement.name}",
                _near(rng, settlement.centre, 1.6),
                {
                    "kind": kind,
                    "number": number,
                    "parish": settlement.name,
                    "length_m": rng.randint(200, 3500),
                    "surface": rng.choice(["grass", "earth", "stone", "tarmac"]),
                },
                COUNTY,
                settlement.name,
            )

    def community_buildings(self) -> None:
        rng = self.rng
        number = 0
        for settlement in self.geography.settlements:
            if settlement.kind == "town":
                kinds = ["Library", "Community Centre"]
            elif rng.random() < 0.3:
                kinds = [rng.choice(["Village Hall", "Community Library", "Memorial Hall"])]
            else:
                kinds = []
            for kind in kinds:
                number += 1
                council = kind == "Library"
                self.add(
                    "library",
                    f"LIB{number:02d}",
                    f"{settlement.name} {kind}",
                    _near(rng, settlement.centre, 0.15 if settlement.kind == "town" else 0.05),
                    {
                        "public_wifi": True,
                        "public_computers": rng.randint(2, 12) if council else rng.randint(0, 3),
                        "run_by": "Wyvernshire Libraries" if council else "Community volunteers",
                        "opening_hours": rng.choice(
                            [
                                "Mon–Sat 9am–5pm",
                                "Tue, Thu and Sat 10am–4pm",
                                "Mon–Fri 9am–7pm, Sat 9am–1pm",
                            ]
                        ),
                    },
                    COUNTY if council else HUB,
                    settlement.name,
                )


def plan(rng: random.Random, geography: Geography) -> Inventory:
    """Every asset in the county, in a fixed order."""
    planner = _Planner(rng, geography)
    for settlement in geography.settlements:
        planner.streetlights(settlement)
        planner.gullies(settlement)
        planner.street_bins(settlement)
        for park in settlement.parks:
            if settlement.kind == "town":
                planner.park_furniture(park, benches=8, bins=4)
            else:
                planner.park_furniture(park, benches=2, bins=1)
        if settlement.kind == "village":
            planner.footpaths(settlement)
    planner.bus_stops()
    planner.community_buildings()
    return planner.inventory
