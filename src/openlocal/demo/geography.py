"""The shape of Wyvernshire: its outline, areas, settlements, streets and parks.

Pure functions of a seeded random generator, with no database access, so the place is the
same on every run. Shapes are drawn in kilometres on a flat local grid centred on the county
(accurate enough over 60 km) and converted to WGS84 longitude/latitude at the end.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from openlocal.demo import words

#: The middle of the county: inland from the south coast of Devon, roughly where it would be.
CENTRE_LATITUDE = 50.9
CENTRE_LONGITUDE = -3.3
KM_PER_DEGREE_LATITUDE = 111.2
KM_PER_DEGREE_LONGITUDE = 111.32 * math.cos(math.radians(CENTRE_LATITUDE))
#: The county's mean radius in km: about 2,300 km², the size of a small English shire.
COUNTY_RADIUS_KM = 27.0


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """A point on the local km grid as (longitude, latitude)."""
    return (
        CENTRE_LONGITUDE + x / KM_PER_DEGREE_LONGITUDE,
        CENTRE_LATITUDE + y / KM_PER_DEGREE_LATITUDE,
    )


def geometry_to_lonlat(geometry: BaseGeometry) -> BaseGeometry:
    """A shape on the local km grid in WGS84 longitude/latitude."""
    return shapely.transform(
        geometry,
        lambda xy: (
            xy / [KM_PER_DEGREE_LONGITUDE, KM_PER_DEGREE_LATITUDE]
            + [CENTRE_LONGITUDE, CENTRE_LATITUDE]
        ),
    )


@dataclass
class Street:
    """A named street or road, as a line of points on the km grid."""

    name: str
    settlement: str
    points: list[tuple[float, float]]
    #: "street" in a town or village, or "road" between places (A and B roads).
    kind: str = "street"

    def line(self) -> LineString:
        return LineString(self.points)


@dataclass
class Park:
    name: str
    settlement: str
    centre: tuple[float, float]
    #: Radius in km within which its benches, bins and play areas stand.
    radius: float


@dataclass
class Settlement:
    name: str
    #: "town" (a district's main town) or "village".
    kind: str
    centre: tuple[float, float]
    district: int
    streets: list[Street] = field(default_factory=list)
    parks: list[Park] = field(default_factory=list)


@dataclass
class Region:
    """An area to be saved: its name, official code and polygon (WGS84)."""

    name: str
    code: str
    geometry: BaseGeometry
    #: Index of the district that contains it (for wards and parishes).
    district: int = -1
    #: For wards: whether it is a rural ward divided into parishes.
    rural: bool = False


@dataclass
class Geography:
    county: Region
    districts: list[Region]
    wards: list[Region]
    parishes: list[Region]
    settlements: list[Settlement]
    roads: list[Street]
    #: The county outline on the km grid, for quick point tests while placing things.
    county_km: BaseGeometry
    districts_km: list[BaseGeometry]
    parishes_km: list[BaseGeometry]

    def towns(self) -> list[Settlement]:
        return [s for s in self.settlements if s.kind == "town"]

    def villages(self) -> list[Settlement]:
        return [s for s in self.settlements if s.kind == "village"]

    def all_streets(self) -> list[Street]:
        return [street for s in self.settlements for street in s.streets] + self.roads

    def council_parishes(self) -> list[int]:
        """The parishes with a parish council: the first parish of each of the first two
        districts. The rest leave benches and play areas to their district."""
        return [next(i for i, p in enumerate(self.parishes) if p.district == d) for d in (0, 1)]

    def district_at(self, x: float, y: float) -> int:
        """The index of the district containing a km-grid point (the nearest if on an edge)."""
        point = Point(x, y)
        for i, shape in enumerate(self.districts_km):
            if shape.covers(point):
                return i
        return min(
            range(len(self.districts_km)), key=lambda i: self.districts_km[i].distance(point)
        )

    def parish_at(self, x: float, y: float) -> int | None:
        point = Point(x, y)
        for i, shape in enumerate(self.parishes_km):
            if shape.covers(point):
                return i
        return None


VILLAGE_PARKS = ["Recreation Ground", "Village Green", "Playing Field"]


def _county_outline(rng: random.Random) -> Polygon:
    """An irregular inland boundary, cut off to the south by a ragged coastline."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(12)]
    ring = []
    for n in range(144):
        theta = 2 * math.pi * n / 144
        # A few low harmonics make a lumpy shire; higher ones make the boundary wander like
        # the rivers and ridges that real county boundaries follow.
        r = COUNTY_RADIUS_KM * (
            1
            + 0.10 * math.sin(2 * theta + phases[0])
            + 0.07 * math.sin(3 * theta + phases[1])
            + 0.04 * math.sin(5 * theta + phases[2])
            + 0.015 * math.sin(11 * theta + phases[3])
            + 0.008 * math.sin(19 * theta + phases[4])
        )
        ring.append((r * math.cos(theta), r * math.sin(theta)))
    inland = Polygon(ring)
    # The coast: a line across the south with bays, headlands and a river mouth.
    coast = []
    for n in range(121):
        x = -40 + 80 * n / 120
        y = (
            -17.5
            + 1.6 * math.sin(x / 4.1 + phases[5])
            + 0.8 * math.sin(x / 1.7 + phases[6])
            + 0.35 * math.sin(x / 0.6 + phases[7])
            + 0.15 * math.sin(x / 0.23 + phases[8])
        )
        # An estuary: the coast pulls inland near x = 9 km, east of Sealmouth.
        y += 2.2 * math.exp(-(((x - 9.0) / 0.9) ** 2))
        coast.append((x, y))
    land = Polygon([*coast, (40, 40), (-40, 40)])
    outline = inland.intersection(land)
    if outline.geom_type == "MultiPolygon":
        outline = max(outline.geoms, key=lambda g: g.area)
    return outline.simplify(0.02)


