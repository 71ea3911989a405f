"""The narrative as a Word form: what department staff fill in instead of YAML.

``selfeval form`` writes one DOCX per department-year (:func:`write_form`); the landing zone may hold it
as ``narrative/<year>/<department>.docx`` in place of the YAML, and :func:`read_form` reads it back into
the same fields, which :mod:`tasks.report.narrative` then checks as it checks a YAML file.

The layout is made to survive editing in Word, WPS and LibreOffice:

- **Each field is a table** (one bordered box per field), found by the 【label】 at the start of its first
  cell. Tables are the one structure every office program keeps as it is; block content controls are not
  (LibreOffice 7.4 rewrites them and repeats their text on saving).
- **Every paragraph of the box is read**, whatever its style, runs or hyperlinks, in the final view of its
  tracked changes (as Word shows it with 'No Markup': :func:`accept_revisions`), so typing, pasting with
  formatting, adding paragraphs and editing with 修订 on are fine; comments are ignored.
  A list field (职能, 绩效目标, …) takes one item per non-empty paragraph; a text field (主要成效, …) joins its
  paragraphs, as the report prints it as one paragraph.
- **Figures are read-only content controls** (``w:lock`` sdtContentLocked) in a table the reader skips:
  the writer sees the value ``{{ srdi_applicants }}`` will print, and cannot change it there.

Word's autocorrect turns ' and " into ‘’ “” as one types; inside ``{{ }}`` and ``{% %}`` they are put back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from tasks.glossary import NARRATIVE
from tasks.report.office import FACES, office_faces, saved, set_fonts


@dataclass(frozen=True)
class FormField:
    """One narrative field's box: ``path`` in the narrative model, its ``label`` (the 【label】 that finds
    the box), ``kind`` (list: a paragraph per item; text: one paragraph; optional: text or empty) and the
    ``hint`` the form prints under the label."""

    path: str
    label: str
    kind: str
    hint: str


FIELDS: tuple[FormField, ...] = (
    FormField("functions", "部门职能", "list", "每段一条职能。报告依次编号为 1. 2. 3. ……"),
    FormField("goals", "年度绩效目标", "list", "每段一条目标。"),
    FormField("key_tasks", "年度重点工作任务", "list", "每段一条任务。"),
    FormField("conclusion.summary", "自评结论综述", "text",
              "一句话，接在“某年度”之后、“部门整体支出绩效自评某等级”之前，如：各重点工作任务完成较好"),
    FormField("conclusion.grade_override", "自评等级调整", "optional",
              "一般留空：等级由自评表计算。只有要改写计算出的等级时才填写（优秀、良好、中、差），报告会注明。"),
    FormField("task_analysis", "重点工作任务完成情况分析", "text",
              "报告中为一段；另起的段落会接在一起。可引用下表的数字。"),
    FormField("achievements", "主要成效", "text", "报告中为一段；另起的段落会接在一起。可引用下表的数字。"),
    FormField("problems", "存在问题", "list", "每段一条问题。"),
)
MEASURES = "下一步改进措施"
PARAMETERS = "参数"
FIGURES = "可引用的数字"
META = "部门代码"
LABEL = re.compile(r"^\s*【([^】]+)】")
TAG_PREFIX = "selfeval:figure:"




def paragraph_of(label: str, number: int) -> str:
    """Where a paragraph of a form's section is, as its errors say it: ``"【主要成效】第 2 段"``."""
    return f"【{label}】第 {number} 段"


def row_of(label: str, number: int) -> str:
    """Where a row of a form's table section is: ``"【下一步改进措施】第 8 行"``."""
    return f"【{label}】第 {number} 行"


class FormError(ValueError):
    """A form that cannot be read: names the file, the section (its 【label】) and the row or paragraph."""


@dataclass
class FormContent:
    """What a form holds, as the narrative model's fields (``data``), and where each came from: for each
    field, the places of its items or paragraphs (``section 主要成效, paragraph 2``), so a check of the text
    can name them."""

    data: dict[str, Any]
    places: dict[str, list[str]] = field(default_factory=dict)
    paragraphs: dict[str, list[str]] = field(default_factory=dict)  # a text field's paragraphs, before joining


# ---------------------------------------------------------------------------------------------- writing


