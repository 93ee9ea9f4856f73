"""Reading a page's tables and a CSV download as a visitor and a program would see them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class SeenTable:
    caption: str = ""
    headings: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: The first link after the table (its CSV download).
    download: str = ""


class _Tables(HTMLParser):
    """The tables of a page, with the text a sighted visitor reads in each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[SeenTable] = []
        self.table: SeenTable | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_caption = False
        self.in_head = False
        self.hidden_depth = 0
        self.depth = 0
        self.waiting_for_download: SeenTable | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if self.hidden_depth or "govuk-visually-hidden" in classes:
            self.hidden_depth += 1
        if tag == "table":
            self.table = SeenTable()
        elif tag == "caption":
            self.in_caption = True
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in {"td", "th"} and self.row is not None:
            self.cell = []
        elif tag == "a" and self.waiting_for_download is not None:
            self.waiting_for_download.download = dict(attrs).get("href") or ""
            self.waiting_for_download = None

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1
        if self.hidden_depth:
            self.hidden_depth -= 1
        if tag == "caption":
            self.in_caption = False
        elif tag == "thead":
            self.in_head = False
        elif tag in {"td", "th"} and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            if self.in_head:
                self.table.headings = self.row
            else:
                self.table.rows.append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            self.tables.append(self.table)
            self.waiting_for_download = self.table
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.hidden_depth:
            return
        if self.in_caption and self.table is not None:
            self.table.caption += data.strip()
        elif self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> list[SeenTable]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(html: str, caption_start: str) -> SeenTable:
    found = [t for t in tables(html) if t.caption.startswith(caption_start)]
    assert found, f"no table captioned {caption_start!r} in {[t.caption for t in tables(html)]}"
    return found[0]


def row(seen: SeenTable, first: str) -> dict[str, str]:
    """The row whose first cell is ``first``, by heading."""
    for cells in seen.rows:
        if cells[0] == first:
            return dict(zip(seen.headings, cells, strict=True))
    raise AssertionError(f"no row {first!r} in {seen.caption!r}: {[r[0] for r in seen.rows]}")


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))
