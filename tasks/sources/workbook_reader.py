"""Workbooks as offices export them: XLSX, Excel 97-2003 .xls, WPS .et, .xlsm, .xlsb and .ods.

calamine reads every one of these forms (it tells them by content, not by name). The sheet read is
the one named in configuration (``SELFEVAL_SHEETS``), else the first *visible* worksheet whose first
rows hold the contract's header: a hidden 下拉列表 sheet of drop-down values is passed over.

What such a sheet has, and what this reader does with it:
- title rows above the header, and a ``单位：元`` / ``单位：万元`` line: skipped, the unit kept;
- merged header cells over two header rows: a column's name is its lowest header cell that is
  not empty (a merged cell's text sits in its top-left cell only);
- a 合计 / 总计 / 小计 row inside the table (its label in the first non-empty cell, spaced or with a
  colon): taken out of the records, and a 合计 / 总计 checked against the rows above it (or below it,
  when it stands above them all), so that a sheet whose total disagrees with its rows is refused;
- "—" or an empty cell for zero, thousands separators: handled by staging like CSV;
- a formula's binary noise: a money cell within FEN_TOLERANCE of a whole 分 is that 分
  (``=SUM(...)`` giving 121032699.55000001, ``=B2/10000`` giving 12103.341199999997, ``=G3-H3``
  giving 0.009999999776482582); a value really more precise than 1 分 is still refused by staging,
  shown at Excel's 15 significant digits, as other numbers are read;
- a note below the table (注：…, 说明：…, 填表人…): ignored.
Rows keep their Excel row numbers, and messages name the sheet, so errors point at the cell the
operator sees.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from tasks.domain import FEN_PER_UNIT
from tasks.glossary import both
from tasks.sources.contract import Dataset
from tasks.sources.csv_reader import looks_like_html
from tasks.sources.encoding import CONTROL_PATTERN, NO_CONTROLS, holds_control
from tasks.sources.errors import Problem, SourceError
from tasks.sources.layout import (
    HEADER_BAND,
    HEADER_SCAN_LINES,
    LayoutError,
    find_header,
    header_annex,
    header_band,
    header_names,
    is_column_numbers,
    is_unnamed_column,
    known_headers,
    unit_cells,
    unit_line,
    unnamed_column,
)
from tasks.sources.raw import RawTable, sha256_bytes
from tasks.sources.staging import ZERO_TOKENS
from tasks.sources.units import normalise, split_header_unit

CONTROL = re.compile(CONTROL_PATTERN)
TOTAL_WORDS = ("合计", "总计", "小计")
GRAND_TOTALS = ("合计", "总计")  # checked against the rows above; a 小计 covers a group we cannot see
# What starts a note or a signature line below a table (full-width colons read NFKC): 注：, 注1：, 说明, 备注,
# 附注, 数据来源, 资料来源, 填表人, 填报人, 制表人, 填表日期, 制表日期, 审核人, 单位负责人, 财务负责人 ….
FOOTER = re.compile(r"^\s*(注\s*\d*|说明|备注|附注|数据来源|资料来源|填表人|填报人|填表日期|填报日期|制表人?|制表日期"
                    r"|审核人?|审核日期|单位负责人|财务负责人|部门负责人|负责人|经办人|联系电话)\s*[:：\s]")


def cell_text(value: Any) -> str:
    """A cell as the text a CSV export would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Excel keeps and shows 15 significant digits; the rest is the binary noise of a formula.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _base(header: str) -> str:
    return split_header_unit(header)[0]


def _money(text: str, unit: str) -> Decimal | None:
    t = re.sub(r"^([+\-(]?)(?:¥|人民币|RMB)", r"\1", normalise(text).replace(",", "").replace("，", "").strip())
    if t in ZERO_TOKENS:
        return Decimal(0)
    if t.startswith("(") and t.endswith(")"):
        t = "-" + t[1:-1]
    try:
        return Decimal(t) * FEN_PER_UNIT[unit]
    except InvalidOperation:
        return None