def _hint(cell: Any, text: str) -> None:
    p = cell.add_paragraph()
    run = p.add_run(text)
    set_fonts(run, FACES["Heading 2"], 10)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _label_cell(cell: Any, label: str, hint: str) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    run = p.add_run(f"【{label}】")
    set_fonts(run, FACES["Heading 1"], 12)
    _shade(cell, "E7E6E6")
    if hint:
        _hint(cell, hint)


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _fill(cell: Any, paragraphs: list[str]) -> None:
    """The paragraphs a writer edits, in the body face; one empty paragraph when there is nothing yet."""
    cell.text = ""
    first = cell.paragraphs[0]
    for i, text in enumerate(paragraphs or [""]):
        p = first if i == 0 else cell.add_paragraph()
        run = p.add_run(text)
        set_fonts(run, FACES["Normal"], 12)


def _locked(paragraph: Any, text: str, tag: str, alias: str) -> None:
    """An inline content control the writer cannot edit or delete: a figure's current value."""
    sdt = OxmlElement("w:sdt")
    props = OxmlElement("w:sdtPr")
    for name, value in (("w:alias", alias), ("w:tag", tag), ("w:lock", "sdtContentLocked")):
        el = OxmlElement(name)
        el.set(qn("w:val"), value)
        props.append(el)
    sdt.append(props)
    content = OxmlElement("w:sdtContent")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    content.append(run)
    sdt.append(content)
    paragraph._p.append(sdt)


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _section(doc: Any, number: int, form_field: FormField, value: Any) -> None:
    table = doc.add_table(rows=2, cols=1)
    table.style = "Table Grid"
    _label_cell(table.cell(0, 0), form_field.label, f"{number}. {form_field.hint}")
    if form_field.kind == "list":
        paragraphs = [str(v) for v in value or []]
    else:
        paragraphs = [str(value)] if value not in (None, "") else []
    _fill(table.cell(1, 0), paragraphs)
    doc.add_paragraph()


