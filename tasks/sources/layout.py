"""Where a table's header is, and the rows around it that are not records: the layouts that 决算 and 台账
exports use, read the same way from CSV and from workbooks.

- The header is the first row naming at least two of the contract's columns (:func:`find_header`).
- It may run over up to three rows (:func:`header_band`): merged cells keep their text in the top-left
  cell, so a column is named by its lowest header cell that names a contract column, and a group label
  (预算执行情况) spans the columns named below it. A middle row of group labels only (资金来源 over
  财政拨款 | 其他资金, say) is part of the header when a row below it names contract columns.
- Under the header, a **栏次 row** (``栏次 | 1 | 2 | 3``, ``甲 | 乙 | 1 | 2``, ``3=1+2``) is skipped, and
  a **unit row** (``（元）``, ``万元``, ``%`` per column) gives its money columns their unit, as a unit in
  the header would (``全年预算数（万元）``): neither is ever read as a record (:func:`header_annex`).

Rows are lists of cell texts; positions are 0-based indexes into them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.glossary import both
from tasks.sources.contract import Dataset
from tasks.sources.errors import Problem, SourceError
from tasks.sources.units import (
    ACCEPTED,
    MONEY_UNITS,
    OTHER_UNITS,
    UnitLine,
    UnitLineError,
    declared_unit,
    normalise,
    split_header_unit,
)

HEADER_SCAN_LINES = 10
HEADER_BAND = 3  # rows a merged header may span
ANNEX_ROWS = 2  # rows under the header that may be a 栏次 row or a unit row

_UNIT_CELL = re.compile(
    r"^[(\[【]?\s*(?:(?:金额)?单位\s*:?\s*)?(?:人民币)?(?P<unit>"
    + "|".join(sorted((*MONEY_UNITS, *OTHER_UNITS), key=len, reverse=True))
    + r")\s*[)\]】]?$")
_COLUMN_NUMBER = re.compile(r"^\d{1,3}(?:\s*=\s*[\d+\-*/×()\s]+)?$")  # 3, 3=1+2
_COLUMN_WORDS = ("栏次", "栏号", "行次", "列次", "序号")
_COLUMN_LETTERS = ("甲", "乙", "丙", "丁", "戊", "己")


# What a unit row under the header should say.
UNDER_MONEY = both("金额列下写“元”或“万元”，与其表头一致",
                   "元 or 万元 under a money column, agreeing with its header")


class LayoutError(ValueError):
    """A row around the header that says something that cannot be applied; ``row`` (0-based) and
    ``column`` (the header cell) say where, ``expected`` what it should say instead."""

    def __init__(self, message: str, row: int, column: str | None = None, expected: str = UNDER_MONEY):
        super().__init__(message)
        self.row, self.column, self.expected = row, column, expected


def unnamed_column(index: int) -> str:
    """The name a column with no header cell goes by, in messages too: ``第 3 列`` (0-based ``index`` 2)."""
    return f"第 {index + 1} 列"


def is_unnamed_column(name: str) -> bool:
    return re.fullmatch(r"第 \d+ 列", name) is not None


def known_headers(dataset: Dataset) -> set[str]:
    return {h.strip() for c in dataset.columns for h in c.headers}


def _base(header: str) -> str:
    return split_header_unit(header)[0]


def _names(cells: Sequence[str], names: set[str]) -> int:
    return sum(1 for c in cells if c and _base(c) in names)


def find_header(lines: Sequence[Sequence[str]], dataset: Dataset) -> int | None:
    """Index of the header line: the first line naming at least two of the contract's columns."""
    names = known_headers(dataset)
    for i, cells in enumerate(lines):
        if _names(cells, names) >= min(2, len(dataset.columns)):
            return i
    return None


