"""What a column is: its name, type, meaning, an example, and where its value comes from.

A :class:`Column` is the one definition both the data dictionary and the exporters read: the
dictionary prints its name, type, meaning, example and whether it can be empty; an exporter
fetches its ``source`` fields (and nothing else) and writes ``value(row)``. A column that is
not documented cannot be exported, and the other way round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any


@dataclass(frozen=True)
class Kind:
    """A column's type, and how each format writes it."""

    name: str
    label: str
    #: How the type is written, for the dictionary: "true or false", "2026-03-01T09:30:00+00:00".
    written: str


INTEGER = Kind("integer", "Whole number", "Digits, e.g. 1042.")
NUMBER = Kind("number", "Decimal number", "A decimal point, e.g. 50.7261; in JSON a number.")
TEXT = Kind("text", "Text", "UTF-8 text, which may run over several lines.")
CODE = Kind("code", "Code", "One of the values listed.")
BOOLEAN = Kind("boolean", "True or false", "true or false.")
DATETIME = Kind(
    "date-time",
    "Date and time",
    "ISO 8601 in UTC to the second, e.g. 2026-03-01T09:30:00+00:00.",
)
MONTH = Kind("year-month", "Month", "ISO 8601 year and month, e.g. 2026-03.")
URL = Kind("url", "Web address", "An absolute https:// or http:// address.")
LIST = Kind(
    "list",
    "List of codes",
    "In CSV the codes separated by semicolons (a;b); in JSON an array of strings.",
)
JSON = Kind(
    "json",
    "JSON",
    "In CSV the JSON text of the value; in JSON formats the value itself.",
)

#: Every kind, in the order the dictionary explains them.
KINDS = (INTEGER, NUMBER, TEXT, CODE, BOOLEAN, DATETIME, MONTH, URL, LIST, JSON)

#: A spreadsheet runs a cell that starts with one of these as a formula. GOV.UK's guidance
#: (and OWASP's) is to make such cells text by putting an apostrophe in front.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of a dataset, documented and exported from this one definition."""

    name: str
    kind: Kind
    description: str
    #: The value as it is written in CSV, for the dictionary.
    example: str
    #: Whether the value can be empty (an empty CSV cell, ``null`` in JSON).
    nullable: bool = False
    #: Fields read from the database (a model field, a lookup such as ``category__name``, or an
    #: annotation of the dataset's query). The column's name when not given.
    source: str | tuple[str, ...] = ""
    #: Turns the source values into the column's value; the single source value otherwise.
    convert: Callable[..., Any] | None = None
    #: Builds ``convert`` once per download, for a conversion that reads a small table
    #: then (a category's code, a body's name) instead of joining it to every row.
    prepare: Callable[[], Callable[..., Any]] | None = None
    #: For a code: the values it takes, with what each means.
    choices: Sequence[tuple[str, str]] = field(default_factory=tuple)

    @property
    def sources(self) -> tuple[str, ...]:
        if isinstance(self.source, tuple):
            return self.source
        return (self.source or self.name,)


def column_getter(
    columns: Sequence[Column], fields: Sequence[str]
) -> Callable[[list[Sequence[Any]]], list[list[Any]]]:
    """A function from a chunk of fetched rows (values in the order of ``fields``) to the
    columns' values, column by column.

    Working a column at a time lets most of the work run inside ``zip`` and ``map``: a
    column that copies a field is that field's column as it is, and a conversion is one
    ``map`` over the column rather than a step of a loop for every cell.
    """
    for column in columns:
        if column.convert is None and column.prepare is None and len(column.sources) != 1:
            raise ValueError(f"Column {column.name} reads several fields: give it a convert().")
    plan = [
        (c.prepare() if c.prepare else c.convert, [fields.index(name) for name in c.sources])
        for c in columns
    ]

    def values(rows: list[Sequence[Any]]) -> list[list[Any]]:
        by_field = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
        found: list[list[Any]] = []
        for convert, positions in plan:
            if convert is None:
                found.append(list(by_field[positions[0]]))
            else:
                found.append(list(map(convert, *(by_field[p] for p in positions))))
        return found

    return values


# Writing values -----------------------------------------------------------------------------
#
# Values arrive as the database gives them: date-times already as ISO 8601 text in UTC and
# JSON as its text when read by the dataset queries (see ``datasets.raw_values``), or as
# Python objects when a dataset builds its rows itself. Each writer takes a whole column of a
# chunk and copes with either; a column that needs no change is passed on as it is.

_FORMULA = frozenset(FORMULA_STARTS)
_NEEDS_QUOTES = re.compile(r'[",\r\n]').search
#: Either: text that needs quoting or starts like a formula. Most text needs neither, and
#: one search tells.
_NEEDS_CARE = re.compile(r'[",\r\n]|^[=+\-@\t]').search
_BOOLEAN_TEXT = {True: "true", False: "false", None: ""}