def _grid(doc: Any, header: list[str], rows: list[list[str]], hint: str, spare: int = 2) -> Any:
    """A table of rows the writer may add to (Word: Tab in the last cell; WPS, LibreOffice: insert row)."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for i, text in enumerate(header):
        cell = table.cell(0, i)
        if i == 0:
            _label_cell(cell, text, hint)
        else:
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            set_fonts(run, FACES["Heading 1"], 12)
            _shade(cell, "E7E6E6")
    for row in [*rows, *([[""] * len(header)] * spare)]:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _fill(cell, [text] if text else [])
    return table


@dataclass(frozen=True)
class FormFigure:
    """A figure the narrative may name: ``{{ name }}``, its label and the value it prints now."""

    name: str
    label: str
    text: str


def write_form(narrative: dict[str, Any] | None, department: str, department_name: str, year: int,
               figures: list[FormFigure], source_note: str, created: dt.datetime) -> bytes:
    """The form of one department-year as DOCX bytes (deterministic for equal inputs).

    ``narrative`` is the narrative model's fields (``Narrative.model_dump()``) to pre-fill with, or None for
    an empty form; ``figures`` are listed read-only with their current values; ``source_note`` says where
    the pre-filled text came from."""
    doc = Document()
    office_faces(doc)
    set_fonts(doc.styles["Normal"], FACES["Normal"], 12)
    set_fonts(doc.styles["Title"], FACES["Title"], 18, bold=False)
    body = doc.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    data = narrative or {}
    title = doc.add_paragraph(f"{department_name} {year} 年部门整体支出绩效自评报告", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph("文字材料填写表", style="Title")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in ("在每个方框（表格）中填写；可以输入、粘贴、增加段落。请勿删除或改写带【】的标题格。",
                 "数字不要手写：在“重点工作任务完成情况分析”和“主要成效”中写 {{ 名称 }}，报告会填入数据中的值"
                 "（见文末“可引用的数字”）；其他栏按原文印出，不能引用数字。",
                 f"填好后另存为 narrative/{year}/{department}.docx，放入数据目录，替代同名的 .yaml 文件。",
                 source_note):
        p = doc.add_paragraph(text, style="Normal")
        for run in p.runs:
            set_fonts(run, FACES["Normal"], 12)
    meta = doc.add_table(rows=1, cols=4)
    meta.style = "Table Grid"
    for i, text in enumerate((META, department, "年度", str(year))):
        cell = meta.cell(0, i)
        cell.text = ""
        _locked(cell.paragraphs[0], text, f"selfeval:meta:{i}", text)
    doc.add_paragraph()
    for number, form_field in enumerate(FIELDS, start=1):
        _section(doc, number, form_field, _get(data, form_field.path))
    measures = [[str(m.get("heading", "")), str(m.get("text", ""))] for m in data.get("measures") or []]
    _grid(doc, [MEASURES, "具体内容"], measures,
          f"{len(FIELDS) + 1}. 每行一项措施：左格为标题（报告中为“（一）标题”），右格为内容。")
    doc.add_paragraph()
    parameters = [[str(k), yaml.safe_dump(v, allow_unicode=True, default_flow_style=True).strip()
                   .removesuffix("...").strip()] for k, v in (data.get("parameters") or {}).items()]
    _grid(doc, [PARAMETERS, "值"], parameters,
          f"{len(FIELDS) + 2}. 正文用到的参数（如 rd_growth_threshold 0.5），一般不必改动。")
    doc.add_paragraph()
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    _label_cell(table.cell(0, 0), FIGURES, "写法（只读）")
    for i, text in ((1, "含义"), (2, "当前值")):
        table.cell(0, i).text = ""
        run = table.cell(0, i).paragraphs[0].add_run(text)
        set_fonts(run, FACES["Heading 1"], 12)
        _shade(table.cell(0, i), "E7E6E6")
    for figure in figures:
        cells = table.add_row().cells
        for cell, text, tag in ((cells[0], f"{{{{ {figure.name} }}}}", f"{TAG_PREFIX}{figure.name}:name"),
                                (cells[1], figure.label, f"{TAG_PREFIX}{figure.name}:label"),
                                (cells[2], figure.text, f"{TAG_PREFIX}{figure.name}")):
            cell.text = ""
            _locked(cell.paragraphs[0], text, tag, figure.label or figure.name)
            for run in cell._tc.iter(qn("w:r")):
                rpr = OxmlElement("w:rPr")
                size = OxmlElement("w:sz")
                size.set(qn("w:val"), "20")
                rpr.append(size)
                run.insert(0, rpr)
    for grid in doc.tables:
        for cell in (c for r in grid.rows for c in r.cells):
            for p in cell.paragraphs:
                p.paragraph_format.first_line_indent = Pt(0)
    return saved(doc, created, f"{department} {year} 自评报告文字材料", f"selfeval narrative form {department} {year}")


# ---------------------------------------------------------------------------------------------- reading

_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_DEL, _W_P, _W_TBL, _W_TR, _W_TC = qn("w:del"), qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ", "\u3000": " "})
_TAG = re.compile(r"(\{\{|\{%|｛｛|｛%)(.*?)(\}\}|%\}|｝｝|%｝)", re.S)


# Tracked changes, by what accepting them does (ECMA-376 Part 1, 17.13.5): the content of an insertion or a
# move's destination stays; the content of a deletion or a move's source goes; a property change, a range
# marker and an insertion's mark on a paragraph, row or cell go, keeping the current properties.
_KEEP_CONTENT = tuple(qn(f"w:{n}") for n in ("ins", "moveTo"))
_DROP_CONTENT = tuple(qn(f"w:{n}") for n in ("del", "moveFrom"))
_DROP_MARK = tuple(qn(f"w:{n}") for n in (
    "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "tblPrExChange", "trPrChange", "tcPrChange",
    "tblGridChange", "numberingChange", "cellIns", "cellMerge",
    "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd",
    "customXmlInsRangeStart", "customXmlInsRangeEnd", "customXmlDelRangeStart", "customXmlDelRangeEnd",
    "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd", "customXmlMoveToRangeStart",
    "customXmlMoveToRangeEnd"))
_W_PPR, _W_RPR, _W_TRPR, _W_TCPR = qn("w:pPr"), qn("w:rPr"), qn("w:trPr"), qn("w:tcPr")
# Empty markers that may stand between two paragraphs (a bookmark, a comment's range, a permission): a
# deleted paragraph mark still joins its paragraph to the next one past them.
_MARKERS = tuple(qn(f"w:{n}") for n in ("bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd",
                                         "permStart", "permEnd", "proofErr", "moveFromRangeStart", "moveFromRangeEnd",
                                         "moveToRangeStart", "moveToRangeEnd"))


def _mark(element: Any, props: str, tags: tuple[str, ...]) -> Any:
    """The revision mark among ``tags`` in ``element``'s properties ``props`` (a paragraph's mark sits in
    its pPr's rPr), or None."""
    found = element.find(props)
    if found is not None and props == _W_PPR:
        found = found.find(_W_RPR)
    if found is None:
        return None
    return next((child for child in found if child.tag in tags), None)


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _unwrap(element: Any) -> None:
    """Put ``element``'s children in its place."""
    parent = element.getparent()
    if parent is None:
        return
    at = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(at + offset, child)
    parent.remove(element)


