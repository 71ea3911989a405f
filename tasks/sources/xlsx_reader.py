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
from tasks.sources.csv_reader import HEADER_SCAN_LINES, declared_unit, find_header
from tasks.sources.errors import Problem, SourceError
from tasks.sources.raw import RawTable, sha256_bytes
from tasks.sources.staging import UNIT_SUFFIX, ZERO_TOKENS

TOTAL_WORDS = ("合计", "总计", "小计")
GRAND_TOTALS = ("合计", "总计")  # checked against the rows above; a 小计 covers a group we cannot see
FOOTER = re.compile(r"^\s*(注|说明|备注|填表人|填报人|制表|审核|负责人)[:：\s]")
HEADER_BAND = 3  # header rows a merged header may span above the lowest one


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


def _header(rows: list[list[str]], leaf: int) -> list[str]:
    width = max(len(r) for r in rows[: leaf + 1])
    header = []
    for col in range(width):
        name = rows[leaf][col] if col < len(rows[leaf]) else ""
        above = leaf - 1
        while not name and above >= max(0, leaf - HEADER_BAND):
            name = rows[above][col] if col < len(rows[above]) else ""
            above -= 1
        header.append(name or f"(column {col + 1})")
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
    rows = [[cell_text(v) for v in r] for r in sheet]
    leaf = find_header(rows[:HEADER_SCAN_LINES], dataset)
    if leaf is None:
        expected = "、".join(c.label for c in dataset.columns if c.required)
        raise fail(f"no header row naming the {dataset.name} columns in the first {HEADER_SCAN_LINES} rows",
                   row=1, expected=f"a header with {expected}")
    header = _header(rows, leaf)
    unit = declared_unit(rows[:leaf])
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
                   first_row=numbers[0], unit=unit, encoding=None, row_numbers=numbers)
    _check_totals(raw, totals, header)
    return raw


def _check_totals(raw: RawTable, totals: list[tuple[int, list[str]]], header: list[str]) -> None:
    """A 合计 row must equal the sum of the records above it, column by money column."""
    money = {h.strip(): c for c in raw.dataset.columns if c.kind == "money" for h in c.headers}
    for row_number, row in totals:
        if row[0].replace(" ", "") not in GRAND_TOTALS:
            continue
        for col, name in enumerate(header):
            base_unit = UNIT_SUFFIX.match(name)
            base = base_unit.group("name").strip() if base_unit else name.strip()
            if base not in money or not row[col]:
                continue
            unit = (base_unit.group("unit") if base_unit else None) or raw.unit or raw.dataset.unit
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
