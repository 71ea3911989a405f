"""The 项目支出绩效自评表 as a grid of cells, once, and written from it as XLSX, HTML and DOCX.

The layout is 财预〔2020〕10号's 附件2, ten columns wide:
- the header: 项目名称, 主管部门, 实施单位, 项目负责人;
- the funds block: 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 for 年度资金总额, then 其中
  当年财政拨款, 上年结转资金, 其他资金 (only the total row is scored);
- 年度总体目标: 预期目标 | 实际完成情况;
- the 绩效指标: 一级 | 二级 | 三级指标 | 指标性质 | 度量单位 | 年度指标值 | 实际完成值 | 分值 | 得分 |
  偏差原因分析及改进措施;
- 总分 and 自评等级, the boxes 评价结论, 存在问题 and 改进措施, the reviewer's findings, the signature lines.
Every writer reads the same :func:`form_grid`, so the XLSX, the HTML and the DOCX hold the same cells
(tests/integration/test_report_outputs.py reads them back through LibreOffice).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from tasks.report import formatting as fmt
from tasks.report.grid import Cell, Row
from tasks.report.projects import ProjectForm
from tasks.report.rectification import PROJECT_SPANS, year_end
from tasks.report.rectification import grid_rows as rectification_rows
from tasks.report.tables import Table
from tasks.warehouse.queries import FundsRow

WIDTH = 10
DASH = "—"
DRAFT = "草稿"
TITLE = "项目支出绩效自评表"
PENDING_NOTE = "项目绩效自评尚未报送或未填齐，本表为草稿，实际完成值待填写，不评定等级。"
NO_TARGETS = "未报送项目绩效目标：本表只有资金部分，不评定等级。"
NO_NATURES = "预算指标未标注资金性质（当年财政拨款/上年结转），财政拨款均列入当年财政拨款，上年结转资金不单列。"
SIGNATURES = "填报人：　　　　　　联系电话：　　　　　　单位负责人（签章）：　　　　　　填报日期：　　年　　月　　日"




def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _money(fen: int | None) -> str:
    return DASH if fen is None else fmt.wan(fen)


def _rate(row: FundsRow) -> str:
    rate = fmt.ratio(row.executed_fen, row.budget_fen)
    return DASH if rate is None else f"{fmt.percent(rate, 2)}%"


def _funds_rows(form: ProjectForm) -> list[Row]:
    heads = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率")
    rows: list[Row] = [[Cell("项目资金（万元）", 3, "head"), *(Cell(h, 1, "head") for h in heads),
                        Cell("得分", 2, "head")]]
    for i, f in enumerate(form.funds):
        initial = _money(f.initial_budget_fen) if f.lines else DASH
        if i == 0:
            rows.append([Cell("年度资金总额", 3, "label"), Cell(initial, kind="number"),
                         Cell(fmt.wan(f.budget_fen), kind="number"), Cell(fmt.wan(f.executed_fen), kind="number"),
                         Cell(_plain(form.funds_weight), kind="number"), Cell(_rate(f), kind="number"),
                         Cell(f"{form.funds_score:.2f}", 2, "number")])
            continue
        unknown = f.label == "上年结转资金" and not form.natures_stated
        cells = [DASH] * 3 if unknown else [initial, fmt.wan(f.budget_fen), fmt.wan(f.executed_fen)]
        rows.append([Cell(("其中：" if i == 1 else "　　　") + f.label, 3, "label"),
                     *(Cell(c, kind="number") for c in cells), Cell(DASH, kind="number"),
                     Cell(DASH if unknown else _rate(f), kind="number"), Cell(DASH, 2, "number")])
    return rows


def _score(value: Decimal | None, assessed: bool) -> str:
    if value is None:
        return "待评" if not assessed else DASH
    return f"{value:.2f}"


def form_grid(form: ProjectForm) -> list[Row]:
    """The form as rows of cells, each row ``WIDTH`` columns wide (spans included)."""
    s = form.summary
    title = f"{TITLE}（{DRAFT}）" if not form.assessed else TITLE
    rows: list[Row] = [
        [Cell(title, WIDTH, "title")],
        [Cell(f"（{form.year}年度）", WIDTH, "subtitle")],
        [Cell("项目名称", 2, "label"), Cell(form.project_name, 3), Cell("项目编码", 2, "label"),
         Cell(form.project_code, 3)],
        [Cell("主管部门", 2, "label"), Cell(form.department_name, 3), Cell("实施单位", 2, "label"),
         Cell(s.get("implementer", ""), 3)],
        [Cell("项目负责人", 2, "label"), Cell(s.get("manager", ""), 3), Cell("自评等级", 2, "label"),
         Cell(form.grade, 3)],
        *_funds_rows(form),
        [Cell("年度总体目标", WIDTH, "head")],
        [Cell("预期目标", 5, "head"), Cell("实际完成情况", 5, "head")],
        [Cell(s.get("goal", ""), 5), Cell(s.get("achieved", ""), 5)],
        [Cell("绩效指标", WIDTH, "head")],
        [Cell(h, 1, "head") for h in ("一级指标", "二级指标", "三级指标", "指标性质", "度量单位", "年度指标值",
                                      "实际完成值", "分值", "得分", "偏差原因分析及改进措施")],
    ]
    for item in form.items:
        rows.append([Cell(item.level1), Cell(item.level2), Cell(item.name), Cell(item.nature), Cell(item.unit or DASH),
                     Cell(item.target_text), Cell(item.actual_text), Cell(_plain(item.weight), kind="number"),
                     Cell(_score(item.score, form.assessed), kind="number"), Cell(item.deviation)])
    if not form.items:
        rows.append([Cell("未报送项目绩效目标", WIDTH, "note")])
    rows.append([Cell("总分", 7, "head"), Cell(_plain(form.weights), kind="number"),
                 Cell(DASH if form.total is None else f"{form.total:.2f}", kind="number"), Cell(form.grade)])
    for label, key in (("评价结论", "conclusion"), ("存在问题", "problems"), ("改进措施", "measures")):
        rows.append([Cell(label, 2, "label"), Cell(s.get(key, ""), WIDTH - 2)])
    if form.rate is not None and form.rate < 1 and s.get("execution_reason"):
        rows.append([Cell("执行偏差原因", 2, "label"), Cell(s["execution_reason"], WIDTH - 2)])
    for finding in form.findings:
        rows.append([Cell("审核提示", 2, "label"), Cell(f"{finding.id} {finding.label}：{finding.message}", WIDTH - 2,
                                                         "note")])
    for note in form.notes:
        rows.append([Cell("说明", 2, "label"), Cell(note, WIDTH - 2, "note")])
    if not form.natures_stated:
        rows.append([Cell("说明", 2, "label"), Cell(NO_NATURES, WIDTH - 2, "note")])
    if not form.items:
        rows.append([Cell("说明", 2, "label"), Cell(NO_TARGETS, WIDTH - 2, "note")])
    elif not form.assessed:
        rows.append([Cell("说明", 2, "label"), Cell(PENDING_NOTE, WIDTH - 2, "note")])
    rows += rectification_rows(form.rectifications, form.rectification_day or year_end(form.year, form.rectifications),
                               "绩效运行监控整改情况", PROJECT_SPANS)
    rows.append([Cell(SIGNATURES, WIDTH, "sign")])
    return rows


def cell_texts(grid: list[Row]) -> list[list[str]]:
    """The grid's texts, one list per row, each cell once (its span not repeated): what a reader gets back."""
    return [[c.text for c in row] for row in grid]


