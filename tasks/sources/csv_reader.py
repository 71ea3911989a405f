"""CSV as offices send it: UTF-8, UTF-8 with BOM or GBK, with optional title and unit lines.

Parsing uses pyarrow's multi-threaded reader with every column read as text, so that
typing (and its error messages) stays in one place: :mod:`tasks.sources.staging`.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tasks.glossary import both
from tasks.sources.contract import Dataset
from tasks.sources.encoding import ACCEPTED as ENCODINGS
from tasks.sources.encoding import (
    DOS_EOF,
    NO_CONTROLS,
    EncodingRefused,
    char_at,
    first_control,
    holds_control,
    sniff,
)
from tasks.sources.errors import Problem, SourceError
from tasks.sources.layout import (
    ANNEX_ROWS,
    HEADER_BAND,
    HEADER_SCAN_LINES,
    LayoutError,
    find_header,
    header_annex,
    header_band,
    header_names,
    known_headers,
    unit_line,
    unnamed_column,
)
from tasks.sources.raw import RawTable, sha256_bytes

HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<\?xml)", re.IGNORECASE)
HEAD_BYTES = 65536
SCAN_BYTES = 1 << 23  # how much of a body one step of a whole-body scan looks at (_Lines)


NO_RECORDS = both("文件只有表头，没有记录", "the file has a header but no records")
RECORDS_BELOW = both("表头下至少一条记录", "at least one record below the header")


def looks_like_html(data: bytes) -> bool:
    return bool(HTML_START.match(data[:512]))


def head_records(text: str, lines: int) -> tuple[list[list[str]], list[int]]:
    """The first ``lines`` lines of CSV ``text`` as records, indexed by the line each starts on (0-based,
    as a text editor numbers lines: split on "\\n" only), and the line each ends on. A quoted value
    holding a line break joins its lines into one record (an odd number of quotes leaves a value open);
    the lines it continues onto are empty entries."""
    raw = [line.removesuffix("\r") for line in text.split("\n")[:lines]]
    records: list[list[str]] = []
    ends: list[int] = []
    i = 0
    while i < len(raw):
        joined, j = raw[i], i
        while joined.count('"') % 2 and j + 1 < len(raw):
            j += 1
            joined += "\n" + raw[j]
        records.append(next(csv.reader([joined]), []) if joined.strip() else [])
        ends.append(j)
        for k in range(i + 1, j + 1):
            records.append([])
            ends.append(k)
        i = j + 1
    return records, ends


def _after_line(data: bytes, line: int) -> int:
    """The offset where 0-based line ``line + 1`` starts (the end of ``data`` when there is none)."""
    at = 0
    for _ in range(line + 1):
        at = data.find(b"\n", at) + 1
        if at == 0:
            return len(data)
    return at


def _field_at(line: bytes, offset: int) -> int:
    """The 0-based field of a CSV line that ``offset`` falls in (commas inside quotes do not count)."""
    quoted, field = False, 0
    for byte in line[:offset]:
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x2C and not quoted:
            field += 1
    return field


class _Lines:
    """A CSV body's lines: which bytes some line starts with, and where the lines end, found only when asked.
    They decide whether records can be numbered by count (nothing skipped, no value spanning lines) or need a
    closer look.

    The body is scanned in slices of :data:`SCAN_BYTES`, so that no mask as large as the file is ever made:
    a 100 MB ledger's whole-body masks cost ~200 MB of the reading's peak (issue 27)."""

    def __init__(self, data: bytes, start: int):
        self.body = memoryview(data)[start:]  # the body: ``data`` from ``start``, not copied
        codes = np.frombuffer(self.body, dtype=np.uint8)
        self.heads = np.zeros(256, dtype=bool)  # bool[256]: the bytes some line starts with
        if len(codes):
            self.heads[codes[0]] = True  # the first line
        for at in range(0, max(len(codes) - 1, 0), SCAN_BYTES):
            chunk = codes[at: at + SCAN_BYTES + 1]  # one byte more: the line after the chunk's last "\n"
            self.heads |= np.bincount(chunk[1:][chunk[:-1] == 10], minlength=256).astype(bool)
        self.quoted = data.find(b'"', start) != -1

    def starts_with(self, chars: bytes) -> bool:
        """Whether some line starts with one of ``chars``."""
        return bool(self.heads[list(chars)].any())

    @functools.cached_property
    def ends(self) -> np.ndarray:
        """The offsets of the "\n" ending each line."""
        codes = np.frombuffer(self.body, dtype=np.uint8)
        found = [np.flatnonzero(codes[s: s + SCAN_BYTES] == 10) + s for s in range(0, len(codes), SCAN_BYTES)]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _physical_lines(lines: _Lines, first_line: int, records: int) -> np.ndarray | None:
    """The line each record of ``lines.body`` starts on, when blank lines or quoted line breaks make them differ
    from the record count; None when records are one line each with nothing skipped (the common case).

    ``first_line`` is the line number of the body's first line.
    """
    body = lines.body
    blank = lines.starts_with(b"\n\r")
    spaces = lines.starts_with(b" \t")  # perhaps a line of spaces
    if not lines.quoted and not blank and not spaces:
        return None
    if not lines.quoted and not spaces:  # records are the non-empty lines
        codes = np.frombuffer(body, dtype=np.uint8)
        ends = lines.ends
        if len(body) and body[-1:] != b"\n":
            ends = np.append(ends, len(body))
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        crlf = (lengths > 0) & (codes[np.maximum(ends - 1, 0)] == 13)
        numbers = np.flatnonzero(lengths - crlf > 0) + first_line
    else:  # a quoted value may span lines, a line may be spaces: the csv module says where records start
        try:
            numbers = np.asarray([line for line, _ in _records(body, first_line)], dtype="int64")
        except csv.Error:  # a stray quote: pyarrow has read the records; number them one per line
            return None
    return numbers.astype("int64") if len(numbers) == records else None


def _records(body: memoryview | bytes, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """Each record of ``body`` with the line it starts on; blank lines and lines of spaces are skipped.
    Raises ``csv.Error`` on a stray quote."""
    reader = csv.reader(io.StringIO(str(body, "utf-8", errors="replace"), newline=""))
    previous = 0
    for row in reader:
        if row and not (len(row) == 1 and not row[0].strip()):
            yield first_line + previous, row
        previous = reader.line_num


def _ragged_line(body: memoryview, first_line: int, width: int) -> int | None:
    """The line the first record with other than ``width`` fields starts on (blank lines skipped)."""
    try:
        return next((line for line, row in _records(body, first_line) if len(row) != width), None)
    except csv.Error:
        return None


def _drop_blank_records(table: pa.Table, lines: _Lines) -> pa.Array | None:
    """A mask of the records that hold something: a row of empty cells (",,,,") is a blank line.
    None when every record holds something (a blank record starts with a comma, quote or space)."""
    if table.num_rows == 0 or table.num_columns == 0 or not lines.starts_with(b',"\r \t'):
        return None
    filled = None
    for column in table.columns:
        has = pc.not_equal(pc.utf8_trim_whitespace(column), "")
        filled = has if filled is None else pc.or_(filled, has)
    assert filled is not None
    return None if pc.all(filled).as_py() else filled


def read_csv(data: bytes, uri: str, dataset: Dataset) -> RawTable:
    """Read CSV bytes into a :class:`RawTable`, or raise :class:`SourceError` saying what is wrong."""

    def fail(message: str, row: int | None = None, column: str | None = None,
             expected: str | None = None) -> SourceError:
        return SourceError(Problem(dataset.source, uri, message, row=row, column=column, expected=expected))

    digest = sha256_bytes(data)
    if re.fullmatch(rb"\s*", data):  # stops at the first character that is not a space
        raise fail(both("文件是空的", "the file is empty"),
                   expected=both("一行表头和至少一条记录", "a header line and at least one record"))
    if looks_like_html(data):
        raise fail(both("这是一个网页（HTML），不是 CSV（可能是把出错页面存成了 .csv）",
                        "this is an HTML page, not CSV (perhaps an error page saved as .csv)"),
                   expected=both("带表头行、以逗号分隔的文本", "comma-separated text with a header line"))
    try:
        found = sniff(data)
    except EncodingRefused as exc:
        raise fail(str(exc), row=exc.row, expected=ENCODINGS) from exc
    data = data[found.skip:]
    if found.codec != "utf-8":
        data = data.decode(found.codec).encode("utf-8")
    data = data.rstrip(DOS_EOF)  # Ctrl-Z, DOS's end-of-file mark, after the last line: not a character of it
    warnings = [Problem(dataset.source, uri, found.note,
                        expected=both("CSV UTF-8，或不带字节顺序标记的 GBK", "CSV UTF-8, or GBK without a byte-order "
                                                                  "mark"),
                        severity="warning")] if found.note else []

    # Lines as a text editor numbers them: split on "\n" only (a title may hold other line breaks).
    head, ends = head_records(data[:HEAD_BYTES].decode("utf-8", errors="ignore"),
                              HEADER_SCAN_LINES + HEADER_BAND + ANNEX_ROWS)
    header_at = find_header(head[:HEADER_SCAN_LINES], dataset)
    if header_at is None:
        _refuse_controls(data, uri, dataset, None, 0)
        expected = "、".join(c.label for c in dataset.columns if c.required)
        raise fail(both(f"前 {HEADER_SCAN_LINES} 行中没有列出{dataset.label}各列的表头行",
                        f"no header line naming the {dataset.name} columns in the first {HEADER_SCAN_LINES} lines"),
                   row=1, expected=both(f"含 {expected} 的表头", f"a header with {expected}"))
    unit = unit_line(head[:header_at], uri, dataset)
    names = known_headers(dataset)
    last = header_band(head, header_at, names)
    cells = [h.strip() for h in header_names(head, header_at, last, names)]
    try:
        annex = header_annex(head, ends[last] + 1, cells, dataset)
    except LayoutError as exc:
        raise fail(str(exc), row=exc.row + 1, column=exc.column,
                   expected=exc.expected) from exc
    _refuse_controls(data, uri, dataset, cells, header_at)
    cells = annex.header
    header = [h or unnamed_column(i) for i, h in enumerate(cells)]  # an Excel export's empty trailing columns
    last_line = ends[max((last, *annex.rows))]
    body_start = _after_line(data, last_line)
    lines = _Lines(data, body_start)
    body = lines.body  # not a copy: a ledger's bytes are held once
    first_line = last_line + 2
    bad_rows: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.actual_columns == 1 and not row.text.strip():
            return "skip"  # a line of spaces is a blank line
        bad_rows.append((row.number, row.actual_columns, row.expected_columns, row.text))
        return "skip"

    empty = re.fullmatch(rb"[\r\n]*", body) is not None
    if empty and not dataset.may_be_empty:
        raise fail(NO_RECORDS, row=first_line, expected=RECORDS_BELOW)
    try:
        table = pa.table({h: pa.array([], pa.string()) for h in header}) if empty else pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=header, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise fail(both("无法按 CSV 读取", f"not readable as CSV: {str(exc).splitlines()[0]}")) from exc
    if bad_rows:
        _, actual, expected_n, text = bad_rows[0]
        row = _ragged_line(body, first_line, len(header))
        if row is None:
            at = data.find(text.encode("utf-8"), body_start)
            row = first_line + data.count(b"\n", body_start, at) if at >= 0 else None
        raise fail(both(f"该行有 {actual} 个字段，表头却有 {expected_n} 列",
                        f"the record has {actual} fields but the header has {expected_n}"), row=row,
                   expected=both("表头每列一个值", "one value per header column"))
    numbers = _physical_lines(lines, first_line, table.num_rows)
    filled = _drop_blank_records(table, lines)
    if filled is not None:
        if numbers is None:
            numbers = np.arange(first_line, first_line + table.num_rows, dtype="int64")
        keep = filled.to_numpy(zero_copy_only=False)
        table, numbers = table.filter(filled), numbers[keep]
    if table.num_rows == 0 and not dataset.may_be_empty:
        raise fail(NO_RECORDS, row=first_line, expected=RECORDS_BELOW)
    for i, (name, given) in enumerate(zip(header, cells, strict=True)):
        if given:
            continue
        column = table.column(i)
        if pc.all(pc.equal(pc.utf8_trim_whitespace(column), "")).as_py():
            continue  # a column with no header and no values is not a column
        warnings.append(Problem(dataset.source, uri, both(f"{name}没有表头却有值，已忽略",
                                                          f"{name} has no header but holds values; it is ignored"),
                                row=ends[last] + 1, column=name,
                                expected=both("有值的列都有表头", "a header for every column with values"),
                                severity="warning"))
    unnamed = [i for i, given in enumerate(cells) if not given]
    if unnamed:
        table = table.drop_columns([header[i] for i in unnamed])
    return RawTable(dataset=dataset, source=dataset.source, uri=uri, sha256=digest, frame=table, controls_checked=True,
                    first_row=first_line, header_row=ends[last] + 1, unit=unit.unit if unit else None,
                    unit_row=unit.row if unit else None, encoding=found.name,
                    row_numbers=numbers, warnings=warnings)


def _cell_of(data: bytes, offset: int) -> tuple[int, int]:
    """The 0-based line the record holding ``offset`` starts on, and the 0-based field ``offset`` falls in: a
    quoted value's line breaks and commas are inside its record and its field. For an error's message."""
    prefix = data[:offset]
    if b'"' not in prefix:
        start = prefix.rfind(b"\n") + 1
        return prefix.count(b"\n"), prefix.count(b",", start)
    start, quoted = 0, False
    for m in re.finditer(rb'["\n]', prefix):
        if m.group() == b'"':
            quoted = not quoted
        elif not quoted:
            start = m.end()
    field, quoted = 0, False
    for m in re.finditer(rb'[",]', prefix[start:]):
        if m.group() == b'"':
            quoted = not quoted
        elif not quoted:
            field += 1
    return prefix.count(b"\n", 0, start), field


def _refuse_controls(data: bytes, uri: str, dataset: Dataset, header: list[str] | None, header_at: int) -> None:
    """Refuse a file holding a control character anywhere (:data:`~tasks.sources.encoding.CONTROL_PATTERN`),
    naming the row its record starts on and its column (a line above the header: the row alone): one pass
    in C over the UTF-8 bytes when there is none. ``header_at``: the 0-based line of the header."""
    at = first_control(data)
    if at is None:
        return
    line, field = _cell_of(data, at)
    if header is None or line < header_at:
        column = None
    elif field < len(header) and header[field]:
        column = header[field]
    else:
        column = f"第 {field + 1} 列"
    raise SourceError(Problem(dataset.source, uri, holds_control(char_at(data, at)), row=line + 1, column=column,
                              expected=NO_CONTROLS))
