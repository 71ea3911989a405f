"""Staging: map received headers to the contract, type every cell, hold money exactly.

Staging is where "what the file says" becomes "what the warehouse holds". It refuses a
file at the first cell it cannot type and names that cell by file, row and column;
content rules (keys, ranges, reconciliation) belong to :mod:`tasks.quality`.

Money is held as integer 分 (``int64``): exact, and fast to sum.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tasks.domain import FEN_PER_UNIT
from tasks.glossary import both
from tasks.sources.contract import Column, Dataset
from tasks.sources.encoding import CONTROL_PATTERN, NO_CONTROLS, holds_control
from tasks.sources.errors import SourceError
from tasks.sources.raw import RawTable
from tasks.sources.units import split_header_unit

ROW = "_row"
SOURCE = "_source"
ZERO_TOKENS = ("", "—", "-", "－", "——", "–")
# A number whose commas group thousands (1,234,567.89; with a sign, a currency sign or brackets, and a unit
# after it): the only commas an amount may have.
GROUPED = r"^[^\d,]*\d{1,3}(,\d{3})+(\.\d*)?[^\d,]*$"
# A currency sign before an amount, as typed or as a spreadsheet's currency format exports it: ¥ (the
# full-width ￥ reads ¥ under NFKC) or 人民币, after an optional sign or opening bracket.
CURRENCY = r"^([+\-(]?)(?:¥|人民币|RMB)"
MONEY = re.compile(r"^(?P<sign>[+-]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")
TRUE_TOKENS = {"是", "true", "True", "TRUE", "1", "Y", "y"}
FALSE_TOKENS = {"否", "false", "False", "FALSE", "0", "N", "n", ""}


def map_headers(raw: RawTable) -> tuple[dict[str, str], dict[str, str | None]]:
    """Canonical column name for each received header, and each column's declared unit.

    Raises when a required column is missing or two headers claim one column; an unknown
    header becomes a warning on ``raw``.
    """
    dataset = raw.dataset
    lookup = {h.strip(): c.name for c in dataset.columns for h in c.headers}
    mapping: dict[str, str] = {}
    units: dict[str, str | None] = {}
    for header in raw.headers:
        base, unit = split_header_unit(str(header))
        name = lookup.get(base)
        if name is None:
            raw.warnings.append(raw.problem(
                both(f"未知列「{header}」，已忽略", f"unknown column {header!r} is ignored"),
                row=raw.header_row or raw.first_row - 1, column=str(header),
                expected=both("只含数据约定中的列", "only the columns of the data contract"), severity="warning"))
            continue
        if name in mapping.values():
            first = next(h for h, n in mapping.items() if n == name)
            raise SourceError(raw.problem(
                both(f"「{first}」和「{header}」两列都是{dataset.column(name).label}",
                     f"columns {first!r} and {header!r} both give {dataset.column(name).label} ({name})"),
                row=raw.header_row or raw.first_row - 1, column=str(header),
                expected=both("每列只出现一次", "each column once")))
        if unit and raw.unit and unit != raw.unit and dataset.column(name).kind == "money":
            raise SourceError(raw.problem(
                both(f"表头写的是{unit}，单位行（第 {raw.unit_row} 行）写的是{raw.unit}",
                     f"the header says {unit} but the unit line (row {raw.unit_row}) says {raw.unit}"),
                row=raw.header_row or raw.first_row - 1, column=str(header),
                expected=both("表头与单位行的单位一致，或只在一处写单位",
                              "the same unit in the header and the unit line, or the unit in one place only")))
        mapping[str(header)] = name
        units[name] = unit
    for col in dataset.columns:
        if col.required and col.name not in mapping.values():
            raise SourceError(raw.problem(
                both(f"缺少必需的列「{col.label}」", f"required column {col.label} ({col.name}) is missing"),
                row=raw.header_row or raw.first_row - 1, column=col.label,
                expected=both(f"表头为「{col.label}」的一列", f"a column headed {col.label!r} (or {col.name!r})")))
    return mapping, units


class _Cells:
    """Reports the first bad cell of a column, with the count of the others.

    A required column's empty cells (:meth:`require`) are said in the file's order with the column's other faults:
    an empty cell below a malformed one is named after it, not before (an office mends the file from the top)."""

    def __init__(self, raw: RawTable, col: Column, header: str):
        self.raw, self.col, self.header = raw, col, header
        self._empty: tuple[np.ndarray, pa.Array | pa.ChunkedArray, Callable[[str], str], str] | None = None

    @staticmethod
    def _mask(bad: np.ndarray | pa.Array | pa.ChunkedArray) -> np.ndarray:
        if not isinstance(bad, np.ndarray):
            if not pc.any(bad).as_py():
                return np.zeros(len(bad), dtype=bool)
            bad = pc.fill_null(bad, False).to_numpy(zero_copy_only=False)
        return np.asarray(bad, dtype=bool)

    def require(self, empty: np.ndarray | pa.Array | pa.ChunkedArray, values: pa.Array | pa.ChunkedArray,
                message: Callable[[str], str], expected: str) -> None:
        """Note the cells a required column leaves ``empty``: said by the next :meth:`fail` whose first bad cell
        comes after the first empty one, or by :meth:`finish`."""
        mask = self._mask(empty)
        self._empty = (mask, values, message, expected) if mask.any() else None

    def fail(self, bad: np.ndarray | pa.Array | pa.ChunkedArray, values: pa.Array | pa.ChunkedArray,
             message: Callable[[str], str], expected: str) -> None:
        """Raise for the first cell where ``bad`` holds (a null is not bad), or for an empty cell of a required
        column at or above it; ``message`` phrases its value (both languages). The others listed are the column's cells
        that are bad or empty."""
        mask = self._mask(bad)
        if not mask.any():  # this check passed: the empty cells wait for the next one, or for finish
            return
        if self._empty is not None:
            empty, empty_values, empty_message, empty_expected = self._empty
            if int(np.argmax(empty)) <= int(np.argmax(mask)):
                self._raise(empty | mask, empty_values, empty_message, empty_expected)
            mask = mask | empty
        self._raise(mask, values, message, expected)

    def finish(self) -> None:
        """Raise for the first empty cell of a required column, when no other fault of the column was said."""
        if self._empty is not None:
            empty, values, message, expected = self._empty
            self._raise(empty, values, message, expected)

    def _raise(self, bad: np.ndarray, values: pa.Array | pa.ChunkedArray, message: Callable[[str], str],
               expected: str) -> None:
        where = np.flatnonzero(bad)
        first = int(where[0])
        rows = _rows_of(self.raw, where[:LISTED_MORE + 1])
        note = _more_in_column(len(where) - 1, rows[1:])
        raise SourceError(self.raw.problem(
            message(str(values[first].as_py())) + note,
            row=rows[0],
            column=f"{self.header} ({self.col.name})", expected=expected))


# the rows of a column's other bad cells a refusal lists, after the one it names: an office mends them in one go
LISTED_MORE = 10


def _rows_of(raw: RawTable, positions: np.ndarray) -> list[int]:
    """The file's row numbers of cells at ``positions`` of a column (as the office's program shows them)."""
    numbers = raw.row_numbers
    return [int(numbers[i]) if numbers is not None else raw.first_row + int(i) for i in positions]


def _more_in_column(more: int, rows: Sequence[int]) -> str:
    """What a message adds when the column has ``more`` such cells after the one it names, at ``rows`` (the first
    :data:`LISTED_MORE` of them): ``；本列另有 2 处：第 10、20 行（2 more in this column: rows 10, 20）``."""
    if not more:
        return ""
    etc = "等" if more > len(rows) else ""
    return (f"；本列另有 {more} 处：第 {'、'.join(map(str, rows))} 行{etc}（{more} more in this column: rows "
            f"{', '.join(map(str, rows))}{', …' if etc else ''}）")


def _arrow(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow strings: without a copy when pandas already holds it in Arrow (pandas 3)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if pa.types.is_string(values.type) else values.cast(pa.string())
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        arrow = pa.array(values.array)
        if pa.types.is_large_string(arrow.type):
            arrow = arrow.cast(pa.string())  # the kernels below mix it with string scalars; offsets only
        if pa.types.is_string(arrow.type):
            return arrow
    return pa.array(values.astype("str").to_numpy(dtype=object), type=pa.string())


def normalised(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """NFKC, as an IME's full-width forms need: ４５９１２．０９ → 45912.09, （１２．００） → (12.00),
    １，２３４ → 1,234, ２０２２年１月３日 → 2022年1月3日; the minus sign − becomes -. All-ASCII text
    (the common case) is returned as it is, at the cost of one scan."""
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:
        return text
    return pc.replace_substring(pc.utf8_normalize(text, form="NFKC"), "\u2212", "-")


def parse_money(values: pa.Array, unit: str, cells: _Cells, allow_negative: bool) -> np.ndarray:
    """Exact amounts in 分 from decimal text in ``unit``; "—" and blanks are zero.

    Vectorised with Arrow's string kernels: a million amounts parse in well under a second. A column of plain
    amounts (digits, a sign, at most as many decimals as land on a whole 分; blanks) is read by Arrow's exact
    decimal cast in one pass; any other form goes through the patterns below, which name the first bad cell.
    """
    scale_digits = len(str(FEN_PER_UNIT[unit])) - 1  # decimals that still land on a whole 分
    max_digits = 19 - len(str(FEN_PER_UNIT[unit]))  # so that the amount in 分 fits in 64 bits
    trimmed = pc.utf8_trim_whitespace(normalised(_arrow(values)))
    blank = pc.equal(trimmed, "")
    plain = pc.match_substring_regex(trimmed, rf"^[+-]?[0-9]{{1,{max_digits}}}(?:\.[0-9]{{0,{scale_digits}}})?$")
    if pc.all(pc.or_(blank, plain), skip_nulls=False).as_py() is True:  # the common case: exact as a decimal
        amounts = pc.cast(pc.if_else(blank, "0", trimmed), pa.decimal128(max_digits + scale_digits, scale_digits))
        fen = np.asarray(pc.cast(pc.multiply(amounts, pa.scalar(10 ** scale_digits, pa.int64())), pa.int64())
                         .to_numpy(zero_copy_only=False), dtype="int64")
    else:
        fen = _written_fen(trimmed, values, unit, cells, scale_digits, max_digits)
    if not allow_negative:
        cells.fail(fen < 0, values, lambda v: both(f"「{v}」是负数", f"{v!r} is negative"),
                   both("零或正数", "an amount of zero or more"))
    return fen


def _written_fen(trimmed: pa.Array | pa.ChunkedArray, values: pa.Array, unit: str, cells: _Cells, scale_digits: int,
                 max_digits: int) -> np.ndarray:
    """Amounts in 分 from trimmed text in any form an office writes: thousands grouped, a currency sign,
    parentheses for a negative, "—" for zero, the unit written in the cell; raises naming the first cell that
    is none of them."""
    if pc.any(pc.match_substring(trimmed, ",")).as_py():  # a comma must group thousands: 12750,50 is no amount
        grouped = pc.match_substring_regex(trimmed, GROUPED)
        cells.fail(pc.and_(pc.match_substring(trimmed, ","), pc.invert(grouped)).to_numpy(zero_copy_only=False),
                   values, lambda v: both(f"「{v}」不是金额：逗号不是千位分隔",
                                          f"{v!r} is not an amount (its commas do not group thousands)"),
                   both(f"以{unit}计的金额，如 1,234.56 或 1234.56", f"a number in {unit} such as 1,234.56 or 1234.56"))
    text = pc.replace_substring_regex(trimmed, r"[,\s]", "")
    if pc.any(pc.match_substring_regex(text, CURRENCY)).as_py():  # ¥45,912.09, ￥ read NFKC, 人民币1,200.00
        text = pc.replace_substring_regex(text, CURRENCY, r"\1")
    paren = pc.match_substring_regex(text, r"^\(.*\)$")
    text = pc.if_else(paren, pc.binary_join_element_wise("-", pc.utf8_slice_codeunits(text, 1, -1), ""), text)
    text = pc.if_else(pc.is_in(text, value_set=pa.array(ZERO_TOKENS)), "0", text)
    if pc.any(pc.or_(pc.ends_with(text, "元"), pc.ends_with(text, "分"))).as_py():
        units = "|".join(sorted(FEN_PER_UNIT, key=len, reverse=True))
        pattern = rf"^(?P<sign>[+-]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?(?:人民币)?(?P<unit>{units})?$"
        parts = pc.extract_regex(text, pattern)
        cells.fail(pc.is_null(parts).to_numpy(zero_copy_only=False), values,
                   lambda v: both(f"「{v}」不是金额", f"{v!r} is not an amount"),
                   both(f"以{unit}计的金额，如 1234.56", f"a number in {unit} such as 1234.56"))
        written = pc.struct_field(parts, "unit")  # 45912.09元: a unit written in the cell must be the column's
        cells.fail(pc.and_(pc.not_equal(written, ""), pc.not_equal(written, unit)).to_numpy(zero_copy_only=False),
                   values, lambda v: both(f"「{v}」的单位与本列不同", f"{v!r} is not in the column's unit"),
                   both(f"以{unit}计的金额", f"an amount in {unit}"))
    else:  # no cell carries a unit (the common case): the plain pattern is faster
        parts = pc.extract_regex(text, r"^(?P<sign>[+-]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")
        cells.fail(pc.is_null(parts).to_numpy(zero_copy_only=False), values,
                   lambda v: both(f"「{v}」不是金额", f"{v!r} is not an amount"),
                   both(f"以{unit}计的金额，如 1234.56", f"a number in {unit} such as 1234.56"))
    cells.fail(pc.greater(pc.utf8_length(pc.struct_field(parts, "int")), max_digits).to_numpy(zero_copy_only=False),
               values, lambda v: both(f"「{v}」过大", f"{v!r} is too large"),
               both(f"以{unit}计，整数部分至多 {max_digits} 位", f"at most {max_digits} digits before the point in"
                                                       f" {unit}"))
    frac = pc.utf8_rtrim(pc.struct_field(parts, "frac"), characters="0")  # 15724.0300 is 15724.03
    cells.fail(pc.greater(pc.utf8_length(frac), scale_digits).to_numpy(zero_copy_only=False), values,
               lambda v: both(f"「{v}」精确到分以下", f"{v!r} is more precise than 1 分"),
               both(f"以{unit}计，至多 {scale_digits} 位小数", f"at most {scale_digits} decimals in {unit}"))
    whole = pc.cast(pc.struct_field(parts, "int"), pa.int64()).to_numpy()
    frac_fen = (pc.cast(pc.utf8_rpad(frac, width=scale_digits, padding="0"), pa.int64()).to_numpy()
                if scale_digits else np.zeros(len(values), dtype="int64"))
    fen = whole * FEN_PER_UNIT[unit] + frac_fen
    fen = np.where(pc.equal(pc.struct_field(parts, "sign"), "-").to_numpy(zero_copy_only=False), -fen, fen)
    return np.asarray(fen, dtype="int64")


# Year first, so never ambiguous: 2022-01-03, 2022-1-3, 2022/1/3, 2022.01.03, 2022年1月3日, 20220103; a
# time of midnight may follow (a database export's 2022-01-03 00:00:00).
DATE = (r"^(?P<y>\d{4})(?:[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?|(?P<m8>\d{2})(?P<d8>\d{2}))"
        r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
DATE_FORMS = both("年份在前的日期：2022-03-15、2022/3/15、2022.03.15、2022年3月15日或 20220315；03/15/2022 "
                  "这类月或日在前的写法有歧义",
                  "a date written year first: 2022-03-15 (YYYY-MM-DD), 2022/3/15, 2022.03.15, 2022年3月15日 or "
                  "20220315; month-first and day-first forms such as 03/15/2022 are ambiguous")


def _civil_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dates (``datetime64[s]``) from year, month and day numbers, and which of them exist."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1) & (year <= 9999)
    y, m, d = np.where(ok, year, 1970), np.where(ok, month, 1), np.where(ok, day, 1)
    first = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1).astype("timedelta64[M]")
    following = first + np.timedelta64(1, "M")
    dates = first.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    ok &= dates < following.astype("datetime64[D]")  # no 30 February
    return dates.astype("datetime64[s]"), ok


def parse_date(values: pa.Array, cells: _Cells, nullable: bool) -> pa.Array:
    """Dates (``timestamp[s]``, null where blank) from text in any year-first form (:data:`DATE`), full-width
    digits included."""
    text = pc.utf8_trim_whitespace(normalised(_arrow(values)))
    blank = pc.equal(text, "").to_numpy(zero_copy_only=False)
    # Fast path for YYYY-MM-DD: Arrow's strptime, whose day is checked against the text (it would
    # roll 2022-02-30 over to 2 March). Everything else goes through the pattern below.
    iso = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    candidate = pc.and_kleene(pc.is_valid(iso), pc.equal(pc.utf8_length(text), 10))
    day_text = pc.if_else(candidate, pc.utf8_slice_codeunits(text, 8, 10), "0")
    fast = pc.fill_null(pc.and_(candidate, pc.equal(pc.day(pc.fill_null(iso, 0)),
                                                    pc.cast(day_text, pa.int64()))), False)
    fast_np = fast.to_numpy(zero_copy_only=False)
    if fast_np.all():
        return iso
    parts = pc.extract_regex(text, DATE)
    matched = pc.is_valid(parts).to_numpy(zero_copy_only=False)

    def number(name: str, fallback: str | None = None) -> np.ndarray:
        field = pc.fill_null(pc.struct_field(parts, name), "")
        if fallback is not None:
            field = pc.if_else(pc.equal(field, ""), pc.fill_null(pc.struct_field(parts, fallback), ""), field)
        field = pc.if_else(pc.equal(field, ""), "0", field)
        return np.asarray(pc.cast(field, pa.int64()).to_numpy(zero_copy_only=False), dtype="int64")

    dates, exists = _civil_dates(number("y"), number("m", "m8"), number("d", "d8"))
    valid = matched & exists
    parsed = pa.array(dates, type=pa.timestamp("s"), mask=~valid)
    if not nullable:
        cells.require(blank, values, lambda v: both("日期为空", "the date is empty"),
                      both("日期，如 2022-03-15", "a date such as 2022-03-15"))
    bad = ~valid & ~blank
    if bad.any():  # the first bad cell named, with the count of the others, whichever way each is bad
        if matched[int(np.argmax(bad))]:  # its form is right, its day is not in the calendar (30 February)
            cells.fail(bad, values, lambda v: both(f"「{v}」不是日历上存在的日期", f"{v!r} is no day of the calendar"),
                       both("日历上存在的日期，如 2022-02-28", "a day of the calendar such as 2022-02-28"))
        cells.fail(bad, values,
                   lambda v: both(f"「{v}」不是可识别的日期", f"{v!r} is not a date in a known format"), DATE_FORMS)
    return parsed


# A 指标值 as people type its comparison: 不低于95%, 95%以上, 不高于20分钟, 控制在5%以内. Each is written back as
# the sign it means (≥95%, ≤20分钟), which the targets' rules and scoring read; a sign that contradicts the
# 指标性质 is then PRF-002's, as for ≥ typed as a symbol. Longer words first (不低于 before 低于).
_AT_LEAST_BEFORE = ("大于或等于", "大于等于", "不低于", "不少于", "不小于", "不下于", "至少", "最少", "最低", "≥", "≧",
                    ">=")
_ABOVE_BEFORE = ("大于", "高于", "超过", "多于", "优于", ">")
_AT_MOST_BEFORE = ("小于或等于", "小于等于", "不高于", "不超过", "不多于", "不大于", "至多", "最多", "最高", "控制在",
                   "控制于", "≤", "≦", "<=")
_BELOW_BEFORE = ("小于", "低于", "少于", "<")
_EQUAL_BEFORE = ("等于", "=")
_AT_LEAST_AFTER = ("及以上", "(含)以上", "以上")
_AT_MOST_AFTER = ("及以下", "(含)以下", "以下", "以内", "之内")
_NUMBER_AND_UNIT = re.compile(r"^[+-]?[0-9][0-9,]*(?:\.[0-9]+)?%?[^0-9]{0,6}$")


def comparison(text: str) -> str:
    """``text`` (NFKC) with a comparison written in words put as its sign: "不低于95%" and "95%以上" are "≥95%",
    "不高于20分钟" is "≤20分钟", "控制在5%以内" is "≤5%". Text that is not a number with words around it,
    or whose words say two things ("不低于95%以下"), is returned as it is."""
    rest = text.strip()
    signs: list[str] = []
    before: tuple[tuple[tuple[str, ...], str], ...] = (
        (_AT_LEAST_BEFORE, "≥"), (_AT_MOST_BEFORE, "≤"), (_ABOVE_BEFORE, ">"), (_BELOW_BEFORE, "<"),
        (_EQUAL_BEFORE, "="))
    for words, sign in before:
        found = next((w for w in words if rest.startswith(w)), None)
        if found:
            rest, signs = rest[len(found):].strip(), [*signs, sign]
            break
    after: tuple[tuple[tuple[str, ...], str], ...] = ((_AT_LEAST_AFTER, "≥"), (_AT_MOST_AFTER, "≤"))
    for words, sign in after:
        found = next((w for w in words if rest.endswith(w)), None)
        if found:
            rest, signs = rest[: -len(found)].strip(), [*signs, sign]
            break
    if not signs or not _NUMBER_AND_UNIT.match(rest) or (len(signs) == 1 and text.strip()[0] in "≥≧≤≦<>="):
        return text  # no words, or a sign typed as a symbol alone (PRF-002 reads those as written)
    meaning = {"≥": "≥", ">": "≥", "≤": "≤", "<": "≤", "=": "="}
    if len({meaning[s] for s in signs}) > 1 or (len(signs) > 1 and signs[0] in "><"):
        return text  # 不低于95%以下, 高于95%以上: two things at once, refused by PRF-002 as written
    return signs[0] + rest


def _not_valid(label: str) -> Callable[[str], str]:
    return lambda v: both(f"「{v}」不是有效的{label}", f"{v!r} is not a valid {label}")


# What a value of each kind of column is, in the words of the expected text of an empty cell.
KIND_WORDS = {"money": "金额", "integer": "整数", "year": "年份", "decimal": "数字", "date": "日期", "bool": "是或否",
              "enum": "可选值之一", "code": "编码", "text": "文字", "uscc": "统一社会信用代码"}


# The Arrow type each kind of column is staged as (text otherwise).
ARROW_TYPES = {"money": pa.int64(), "integer": pa.int64(), "year": pa.int64(), "decimal": pa.float64(),
               "bool": pa.bool_(), "date": pa.timestamp("s")}
SOURCE_TYPE = pa.dictionary(pa.int32(), pa.string())  # a part's file, once per part rather than once per row
# Numbers as pandas' to_numeric reads them (1, -2.5, .5, 1e3); integers of up to 18 digits are cast exactly,
# and a longer run of digits is refused rather than rounded through a float.
NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
WHOLE = r"^[+-]?\d{1,18}$"
LONG_DIGITS = r"^[+-]?\d{19,}$"
INT64_BOUND = 2.0 ** 63


def contract_schema(dataset: Dataset) -> pa.Schema:
    """The Arrow schema of a staged ``dataset``: its contract columns, ``_row`` and ``_source``, whatever a
    file held (an optional column a file lacks is all null). A field is nullable where the contract lets the
    value be absent, so that :func:`frame_of` knows an integer column with gaps (pandas ``Int64``)."""
    fields = [pa.field(c.name, ARROW_TYPES.get(c.kind, pa.string()),
                       nullable=c.nullable or c.kind not in ("integer", "year", "money"))
              for c in dataset.columns]
    return pa.schema([*fields, pa.field(ROW, pa.int64(), nullable=False), pa.field(SOURCE, SOURCE_TYPE)])


def stage_empty(dataset: Dataset) -> pd.DataFrame:
    """A staged frame with no rows but the right types, for a source with nothing usable."""
    return frame_of(contract_schema(dataset).empty_table())


def pandas_dtype(field: pa.Field) -> str:
    """The pandas dtype a staged field is held in: an integer that may be null ``Int64``, text (the file's
    name in ``_source`` too) ``str``."""
    kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    if pa.types.is_integer(kind):
        return "Int64" if field.nullable else "int64"
    if pa.types.is_timestamp(kind):
        return "datetime64[s]"
    if pa.types.is_floating(kind):
        return "float64"
    if pa.types.is_boolean(kind):
        return "bool"
    return "str"


def contract_dtypes(dataset: Dataset) -> dict[str, str]:
    """The pandas dtype of each column of a staged ``dataset`` (contract columns, ``_row``, ``_source``)
    whatever a file held: :func:`contract_schema` as pandas holds it (:func:`pandas_dtype`). Parts of one
    dataset conformed to these can be stacked part by part."""
    return {f.name: pandas_dtype(f) for f in contract_schema(dataset)}


def frame_of(table: pa.Table, schema: pa.Schema | None = None) -> pd.DataFrame:
    """A staged table (:func:`stage_table`) as a pandas frame with the dtypes of :func:`contract_dtypes`:
    an integer field that may be null is ``Int64``, ``_source`` is text. ``schema`` (the dataset's
    :func:`contract_schema`) is cast to first, for a table that lost it on its way (through DuckDB)."""
    fields = schema or table.schema
    columns: dict[str, object] = {}
    for field in fields:
        column = table.column(field.name)
        if pa.types.is_dictionary(field.type):
            field = field.with_type(field.type.value_type)
        if column.type != field.type:
            column = column.cast(field.type)
        dtype = pandas_dtype(field)
        if dtype == "Int64":
            columns[field.name] = pd.array(column.to_pylist() if column.null_count else column.to_numpy(),
                                           dtype="Int64")
        elif dtype == "datetime64[s]":
            columns[field.name] = column.to_numpy().astype("datetime64[s]")
        elif dtype == "str":
            columns[field.name] = pd.Series(column, dtype="str") if len(column) else pd.Series(dtype="str")
        else:
            columns[field.name] = column.to_numpy()
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def conform(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``frame`` with the dtypes of :func:`contract_dtypes`; columns already of that dtype are not copied."""
    dtypes = contract_dtypes(dataset)
    return pd.DataFrame({c: frame[c] if str(frame[c].dtype) == t else frame[c].astype(t)
                         for c, t in dtypes.items()}, index=frame.index)