def _scatter(
    rng: random.Random,
    within: BaseGeometry,
    count: int,
    spacing: float,
    avoid: list[tuple[float, float]],
    avoid_distance: float,
) -> list[tuple[float, float]]:
    """Up to ``count`` points inside a shape, at least ``spacing`` km apart (dart throwing)."""
    minx, miny, maxx, maxy = within.bounds
    points: list[tuple[float, float]] = []
    for _attempt in range(count * 200):
        if len(points) == count:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not within.contains(Point(x, y).buffer(spacing * 0.35)):
            continue
        if any(math.dist((x, y), p) < spacing for p in points):
            continue
        if any(math.dist((x, y), p) < avoid_distance for p in avoid):
            continue
        points.append((x, y))
    return points


def _voronoi(points: list[tuple[float, float]], clip: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell of each point (in order), clipped to a shape: a tiling of the shape."""
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(points), extend_to=clip.buffer(5), ordered=True
    )
    return [_largest(cell.intersection(clip)) for cell in cells.geoms]


def _largest(shape: BaseGeometry) -> BaseGeometry:
    if shape.geom_type in {"MultiPolygon", "GeometryCollection"}:
        polygons = [g for g in shape.geoms if g.geom_type == "Polygon"]
        return max(polygons, key=lambda g: g.area)
    return shape


def _wander(
    rng: random.Random, start: tuple[float, float], heading: float, length: float, step: float
) -> list[tuple[float, float]]:
    """A gently curving line: the way an English street or lane bends."""
    points = [start]
    x, y = start
    turn = rng.uniform(-0.08, 0.08)
    for _ in range(max(2, int(length / step))):
        turn = max(-0.25, min(0.25, turn + rng.uniform(-0.06, 0.06)))
        heading += turn * step / 0.1
        x, y = x + step * math.cos(heading), y + step * math.sin(heading)
        points.append((x, y))
    return points


def _road_between(
    rng: random.Random, a: tuple[float, float], b: tuple[float, float]
) -> list[tuple[float, float]]:
    """A country road from a to b: straight in intent, meandering in fact."""
    length = math.dist(a, b)
    steps = max(4, int(length / 0.25))
    # A perpendicular offset that is zero at both ends, so the road joins both places.
    nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    amp1, amp2 = rng.uniform(-0.12, 0.12) * length, rng.uniform(-0.04, 0.04) * length
    phase = rng.uniform(0, math.pi)
    points = []
    for n in range(steps + 1):
        t = n / steps
        offset = amp1 * math.sin(math.pi * t) + amp2 * math.sin(3 * math.pi * t + phase) * math.sin(
            math.pi * t
        )
        points.append(
            (a[0] + (b[0] - a[0]) * t + nx * offset, a[1] + (b[1] - a[1]) * t + ny * offset)
        )
    return points


def _clip_to(points: list[tuple[float, float]], shape: BaseGeometry) -> list[tuple[float, float]]:
    """The leading run of points that lie inside the shape (streets stop at the sea)."""
    kept = []
    for point in points:
        if not shape.contains(Point(point)):
            break
        kept.append(point)
    return kept


def _streets_for(
    rng: random.Random, settlement: Settlement, county: BaseGeometry, count: int, spread: float
) -> None:
    names = words.street_names(rng, count)
    for n, name in enumerate(names):
        heading = 2 * math.pi * n / count + rng.uniform(-0.3, 0.3)
        # Streets start a little way out from the centre, as a town grows along its roads.
        r0 = rng.uniform(0.0, spread * 0.35)
        start = (
            settlement.centre[0] + r0 * math.cos(heading + rng.uniform(-0.6, 0.6)),
            settlement.centre[1] + r0 * math.sin(heading + rng.uniform(-0.6, 0.6)),
        )
        length = rng.uniform(spread * 0.4, spread)
        points = _clip_to(_wander(rng, start, heading, length, 0.05), county)
        if len(points) >= 4:
            settlement.streets.append(Street(name, settlement.name, points))


def build(rng: random.Random) -> Geography:
    """Draw the whole county from the generator: same seed, same place."""
    county_km = _county_outline(rng)

    towns = [
        Settlement(name, "town", centre, district)
        for district, (name, centre) in enumerate(words.TOWNS)
    ]
    town_centres = [t.centre for t in towns]

    # Urban wards: a handful of small wards around each town centre.
    ward_seeds: list[tuple[float, float]] = []
    ward_names: list[str] = []
    ward_districts: list[int] = []
    ward_rural: list[bool] = []
    for town in towns:
        suffixes = words.URBAN_WARDS[town.name]
        for n, suffix in enumerate(suffixes):
            angle = 2 * math.pi * n / len(suffixes) + rng.uniform(-0.3, 0.3)
            r = rng.uniform(1.2, 1.9)
            ward_seeds.append(
                (town.centre[0] + r * math.cos(angle), town.centre[1] + r * math.sin(angle))
            )
            ward_names.append(f"{town.name} {suffix}")
            ward_districts.append(town.district)
            ward_rural.append(False)
    # Rural wards fill the rest, each around a village.
    rural_seeds = _scatter(rng, county_km, 14, 7.5, town_centres, 6.0)
    for seed in rural_seeds:
        ward_seeds.append(seed)
        ward_names.append("")
        ward_districts.append(
            min(range(len(towns)), key=lambda i: math.dist(seed, town_centres[i]))
        )
        ward_rural.append(True)
    ward_shapes = _voronoi(ward_seeds, county_km)

    districts_km = [
        _largest(
            shapely.coverage_union_all(
                [s for s, d in zip(ward_shapes, ward_districts, strict=True) if d == i]
            )
        )
        for i in range(len(towns))
    ]

    # Villages: two to a rural ward; the ward and its parishes are named after them.
    village_names = iter(words.village_names(rng, 2 * len(rural_seeds)))
    settlements: list[Settlement] = list(towns)
    parish_regions: list[Region] = []
    parishes_km: list[BaseGeometry] = []
    for i, (seed, shape) in enumerate(zip(ward_seeds, ward_shapes, strict=True)):
        if not ward_rural[i]:
            continue
        first = seed
        second_candidates = _scatter(rng, shape, 1, 1.0, [first], 2.5)
        pair = [first, *second_candidates]
        names = [next(village_names) for _ in pair]
        ward_names[i] = " & ".join(names) if len(names) == 2 else names[0]
        for centre, name in zip(pair, names, strict=True):
            settlements.append(Settlement(name, "village", centre, ward_districts[i]))
        for name, parish in zip(
            names, _voronoi(pair, shape) if len(pair) == 2 else [shape], strict=True
        ):
            parishes_km.append(parish)
            parish_regions.append(Region(name, "", geometry_to_lonlat(parish), ward_districts[i]))

    for settlement in settlements:
        if settlement.kind == "town":
            _streets_for(rng, settlement, county_km, 16, 1.6)
            for n, park_name in enumerate(words.park_names(rng, settlement.name, 2)):
                angle = rng.uniform(0, 2 * math.pi)
                r = 0.3 + 0.5 * n
                settlement.parks.append(
                    Park(
                        park_name,
                        settlement.name,
                        (
                            settlement.centre[0] + r * math.cos(angle),
                            settlement.centre[1] + r * math.sin(angle),
                        ),
                        0.12,
                    )
                )
        else:
            _streets_for(rng, settlement, county_km, rng.randint(2, 4), 0.5)
            settlement.parks.append(
                Park(
                    f"{settlement.name} {rng.choice(VILLAGE_PARKS)}",
                    settlement.name,
                    settlement.centre,
                    0.06,
                )
            )

    # A and B roads: towns to each other, each village to its nearest town.
    roads: list[Street] = []
    for n, (a, b) in enumerate([(0, 1), (0, 2), (1, 2)]):
        points = _road_between(rng, towns[a].centre, towns[b].centre)
        roads.append(Street(f"A{3090 + 2 * n} {towns[a].name} Road", "", points, "road"))
    for n, village in enumerate(s for s in settlements if s.kind == "village"):
        town = min(towns, key=lambda t: math.dist(t.centre, village.centre))
        points = [
            p
            for p in _road_between(rng, village.centre, town.centre)
            if county_km.contains(Point(p))
        ]
        if len(points) >= 4:
            roads.append(
                Street(f"B{3200 + 3 * n} {village.name} Road", village.name, points, "road")
            )

    ward_regions = [
        Region(name, words.ward_code(i), geometry_to_lonlat(shape), district, rural)
        for i, (name, shape, district, rural) in enumerate(
            zip(ward_names, ward_shapes, ward_districts, ward_rural, strict=True)
        )
    ]
    for i, parish in enumerate(parish_regions):
        parish.code = words.parish_code(i)
    return Geography(
        county=Region(words.COUNTY_NAME, words.COUNTY_CODE, geometry_to_lonlat(county_km)),
        districts=[
            Region(words.DISTRICTS[i][0], words.DISTRICTS[i][1], geometry_to_lonlat(shape), i)
            for i, shape in enumerate(districts_km)
        ],
        wards=ward_regions,
        parishes=parish_regions,
        settlements=settlements,
        roads=roads,
        county_km=county_km,
        districts_km=districts_km,
        parishes_km=parishes_km,
    )