def _missing_required(rows: list[list[str]], at: int, dataset: Dataset) -> int:
    """How many required contract columns the header at ``at`` (and the two rows below) does not name."""
    named = {_base(c) for r in rows[at: at + HEADER_BAND] for c in r}
    return sum(1 for c in dataset.columns if c.required and not (set(c.headers) & named))


Merged = list[tuple[tuple[int, int], tuple[int, int]]]


def _sheet_rows(book: Any, name: str) -> tuple[list[list[str]], list[list[Any]], Merged]:
    """The sheet's cells as text (as a CSV export would have them), as calamine gave them, and its merged
    ranges ((first row, first column), (last row, last column)), 0-based like the rows."""
    sheet = book.get_sheet_by_name(name)
    values = sheet.to_python(skip_empty_area=False)
    try:
        merged = list(sheet.merged_cell_ranges or [])
    except Exception:  # a form whose merges calamine does not read
        merged = []
    return [[v if type(v) is str else cell_text(v) for v in r] for r in values], values, merged


def _has_records(rows: list[list[str]], first: int, dataset: Dataset) -> bool:
    """Whether a sheet holds records under its header at ``first``: a row past the header band with two
    or more cells filled that is not a note."""
    last = header_band(rows, first, known_headers(dataset))
    for row in rows[last + 1:]:
        texts = [c for c in row if c and c.strip()]
        if FOOTER.match(texts[0] if texts else ""):
            return False
        if (len(texts) >= 2 and not is_column_numbers(row) and unit_cells(row) is None
                and _total_word(texts[0]) not in TOTAL_WORDS):
            return True  # a 合计 row alone (a blank template's) is no record
    return False


def _uncached_formula(data: bytes, sheet: str, cells: set[tuple[int, int]]) -> tuple[int, int, str] | None:
    """The first of ``cells`` (0-based row and column: cells calamine read as empty) that holds a formula whose result
    the file does not store, with the formula; None when there is none.

    Excel and WPS store each formula's result when they save; a workbook written by a program (openpyxl, a web
    system's export) may hold the formula alone, and calamine reads such a cell as empty, which a money column takes
    for zero (a 年末结转和结余 of ``=G2-H2`` read 0.00 and agreed with a 决算总表 of the same kind). A formula whose
    stored result is empty text (``=IF(G2>1000,G2,"")``, saved as ``t="str"`` and ``<v></v>``) is a blank, as Excel
    shows it.

    Read from the sheet's XML with the standard library's parser: a cell with ``<f>`` and no ``<v>``, or an empty one
    that is not text (openpyxl writes ``<v></v>`` for a formula it did not compute). openpyxl's own reader gives None
    for all three (and trusts the sheet's ``<dimension>``, which a program may write wrong). Only the XLSX family, and
    only rows up to the last of ``cells``: an .xls (WPS's .et) stores every formula's result, and an ODS is not looked
    at."""
    if not cells or not data.startswith(b"PK\x03\x04"):
        return None
    import zipfile
    from xml.etree import ElementTree

    last = max(r for r, _ in cells)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            part = _sheet_part(book, sheet)
            if part is None or not _has_formulas(book, part):
                return None
            with book.open(part) as xml:
                row, col = -1, -1
                for event, element in ElementTree.iterparse(xml, events=("start", "end")):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if event == "start" and tag == "row":
                        given = element.get("r")
                        row, col = (int(given) - 1 if given else row + 1), -1
                        if row > last:
                            return None
                    elif event == "end" and tag == "c":
                        ref = element.get("r")
                        col = _column_index(ref) if ref else col + 1
                        if (row, col) in cells:
                            parts = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                            stored = parts.get("v")
                            empty = stored is None or (not stored.text and element.get("t") != "str")
                            if "f" in parts and empty:  # no result, or an empty one that is no text (openpyxl's)
                                text = parts["f"].text
                                return row, col, f"={text}" if text else "（共享公式，见写出该公式的首个单元格）"
                        element.clear()
                    elif event == "end" and tag == "row":
                        element.clear()  # the sheet is not held whole
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, ValueError):
        return None
    return None


