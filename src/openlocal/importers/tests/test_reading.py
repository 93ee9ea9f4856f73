"""Reading files and mappings safely: what a person sees when a file is not what it should
be."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from openlocal.importers.coordinates import grid_to_latitude_longitude
from openlocal.importers.engine import RowError, error_report_csv
from openlocal.importers.files import CsvFile, ImportFileError, read_geojson, source_stem
from openlocal.importers.mapping import date_parser, parse_mapping, time_zone, translate


def rows(data: bytes, **kwargs: object) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with CsvFile(data, **kwargs) as f:  # type: ignore[arg-type]
        return f.header, list(f.rows())


def test_lines_are_numbered_as_in_the_file_even_with_line_breaks_inside_quotes():
    header, found = rows(b'id,note\n1,"two\nlines"\n\n2,plain\n')
    assert header == ["id", "note"]
    assert found == [(2, ["1", "two\nlines"]), (5, ["2", "plain"])]


def test_the_separator_is_taken_from_the_header_and_a_bom_is_ignored():
    header, found = rows("\ufeffid;name\n1;Église\n".encode())
    assert header == ["id", "name"]
    assert found == [(2, ["1", "Église"])]


def test_text_in_another_encoding_names_its_line_and_how_to_fix_it():
    data = "id,name\n1,ok\n2,caf\u00e9\n".encode("cp1252")
    with pytest.raises(
        ImportFileError,
        match=r"Line 3 \(column name\) is not valid utf-8-sig text.*--encoding cp1252",
    ):
        rows(data)
    assert rows(data, encoding="cp1252")[1][1] == (3, ["2", "café"])


def test_a_broken_quote_names_its_line():
    with pytest.raises(ImportFileError, match="Line 3 cannot be read as CSV"):
        rows(b'id,note\n1,fine\n2,"unclosed, "x"y\n')


def test_a_header_naming_a_column_twice_is_refused():
    with pytest.raises(ImportFileError, match="The column 'id' appears twice"):
        rows(b"id,id\n1,2\n")


def test_a_compressed_file_may_not_expand_without_limit():
    bomb = gzip.compress(b"id,name\n" + b"1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" * 200_000)
    assert len(bomb) < 100_000
    with pytest.raises(ImportFileError, match="larger than 1 MB once decompressed"):
        rows(bomb, max_bytes=1024 * 1024)


def test_geojson_errors_say_where():
    with pytest.raises(ImportFileError, match="not valid GeoJSON: Expecting"):
        read_geojson(b'{"type": "FeatureCollection", "features": [}')
    with pytest.raises(ImportFileError, match="Expected a GeoJSON FeatureCollection"):
        read_geojson(b'{"type": "Topology"}')


def test_boston_dates_are_read_in_their_own_time_zone():
    parse = date_parser("MM/DD/YYYY hh:mm:ss AM", time_zone("America/New_York"))
    assert parse("01/05/2015 12:40:41 PM").astimezone(UTC) == datetime(
        2015, 1, 5, 17, 40, 41, tzinfo=UTC
    )
    assert parse("07/09/2015 02:51:12 PM").astimezone(UTC) == datetime(
        2015, 7, 9, 18, 51, 12, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="does not match the date format MM/DD/YYYY"):
        parse("2015-01-05")


def test_unknown_time_zone_is_explained():
    with pytest.raises(ImportFileError, match="use a name like Europe/London"):
        time_zone("Boston")


def test_mapping_in_toml_or_json_with_a_default():
    toml = parse_mapping('[categories]\n"Street Light Outages" = "streetlight"\n"*" = "other"\n')
    as_json = parse_mapping('{"categories": {"Street Light Outages": "streetlight", "*": "other"}}')
    assert toml == as_json
    assert translate(toml.categories, "street light outages") == "streetlight"
    assert translate(toml.categories, "Graffiti") == "other"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[statuses]\nClosed = fixed\n", "is not valid TOML"),
        ('[colours]\n"a" = "b"\n', "has a table 'colours' that means nothing here"),
        ('[statuses]\n"Closed" = 3\n', "must map to text"),
    ],
)
def test_mapping_mistakes_are_explained(text, message):
    with pytest.raises(ImportFileError, match=message):
        parse_mapping(text)


def test_grid_references_convert_to_within_a_metre_of_naptan():
    # NaPTAN 1100DEA10109: 273479 E, 44078 N; published as 50.28307 N, 3.7772 W.
    ((lat, lon),) = grid_to_latitude_longitude([273479], [44078])
    assert abs(lat - 50.28307) < 0.00001 and abs(lon - -3.7772) < 0.00002


def test_report_cells_are_not_run_as_spreadsheet_formulas():
    report = error_report_csv(
        [RowError(2, "name", "bad", '=HYPERLINK("x")', "id1"), RowError(3, "lon", "bad", "-3.5")]
    )
    assert "'=HYPERLINK" in report
    assert ",-3.5," in report


def test_source_names_come_from_the_file_name():
    assert source_stem("/data/boston_311_2015_all.csv.gz") == "boston_311_2015_all"
    assert source_stem("wards.geojson") == "wards"