# XLSX -----------------------------------------------------------------------------------------------------------

COLUMN_WIDTHS = (10, 12, 22, 8, 8, 12, 12, 7, 7, 30)
FILLS = {"red": "F4C7C3", "yellow": "FCE8B2", "green": "B7E1CD"}  # a light's cell, as the HTML colours it


def form_xlsx(grids: list[tuple[str, list[Row]]], created: dt.datetime, title: str,
              widths: tuple[int, ...] = COLUMN_WIDTHS) -> bytes:
    """One sheet per form (``(sheet name, grid)``), merged cells as the layout spans them, thin borders, wrapped
    text, A4 landscape fitting the width; equal forms give equal bytes (``created`` as created and modified).
    Written with XlsxWriter (about 2 ms a form; openpyxl took 10): a text is always written as text, never read as
    a formula or a link."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats: dict[tuple[str, str, str | None, bool], Any] = {}

    def style(kind: str, light: str, number_format: str | None, bordered: bool) -> Any:
        """The cell format of a kind, made once per workbook."""
        key = (kind, light, number_format, bordered)
        if key not in formats:
            spec: dict[str, Any] = {
                "text_wrap": True, "valign": "vcenter",
                "align": "center" if kind in ("title", "subtitle", "head", "label") else
                "right" if kind == "number" else "left",
                "font_name": "黑体" if kind == "title" else "仿宋_GB2312", "font_size": 14 if kind == "title" else 11,
                "bold": kind in ("title", "head", "label")}
            if light:
                spec.update(pattern=1, bg_color="#" + FILLS[light])
            if number_format:
                spec["num_format"] = number_format
            if bordered:
                spec["border"] = 1
            formats[key] = book.add_format(spec)
        return formats[key]

    used: set[str] = set()
    for name, grid in grids:
        sheet_name = _sheet_name(name)
        n = 1
        while sheet_name.lower() in used:  # Excel compares sheet names without case
            n += 1
            sheet_name = f"{_sheet_name(name)[:31 - len(str(n)) - 2]}({n})"
        used.add(sheet_name.lower())
        sheet = book.add_worksheet(sheet_name)
        for i, width in enumerate(widths):
            sheet.set_column(i, i, width)
        for r, row in enumerate(grid):
            sheet.set_row(r, row_height(row, widths))  # an office does not grow a row for wrapped text by itself
            col = 0
            for cell in row:
                value, number_format = typed(cell.text) if cell.kind == "number" else (cell.text, None)
                shared = style(cell.kind, cell.light, number_format, cell.kind not in ("title", "subtitle", "sign"))
                if cell.span > 1:  # every cell of a span formatted (bordered), as an office draws it
                    sheet.merge_range(r, col, r, col + cell.span - 1, "", shared)
                if isinstance(value, float):
                    sheet.write_number(r, col, value, shared)
                elif value:
                    sheet.write_string(r, col, value, shared)
                elif cell.span == 1:
                    sheet.write_blank(r, col, None, shared)
                col += cell.span
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
    book.set_properties({"title": title, "author": "selfeval", "created": created.replace(tzinfo=None)})
    book.close()
    return buf.getvalue()  # XlsxWriter dates every member 1980-01-01: equal forms are equal bytes


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?%?")
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # a character two column units wide: CJK and beyond (from U+2E80)


def row_height(row: Row, widths: tuple[int, ...]) -> float:
    """A row's height in points, tall enough for its longest wrapped text: a CJK character is two column units
    wide, another one; 15 points a line (20 for a title)."""
    lines, col = 1, 0
    for cell in row:
        room = max(1.0, sum(widths[col:col + cell.span]) - 1.5)
        for part in cell.text.split("\n"):
            used = len(part) + len(_WIDE.findall(part))
            lines = max(lines, math.ceil(used / room) if used else 1)
        col += cell.span
    return (20.0 if row and row[0].kind == "title" else 15.0) * lines


def typed(text: str) -> tuple[float | str, str | None]:
    """A figure as a spreadsheet holds it: a number with the format that shows it as written ("66.45%" is 0.6645
    shown 0.00%, "699.86" is 699.86 shown 0.00), so that an office can add and check the form's figures; any other
    text stays text (no format)."""
    if not _NUMBER.fullmatch(text):
        return text, None
    percent = text.endswith("%")
    body = text.rstrip("%")
    decimals = len(body.split(".", 1)[1]) if "." in body else 0
    value = Decimal(body) / (100 if percent else 1)
    return float(value), "0" + ("." + "0" * decimals if decimals else "") + ("%" if percent else "")


def _sheet_name(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")  # nor begin or end with '
    return cleaned[:31].strip("'") or "项目"


# HTML -----------------------------------------------------------------------------------------------------------

STYLE = """
body { font-family: "FangSong", "Noto Serif CJK SC", serif; margin: 2em; }
table.form { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 10.5pt; }
table.form td { border: 1px solid #000; padding: 3px 5px; vertical-align: middle; word-break: break-all; }
td.title { border: none; text-align: center; font-size: 16pt; font-weight: bold;
           font-family: "SimHei", "Noto Sans CJK SC", sans-serif; }
td.subtitle, td.sign { border: none; text-align: center; }
td.sign { text-align: left; padding-top: 1.5em; }
td.head, td.label { text-align: center; font-weight: bold; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.note { color: #8a4b00; }
td[data-light="red"] { background: #f4c7c3; font-weight: bold; }
td[data-light="yellow"] { background: #fce8b2; }
td[data-light="green"] { background: #b7e1cd; }
@page { size: A4 landscape; margin: 15mm; }
"""


def _td(c: Cell) -> str:
    light = f' data-light="{c.light}"' if c.light else ""
    span = f' colspan="{c.span}"' if c.span > 1 else ""
    return f'<td class="{c.kind}"{light}{span}>{html.escape(c.text)}</td>'


def form_html(grid: list[Row], title: str, widths: tuple[int, ...] = COLUMN_WIDTHS) -> str:
    """A standalone HTML page of one form: no script, no external resource."""
    cols = "".join(f'<col style="width:{w / sum(widths) * 100:.2f}%">' for w in widths)
    body = []
    for row in grid:
        cells = "".join(_td(c) for c in row)
        body.append(f"<tr>{cells}</tr>")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n<table class=\"form\"><colgroup>{cols}</colgroup>\n"
            + "\n".join(body) + "\n</table></body></html>\n")


# DOCX -----------------------------------------------------------------------------------------------------------

def form_docx(grid: list[Row], created: dt.datetime, title: str, widths: tuple[int, ...] = COLUMN_WIDTHS) -> bytes:
    """The form as a Word table (A4 landscape, merged cells as the layout spans them), its faces named as every
    selfeval DOCX names them; equal forms give equal bytes."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    from tasks.report.office import office_faces, saved, set_fonts

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    body = [row for row in grid if row[0].kind not in ("title", "subtitle", "sign")]
    for row in grid:
        if row[0].kind in ("title", "subtitle"):
            p = document.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(row[0].text)
            set_fonts(run, "黑体" if row[0].kind == "title" else "仿宋_GB2312", 16 if row[0].kind == "title" else 11,
                      row[0].kind == "title")
    table = document.add_table(rows=len(body), cols=WIDTH)
    table.style = "Table Grid"
    total = sum(widths)
    for r, row in enumerate(body):
        col = 0
        for cell in row:
            target = table.cell(r, col)
            if cell.span > 1:
                target = target.merge(table.cell(r, col + cell.span - 1))
            target.text = ""
            p = target.paragraphs[0]
            p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if cell.kind in ("head", "label") else
                           WD_ALIGN_PARAGRAPH.RIGHT if cell.kind == "number" else WD_ALIGN_PARAGRAPH.LEFT)
            set_fonts(p.add_run(cell.text), "仿宋_GB2312", 9, cell.kind in ("head", "label"))
            col += cell.span
    for i, width in enumerate(widths):
        for cell in table.columns[i].cells:
            cell.width = Mm(267 * width / total)
    for row in grid:
        if row[0].kind == "sign":
            set_fonts(document.add_paragraph().add_run(row[0].text), "仿宋_GB2312", 11)
    office_faces(document)
    return saved(document, created, title)


# The department's folder --------------------------------------------------------------------------------------

FOLDER = "projects"
INDEX = "index.html"


def file_stem(code: str) -> str:
    """A project code as a file name: the contract's code characters stay, anything else becomes _."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in code).lstrip(".") or "_"


NIGHTLY = ("xlsx", "html")
FORMATS = ("xlsx", "html", "docx", "pdf")


def write_project_forms(folder: Path, forms: list[ProjectForm], summary: Table, formats: tuple[str, ...] = NIGHTLY,
                        replace_all: bool = True) -> dict[str, Path]:
    """Each project's form into ``folder``/projects/ as ``<项目编码>.<format>`` (xlsx, html; docx and pdf on
    demand), and ``index.html``: the 汇总表 with a link to each form in every format there. With ``replace_all``
    (the nightly: the data may have changed) every other file of the folder goes, the DOCX and PDF made on demand
    included; without it (``selfeval projects``) only the forms of projects no longer there go. Returns
    {"projects": the index}."""
    target = folder / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    keep = {INDEX}
    for form in forms:
        grid = form_grid(form)
        stem = file_stem(form.project_code)
        title = f"{form.project_name}{TITLE}"
        created = dt.datetime(form.year + 1, 1, 1, tzinfo=dt.UTC)
        if "xlsx" in formats:
            (target / f"{stem}.xlsx").write_bytes(form_xlsx([(form.project_code, grid)], created, title))
        page = form_html(grid, title)
        if "html" in formats:
            (target / f"{stem}.html").write_text(page, encoding="utf-8")
        if "docx" in formats:
            (target / f"{stem}.docx").write_bytes(form_docx(grid, created, title))
        if "pdf" in formats:
            from tasks.report.pdf_render import to_pdf

            (target / f"{stem}.pdf").write_bytes(to_pdf(page, target))
        keep.update(f"{stem}.{f}" for f in (formats if replace_all else FORMATS))
    for old in target.iterdir():
        if old.is_file() and old.name not in keep and old.suffix in (".xlsx", ".html", ".docx", ".pdf"):
            old.unlink()
    present = tuple(f for f in FORMATS if any((target / f"{file_stem(x.project_code)}.{f}").exists() for x in forms))
    index = target / INDEX
    index.write_text(index_html(forms, summary, present, target), encoding="utf-8")
    return {"projects": index}


def index_html(forms: list[ProjectForm], summary: Table, formats: tuple[str, ...], folder: Path | None = None) -> str:
    """The 汇总表 as a page, each project linking to its form in each of ``formats`` that is in ``folder``."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in summary.header)
    rows = []
    for form, row in zip(forms, summary.rows, strict=True):
        stem = file_stem(form.project_code)
        links = " ".join(f'<a href="{stem}.{f}">{f.upper()}</a>' for f in formats
                         if folder is None or (folder / f"{stem}.{f}").exists())
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in row)
        rows.append(f"<tr>{cells}<td>{links}</td></tr>")
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in summary.notes)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(summary.caption)}'
            f"</title><style>{STYLE} table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #000; "
            f"padding: 3px 6px; }}</style></head><body><h1>{html.escape(summary.caption)}</h1>\n<table><tr>{head}"
            "<th>自评表</th></tr>\n" + "\n".join(rows) + f"\n</table>{notes}</body></html>\n")