def _texts(raw: RawTable, header: str) -> pa.Array:
    """A received column as one Arrow string array, an absent cell as empty text (as a CSV holds it)."""
    frame = raw.frame
    if isinstance(frame, pa.Table):
        column = frame.column(header)
    else:  # a label that is not text (a year read as a number) is named as text
        label = next(c for c in frame.columns if str(c) == header)
        column = _arrow(frame[label].astype("str"))
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    return pc.fill_null(column, "") if column.null_count else column


def refuse_controls(raw: RawTable) -> None:
    """Refuse a table any of whose cells holds a control character (:data:`CONTROL_PATTERN`: C0 but tab and
    line breaks, and DEL), naming the first such cell by row and column; every column is looked at, the
    contract's or not."""
    if raw.controls_checked:
        return
    for header in raw.headers:
        values = _texts(raw, header)
        bad = pc.fill_null(pc.match_substring_regex(values, CONTROL_PATTERN), False).to_numpy(zero_copy_only=False)
        if not bad.any():
            continue
        where = np.flatnonzero(bad)
        first = int(where[0])
        char = next(c for c in str(values[first].as_py()) if re.match(CONTROL_PATTERN, c))
        rows = _rows_of(raw, where[:LISTED_MORE + 1])
        raise SourceError(raw.problem(
            holds_control(char) + _more_in_column(len(where) - 1, rows[1:]), row=rows[0], column=str(header),
            expected=NO_CONTROLS))
    raw.controls_checked = True