Writer = Callable[[list[Any]], list[Any]]


def guard_formula(text: str) -> str:
    """Text a spreadsheet will not run: cells starting like a formula get an apostrophe."""
    if text and text[0] in _FORMULA:
        return "'" + text
    return text


def datetime_text(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat(timespec="seconds")


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def json_value(value: Any) -> Any:
    """A JSON value from the database (its text) or from Python, as a Python value."""
    if isinstance(value, str):
        if value == "{}":
            return {}
        if value == "[]":
            return []
        return json.loads(value) if value else None
    return value


def _first(values: list[Any]) -> Any:
    """The first value that is not empty, or None: what type a column's values have."""
    return next(filter(None, values), None)


def _may_run(values: list[Any]) -> bool:
    """Whether any text in the column starts like a spreadsheet formula (rare)."""
    return any(map(str.startswith, filter(None, values), repeat(FORMULA_STARTS)))


def _cells(values: list[Any]) -> list[str]:
    """Text as CSV cells (RFC 4180): quoted when it holds a quote, comma or line break."""
    if not any(map(_NEEDS_QUOTES, filter(None, values))):
        return [v or "" for v in values]
    return [
        '"' + v.replace('"', '""') + '"' if v and _NEEDS_QUOTES(v) else (v or "") for v in values
    ]


def _csv_text(values: list[Any]) -> list[str]:
    if not any(map(_NEEDS_CARE, filter(None, values))):
        return [v or "" for v in values]
    if _may_run(values):
        values = [guard_formula(v) if v else v for v in values]
    return _cells(values)


def _csv_plain(values: list[Any]) -> list[str]:
    """Values that never need quoting: numbers, dates, booleans' words, months."""
    if None in values:
        return ["" if v is None else str(v) for v in values]
    return list(map(str, values))


def _csv_bool(values: list[Any]) -> list[str]:
    return list(map(_BOOLEAN_TEXT.__getitem__, values))


def _csv_list(values: list[Any]) -> list[str]:
    return _csv_text([";".join(v) if v else "" for v in values])


def _csv_datetime(values: list[Any]) -> list[str]:
    if isinstance(_first(values), str | None):
        return [v or "" for v in values]
    return ["" if v is None else datetime_text(v) for v in values]


def _csv_json(values: list[Any]) -> list[str]:
    if not isinstance(_first(values), str | None):
        values = [None if v is None else json_text(v) for v in values]
    return _csv_text(values)


def _json_text(values: list[Any]) -> list[Any]:
    return [v or None for v in values]


def _json_bool(values: list[Any]) -> list[Any]:
    return [None if v is None else bool(v) for v in values]


def _json_list(values: list[Any]) -> list[Any]:
    return [list(v) if v else [] for v in values]


def _json_datetime(values: list[Any]) -> list[Any]:
    if isinstance(_first(values), str | None):
        return values
    return [None if v is None else datetime_text(v) for v in values]


def _json_json(values: list[Any]) -> list[Any]:
    if isinstance(_first(values), str):
        return list(map(json_value, values))
    return values


def _number(values: list[Any]) -> list[Any]:
    return [None if v is None else float(v) for v in values]


#: How each kind's column is made CSV cells. Numbers are written as Python writes them
#: (``repr``, the shortest text that reads back as the same number).
_CSV: dict[Kind, Writer] = {
    INTEGER: _csv_plain,
    NUMBER: _csv_plain,
    TEXT: _csv_text,
    CODE: _csv_text,
    BOOLEAN: _csv_bool,
    DATETIME: _csv_datetime,
    MONTH: _csv_plain,
    URL: _cells,
    LIST: _csv_list,
    JSON: _csv_json,
}
#: How each kind's column is written in JSON (None: as it is). Empty text is ``null``.
_JSON: dict[Kind, Writer | None] = {
    INTEGER: None,
    NUMBER: _number,
    TEXT: _json_text,
    CODE: _json_text,
    BOOLEAN: _json_bool,
    DATETIME: _json_datetime,
    MONTH: _json_text,
    URL: _json_text,
    LIST: _json_list,
    JSON: _json_json,
}


def csv_writer_for(column: Column) -> Writer:
    """How a column's values are made CSV cells."""
    if (
        column.kind is CODE
        and column.choices
        and not any(
            value.startswith(FORMULA_STARTS) or _NEEDS_QUOTES(value) for value, _ in column.choices
        )
    ):
        return _csv_plain  # one of a fixed list of codes, none needing care
    return _CSV[column.kind]


def json_writer_for(column: Column) -> Writer | None:
    """How a column's values are written in JSON (None: as they are)."""
    return _JSON[column.kind]