def unit_line(lines: Sequence[Sequence[str]], uri: str, dataset: Dataset, first_row: int = 1,
              sheet: str | None = None) -> UnitLine | None:
    """The unit declared above the header, or None; a unit line that cannot be read is refused."""
    try:
        return declared_unit(lines, first_row)
    except UnitLineError as exc:
        raise SourceError(Problem(
            dataset.source, uri, both(f"单位行「{getattr(exc, 'text', '')}」无法识别",
                                      f"the unit line {getattr(exc, 'text', '')!r} is not understood") + f"：{exc}",
            row=getattr(exc, "row", None), expected=ACCEPTED, sheet=sheet)) from exc


# What a record's cell looks like and a label does not: a number or an amount (1,234.56, (12.00), 95%,
# ￥12), or a date (2022-01-03, 2022/1/3, 2022年1月3日). A label may hold digits: 2022年度, 第1季度.
_DATA_CELL = re.compile(r"^[(¥]?[+-]?\d[\d,]*(\.\d+)?[%)]?$|^\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?$|^\d{8}$")


def _looks_like_record(cells: Sequence[str]) -> bool:
    """A row with a cell that reads as a number, an amount or a date: what a record has and a header not."""
    return any(_DATA_CELL.match(re.sub(r"\s+", "", normalise(c))) for c in cells if c and c.strip())


def header_band(rows: Sequence[Sequence[str]], first: int, names: set[str]) -> int:
    """The last header row of the header starting at ``first``: the last row within :data:`HEADER_BAND`
    rows that names a contract column and holds no value a record has (a number, an amount, a date). A row
    between (group labels: 预算执行情况, 2022年度, 2022.12) is part of the header whatever it holds, since a
    record is never followed by a row naming columns. Empty rows (the lines a quoted header cell's line
    breaks continue onto) are passed over and do not count."""
    last, seen = first, 1
    for r in range(first + 1, len(rows)):
        if seen >= HEADER_BAND:
            break
        if not any(c and c.strip() for c in rows[r]):
            continue
        seen += 1
        if _names(rows[r], names) and not _looks_like_record(rows[r]):
            last = r
    return last


def header_names(rows: Sequence[Sequence[str]], first: int, last: int, names: set[str]) -> list[str]:
    """Each column's name: its lowest header cell naming a contract column, else its lowest non-empty one,
    else "" (a column with no header).

    A merged cell's text sits in its top-left cell: a column merged over both header rows has its
    name in the upper row; a group label (预算执行情况) spans columns named in the lower row. A group label
    that states a money unit (协议金额（千元）) gives it to the columns it spans, up to the next label of its
    row, as a unit in their own header would; a column whose own header says another is refused later,
    as a header that disagrees with its unit line is.
    """
    width = max(len(r) for r in rows[first: last + 1])
    header = []
    for col in range(width):
        cells = [rows[r][col] if col < len(rows[r]) else "" for r in range(last, first - 1, -1)]
        known = [c for c in cells if c and _base(c) in names]
        other = [c for c in cells if c and c.strip()]
        name = known[0] if known else other[0] if other else ""
        unit = _group_unit(rows, first, last, col, names)
        if known and unit and split_header_unit(name)[1] is None:
            name = f"{_base(name)}（{unit}）"
        header.append(name)
    return header


def _group_unit(rows: Sequence[Sequence[str]], first: int, last: int, col: int, names: set[str]) -> str | None:
    """The money unit a group label above column ``col`` states (a cell of a header row above the column's
    name, at the column or the nearest filled cell to its left in that row, that names no contract column)."""
    for r in range(first, last):
        row = rows[r]
        at = next((c for c in range(min(col, len(row) - 1), -1, -1) if row[c] and row[c].strip()), None)
        if at is None or _base(row[at]) in names:
            continue
        unit = split_header_unit(row[at])[1]
        if unit is not None:
            return unit
    return None


