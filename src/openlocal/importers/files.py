"""Reading the files people import, safely: CSV and GeoJSON, either one gzip-compressed.

Files come from councils' registers and other systems, and through the staff upload page
from anyone with the right role, so reading is strict about what it accepts and bounded in
what it costs: a compressed file may expand only so far, a CSV field only so long, and a
problem names the line it is on and how to fix it. Nothing in a file is ever evaluated.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
#: The longest field a CSV may hold (the csv module's own default).
CSV_FIELD_LIMIT = 131_072
#: The delimiters a CSV header is looked at for, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


def display_name(name: str) -> str:
    """A file's name without the folders: what summaries and reports call it."""
    return Path(name).name


def source_stem(name: str) -> str:
    """The name without its folders and its extensions, e.g. ``boston_311_2015_all`` for
    ``boston_311_2015_all.csv.gz``: the default name of an import's source."""
    base = display_name(name)
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".geojson", ".json"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    return base or "import"


class _BoundedReader(io.RawIOBase):
    """A binary stream that refuses to give more than ``limit`` bytes: a compressed file
    that expands beyond what the import allows stops with a clear error."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            chunk = self._inner.read(len(buffer))
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(
                f"The file could not be decompressed ({exc}). Check it is a complete gzip "
                "file, or upload it uncompressed."
            ) from exc
        self._read += len(chunk)
        if self._read > self._limit:
            raise ImportFileError(
                f"The file is larger than {self._limit // (1024 * 1024)} MB once "
                "decompressed. Import it on the command line instead."
            )
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _Opened:
    """A file as stored (path or bytes), decompressed when it is gzip, with how far into
    the stored bytes reading has got (for a progress bar)."""

    def __init__(self, source: Path | bytes, *, max_bytes: int | None) -> None:
        self._stack = ExitStack()
        if isinstance(source, bytes):
            self.raw: IO[bytes] = io.BytesIO(source)
            self.size = len(source)
        else:
            try:
                self.raw = self._stack.enter_context(open(source, "rb"))  # noqa: SIM115
            except OSError as exc:
                raise ImportFileError(f"{source} cannot be read: {exc.strerror}.") from exc
            self.size = Path(source).stat().st_size
        self.compressed = self.raw.read(2) == GZIP_MAGIC
        self.raw.seek(0)
        stream: IO[bytes] = self.raw
        if self.compressed:
            stream = gzip.GzipFile(fileobj=self.raw, mode="rb")  # type: ignore[assignment]
        if max_bytes is not None:
            stream = io.BufferedReader(_BoundedReader(stream, max_bytes), 64 * 1024)
        self.stream = stream

    def position(self) -> int:
        """Bytes of the stored file read so far."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self._stack.close()


