"""The report as a Word document in the layout of official documents (GB/T 9704), editable by offices.

Real Word styles are used, restyled: ``Title`` in a 小标宋-style face, ``Heading 1`` (一、…) in a
黑体-style face, ``Heading 2`` (（一）…) in a 楷体-style face, ``Normal`` in a 仿宋-style face at 三号
(16 pt) with a two-character first-line indent; A4 with the margins of GB/T 9704. Fonts are named
as offices have them (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312); Word substitutes where missing.
The file is written deterministically: the same report gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from tasks.report.charts import Chart
from tasks.report.document import Block, plain
from tasks.report.office import FACES, FOOTER_FACE, office_faces, saved, set_fonts
from tasks.report.tables import Table

SIZES = {"Title": 22, "Heading 1": 16, "Heading 2": 16, "Normal": 16}  # 二号, 三号
LINE = Pt(28.9)  # GB/T 9704: 22 lines to the page


def _styles(doc: object) -> None:
    styles = doc.styles  # type: ignore[attr-defined]
    for name, face in FACES.items():
        style = styles[name]
        set_fonts(style, face, SIZES[name], bold=False)
        fmt = style.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["Title"].paragraph_format.line_spacing = Pt(36)
    styles["Normal"].paragraph_format.first_line_indent = Pt(32)  # two characters
    styles["Normal"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name in ("Heading 1", "Heading 2"):
        styles[name].paragraph_format.first_line_indent = Pt(32)
        styles[name].paragraph_format.keep_with_next = True
    # The default template puts a rule under the Title; official documents have none.
    ppr = styles["Title"].element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _page(doc: object) -> None:
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    footer.add_run("— ")
    run = footer.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    footer.add_run(" —")
    for r in footer.runs:
        set_fonts(r, FOOTER_FACE, 14)


TEXT_WIDTH_MM = 210 - 28 - 26  # A4 less the margins of _page
WIDEST = "三级指标"  # the 自评表's indicator names: the column a reader scans, given the most room
UNITS = ("%", "‰", "万元", "亿元", "元", "分", "家", "个", "项", "次", "人", "人次", "件", "户", "天", "小时", "分钟",
         "篇", "场", "平方米", "㎡", "套", "台", "所", "批")
NUMBER = re.compile(r"[-+≥≤>＜<＞=]?[\d,]+(\.\d+)?\s*(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")?")


def _display(text: str) -> int:
    """Width of ``text`` in half-width columns: an ideograph or full-width form counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def column_widths(table: Table, total_mm: float = TEXT_WIDTH_MM) -> list[float]:
    """Each column's width in mm, sized to its content: the longest cell (a long text counts as 24 columns,
    for it wraps), the header at half its length (it may wrap on two lines), at least 5 columns; the
    三级指标 column the widest. The widths add up to ``total_mm``."""
    want = []
    for i, head in enumerate(table.header):
        cells = [_display(str(row[i])) for row in table.rows if i < len(row)]
        want.append(max(5, (_display(head) + 1) // 2, *(min(c, 24) for c in cells)))
    if WIDEST in table.header:
        i = table.header.index(WIDEST)
        want[i] = max(want) + 2
    scale = total_mm / sum(want)
    return [round(w * scale, 1) for w in want]


def is_number(text: str) -> bool:
    """A cell that holds a figure (12,103.27; 99.10%; ≥95%; 20分): right-aligned as tables of figures are."""
    return bool(NUMBER.fullmatch(text.strip())) and any(c.isdigit() for c in text)


CAPTION_PT = 14
DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,6}〔\d{4}〕\d+号")  # 财预〔2020〕10号: never broken
WORD_JOINER = "\u2060"


def caption_lines(caption: str, width_mm: float = TEXT_WIDTH_MM, size_pt: float = CAPTION_PT) -> list[str]:
    """A table's title as lines that never strand a word: as is when it fits on a line, else cut at the break
    nearest its middle (after 年度, or at a space), so that 部门整体支出绩效自评表 stays whole."""
    per_line = int(width_mm / (size_pt * 0.3528)) * 2  # half-width columns a line holds
    if _display(caption) <= per_line:
        return [caption]
    cuts = [m.end() for m in re.finditer(r"年度|\s", caption)]
    if not cuts:
        return [caption]
    middle = len(caption) / 2
    cut = min(cuts, key=lambda c: abs(c - middle))
    return [caption[:cut].strip(), caption[cut:].strip()]


def unbroken(text: str) -> str:
    """``text`` with its document numbers (财预〔2020〕10号) held together by word joiners."""
    return DOCUMENT_NUMBER.sub(lambda m: WORD_JOINER.join(m.group()), text)


def _table(doc: object, table: Table) -> None:
    caption = doc.add_paragraph(style="Normal")  # type: ignore[attr-defined]
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Pt(0)
    lines = caption_lines(table.caption)
    for i, line in enumerate(lines):
        run = caption.add_run(unbroken(line))
        set_fonts(run, "黑体", CAPTION_PT)
        if i < len(lines) - 1:
            run.add_break()
    grid = doc.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    grid.autofit = False
    widths = [Mm(w) for w in column_widths(table)]
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.text = text
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    for r, row in enumerate(grid.rows):
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width  # Word reads the cell's width; LibreOffice the grid's
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.first_line_indent = Pt(0)
                paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                if r == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif is_number(cell.text):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    set_fonts(run, "仿宋_GB2312", 10)
    for note in table.notes:
        p = doc.add_paragraph(unbroken(note), style="Normal")  # type: ignore[attr-defined]
        for run in p.runs:
            set_fonts(run, "仿宋_GB2312", 12)


# Word's own watermark: a VML WordArt shape in the header, behind the text on every page (Word, WPS and
# LibreOffice show it; Word's 设计 → 水印 edits or removes it).
WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
  path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>
<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>
<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
  o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>
<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" o:allowincell="f"
  fillcolor="#c00000" stroked="f" style="position:absolute;margin-left:0;margin-top:0;width:360pt;height:180pt;
  rotation:315;z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;
  mso-position-vertical:center;mso-position-vertical-relative:margin"><v:fill opacity=".15"/>
<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="草稿"/></v:shape></w:pict></w:r>"""


def _watermark(doc: object) -> None:
    header = doc.sections[0].header  # type: ignore[attr-defined]
    header.is_linked_to_previous = False
    header.paragraphs[0]._p.append(parse_xml(WATERMARK))


def to_docx(blocks: list[Block], charts: dict[str, Chart], created: dt.datetime, watermark: bool = False) -> bytes:
    """The report as DOCX bytes; ``watermark`` puts a 草稿 watermark on every page (a draft)."""
    doc = Document()
    office_faces(doc)
    _styles(doc)
    _page(doc)
    if watermark:
        _watermark(doc)
    body = doc.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    for block in blocks:
        text = plain(block.text)
        if block.kind == "title":
            doc.add_paragraph(text, style="Title")
        elif block.kind == "h1":
            doc.add_heading(text, level=1)
        elif block.kind == "h2":
            doc.add_heading(text, level=2)
        elif block.kind in ("p", "note"):
            p = doc.add_paragraph(text, style="Normal")
            if block.kind == "note":
                for run in p.runs:
                    set_fonts(run, "仿宋_GB2312", 14)
        elif block.kind == "table" and isinstance(block.data, Table):
            _table(doc, block.data)
        elif block.kind == "image" and block.data is not None:
            chart = charts[block.text]
            picture = doc.add_paragraph(style="Normal")
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.first_line_indent = Pt(0)
            picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            picture.add_run().add_picture(io.BytesIO(chart.png), width=Cm(15.5))
        elif block.kind == "pagebreak":
            doc.add_page_break()
    return saved(doc, created, plain(blocks[1].text) if len(blocks) > 1 else "")
