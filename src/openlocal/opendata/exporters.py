"""Writing a dataset as CSV, GeoJSON and newline-delimited JSON, a chunk at a time.

An :class:`Export` reads the dataset's rows once (a chunk at a time from the database) and
writes them in one or more formats at once: a download asks for one, the daily snapshot for
all of them from the same pass. Nothing holds more than one chunk of rows, so memory stays
the same for a thousand rows or ten million.

Formats:

- **CSV** (RFC 4180): UTF-8 without a byte order mark, a header row, CRLF line ends, fields
  quoted when they hold a comma, quote or line break. A text cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets an apostrophe in front so that a spreadsheet
  shows it rather than running it as a formula (numbers and dates are never changed).
- **GeoJSON** (RFC 7946): a FeatureCollection whose members besides ``features`` say what
  the data is, its licence and the attribution statements; each feature's properties are
  the dataset's columns.
- **NDJSON**: one JSON object per line, the dataset's columns, and nothing else on any line,
  so that every line can be read on its own. Its licence travels beside it (the ``Link``
  header, ``LICENCE.txt`` in a snapshot, the catalogue).

Empty values are an empty CSV cell and ``null`` in JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from typing import Any

from django.db import connection, transaction

from openlocal.opendata.columns import column_getter, csv_writer_for, json_writer_for
from openlocal.opendata.datasets import DatasetSpec
from openlocal.opendata.filters import DownloadFilters


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extension: str
    #: The ``Content-Type`` of a download.
    content_type: str
    #: The IANA media type, for the catalogue; None where none is registered.
    iana: str | None
    #: The EU file-type authority's code, for the catalogue.
    file_type: str
    geometry: bool = False


FORMATS = {
    "csv": Format(
        "csv", "CSV", "csv", "text/csv; charset=utf-8; header=present", "text/csv", "CSV"
    ),
    "geojson": Format(
        "geojson",
        "GeoJSON",
        "geojson",
        "application/geo+json",
        "application/geo+json",
        "GEOJSON",
        geometry=True,
    ),
    "ndjson": Format(
        "ndjson",
        "Newline-delimited JSON",
        "ndjson",
        "application/x-ndjson; charset=utf-8",
        None,
        "JSON",
    ),
}

#: Rows written at a time; each chunk of output is handed on when written.
ROWS_PER_CHUNK = 500


class Encoder:
    """Writes chunks of one dataset's rows in one format into a buffer taken chunk by chunk.

    Rows arrive column by column (the values of each column for the chunk's rows).
    """

    def __init__(self, spec: DatasetSpec, metadata: dict[str, Any]) -> None:
        self.spec = spec
        self.metadata = metadata
        self.buffer = io.StringIO()

    def start(self) -> None:
        """Write what comes before the first row."""

    def rows(self, columns: list[list[Any]], geometries: list[str | None] | None) -> None:
        raise NotImplementedError("Encoders must implement rows()")

    def end(self) -> None:
        """Write what comes after the last row."""

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate(0)
        return text


def _written(
    columns: list[list[Any]], writers: Sequence[Callable[[list[Any]], list[Any]] | None]
) -> list[list[Any]]:
    return [
        column if writer is None else writer(column)
        for column, writer in zip(columns, writers, strict=True)
    ]


class CsvEncoder(Encoder):
    """RFC 4180, written a column at a time: each column's cells are made (and quoted where
    needed) by its kind's writer, then the rows joined; much faster than the csv module's
    character-by-character writing, and the same text."""

    def __init__(self, spec: DatasetSpec, metadata: dict[str, Any]) -> None:
        super().__init__(spec, metadata)
        self.writers = [csv_writer_for(c) for c in spec.columns]

    def start(self) -> None:
        self.buffer.write(",".join(c.name for c in self.spec.columns) + "\r\n")

    def rows(self, columns: list[list[Any]], geometries: list[str | None] | None) -> None:
        if columns and columns[0]:
            lines = map(",".join, zip(*_written(columns, self.writers), strict=True))
            self.buffer.write("\r\n".join(lines))
            self.buffer.write("\r\n")


class NdjsonEncoder(Encoder):
    def __init__(self, spec: DatasetSpec, metadata: dict[str, Any]) -> None:
        super().__init__(spec, metadata)
        self.names = [c.name for c in spec.columns]
        self.writers = [json_writer_for(c) for c in spec.columns]
        # NaN and infinity are not JSON: refuse them rather than write a broken file.
        self.encode = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode

    def objects(self, columns: list[list[Any]]) -> Iterator[str]:
        """Each row as a JSON object of its columns."""
        rows = zip(*_written(columns, self.writers), strict=True)
        return map(self.encode, map(dict, map(zip, repeat(self.names), rows)))

    def rows(self, columns: list[list[Any]], geometries: list[str | None] | None) -> None:
        for line in self.objects(columns):
            self.buffer.write(line)
            self.buffer.write("\n")


FEATURE = '{{"type":"Feature","geometry":{},"properties":{}}}'


class GeojsonEncoder(NdjsonEncoder):
    def __init__(self, spec: DatasetSpec, metadata: dict[str, Any]) -> None:
        super().__init__(spec, metadata)
        self.separator = ""

    def start(self) -> None:
        head = json.dumps({"type": "FeatureCollection", **self.metadata}, ensure_ascii=False)
        self.buffer.write(head[:-1] + ', "features": [\n')

    def rows(self, columns: list[list[Any]], geometries: list[str | None] | None) -> None:
        shapes = ("null" if g is None else g for g in geometries or [])
        features = ",\n".join(map(FEATURE.format, shapes, self.objects(columns)))
        if features:
            self.buffer.write(self.separator)
            self.buffer.write(features)
            self.separator = ",\n"

    def end(self) -> None:
        self.buffer.write("\n]}\n")


ENCODERS: dict[str, Callable[[DatasetSpec, dict[str, Any]], Encoder]] = {
    "csv": CsvEncoder,
    "geojson": GeojsonEncoder,
    "ndjson": NdjsonEncoder,
}


class Export:
    """One pass over a dataset's rows, written in each of ``formats``.

    ``chunks()`` yields, for each chunk of rows, the text written in each format (in the
    order of ``formats``): the header in the first, the end in the last.
    """

    def __init__(
        self,
        spec: DatasetSpec,
        formats: Sequence[str],
        *,
        metadata: dict[str, Any] | None = None,
        filters: DownloadFilters | None = None,
    ) -> None:
        unknown = [f for f in formats if f not in spec.formats]
        if unknown:
            raise ValueError(
                f"The {spec.slug} dataset is published as {', '.join(spec.formats)}, "
                f"not {', '.join(unknown)}."
            )
        self.spec = spec
        self.formats = list(formats)
        self.filters = filters
        self.geometry = spec.geometry if any(FORMATS[f].geometry for f in formats) else None
        self.fields = spec.fields(geometry=self.geometry is not None)
        self.encoders = [ENCODERS[f](spec, metadata or {}) for f in self.formats]
        self.rows = 0

    def _texts(self) -> list[str]:
        return [encoder.take() for encoder in self.encoders]

    def _geometries(self) -> Callable[[list[Sequence[Any]]], list[str | None] | None]:
        if self.geometry is None:
            return lambda rows: None
        positions = [self.fields.index(name) for name in self.geometry.sources]
        to_geojson = self.geometry.to_geojson

        def shapes(rows: list[Sequence[Any]]) -> list[str | None]:
            by_field = list(zip(*rows, strict=True))
            return list(map(to_geojson, *(by_field[p] for p in positions)))

        return shapes

    def _pass(self) -> Iterator[list[str]]:
        columns_of = column_getter(self.spec.columns, self.fields)
        geometries_of = self._geometries()
        encoders = self.encoders
        for encoder in encoders:
            encoder.start()
        yield self._texts()
        records = iter(self.spec.records(self.fields, {"form": self.filters}))
        size = (self.geometry.rows_per_chunk if self.geometry else 0) or ROWS_PER_CHUNK
        while chunk := list(islice(records, size)):
            columns = columns_of(chunk)
            geometries = geometries_of(chunk)
            for encoder in encoders:
                encoder.rows(columns, geometries)
            self.rows += len(chunk)
            yield self._texts()
        for encoder in encoders:
            encoder.end()
        yield self._texts()

    def chunks(self) -> Iterator[list[str]]:
        """The output, chunk by chunk, read in one consistent view of the database.

        On PostgreSQL the rows come through a server-side cursor inside a read-only
        transaction, so that the database sends them as they are read rather than all at
        once first (outside a transaction Django's cursor is ``WITH HOLD``, which the
        database fills completely before the first row). SQLite reads lazily as it is, and
        a transaction there would take the write lock for the whole download.
        """
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                    # Compiling the query to machine code (JIT) takes seconds before the
                    # first row, and streaming gains nothing from it.
                    cursor.execute("SET LOCAL jit = off")
                yield from self._pass()
        else:
            yield from self._pass()


def stream(
    spec: DatasetSpec,
    format_name: str,
    *,
    metadata: dict[str, Any] | None = None,
    filters: DownloadFilters | None = None,
) -> Generator[bytes, None, None]:
    """A download's body as UTF-8 chunks, for a ``StreamingHttpResponse``."""
    export = Export(spec, [format_name], metadata=metadata, filters=filters)
    for (text,) in export.chunks():
        if text:
            yield text.encode("utf-8")


def export_text(
    spec: DatasetSpec,
    format_name: str,
    *,
    metadata: dict[str, Any] | None = None,
    filters: DownloadFilters | None = None,
) -> str:
    """A whole export as one string: for tests and small datasets only."""
    return b"".join(stream(spec, format_name, metadata=metadata, filters=filters)).decode()