_HIDDEN = rb"""\bhidden\s*=\s*["'](?:1|true)["']"""  # a row's attribute: hidden by hand, or by a filter
_HIDDEN_ATTRIBUTE = re.compile(_HIDDEN)
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*" + _HIDDEN)
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")


def _hidden_rows(data: bytes, sheet: str) -> set[int]:
    """The 0-based rows of an XLSX-family sheet that are hidden (by hand, or by a filter): ``<row hidden="1">``. One
    search of the sheet's XML first, the row tags read only when one is hidden; calamine reads hidden rows as any
    other, so a record the office cannot see counted unsaid (a 已终止 project: 协议投资金额 7.2 亿 for the 4.2 shown).
    An .xls, an .et and an ODS are not looked at."""
    if not data.startswith(b"PK\x03\x04"):
        return set()
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            part = _sheet_part(book, sheet)
            xml = book.read(part) if part is not None else b""
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError):
        return set()
    if not _HIDDEN_ROW.search(xml):
        return set()
    hidden: set[int] = set()
    row = -1
    for tag in _ROW_TAG.finditer(xml):
        number = _ROW_NUMBER.search(tag.group(1))
        row = int(number.group(1)) - 1 if number else row + 1
        if _HIDDEN_ATTRIBUTE.search(tag.group(1)):
            hidden.add(row)
    return hidden


def _sheet_part(book: Any, sheet: str) -> str | None:
    """The zip member holding worksheet ``sheet``: ``xl/workbook.xml`` names it, its relationships give the part."""
    import posixpath
    from xml.etree import ElementTree

    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rid = next((value for element in workbook.iter() if element.tag.endswith("}sheet") and element.get("name") == sheet
                for key, value in element.attrib.items() if key.endswith("}id")), None)
    if rid is None:
        return None
    for element in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels")):
        if element.get("Id") == rid:
            target = str(element.get("Target"))
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def _column_index(ref: str) -> int:
    """The 0-based column of a cell reference: ``J2`` → 9, ``AA10`` → 26."""
    col = 0
    for ch in ref:
        if not ch.isalpha():
            break
        col = col * 26 + ord(ch.upper()) - 64
    return col - 1


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")  # a cell's formula element, <f>, <f t="shared" …/>, <x:f> (OpenXML SDK)


def _has_formulas(book: Any, part: str) -> bool:
    """Whether the sheet's XML (zip member ``part``) holds a formula: read in slices, so that a large export with
    empty cells and no formula (the common case) is not parsed, and nothing as large as the sheet is held."""
    tail = b""
    with book.open(part) as xml:
        while chunk := xml.read(1 << 20):
            if _FORMULA.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _record_below(rows: list[list[str]], start: int, required: list[int]) -> int | None:
    """The first row from ``start`` that reads as a record of the table, not as a note or a signature line: two
    or more cells filled, none of them a note's label (``填表人：…``), not column numbers, a unit row or a 合计 row,
    and more than half of the columns the contract requires (``required``: their positions) filled (a record may
    leave an amount empty: zero). None when there is none (the notes end the sheet). A signature line
    (``分管领导：张三 | 科室负责人：李四``, ``单位（盖章） | 2023年1月15日``) fills a few cells, not a record's."""
    for i in range(start, len(rows)):
        row = rows[i]
        texts = [c.strip() for c in row if c and c.strip()]
        filled = sum(1 for c in required if c < len(row) and row[c] and row[c].strip())
        if (len(texts) >= 2 and 2 * filled > len(required) and not any(FOOTER.match(t) for t in texts)
                and not is_column_numbers(row) and unit_cells(row) is None
                and _total_word(texts[0]) not in TOTAL_WORDS):
            return i
    return None


