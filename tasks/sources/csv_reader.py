"""CSV as offices send it: UTF-8, UTF-8 with BOM or GBK, with optional title and unit lines.

Parsing uses pyarrow's multi-threaded reader with every column read as text, so that
typing (and its error messages) stays in one place: :mod:`tasks.sources.staging`.
"""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pyarrow.csv as pacsv

from tasks.sources.contract import Dataset
from tasks.sources.encoding import detect_encoding
from tasks.sources.errors import Problem, SourceError
from tasks.sources.raw import RawTable, sha256_bytes

UNIT_LINE = re.compile(r"单位\s*[:：]\s*(分|元|万元|亿元)")
HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<\?xml)", re.IGNORECASE)
HEADER_SCAN_LINES = 10


def looks_like_html(data: bytes) -> bool:
    return bool(HTML_START.match(data[:512]))


def known_headers(dataset: Dataset) -> set[str]:
    return {h.strip() for c in dataset.columns for h in c.headers}


def find_header(lines: list[list[str]], dataset: Dataset) -> int | None:
    """Index of the header line: the first line naming at least two of the contract's columns."""
    names = known_headers(dataset)
    for i, cells in enumerate(lines):
        if sum(1 for c in cells if c.strip() in names) >= min(2, len(dataset.columns)):
            return i
    return None


def declared_unit(lines: list[list[str]]) -> str | None:
    for cells in lines:
        for cell in cells:
            m = UNIT_LINE.search(cell)
            if m:
                return m.group(1)
    return None


def read_csv(data: bytes, uri: str, dataset: Dataset) -> RawTable:
    """Read CSV bytes into a :class:`RawTable`, or raise :class:`SourceError` saying what is wrong."""

    def fail(message: str, row: int | None = None, column: str | None = None,
             expected: str | None = None) -> SourceError:
        return SourceError(Problem(dataset.source, uri, message, row=row, column=column, expected=expected))

    digest = sha256_bytes(data)
    if not data.strip():
        raise fail("the file is empty", expected="a header line and at least one record")
    if looks_like_html(data):
        raise fail("this is an HTML page, not CSV (perhaps an error page saved as .csv)",
                   expected="comma-separated text with a header line")
    encoding = detect_encoding(data)
    if encoding is None:
        raise fail("the text encoding cannot be detected", expected="UTF-8, UTF-8 with BOM, GBK or GB18030")
    if encoding == "utf-8-sig":
        data = data[3:]
    elif encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")

    head_text = data[:65536].decode("utf-8", errors="ignore").splitlines()[:HEADER_SCAN_LINES]
    head = list(csv.reader(head_text))
    header_at = find_header(head, dataset)
    if header_at is None:
        expected = "、".join(c.label for c in dataset.columns if c.required)
        raise fail(f"no header line naming the {dataset.name} columns in the first {HEADER_SCAN_LINES} lines",
                   row=1, expected=f"a header with {expected}")
    unit = declared_unit(head[:header_at])
    header = [h.strip() for h in head[header_at]]
    bad_rows: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=header_at + 1, column_names=header,
                                           block_size=1 << 22),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise fail(f"not readable as CSV: {str(exc).splitlines()[0]}") from exc
    if bad_rows:
        number, actual, expected_n, text = bad_rows[0]
        if number is not None:
            row: int | None = number + header_at + 1
        else:  # pyarrow cannot count lines when values may hold newlines: find the record's line
            at = data.find(text.encode("utf-8"))
            row = data.count(b"\n", 0, at) + 1 if at >= 0 else None
        raise fail(f"the record has {actual} fields but the header has {expected_n}", row=row,
                   expected="one value per header column")
    if table.num_rows == 0:
        raise fail("the file has a header but no records", row=header_at + 2,
                   expected="at least one record below the header")
    frame = table.to_pandas(types_mapper=lambda t: None)
    return RawTable(dataset=dataset, source=dataset.source, uri=uri, sha256=digest, frame=frame,
                    first_row=header_at + 2, unit=unit, encoding=encoding)