def _distinct_headers(raw: RawTable) -> None:
    """Two columns under one header: refused when the header is a contract column's (which holds the figure? a hidden
    second 协议投资额 held an old value), naming both; another header's later columns renamed ``备注（第 9 列）`` (an
    unknown column is ignored with a warning either way). A workbook's two 支付金额 columns ended the whole run in a
    traceback, every department's."""
    headers = raw.headers
    if len(set(headers)) == len(headers):
        return
    dataset = raw.dataset
    lookup = {h.strip(): c.name for c in dataset.columns for h in c.headers}
    first: dict[str, int] = {}
    named: list[str] = []
    for i, header in enumerate(headers):
        if header in first:
            name = lookup.get(split_header_unit(header)[0]) or lookup.get(header.strip())
            if name is not None:  # map_headers' words, and where the two columns are
                label = dataset.column(name).label
                raise SourceError(raw.problem(
                    both(f"「{header}」和「{header}」两列都是{label}（第 {first[header] + 1} 列和第 {i + 1} 列，"
                         "或有一列隐藏）：不知道哪一列是要用的数",
                         f"columns {header!r} and {header!r} both give {label} ({name}) (columns {first[header] + 1} "
                         f"and {i + 1}, perhaps one hidden): which one holds the figure is not for selfeval to guess"),
                    row=raw.header_row or raw.first_row - 1, column=header,
                    expected=both("每列只出现一次（删除或改名多余的一列）",
                                  "each column once (the other removed or renamed)")))
            named.append(f"{header}（第 {i + 1} 列）")
            continue
        first[header] = i
        named.append(header)
    if isinstance(raw.frame, pa.Table):
        raw.frame = raw.frame.rename_columns(named)
    else:
        raw.frame = raw.frame.set_axis(named, axis=1)