def _column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unmerge(rows: list[list[str]], values: list[list[Any]], merged: Merged, start: int, header: list[str],
             dataset: Dataset) -> None:
    """Give every cell of a merged range in the data area (rows from ``start``) its range's value, as the
    sheet shows it: a 项目名称 merged over three budget lines names each of them. An amount cannot be given
    to several cells, so a money column's merged range that holds one is refused, saying "merged"."""
    money = {h.strip() for c in dataset.columns if c.kind == "money" for h in c.headers}
    for (r1, c1), (r2, c2) in merged:
        if r1 < start or r1 >= len(rows) or (r1 == r2 and c1 == c2):
            continue
        text, value = rows[r1][c1] if c1 < len(rows[r1]) else "", values[r1][c1] if c1 < len(values[r1]) else ""
        amounts = [c for c in range(c1, c2 + 1) if c < len(header) and _base(header[c]) in money]
        # an amount shared by several cells is refused, however it is written (1,234.00元, 23500万元); a note or a
        # 合计 label merged over the width is no amount
        label = next((t for t in (text.strip(),) if t), "")
        if (amounts and label not in ZERO_TOKENS and re.search(r"\d", normalise(label))
                and not FOOTER.match(label) and _total_word(label) not in TOTAL_WORDS):
            where = f"{_column_letter(c1)}{r1 + 1}:{_column_letter(c2)}{r2 + 1}"
            raise LayoutError(both(f"单元格 {where} 已合并，其中是金额 {text}；金额不能由"
                                   f"多{'行' if r2 > r1 else '列'}共用"
                                   "（请取消合并，每行各填金额）",
                                   f"the cells {where} are merged and hold the amount {text}; an amount cannot be "
                                   f"shared between {'rows' if r2 > r1 else 'columns'} (unmerge them and give each "
                                   "row its own amount)"), r1, header[amounts[0]],
                              expected=both("每行各填其金额，金额单元格不合并",
                                            "each row its own amount, no merged amount cells"))
        for r in range(r1, min(r2, len(rows) - 1) + 1):
            for c in range(c1, c2 + 1):
                if c < len(rows[r]) and (r, c) != (r1, c1):
                    rows[r][c], values[r][c] = text, value


# A number in a money column within this many 分 of a whole 分 is that 分: binary noise of a formula
# (=A1-B1 giving 0.009999999776482582, =B2/10000 giving 12103.341199999997) is far below it, a
# real third decimal of a 元 amount (57521.585) far above it.
FEN_TOLERANCE = 1e-3


def _snapped(value: Any, unit: str) -> str | None:
    """A float money cell as the exact amount it stands for, when it is within FEN_TOLERANCE of a 分."""
    if type(value) is not float or value != value or value in (float("inf"), float("-inf")):
        return None
    scale = FEN_PER_UNIT[unit]
    fen = value * scale
    whole = round(fen)
    if abs(fen - whole) > FEN_TOLERANCE:
        return None
    return _plain_amount(whole, unit)


def _percent_columns(header: list[str], dataset: Dataset) -> list[int]:
    """Positions of the header's columns whose contract column reads percent cells as shown."""
    wanted = {h for c in dataset.columns if c.percent_cells for h in c.headers}
    return [i for i, h in enumerate(header) if _base(h) in wanted or h in wanted]


