"""Synthetic rows shaped like real ones: where requests are, what they say, who follows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from benchmarks.harness import shared_file
from openlocal.core import geo
from openlocal.requests.models import CategoryGroup


@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    #: The code of the district (local authority) the boundary is in, for wards.
    district: str
    geometry: BaseGeometry
    geojson: dict[str, Any]


def boundaries(relative: str, code: str, name: str, district: str = "") -> list[Boundary]:
    """The features of one of the shared GeoJSON boundary files, repaired where needed."""
    data = json.loads(shared_file(relative).read_text(encoding="utf-8"))
    found = []
    for feature in data["features"]:
        props = feature["properties"]
        found.append(
            Boundary(
                code=str(props[code]),
                name=str(props[name]),
                district=str(props.get(district, "")) if district else "",
                geometry=geo.geometry_from_geojson(feature["geometry"]),
                geojson=feature["geometry"],
            )
        )
    return found


def points_in(
    shapes: list[BaseGeometry], count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` random points, the same number expected in each shape, uniform inside it.

    Wards hold roughly equal numbers of people, so picking a ward first and then a point in
    it puts most points in towns, where wards are small, as reports are in real life.
    Returns latitudes, longitudes and the index of each point's shape.
    """
    per_shape = rng.multinomial(count, [1 / len(shapes)] * len(shapes))
    lats, lons, owners = [], [], []
    for index, (shape, wanted) in enumerate(zip(shapes, per_shape, strict=True)):
        if not wanted:
            continue
        minx, miny, maxx, maxy = shape.bounds
        fill = max(shape.area / ((maxx - minx) * (maxy - miny)), 0.05)
        got_x: list[np.ndarray] = []
        have = 0
        while have < wanted:
            trial = int((wanted - have) / fill * 1.2) + 16
            xs = rng.uniform(minx, maxx, trial)
            ys = rng.uniform(miny, maxy, trial)
            inside = shapely.contains_xy(shape, xs, ys)
            got_x.append(np.stack([ys[inside], xs[inside]]))
            have += int(inside.sum())
        both = np.concatenate(got_x, axis=1)[:, :wanted]
        lats.append(both[0])
        lons.append(both[1])
        owners.append(np.full(wanted, index))
    order = rng.permutation(count)
    return (
        np.concatenate(lats)[order],
        np.concatenate(lons)[order],
        np.concatenate(owners)[order],
    )


#: (name, slug, service code, group, share of requests, handled by the district)
CATEGORIES = [
    ("Pothole", "pothole", "POT", CategoryGroup.ROADS, 20, False),
    ("Damaged pavement", "pavement", "PAV", CategoryGroup.ROADS, 8, False),
    ("Road surface defect", "road-surface", "RSD", CategoryGroup.ROADS, 6, False),
    ("Street light not working", "streetlight", "SLT", CategoryGroup.LIGHTING, 12, False),
    ("Missed bin collection", "missed-bin", "BIN", CategoryGroup.WASTE, 15, True),
    ("Overflowing litter bin", "litter-bin", "LIT", CategoryGroup.WASTE, 6, True),
    ("Fly-tipping", "fly-tipping", "FLY", CategoryGroup.FLY_TIPPING, 12, True),
    ("Graffiti", "graffiti", "GRA", CategoryGroup.GRAFFITI, 5, True),
    ("Blocked drain", "blocked-drain", "DRN", CategoryGroup.DRAINAGE, 7, False),
    ("Overgrown footpath", "overgrown-footpath", "ROW", CategoryGroup.RIGHTS_OF_WAY, 5, False),
    ("Damaged bus shelter", "bus-shelter", "BUS", CategoryGroup.BUS_STOPS, 4, False),
]

_WHAT = [
    "deep pothole",
    "broken paving slab",
    "street light out",
    "bin not collected",
    "mattress dumped",
    "blocked gully",
    "graffiti on wall",
    "cracked kerb",
    "overflowing litter bin",
    "brambles across path",
    "shelter glass smashed",
    "sunken drain cover",
]
_WHERE = [
    "by the school gates",
    "outside the post office",
    "at the bus stop",
    "near the roundabout",
    "on the corner of Mill Lane",
    "by the church",
    "opposite the pub",
    "at the junction with the high street",
    "along the footpath to the park",
    "in the lay-by",
]
_HOW = [
    "getting worse every week",
    "dangerous for cyclists",
    "been like this for a month",
    "causing a hazard at night",
    "water pooling after rain",
    "children walk past here every day",
]


def description(rng: np.random.Generator) -> str:
    return (
        f"{_WHAT[rng.integers(len(_WHAT))].capitalize()} {_WHERE[rng.integers(len(_WHERE))]}, "
        f"{_HOW[rng.integers(len(_HOW))]}."
    )