def _nulls_where(blank: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` with a null where ``blank`` holds."""
    if not pc.any(blank).as_py():
        return values
    return pc.if_else(blank, pa.scalar(None, values.type), values)


def _typed(raw: RawTable, col: Column, header: str, unit: str) -> pa.Array:
    """One received column typed as ``col`` says (see :data:`ARROW_TYPES`); raises :class:`SourceError` at
    the first cell that cannot be, or that a required column leaves empty."""
    cells = _Cells(raw, col, header)
    typed = _typed_cells(raw, col, header, unit, cells)
    cells.finish()
    return typed


def _typed_cells(raw: RawTable, col: Column, header: str, unit: str, cells: _Cells) -> pa.Array:
    values = _texts(raw, header)
    if col.kind in ("code", "integer", "year", "decimal", "uscc") or col.nfkc:
        values = normalised(values)  # full-width digits and letters, as an IME types them
    if col.comparison:
        values = pa.array([comparison(v) for v in values.to_pylist()], type=pa.string())
    if col.kind == "money":
        fen = parse_money(values, unit, cells, col.allow_negative)
        # an optional amount left empty is not given (年初预算数), unlike a required one's "—" (zero)
        return pa.array(fen, mask=pc.equal(pc.utf8_trim_whitespace(values), "").to_numpy(zero_copy_only=False)
                        if col.nullable else None)
    if col.kind == "date":
        return parse_date(values, cells, col.nullable)
    stripped = pc.utf8_trim_whitespace(values)
    blank = pc.equal(stripped, "")
    filled = pc.invert(blank)
    if not col.nullable:
        cells.require(blank, values, lambda v: both("值为空", "the value is empty"),
                      both(f"{KIND_WORDS.get(col.kind, col.kind)}", f"a {col.kind} value"))
    if col.kind in ("integer", "year"):
        unsigned = pc.replace_substring_regex(stripped, r"^\+", "")  # +2022 is 2022; Arrow's cast refuses the +
        exact = pc.match_substring_regex(unsigned, WHOLE)
        if pc.all(pc.or_(exact, blank)).as_py():  # the common case: whole numbers as digits
            number = pc.cast(pc.if_else(exact, unsigned, "0"), pa.int64())
            whole = exact
        else:  # 2022.0 or 1e3, as pandas' to_numeric would read them; nothing beyond 64 bits, nothing rounded
            numeric = pc.and_(pc.match_substring_regex(unsigned, NUMBER),
                              pc.invert(pc.match_substring_regex(unsigned, LONG_DIGITS)))
            real = pc.cast(pc.if_else(numeric, unsigned, "0"), pa.float64())
            whole = pc.and_(numeric, pc.and_(pc.equal(real, pc.floor(real)), pc.less(pc.abs(real), INT64_BOUND)))
            number = pc.cast(pc.if_else(whole, real, 0.0), pa.int64())
        cells.fail(pc.and_(filled, pc.invert(whole)), values,
                   lambda v: both(f"「{v}」不是整数", f"{v!r} is not a whole number"),
                   both("年份，如 2022", "a year such as 2022") if col.kind == "year"
                   else both("整数", "a whole number"))
        if col.kind == "year":
            cells.fail(pc.and_(filled, pc.or_(pc.less(number, 1949), pc.greater(number, 2100))), values,
                       lambda v: both(f"「{v}」不是合理的年份", f"{v!r} is not a plausible year"),
                       both("1949 至 2100 之间的年份", "a year between 1949 and 2100"))
        return _nulls_where(blank, number)
    if col.kind == "decimal":
        text = pc.replace_substring(stripped, ",", "")
        numeric = pc.match_substring_regex(text, NUMBER)
        real = pc.cast(pc.if_else(numeric, text, "0"), pa.float64())
        numeric = pc.and_(numeric, pc.is_finite(real))  # 1E400 is no figure either
        cells.fail(pc.and_(filled, pc.invert(numeric)), values,
                   lambda v: both(f"「{v}」不是数字", f"{v!r} is not a number"), both("数字", "a number"))
        return _nulls_where(blank, real)
    if col.kind == "bool":
        known = pc.is_in(stripped, value_set=pa.array(sorted(TRUE_TOKENS | FALSE_TOKENS)))
        cells.fail(pc.invert(known), values, lambda v: both(f"「{v}」不是“是”或“否”", f"{v!r} is not yes or no"),
                   both("是或否", "是 or 否"))
        return pc.is_in(stripped, value_set=pa.array(sorted(TRUE_TOKENS)))
    if col.kind == "enum":
        cells.fail(pc.and_(filled, pc.invert(pc.is_in(stripped, value_set=pa.array(list(col.choices))))), values,
                   lambda v: both(f"「{v}」不是可选值", f"{v!r} is not a known value"),
                   both("以下之一：" + " / ".join(col.choices), "one of " + " / ".join(col.choices)))
        return _nulls_where(blank, stripped)
    if col.kind == "uscc":
        return _nulls_where(blank, pc.utf8_upper(stripped))
    if col.pattern:  # text and code
        cells.fail(pc.and_(filled, pc.invert(pc.match_substring_regex(stripped, f"^(?:{col.pattern})$"))), values,
                   _not_valid(col.label), both("字母、数字、“-”“_”或“.”，至多 64 个字符",
                                               "letters, digits, '-', '_' or '.', at most 64 characters"))
    if col.max_length is not None:
        cells.fail(pc.and_(filled, pc.greater(pc.utf8_length(stripped), col.max_length)), values,
                   lambda v: both(f"值长 {len(v.strip())} 个字符", f"the value is {len(v.strip())} characters long"),
                   both(f"至多 {col.max_length} 个字符", f"at most {col.max_length} characters"))
    return _nulls_where(blank, stripped)


def stage_table(raw: RawTable, release: bool = False) -> pa.Table:
    """``raw`` typed, as an Arrow table of :func:`contract_schema` (canonical columns plus ``_row`` and
    ``_source``): what extraction hands to the run database, with no pandas on the way. Raises
    :class:`SourceError` naming the file, row and column of the first cell that cannot be typed, or that
    holds a control character.

    ``release``: each text column is dropped from ``raw`` once it is typed (an Arrow table's; a pandas frame is
    left as it is), so that a ledger's text and its typed columns are never held whole at once. ``raw.frame``
    then keeps only the columns the contract does not read."""
    dataset = raw.dataset
    _distinct_headers(raw)
    refuse_controls(raw)
    mapping, units = map_headers(raw)
    by_name = {v: k for k, v in mapping.items()}
    rows = raw.rows
    schema = contract_schema(dataset)
    arrays: list[pa.Array] = []
    for col in dataset.columns:
        header = by_name.get(col.name)
        target = schema.field(col.name).type
        if header is None:  # an optional column the file lacks: not given (a flag not given is no)
            arrays.append(pa.array(np.zeros(rows, dtype=bool)) if col.kind == "bool" else pa.nulls(rows, type=target))
            continue
        unit = units.get(col.name) or raw.unit or dataset.unit
        arrays.append(_typed(raw, col, header, unit).cast(target))
        if release and isinstance(raw.frame, pa.Table):
            raw.frame = raw.frame.drop_columns([header])
    arrays.append(pa.array(np.asarray(raw.row_numbers, dtype="int64") if raw.row_numbers is not None
                           else np.arange(raw.first_row, raw.first_row + rows, dtype="int64")))
    arrays.append(pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype="int32")), pa.array([raw.uri])))
    return pa.Table.from_arrays(arrays, schema=schema)


def stage(raw: RawTable) -> pd.DataFrame:
    """:func:`stage_table` as a pandas frame with the dtypes of :func:`contract_dtypes`."""
    return frame_of(stage_table(raw))