def _percent_cells(data: bytes, sheet: str, columns: list[int], rows: range,
                   values: list[list[Any]]) -> dict[int, list[int]]:
    """Which number cells of ``columns`` are formatted as a percentage: row index → column indexes.

    calamine gives a cell's value (0.95), not its number format (``0%``, which shows it as 95%). The
    format is read from the file itself: openpyxl for the XLSX family, xlrd for Excel 97-2003 (.xls,
    WPS .et). Only number cells of the few columns that ask for it are looked at, so a large sheet
    costs nothing. ODS and XLSB formats are not read (their cells keep their value).
    """
    wanted = {(i, c) for i in rows for c in columns
              if i < len(values) and c < len(values[i]) and type(values[i][c]) in (float, int)}
    if not wanted:
        return {}
    found: dict[int, list[int]] = {}
    if data.startswith(b"PK\x03\x04"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # an ODS or XLSB: zip files openpyxl does not read
            return {}
        try:
            for i, cells in enumerate(book[sheet].iter_rows()):
                for cell in cells:
                    col = getattr(cell, "column", None)
                    if col is not None and (i, col - 1) in wanted and "%" in str(cell.number_format):
                        found.setdefault(i, []).append(col - 1)
        finally:
            book.close()
    else:
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        except Exception:  # not an .xls xlrd can read (XLSB): keep the values
            return {}
        table = book.sheet_by_name(sheet)
        for i, col in sorted(wanted):
            if i < table.nrows and col < table.ncols:
                xf = book.xf_list[table.cell_xf_index(i, col)]
                if "%" in book.format_map[xf.format_key].format_str:
                    found.setdefault(i, []).append(col)
    return found


def _percent_text(value: Any) -> str:
    """0.955 → "95.5%": the value as a percentage, at Excel's 15 significant digits (not the format's
    rounding, which would turn 95.5% shown as ``0%`` into 96%)."""
    hundredths = Decimal(format(float(value), ".15g")) * 100
    text = format(hundredths.normalize(), "f")
    return f"{text}%"


def _total_word(text: str) -> str:
    """A cell's text as a total label would be compared: no spaces of any width, no colon."""
    return re.sub(r"\s+", "", normalise(text)).rstrip(":")


def read_workbook(data: bytes, uri: str, dataset: Dataset, sheet: str | None = None) -> RawTable:
    """Read a workbook's contract sheet into a :class:`RawTable`.

    ``sheet`` names the sheet to read; without it, the first visible worksheet whose first
    ``HEADER_SCAN_LINES`` rows hold a header naming the contract's columns. Raises
    :class:`SourceError` naming the file, the sheet, the row and what was expected.
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    def fail(message: str, row: int | None = None, expected: str | None = None,
             in_sheet: str | None = None) -> SourceError:
        return SourceError(Problem(dataset.source, uri, message, row=row, expected=expected, sheet=in_sheet))

    if not data:
        raise fail(both("文件是空的", "the file is empty"),
                   expected=both("工作簿（.xlsx、.xls、.et、.ods）", "a workbook (.xlsx, .xls, .et, .ods)"))
    if looks_like_html(data):
        raise fail(both("这是存成工作簿文件名的网页（HTML，网上系统的“导出Excel”），不是工作簿",
                        "this is an HTML page saved under a workbook's name (a web system's 导出Excel), not a "
                        "workbook"),
                   expected=both("Excel 或 WPS 保存的工作簿，或把表格另存为 CSV",
                                 "a workbook as Excel or WPS saves it, or the table saved as CSV"))
    if not data.startswith((b"PK\x03\x04", bytes.fromhex("d0cf11e0a1b11ae1"))) and b"\x00" not in data[:4096]:
        raise fail(both("这是存成工作簿文件名的文本，不是工作簿", "this is text saved under a workbook's name, not a "
                                               "workbook"),
                   expected=both("Excel 或 WPS 保存的工作簿，或把文本存为 .csv",
                                 "a workbook as Excel or WPS saves it, or the text saved as .csv"))
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(book.sheets_metadata)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise fail(both("工作簿无法读取，文件可能已损坏或不完整",
                        f"not a readable workbook ({str(exc).splitlines()[0][:80]}); the file may be damaged or "
                        "truncated"),
                   expected=both("Excel、WPS 或决算软件保存的 XLSX、XLS、ET 或 ODS 文件",
                                 "an XLSX, XLS, ET or ODS file as saved by Excel, WPS or the 决算 software")) from exc
    required = "、".join(c.label for c in dataset.columns if c.required)
    if sheet is not None:
        if sheet not in [m.name for m in sheets]:
            raise fail(both(f"工作簿中没有名为「{sheet}」的工作表", f"the workbook has no sheet named {sheet!r}"),
                       expected="、".join(f"「{m.name}」" for m in sheets))
        chosen, (rows, values, merged) = sheet, _sheet_rows(book, sheet)
        first = find_header(rows[:HEADER_SCAN_LINES], dataset)
        if first is None:
            raise fail(both(f"前 {HEADER_SCAN_LINES} 行中没有列出{dataset.label}各列的表头行",
                            f"no header row naming the {dataset.name} columns in the first {HEADER_SCAN_LINES} rows"),
                       row=1, expected=both(f"含 {required} 的表头", f"a header with {required}"), in_sheet=sheet)
    else:
        passed: list[str] = []
        found: list[tuple[int, str, list[list[str]], list[list[Any]], Merged, int]] = []
        for meta in sheets:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                passed.append(f"{meta.name!r}（隐藏）(hidden)" if meta.typ == SheetTypeEnum.WorkSheet
                              else f"{meta.name!r}（不是工作表）(not a worksheet)")
                continue
            rows, values, merged = _sheet_rows(book, meta.name)
            at = find_header(rows[:HEADER_SCAN_LINES], dataset)
            if at is None:
                passed.append(f"{meta.name!r}（无表头）(no header)")
                continue
            found.append((_missing_required(rows, at, dataset), meta.name, rows, values, merged, at))
        if not found:
            raise fail(both(f"没有一个可见工作表在前 {HEADER_SCAN_LINES} 行列出{dataset.label}各列的表头",
                            f"no visible sheet has a header row naming the {dataset.name} columns in its first "
                            f"{HEADER_SCAN_LINES} rows") + f"；工作表：{'、'.join(passed) or '无'}",
                       row=1, expected=both(f"含 {required} 的表头，或在 SELFEVAL_SHEETS 中指明工作表",
                                            f"a header with {required}, or the sheet named in SELFEVAL_SHEETS"))
        full = [f for f in found if f[0] == 0 and _has_records(f[2], f[5], dataset)]
        if len(full) > 1:
            named = [f"「{f[1]}」" for f in full]
            several = "、".join(named[:-1]) + "和" + named[-1]
            raise fail(both(f"{several}都有{dataset.label}的表头和记录；selfeval 每个数据集只读一个工作表，不"
                            "替您选择",
                            f"several sheets hold the {dataset.name} data: {', '.join(repr(f[1]) for f in full)} "
                            "each have the header and records; selfeval reads one sheet per dataset and does not "
                            "choose one"),
                       expected=both("记录放在一个工作表中（复制到一起），或在 SELFEVAL_SHEETS 中指明要读的工作表",
                                     "the records on one sheet (copy them together), or the sheet to read named in "
                                     "SELFEVAL_SHEETS")
                       + " `SELFEVAL_SHEETS={\"" + dataset.name + "\": \"<sheet>\"}`")
        # the sheet with every required column and records; else the one that names most required
        # columns (a 汇总 sheet before the 明细 one loses to it)
        _, chosen, rows, values, merged, first = full[0] if full else min(found, key=lambda f: f[0])
    assert first is not None
    names = known_headers(dataset)
    last = header_band(rows, first, names)
    header = [h or unnamed_column(i) for i, h in enumerate(header_names(rows, first, last, names))]
    unit = unit_line(rows[:first], uri, dataset, sheet=chosen)
    _refuse_controls(rows, range(0, last + 1), uri, dataset, chosen)
    try:
        annex = header_annex(rows, last + 1, header, dataset)
        header = annex.header
        leaf = max((last, *annex.rows))
        _unmerge(rows, values, merged, leaf + 1, header, dataset)
    except LayoutError as exc:
        raise SourceError(Problem(dataset.source, uri, str(exc), row=exc.row + 1, column=exc.column, sheet=chosen,
                                  expected=exc.expected)) from exc
    keeps_totals = any(set(TOTAL_WORDS) & set(c.choices) for c in dataset.columns)
    money_units = _money_units(header, dataset, unit.unit if unit else None)
    percents = _percent_cells(data, chosen, _percent_columns(header, dataset), range(leaf + 1, len(rows)), values)
    records: list[list[str]] = []
    numbers: list[int] = []
    headed = [c for c, h in enumerate(header) if not is_unnamed_column(h)]
    named_required = {h.strip() for col in dataset.columns if col.required for h in col.headers}
    required_at = [c for c, h in enumerate(header) if _base(h) in named_required or h.strip() in named_required]
    empty: set[tuple[int, int]] = set()  # the records' empty cells: a formula without its result reads as one
    totals: list[tuple[int, list[str]]] = []
    for i in range(leaf + 1, len(rows)):
        row = rows[i] + [""] * (len(header) - len(rows[i]))
        texts = [c for c in row if c]
        if not texts:
            continue
        if FOOTER.match(texts[0]):
            below = _record_below(rows, i + 1, required_at)
            if below is not None:  # a note inside the table: the records under it would be dropped unsaid
                raise fail(both(f"第 {i + 1} 行是表尾的说明（「{texts[0]}」），其下第 {below + 1} 行仍有记录：说明之后"
                                "的记录会被当作说明而漏读",
                                f"row {i + 1} is a note ({texts[0]!r}) but row {below + 1} below it holds a record: "
                                "records after a note would be taken for notes and left out"), row=i + 1,
                           expected=both("说明、签字行写在全部记录之后（或删去该说明行）",
                                         "notes and signature lines below every record (or the note removed)"),
                           in_sheet=chosen)
            _refuse_controls(rows, range(i, len(rows)), uri, dataset, chosen)  # the notes: no record, but text
            break
        for col, money_unit in money_units.items():  # formula noise: the whole 分 the cell stands for
            if col < len(values[i]):
                exact = _snapped(values[i][col], money_unit)
                if exact is not None:
                    row[col] = exact
        for col in percents.get(i, ()):  # a cell shown as a percentage reads as what it shows
            row[col] = _percent_text(values[i][col])
        if not keeps_totals and _total_word(texts[0]) in TOTAL_WORDS:
            totals.append((i + 1, row))
            continue
        records.append(row[: len(header)])
        numbers.append(i + 1)
        empty.update((i, c) for c in headed if c < len(values[i]) and values[i][c] in ("", None))
    hidden = sorted(set(numbers) & {r + 1 for r in _hidden_rows(data, chosen)})
    if hidden:  # what the office sees is not what it sent: which of them count is not for selfeval to decide
        rows_zh = "、".join(str(r) for r in hidden[:10]) + ("等" if len(hidden) > 10 else "")
        rows_en = ", ".join(str(r) for r in hidden[:10]) + (", …" if len(hidden) > 10 else "")
        raise SourceError(Problem(
            dataset.source, uri,
            both(f"有 {len(hidden)} 条记录在隐藏的行中（第 {rows_zh} 行，或被筛选隐藏）：打开文件时看不到，"
                 "是否计入由填报单位决定，selfeval 不替您决定",
                 f"{len(hidden)} records are in hidden rows (rows {rows_en}; hidden or filtered out): whether they "
                 "count is the office's to say"),
            row=hidden[0], sheet=chosen,
            expected=both("取消隐藏（计入）或删除这些行（不计入），并取消筛选后再交",
                          "the rows unhidden (they count) or deleted (they do not), and no filter on")))
    formula = _uncached_formula(data, chosen, empty)
    if formula is not None:
        r, c, text = formula
        raise SourceError(Problem(
            dataset.source, uri, both(f"单元格 {_column_letter(c)}{r + 1} 是公式 {text}，文件中没有保存它的计算结果"
                                      "（由程序生成、未经 Excel 或 WPS 打开保存的工作簿）；selfeval 不计算公式，不能把"
                                      "它当作空值（零）读入",
                                      f"cell {_column_letter(c)}{r + 1} holds the formula {text} with no stored "
                                      "result (a workbook written by a program and never saved by Excel or WPS); "
                                      "selfeval does not compute formulas and will not read it as empty (zero)"),
            row=r + 1, column=header[c], sheet=chosen,
            expected=both("在 Excel 或 WPS 中打开该文件、保存一次后再交（保存时会算出并存下公式的结果），或填数值",
                          "the file opened and saved once in Excel or WPS (which computes and stores the results), "
                          "or values instead of formulas")))
    if not records and not dataset.may_be_empty:
        raise fail(both("工作表只有表头，没有记录", "the sheet has a header but no records"), row=leaf + 2,
                   expected=both("表头下至少一条记录", "at least one record below the header"), in_sheet=chosen)
    frame = pd.DataFrame(records, columns=header, dtype="str")
    unnamed = [h for h in header if is_unnamed_column(h) and not frame[h].str.strip().any()]
    frame = frame.drop(columns=unnamed)  # the used range wider than the table: not columns
    header = [h for h in header if h not in unnamed]
    raw = RawTable(dataset=dataset, source=dataset.source, uri=uri, sha256=sha256_bytes(data), frame=frame,
                   first_row=numbers[0] if numbers else leaf + 2, header_row=last + 1, unit=unit.unit if unit else None,
                   unit_row=unit.row if unit else None, encoding=None, sheet=chosen, row_numbers=numbers)
    _check_totals(raw, totals, header)
    return raw


def _refuse_controls(rows: list[list[str]], where: range, uri: str, dataset: Dataset, sheet: str) -> None:
    """The rows ``where`` (the title, unit and header rows; the notes below the table) hold no control
    character; staging looks at the records."""
    for r in where:
        for c, text in enumerate(rows[r]):
            found = CONTROL.search(text) if text else None
            if found:
                raise SourceError(Problem(
                    dataset.source, uri, holds_control(found.group()), row=r + 1, column=_column_letter(c),
                    sheet=sheet, expected=NO_CONTROLS))


def _plain_amount(fen: Decimal | int, unit: str) -> str:
    """An amount in 分 written in ``unit`` with no more decimals than it needs."""
    digits = len(str(FEN_PER_UNIT[unit])) - 1
    return format(Decimal(fen).scaleb(-digits), "f")


def _money_units(header: list[str], dataset: Dataset, file_unit: str | None) -> dict[int, str]:
    """The money columns of a header (by position) and the unit each is written in."""
    money = {h.strip() for c in dataset.columns if c.kind == "money" for h in c.headers}
    out = {}
    for col, name in enumerate(header):
        base, header_unit = split_header_unit(name)
        if base in money:
            out[col] = header_unit or file_unit or dataset.unit
    return out


def _check_totals(raw: RawTable, totals: list[tuple[int, list[str]]], header: list[str]) -> None:
    """A 合计 row must equal the sum of the records it stands for, column by money column: the rows
    above it, or every row when it stands above them all (as 决算 tables often put it)."""
    money = {h.strip(): c for c in raw.dataset.columns if c.kind == "money" for h in c.headers}
    numbers = list(raw.row_numbers or [])
    for row_number, row in totals:
        label = next((c for c in row if c), "")
        if _total_word(label) not in GRAND_TOTALS:
            continue
        above = any(n < row_number for n in numbers)
        for col, name in enumerate(header):
            base, header_unit = split_header_unit(name)
            if base not in money or not row[col]:
                continue
            unit = header_unit or raw.unit or raw.dataset.unit
            stated = _money(row[col], unit)
            parts = [_money(v, unit) for v, n in zip(raw.frame[name], numbers, strict=False)
                     if n < row_number or not above]
            if stated is None or any(p is None for p in parts):
                continue  # staging names the unreadable cell
            added = sum(p for p in parts if p is not None)
            if added != stated:
                raise SourceError(raw.problem(
                    both(f"{label or '合计'}行为 {row[col]}，{'其上' if above else '其下'}各行之和却是 "
                         f"{_plain_amount(added, unit)}",
                         f"the {label or '合计'} row states {row[col]} but the rows "
                         f"{'above' if above else 'below'} add up to {_plain_amount(added, unit)}"),
                    row=row_number, column=name,
                    expected=both("合计等于各行之和", "a total equal to the sum of its rows")))
