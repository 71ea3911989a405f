"""XLSX as the 决算 software exports it.

What such a sheet has, and what this reader does with it:
- title rows above the header, and a ``单位：元`` / ``单位：万元`` line: skipped, the unit kept;
- merged header cells over two header rows: a column's name is its lowest header cell that is
  not empty (a merged cell's text sits in its top-left cell only);
- a 合计 / 总计 / 小计 row inside the table: taken out of the records, and checked against the
  rows above it, so that a sheet whose total disagrees with its rows is refused;
- "—" or an empty cell for zero, thousands separators: handled by staging like CSV;
- a note below the table (注：…, 说明：…, 填表人…): ignored.
Rows keep their Excel row numbers, so errors point at the row the operator sees.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from tasks.domain import FEN_PER_UNIT
from tasks.sources.contract import Dataset
from tasks.sources.csv_reader import HEADER_SCAN_LINES, find_header, known_headers, unit_line
from tasks.sources.errors import Problem, SourceError
from tasks.sources.raw import RawTable, sha256_bytes
from tasks.sources.staging import ZERO_TOKENS
from tasks.sources.units import split_header_unit

TOTAL_WORDS = ("合计", "总计", "小计")
GRAND_TOTALS = ("合计", "总计")  # checked against the rows above; a 小计 covers a group we cannot see
FOOTER = re.compile(r"^\s*(注|说明|备注|填表人|填报人|制表|审核|负责人)[:：\s]")
HEADER_BAND = 3  # rows a merged header may span


def cell_text(value: Any) -> str:
    """A cell as the text a CSV export would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _header_band(rows: list[list[str]], first: int, names: set[str]) -> int:
    """The last header row: header rows go on while a row still names a contract column."""
    last = first
    while (last + 1 < len(rows) and last + 1 - first < HEADER_BAND
           and any(_base(cell) in names for cell in rows[last + 1])):
        last += 1
    return last


def _base(header: str) -> str:
    return split_header_unit(header)[0]


def _header(rows: list[list[str]], first: int, last: int, names: set[str]) -> list[str]:
    """Each column's name: its lowest header cell naming a contract column, else its lowest non-empty one.

    A merged cell's text sits in its top-left cell: a column merged over both header rows has its
    name in the upper row; a group label (预算执行情况) spans columns named in the lower row.
    """
    width = max(len(r) for r in rows[first: last + 1])
    header = []
    for col in range(width):
        cells = [rows[r][col] if col < len(rows[r]) else "" for r in range(last, first - 1, -1)]
        known = [c for c in cells if c and _base(c) in names]
        other = [c for c in cells if c]
        header.append(known[0] if known else other[0] if other else f"(column {col + 1})")
    return header


def _money(text: str, unit: str) -> Decimal | None:
    t = text.replace(",", "").replace("，", "").strip()
    if t in ZERO_TOKENS:
        return Decimal(0)
    if t.startswith("(") and t.endswith(")"):
        t = "-" + t[1:-1]
    try:
        return Decimal(t) * FEN_PER_UNIT[unit]
    except InvalidOperation:
        return None


def read_xlsx(data: bytes, uri: str, dataset: Dataset) -> RawTable:
    """Read the first sheet of an XLSX workbook into a :class:`RawTable`."""
    from python_calamine import CalamineWorkbook

    def fail(message: str, row: int | None = None, expected: str | None = None) -> SourceError:
        return SourceError(Problem(dataset.source, uri, message, row=row, expected=expected))

    if not data:
        raise fail("the file is empty", expected="an XLSX workbook")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise fail(f"not a readable XLSX workbook ({str(exc).splitlines()[0][:80]}); the file may be truncated",
                   expected="an XLSX file as saved by Excel or the 决算 software") from exc
    rows = [[v if type(v) is str else cell_text(v) for v in r] for r in sheet]
    first = find_header(rows[:HEADER_SCAN_LINES], dataset)
    if first is None:
        expected = "、".join(c.label for c in dataset.columns if c.required)
        raise fail(f"no header row naming the {dataset.name} columns in the first {HEADER_SCAN_LINES} rows",
                   row=1, expected=f"a header with {expected}")
    names = known_headers(dataset)
    leaf = _header_band(rows, first, names)
    header = _header(rows, first, leaf, names)
    unit = unit_line(rows[:first], uri, dataset)
    keeps_totals = any(set(TOTAL_WORDS) & set(c.choices) for c in dataset.columns)
    records: list[list[str]] = []
    numbers: list[int] = []
    totals: list[tuple[int, list[str]]] = []
    for i in range(leaf + 1, len(rows)):
        row = rows[i] + [""] * (len(header) - len(rows[i]))
        texts = [c for c in row if c]
        if not texts:
            continue
        if FOOTER.match(texts[0]):
            break
        if not keeps_totals and texts[0].replace(" ", "") in TOTAL_WORDS:
            totals.append((i + 1, row))
            continue
        records.append(row[: len(header)])
        numbers.append(i + 1)
    if not records:
        raise fail("the sheet has a header but no records", row=leaf + 2,
                   expected="at least one record below the header")
    frame = pd.DataFrame(records, columns=header, dtype="str")
    raw = RawTable(dataset=dataset, source=dataset.source, uri=uri, sha256=sha256_bytes(data), frame=frame,
                   first_row=numbers[0], header_row=leaf + 1, unit=unit.unit if unit else None,
                   unit_row=unit.row if unit else None, encoding=None, row_numbers=numbers)
    _check_totals(raw, totals, header)
    return raw


def _check_totals(raw: RawTable, totals: list[tuple[int, list[str]]], header: list[str]) -> None:
    """A 合计 row must equal the sum of the records above it, column by money column."""
    money = {h.strip(): c for c in raw.dataset.columns if c.kind == "money" for h in c.headers}
    for row_number, row in totals:
        if row[0].replace(" ", "") not in GRAND_TOTALS:
            continue
        for col, name in enumerate(header):
            base, header_unit = split_header_unit(name)
            if base not in money or not row[col]:
                continue
            unit = header_unit or raw.unit or raw.dataset.unit
            stated = _money(row[col], unit)
            parts = [_money(v, unit) for v, n in zip(raw.frame[name], raw.row_numbers or [], strict=False)
                     if n < row_number]
            if stated is None or any(p is None for p in parts):
                continue  # staging names the unreadable cell
            added = sum(p for p in parts if p is not None)
            if added != stated:
                raise SourceError(raw.problem(
                    f"the {row[0] or '合计'} row states {row[col]} but the rows above add up to "
                    f"{added / FEN_PER_UNIT[unit]:f}", row=row_number, column=name,
                    expected="a total equal to the sum of its rows"))