def _guess_delimiter(header_line: str) -> str:
    counts = [(header_line.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def find_column(names: list[str], wanted: str) -> str | None:
    """The header's spelling of a column: exact, or else the one name equal ignoring case
    and surrounding spaces."""
    if wanted in names:
        return wanted
    folded = [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def missing_column_message(wanted: str, option: str, names: list[str], noun: str) -> str:
    listed = ", ".join(names) or "none"
    if noun == "property":
        return (
            f"The features have no {wanted!r} property. Properties in this file: {listed}. "
            f"Name one of them with {option}."
        )
    return (
        f"The file has no {wanted!r} column. Columns in this file: {listed}. "
        f"Name one of them with {option}."
    )


class CsvFile:
    """A CSV file read row by row: ``header``, then ``rows()`` yielding ``(line, fields)``.

    ``line`` is the line of the file the row starts on (the header is line 1), so a person
    can find it in a text editor or spreadsheet. Use as a context manager.
    """

    def __init__(
        self,
        source: Path | bytes,
        *,
        encoding: str = "utf-8-sig",
        delimiter: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportFileError(
                f"Unknown encoding {encoding!r}: use utf-8 (the default), cp1252 or latin-1."
            ) from exc
        self.encoding = encoding
        self._opened = _Opened(source, max_bytes=max_bytes)
        self.size = self._opened.size
        self.compressed = self._opened.compressed
        # Undecodable bytes are kept as lone surrogates and found row by row, so that the
        # error names the line they are on (a decoder reads thousands of lines at a time).
        self._text = io.TextIOWrapper(
            self._opened.stream, encoding=encoding, errors="surrogateescape", newline=""
        )
        try:
            first = self._text.readline()
        except ImportFileError:
            self.close()
            raise
        if not first.strip():
            self.close()
            raise ImportFileError("The file is empty: the first line should name the columns.")
        self.delimiter = delimiter or _guess_delimiter(first)
        csv.field_size_limit(CSV_FIELD_LIMIT)
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        if not first.isascii():
            self._undecodable(1, header, header)
        self.header = [name.strip() for name in header]
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                self.close()
                raise ImportFileError(
                    f"The column {name!r} appears twice in the header (line 1). "
                    "Rename one of them and import again."
                )
            seen.add(name)
        self.index = {name: i for i, name in enumerate(self.header)}

    def _undecodable(self, line: int, fields: list[str], header: list[str]) -> bool:
        """Raise, naming the line and column, if a field holds bytes the encoding does not
        decode; False when the row is good."""
        for i, value in enumerate(fields):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                column = f" (column {header[i]})" if i < len(header) else ""
                self.close()
                raise ImportFileError(
                    f"Line {line}{column} is not valid {self.encoding} text. Save the file as "
                    "UTF-8 (“CSV UTF-8” in Excel), or say which encoding it uses, e.g. "
                    "--encoding cp1252."
                ) from None
        return False

    def column(self, wanted: str, option: str) -> int:
        """The position of a column named by an option, or a clear error listing them all."""
        name = find_column(self.header, wanted)
        if name is None:
            raise ImportFileError(missing_column_message(wanted, option, self.header, "column"))
        return self.index[name]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self._text, delimiter=self.delimiter, strict=True)
        line_num = 1
        while True:
            start = line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(
                    f"Line {start} cannot be read as CSV: {exc}. Check the quotes on that "
                    "line: a field with a comma, quote or line break in it must be in double "
                    "quotes, and a quote inside it doubled."
                ) from exc
            line_num = 1 + reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if not "".join(fields).isascii():
                self._undecodable(start, fields, self.header)
            yield start, fields

    def position(self) -> int:
        return self._opened.position()

    def close(self) -> None:
        self._opened.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class GeoJsonFile:
    """The features of a GeoJSON file, and the names of the properties they use."""

    features: list[dict[str, Any]]
    properties: list[str]
    #: The EPSG code of a legacy ``crs`` member (27700 for British National Grid), if any.
    epsg: int | None = None
    size: int = 0
    compressed: bool = False
    notes: list[str] = field(default_factory=list)

    def property(self, wanted: str, option: str) -> str:
        name = find_column(self.properties, wanted)
        if name is None:
            raise ImportFileError(
                missing_column_message(wanted, option, self.properties, "property")
            )
        return name


def iter_geojson_features(data: Any) -> Iterator[dict[str, Any]]:
    """The features of a FeatureCollection (or the one Feature a file holds)."""
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise ImportFileError("The FeatureCollection has no list of “features”.")
        yield from features
    elif kind == "Feature":
        yield data
    else:
        raise ImportFileError(
            "Expected a GeoJSON FeatureCollection or Feature "
            f"(the file's “type” is {kind!r}). Export the layer as GeoJSON and import again."
        )


def _crs_epsg(data: dict[str, Any]) -> int | None:
    """The EPSG code of an old-style GeoJSON ``crs`` member (RFC 7946 dropped it, but
    exports in British National Grid still carry one)."""
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return None
    name = str((crs.get("properties") or {}).get("name") or "")
    digits = "".join(ch for ch in name.rsplit(":", 1)[-1] if ch.isdigit())
    if not digits or name.upper().endswith("CRS84"):
        return None
    code = int(digits)
    return None if code == 4326 else code


def read_geojson(source: Path | bytes, *, max_bytes: int | None = None) -> GeoJsonFile:
    """Parse a whole GeoJSON file (boundaries are read whole to build their covers)."""
    opened = _Opened(source, max_bytes=max_bytes)
    try:
        raw = opened.stream.read()
    finally:
        opened.close()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}). GeoJSON must be "
            "UTF-8: export it again."
        ) from exc
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"The file is not valid GeoJSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    features = list(iter_geojson_features(data))
    names: dict[str, None] = {}
    for feature in features[:1000]:
        props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(props, dict):
            names.update(dict.fromkeys(str(k) for k in props))
    epsg = _crs_epsg(data) if isinstance(data, dict) else None
    if epsg is not None and epsg != 27700:
        raise ImportFileError(
            f"The file's coordinates are in EPSG:{epsg}. OpenLocal reads GeoJSON in WGS84 "
            "longitude/latitude (or British National Grid, EPSG:27700): export it again "
            "in WGS84."
        )
    return GeoJsonFile(
        features=features,
        properties=list(names),
        epsg=epsg,
        size=opened.size,
        compressed=opened.compressed,
    )


def looks_like_geojson(source: Path | bytes, name: str) -> bool:
    """Whether a file is GeoJSON rather than CSV: by its name, else by its first character."""
    lowered = name.lower().removesuffix(".gz")
    if lowered.endswith((".geojson", ".json")):
        return True
    if lowered.endswith((".csv", ".tsv", ".txt")):
        return False
    opened = _Opened(source, max_bytes=None)
    try:
        start = opened.stream.read(256).decode("utf-8-sig", errors="ignore").lstrip()
    except ImportFileError:
        return False
    finally:
        opened.close()
    return start.startswith("{")
