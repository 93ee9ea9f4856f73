"""Where a row is: WGS84 latitude/longitude, or British National Grid easting/northing.

British registers (NaPTAN, asset registers exported from GIS) often give only easting and
northing in metres on the OSGB36 National Grid; they are converted with pyproj, in batches
because one call for a thousand points costs little more than one call for one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

#: The extent of the British National Grid, in metres: points outside are not on it.
GRID_MAX_EASTING = 700_000
GRID_MAX_NORTHING = 1_300_000
#: Column names recognised when none is given, compared ignoring case.
LATITUDE_NAMES = ("latitude", "lat", "y_lat")
LONGITUDE_NAMES = ("longitude", "lon", "long", "lng", "x_lon")
EASTING_NAMES = ("easting", "eastings", "x", "grid_x")
NORTHING_NAMES = ("northing", "northings", "y", "grid_y")
POSTCODE_NAMES = ("postcode", "post code", "postal code", "zip", "zip code", "zipcode")


def guess_column(header: Sequence[str], names: Sequence[str]) -> str | None:
    folded = {name.strip().casefold(): name for name in header}
    for name in names:
        if name in folded:
            return folded[name]
    return None


def parse_coordinate(text: str, what: str) -> float:
    """A number from a file's text; ValueError with a message for a person otherwise."""
    if not text:
        raise ValueError(f"the {what} is empty")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a number: the {what} must be a number") from None
    if not math.isfinite(value):
        raise ValueError(f"“{text}” is not a number: the {what} must be a number")
    return value


def check_latitude_longitude(latitude: float, longitude: float) -> str | None:
    """Why a latitude/longitude pair is not a place, or None when it is one."""
    if not -90 <= latitude <= 90:
        if abs(latitude) <= 180 and abs(longitude) <= 90:
            return (
                f"latitude {latitude} is out of range (it must be between -90 and 90): "
                "are latitude and longitude the wrong way round?"
            )
        return f"latitude {latitude} is out of range: it must be between -90 and 90"
    if not -180 <= longitude <= 180:
        return f"longitude {longitude} is out of range: it must be between -180 and 180"
    if latitude == 0 and longitude == 0:
        return "0, 0 is in the Atlantic off Africa: the row has no real location"
    return None


def check_grid(easting: float, northing: float) -> str | None:
    """Why an easting/northing pair is not on the British National Grid, or None."""
    if not (0 <= easting <= GRID_MAX_EASTING and 0 <= northing <= GRID_MAX_NORTHING):
        return (
            f"{easting:.0f}, {northing:.0f} is not on the British National Grid (eastings "
            f"0 to {GRID_MAX_EASTING:,}, northings 0 to {GRID_MAX_NORTHING:,} metres)"
        )
    if easting == 0 and northing == 0:
        return "0, 0 is the grid's false origin: the row has no real location"
    return None


@lru_cache(maxsize=1)
def _grid_transformer() -> Any:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def grid_to_latitude_longitude(
    eastings: Sequence[float], northings: Sequence[float]
) -> list[tuple[float, float]]:
    """Convert British National Grid points to WGS84 ``(latitude, longitude)`` pairs."""
    if not eastings:
        return []
    longitudes, latitudes = _grid_transformer().transform(list(eastings), list(northings))
    return [
        (round(float(lat), 6), round(float(lon), 6))
        for lat, lon in zip(latitudes, longitudes, strict=True)
    ]


def point_columns(
    header: Sequence[str], latitude: str, longitude: str, easting: str, northing: str
) -> tuple[str, str, str, str]:
    """The location columns to read: those given, or when none is given, the ones the
    header names in the usual way (Latitude, Longitude, Easting, Northing...)."""
    if not (latitude or longitude or easting or northing):
        latitude = guess_column(header, LATITUDE_NAMES) or ""
        longitude = guess_column(header, LONGITUDE_NAMES) or ""
        easting = guess_column(header, EASTING_NAMES) or ""
        northing = guess_column(header, NORTHING_NAMES) or ""
        if not (latitude and longitude):
            latitude = longitude = ""
        if not (easting and northing):
            easting = northing = ""
    return latitude, longitude, easting, northing


class PointColumns:
    """Reads a CSV row's location: latitude/longitude where the row has them, else
    easting/northing when those columns are given too (NaPTAN leaves latitude and
    longitude empty on some rows and always gives the grid reference)."""

    def __init__(
        self,
        header: Sequence[str],
        index: dict[str, int],
        *,
        latitude: str = "",
        longitude: str = "",
        easting: str = "",
        northing: str = "",
    ) -> None:
        self.latitude, self.longitude = latitude, longitude
        self.easting, self.northing = easting, northing
        self._lat = index.get(latitude) if latitude else None
        self._lon = index.get(longitude) if longitude else None
        self._east = index.get(easting) if easting else None
        self._north = index.get(northing) if northing else None

    @property
    def any(self) -> bool:
        return self._lat is not None or self._east is not None

    @property
    def described(self) -> str:
        """The columns a location is read from, e.g. ``Latitude/Longitude or Easting/Northing``."""
        pairs = [
            f"{a}/{b}"
            for a, b in ((self.latitude, self.longitude), (self.easting, self.northing))
            if a
        ]
        return " or ".join(pairs)

    def read(self, fields: Sequence[str]) -> PointRead:
        if self._lat is not None and self._lon is not None:
            lat_text, lon_text = fields[self._lat].strip(), fields[self._lon].strip()
            if lat_text or lon_text:
                try:
                    column, value = self.latitude, lat_text
                    latitude = parse_coordinate(lat_text, "latitude")
                    column, value = self.longitude, lon_text
                    longitude = parse_coordinate(lon_text, "longitude")
                except ValueError as exc:
                    return PointRead(problem=(column, str(exc), value))
                problem = check_latitude_longitude(latitude, longitude)
                if problem:
                    return PointRead(problem=(self.latitude, problem, f"{lat_text}, {lon_text}"))
                return PointRead(latitude=latitude, longitude=longitude)
        if self._east is not None and self._north is not None:
            east_text, north_text = fields[self._east].strip(), fields[self._north].strip()
            if east_text or north_text:
                try:
                    column, value = self.easting, east_text
                    easting = parse_coordinate(east_text, "easting")
                    column, value = self.northing, north_text
                    northing = parse_coordinate(north_text, "northing")
                except ValueError as exc:
                    return PointRead(problem=(column, str(exc), value))
                problem = check_grid(easting, northing)
                if problem:
                    return PointRead(problem=(self.easting, problem, f"{east_text}, {north_text}"))
                return PointRead(grid=(easting, northing))
        return PointRead()


class PointRead:
    """A row's location as read: a latitude/longitude, a grid reference waiting for
    conversion, a problem ``(column, reason, value)``, or nothing at all."""

    __slots__ = ("grid", "latitude", "longitude", "problem")

    def __init__(
        self,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        grid: tuple[float, float] | None = None,
        problem: tuple[str, str, str] | None = None,
    ) -> None:
        self.latitude = latitude
        self.longitude = longitude
        self.grid = grid
        self.problem = problem

    @property
    def found(self) -> bool:
        return self.latitude is not None or self.grid is not None