def is_column_numbers(cells: Sequence[str]) -> bool:
    """A 栏次 row: 栏次 / 行次 and the columns' numbers (1, 2, 3=1+2), or 甲 乙 and numbers."""
    filled = [re.sub(r"\s+", "", normalise(c)) for c in cells if c and c.strip()]
    numbers = [c for c in filled if _COLUMN_NUMBER.match(c)]
    other = [c for c in filled if not _COLUMN_NUMBER.match(c)]
    if not numbers or any(c not in _COLUMN_WORDS and c not in _COLUMN_LETTERS for c in other):
        return False
    if any(c in _COLUMN_WORDS for c in other):
        return True  # 栏次 | 1 | 2: named as such
    plain = [int(c) for c in numbers if c.isdigit()]
    return len(plain) >= 2 and plain == list(range(plain[0], plain[0] + len(plain)))


def unit_cells(cells: Sequence[str]) -> list[str | None] | None:
    """A unit row's unit per cell (None for an empty cell), or None when the row is not a unit row."""
    out: list[str | None] = []
    for cell in cells:
        text = re.sub(r"\s+", "", normalise(cell or ""))
        if not text:
            out.append(None)
            continue
        m = _UNIT_CELL.match(text)
        if m is None:
            return None
        out.append(m.group("unit"))
    return out if any(u is not None for u in out) else None


@dataclass(frozen=True)
class Annex:
    """What lies under a header before the records: the rows taken (0-based) and the header with the
    money units a unit row gave folded in (``全年预算数`` over ``（万元）`` is ``全年预算数（万元）``)."""

    rows: tuple[int, ...]
    header: list[str]


def header_annex(rows: Sequence[Sequence[str]], start: int, header: list[str], dataset: Dataset) -> Annex:
    """The 栏次 and unit rows from row ``start``, directly under the header (at most :data:`ANNEX_ROWS`).

    A unit row states the money unit of the columns it stands under. A money column with no unit cell of
    its own (a unit cell merged over several columns exports into the first only) takes the row's money
    unit when the row names one; a row naming two leaves such a column to nobody, and is refused.

    Raises :class:`LayoutError` for a unit row that gives a money column a unit that is not money, one that
    disagrees with the unit its header already states, or two money units and a money column with none."""
    money = {h.strip() for c in dataset.columns if c.kind == "money" for h in c.headers}
    taken: list[int] = []
    header = list(header)
    r = start
    while r < len(rows) and len(taken) < ANNEX_ROWS:
        cells = rows[r]
        if not any(c and c.strip() for c in cells) and r == start:
            r += 1  # a line the header's last quoted line break continues onto
            continue
        if is_column_numbers(cells):
            taken.append(r)
            r += 1
            continue
        units = unit_cells(cells)
        if units is None:
            break
        given: dict[int, str] = {}
        for col, unit in enumerate(units):
            if unit is None or col >= len(header) or split_header_unit(header[col])[0] not in money:
                continue  # a unit of a rate or count column: nothing to apply
            if unit not in MONEY_UNITS:
                raise LayoutError(both(f"单位行给金额列「{header[col]}」的单位是{unit}",
                                       f"the unit row gives {unit} for the money column"
                                       f" {header[col]!r}"), r, header[col])
            given[col] = unit
        # the row's money units, wherever they stand: a cell merged over several columns (（单位：元） over the
        # whole width) keeps its text in its first, which may be no money column
        row_units = {u for u in units if u in MONEY_UNITS}
        for col, name in enumerate(header):
            base, stated = split_header_unit(name)
            if base not in money:
                continue
            unit = given.get(col)
            if unit is None:
                if stated or not row_units:
                    continue  # its header states its unit, or the row states none
                if len(row_units) > 1:
                    given_units = " and ".join(sorted(row_units))
                    raise LayoutError(both(f"单位行给其他列写了{'、'.join(sorted(row_units))}，金额列「{name}」却没有"
                                           "单位",
                                           f"the unit row gives {given_units} to other columns and none to the money "
                                           f"column {name!r}"), r, name)
                unit = next(iter(row_units))
            if stated and stated != unit:
                raise LayoutError(both(f"表头写的是{stated}，其下的单位行却写{unit}",
                                       f"the header says {stated} but the unit row below it says {unit}"), r, name)
            header[col] = f"{base}（{unit}）"
        taken.append(r)
        r += 1
    return Annex(tuple(taken), header)
