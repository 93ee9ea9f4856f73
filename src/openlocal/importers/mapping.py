"""The small mapping file that translates another system's values into OpenLocal's, and
the date formats of other systems.

A mapping file is TOML or JSON with up to three tables, each from the value in the file to
OpenLocal's own name for it::

    [statuses]            # to an OpenLocal status: new, acknowledged, ..., fixed, not_fixed
    "Open" = "new"
    "Closed" = "fixed"

    [categories]          # to a category's service code or slug
    "Street Light Outages" = "streetlight"
    "*" = "other"         # every value not listed

    [asset_types]         # to an asset type's slug
    "BCT" = "bus-stop"

``"*"`` stands for every value the table does not list; without it such a value is a bad
row that says which table to add it to.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openlocal.importers.files import ImportFileError

TABLES = ("statuses", "categories", "asset_types")
#: The key that stands for every value a table does not list.
ANY = "*"


@dataclass
class Mapping:
    """Value translations, each table keyed by the value exactly as the file spells it."""

    statuses: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    asset_types: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, dict[str, str]]:
        return {name: dict(getattr(self, name)) for name in TABLES if getattr(self, name)}


def parse_mapping(text: str, *, name: str = "the mapping") -> Mapping:
    """Read a mapping from TOML or JSON text (JSON when it starts with ``{``)."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        return Mapping()
    data: Any
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from exc
    else:
        try:
            data = tomllib.loads(stripped)
        except tomllib.TOMLDecodeError as exc:
            raise ImportFileError(
                f"{name} is not valid TOML: {exc}. Put each value in double quotes, "
                'e.g. "Closed" = "fixed".'
            ) from exc
    if not isinstance(data, dict):
        raise ImportFileError(f"{name} must hold tables named {', '.join(TABLES)}.")
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ImportFileError(
            f"{name} has a table {unknown[0]!r} that means nothing here: use {', '.join(TABLES)}."
        )
    mapping = Mapping()
    for table in TABLES:
        values = data.get(table, {})
        if not isinstance(values, dict):
            raise ImportFileError(
                f"{name}: {table} must be a table of “value in the file” = “OpenLocal name”."
            )
        for key, value in values.items():
            if not isinstance(value, str):
                raise ImportFileError(
                    f"{name}: in {table}, {key!r} must map to text (a name in quotes), "
                    f"not {value!r}."
                )
            getattr(mapping, table)[str(key)] = value.strip()
    return mapping


def load_mapping(path: Path) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFileError(f"The mapping file {path} cannot be read: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The mapping file {path} is not UTF-8 text.") from exc
    return parse_mapping(text, name=f"The mapping file {path.name}")


def translate(table: dict[str, str], value: str) -> str | None:
    """The mapped name for a value: exact, else ignoring case, else the ``*`` entry."""
    if value in table:
        return table[value]
    folded = value.casefold()
    for key, mapped in table.items():
        if key.casefold() == folded and key != ANY:
            return mapped
    return table.get(ANY)


# Dates ------------------------------------------------------------------------------------

#: Spreadsheet-style tokens and the strptime directives they stand for, longest first.
_TOKENS = [
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("AM", "%p"),
    ("PM", "%p"),
]
_TOKEN_RE = re.compile("|".join(re.escape(t) for t, _ in _TOKENS))
ISO = "iso"


def strptime_format(pattern: str) -> str:
    """A strptime format from either a strptime format (it has ``%``) or a pattern such as
    ``MM/DD/YYYY hh:mm:ss AM`` (``MM`` month, ``mm`` minutes, ``hh`` 12-hour, ``HH``
    24-hour, ``AM`` the half of the day)."""
    if "%" in pattern:
        return pattern
    directives = dict(_TOKENS)
    return _TOKEN_RE.sub(lambda m: directives[m.group(0)], pattern)


def time_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportFileError(
            f"Unknown time zone {name!r}: use a name like Europe/London or America/New_York."
        ) from exc


def date_parser(pattern: str, zone: tzinfo) -> Callable[[str], datetime]:
    """A function from the file's text to an aware date-time; raises ValueError with a
    message for a person when the text does not match.

    Times without an offset are in ``zone``; ISO 8601 times with an offset keep theirs.
    """
    if not pattern or pattern.lower() == ISO:

        def parse_iso(text: str) -> datetime:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"“{text}” is not an ISO 8601 date, like 2015-01-05 12:40:41; "
                    "give the file's format with --date-format"
                ) from None
            return value if value.tzinfo else value.replace(tzinfo=zone)

        return parse_iso
    fmt = strptime_format(pattern)
    strptime = _fast_strptime(fmt) or datetime.strptime

    def parse(text: str) -> datetime:
        try:
            value = strptime(text, fmt)
        except ValueError:
            raise ValueError(f"“{text}” does not match the date format {pattern}") from None
        return value if value.tzinfo else value.replace(tzinfo=zone)

    return parse


#: The strptime directives read without strptime, and the digits each takes.
_FAST = {
    "%Y": r"(\d{4})",
    "%m": r"(\d{1,2})",
    "%d": r"(\d{1,2})",
    "%H": r"(\d{1,2})",
    "%I": r"(\d{1,2})",
    "%M": r"(\d{1,2})",
    "%S": r"(\d{1,2})",
    "%p": r"([AaPp][Mm])",
}


def _fast_strptime(fmt: str) -> Callable[[str, str], datetime] | None:
    """A parser for formats of numbers and separators only (most exports), several times
    quicker than ``datetime.strptime`` for a hundred thousand dates; None for others."""
    parts = re.split(r"(%.)", fmt)
    directives = [p for p in parts if p.startswith("%") and len(p) == 2]
    if not directives or any(d not in _FAST for d in directives):
        return None
    if len(set(directives)) != len(directives) or not {"%Y", "%m", "%d"} <= set(directives):
        return None
    if ("%I" in directives) != ("%p" in directives) or ("%I" in directives and "%H" in directives):
        return None
    regex = re.compile(
        "".join(_FAST[p] if p in _FAST else re.escape(p).replace("\\ ", r"\s+") for p in parts)
    )
    order = directives

    def parse(text: str, _fmt: str) -> datetime:
        found = regex.fullmatch(text)
        if found is None:
            raise ValueError(text)
        got = dict(zip(order, found.groups(), strict=True))
        hour = int(got.get("%H", got.get("%I", "0")))
        if "%p" in got:
            if not 1 <= hour <= 12:
                raise ValueError(text)
            hour = hour % 12 + (12 if got["%p"].upper() == "PM" else 0)
        return datetime(
            int(got["%Y"]),
            int(got["%m"]),
            int(got["%d"]),
            hour,
            int(got.get("%M", "0")),
            int(got.get("%S", "0")),
        )

    return parse