def accept_revisions(body: Any) -> None:
    """Change ``body`` (a document's XML) to its final view, as Word shows it with 'No Markup': every
    tracked change that Word and WPS write accepted, in place. Deleted and moved-away text, deleted rows
    and cells go; a deleted paragraph mark joins its paragraph to the next, as accepting it does; inserted
    and moved-in text stays; formatting changes keep the formatting now shown. Comments are not changes:
    their marks carry no text and are left as they are."""
    for tr in list(body.iter(_W_TR)):
        if _mark(tr, _W_TRPR, _DROP_CONTENT) is not None:
            _remove(tr)
    for tc in list(body.iter(_W_TC)):
        if _mark(tc, _W_TCPR, (qn("w:cellDel"),)) is not None:
            _remove(tc)
    for p in list(body.iter(_W_P)):
        while p.getparent() is not None and _mark(p, _W_PPR, _DROP_CONTENT) is not None:
            following = p.getnext()
            while following is not None and following.tag in _MARKERS:  # a bookmark's end between them
                following = following.getnext()
            if following is None or following.tag != _W_P:
                _remove(_mark(p, _W_PPR, _DROP_CONTENT))  # nothing to join: the mark stays
                break
            for child in list(following):
                if child.tag != _W_PPR:
                    p.append(child)
            old, new = p.find(_W_PPR), following.find(_W_PPR)
            if old is not None:
                p.remove(old)
            if new is not None:
                p.insert(0, new)
            _remove(following)
    for element in list(body.iter(*_DROP_CONTENT)):
        if element.getparent() is not None and element.getparent().tag not in (_W_RPR, _W_TRPR):
            _remove(element)
    for element in list(body.iter(*_DROP_MARK)):
        _remove(element)
    for element in list(body.iter(*_KEEP_CONTENT)):
        if element.getparent() is not None and element.getparent().tag in (_W_RPR, _W_TRPR):
            _remove(element)  # the mark of an inserted paragraph or row
        else:
            _unwrap(element)


def paragraph_text(p: Any) -> str:
    """A paragraph's text as shown with tracked changes accepted: its runs, hyperlinks, fields' results and
    insertions, without deletions or the duplicate text of a drawing's fallback."""
    out: list[str] = []
    for el in p.iter(_W_T, _W_TAB, _W_BR, _W_CR):
        if any(a.tag in (_W_DEL, _FALLBACK) for a in el.iterancestors()):
            continue
        if el.tag == _W_T:
            out.append(el.text or "")
        elif el.tag == _W_TAB:
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def clean(text: str) -> str:
    """Trimmed, with the template syntax put back where autocorrect or a Chinese IME changed it."""

    def fix(m: re.Match[str]) -> str:
        opening = "{{" if m.group(1) in ("{{", "｛｛") else "{%"
        closing = "}}" if m.group(3) in ("}}", "｝｝") else "%}"
        return opening + m.group(2).translate(_QUOTES) + closing

    return _TAG.sub(fix, text).strip()


def joined(paragraphs: list[str]) -> str:
    """Paragraphs as one: Chinese text runs on; a space only where two Latin words or numbers would touch."""
    out = ""
    for p in paragraphs:
        if out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum():
            out += " "
        out += p
    return out


def _cell_paragraphs(tc: Any) -> list[str]:
    """The non-empty paragraphs of a cell, nested tables included (a pasted table becomes its text)."""
    texts = (clean(paragraph_text(p)) for p in tc.iter(_W_P))
    return [t for t in texts if t]


def _rows(tbl: Any) -> list[list[Any]]:
    return [[tc for tc in tr.iterchildren(_W_TC)] for tr in tbl.iterchildren(_W_TR)]


def _tables(body: Any) -> Iterator[Any]:
    """The document's top-level tables, also those an editor wrapped in a content control."""
    for el in body.iter(_W_TBL):
        if not any(a.tag == _W_TBL for a in el.iterancestors()):
            yield el


def _label(tc: Any) -> str | None:
    first = next((clean(paragraph_text(p)) for p in tc.iter(_W_P) if clean(paragraph_text(p))), "")
    m = LABEL.match(first)
    return m.group(1).strip() if m else None


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def read_form(path: Path) -> FormContent:
    """The narrative fields of a form written by :func:`write_form` (and edited since).

    Raises :class:`FormError` naming the file, the section and the row for a file that is not a DOCX, a
    section missing or given twice, or a row of 改进措施 or 参数 half filled."""
    try:
        doc = Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not a DOCX
        raise FormError(f"{NARRATIVE} {path}：不是 Word 文档（.docx）（not a Word document: {exc}）") from exc
    accept_revisions(doc.element.body)
    data: dict[str, Any] = {}
    places: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    by_label = {f.label: f for f in FIELDS}
    for number, tbl in enumerate(_tables(doc.element.body), start=1):
        rows = _rows(tbl)
        if not rows or not rows[0]:
            continue
        label = _label(rows[0][0])
        first_cell = _cell_paragraphs(rows[0][0])
        if label is None and first_cell[:1] == [META] and len(rows[0]) >= 4:
            meta = [" ".join(_cell_paragraphs(tc)) for tc in rows[0]]
            data["department"] = meta[1]
            try:
                data["year"] = int(meta[3])
            except ValueError as exc:
                raise FormError(f"{NARRATIVE} {path}，第 {number} 个表格（{META}）：年度 {meta[3]!r} 不是年份"
                                "（is not a year）") from exc
            continue
        if label is None or label == FIGURES:
            continue
        if label in seen:
            raise FormError(f"{NARRATIVE} {path}：【{label}】出现两次（第 {seen[label]} 与第 {number} 个表格），"
                            "请只保留一个（appears twice; keep one）")
        seen[label] = number
        if label in by_label:
            form_field = by_label[label]
            paragraphs = [p for tr in rows[1:] for tc in tr for p in _cell_paragraphs(tc)]
            if form_field.kind == "list":
                value: Any = paragraphs
                places[form_field.path] = [paragraph_of(label, i) for i in range(1, len(paragraphs) + 1)]
            else:
                value = joined(paragraphs) if paragraphs else ("" if form_field.kind == "text" else None)
                texts[form_field.path] = paragraphs
                places[form_field.path] = [paragraph_of(label, i)
                                           for i in range(1, len(paragraphs) + 1)] or [f"【{label}】"]
            _set(data, form_field.path, value)
        elif label == MEASURES:
            data["measures"] = _measures(path, rows[1:], places)
        elif label == PARAMETERS:
            data["parameters"] = _parameters(path, rows[1:])
    missing = [f"【{f.label}】" for f in FIELDS if f.label not in seen and f.kind != "optional"]
    if missing:
        raise FormError(f"{NARRATIVE} {path}：缺少{'、'.join(missing)}（is missing）；填报表每栏一个表格，"
                        "以首格的【栏目名】识别，可用 `selfeval form` 重新生成填报表")
    if "department" not in data:
        raise FormError(f"{NARRATIVE} {path}：缺少{META}表格（填报表的第一个表格）（is missing）")
    return FormContent(data, places, texts)


def _measures(path: Path, rows: list[list[Any]], places: dict[str, list[str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    where: list[str] = []
    for n, row in enumerate(rows, start=2):
        cells = [joined(_cell_paragraphs(tc)) for tc in row]
        heading, text = [*cells, "", ""][:2]
        if not heading and not text:
            continue
        if not heading or not text:
            missing = "标题" if not heading else "具体内容"
            raise FormError(f"{NARRATIVE} {path}，{row_of(MEASURES, n)}：{missing}为空，请填写或清空该行（is empty）")
        out.append({"heading": heading, "text": text})
        where.append(row_of(MEASURES, n))
    places["measures"] = where
    return out


def _parameters(path: Path, rows: list[list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, row in enumerate(rows, start=2):
        cells = [" ".join(_cell_paragraphs(tc)) for tc in row]
        name, raw = [*cells, "", ""][:2]
        if not name and not raw:
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise FormError(f"{NARRATIVE} {path}，{row_of(PARAMETERS, n)}：{name!r} 不是参数名，"
                            "参数名由字母、数字和 _ 组成（is not a parameter name）")
        try:
            out[name] = yaml.safe_load(raw) if raw else None
        except yaml.YAMLError as exc:
            raise FormError(f"{NARRATIVE} {path}，{row_of(PARAMETERS, n)}：取值 {raw!r} 既不是数字也不是文字"
                            f"（is not a number or text: {' '.join(str(exc).split())}）") from exc
    return out
