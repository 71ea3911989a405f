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
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from lxml import etree

from tasks.report.charts import Chart
from tasks.report.document import Block, plain
from tasks.report.tables import Table

FACES = {"Title": "方正小标宋简体", "Heading 1": "黑体", "Heading 2": "楷体_GB2312", "Normal": "仿宋_GB2312"}
SIZES = {"Title": 22, "Heading 1": 16, "Heading 2": 16, "Normal": 16}  # 二号, 三号
LATIN = "Times New Roman"
FOOTER_FACE = "宋体"
# Each face's other names and fallbacks, in order: the Windows (English) name first, as Word and WPS look it
# up (the font table's ``w:altName``), then the free face a Linux machine has (fontconfig, for LibreOffice:
# deploy/fontconfig/65-selfeval-gbt9704.conf, kept in step by a test). ``family`` is the font table's class,
# which Word falls back by when neither is installed.
FALLBACKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "方正小标宋简体": ("roman", ("FZXiaoBiaoSong-B05S", "Noto Serif CJK SC")),
    "黑体": ("modern", ("SimHei", "Noto Sans CJK SC")),
    "楷体_GB2312": ("script", ("KaiTi", "AR PL UKai CN")),
    "仿宋_GB2312": ("modern", ("FangSong", "Noto Serif CJK SC")),
    "宋体": ("roman", ("SimSun", "Noto Serif CJK SC")),
}
LINE = Pt(28.9)  # GB/T 9704: 22 lines to the page


def _fonts(style_or_run: object, east_asian: str, size: int | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font  # type: ignore[attr-defined]
    font.name = LATIN
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style_or_run.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)


THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _no_theme_faces(doc: object) -> None:
    """Every face named, none taken from the theme: Word resolves a style's East Asian face from the theme
    when ``w:eastAsiaTheme`` is set (overriding the named 黑体/楷体/小标宋), and python-docx's default
    template sets it everywhere, with a ja-JP theme language. The defaults become 仿宋 in zh-CN."""
    styles = doc.styles.element  # type: ignore[attr-defined]
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in THEME_ATTRIBUTES:
            fonts.attrib.pop(qn(attr), None)
    defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if defaults is not None:
        fonts = defaults.find(qn("w:rFonts"))
        if fonts is not None:
            for attr in ("w:ascii", "w:hAnsi"):
                fonts.set(qn(attr), LATIN)
            fonts.set(qn("w:eastAsia"), FACES["Normal"])
        lang = defaults.find(qn("w:lang"))
        if lang is not None:
            lang.set(qn("w:val"), "zh-CN")
            lang.set(qn("w:eastAsia"), "zh-CN")
    settings = doc.settings.element  # type: ignore[attr-defined]
    for lang in settings.iter(qn("w:themeFontLang")):
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")


def _font_table(doc: object) -> None:
    """The font table names the faces the document uses, each with its Windows name (``w:altName``), its
    class and the GB2312 charset, instead of the default template's Japanese faces (ＭＳ 明朝, ＭＳ ゴシック)."""
    for rel in doc.part.rels.values():  # type: ignore[attr-defined]
        if rel.reltype != RT.FONT_TABLE:
            continue
        table = parse_xml(rel.target_part.blob)
        for font in table.findall(qn("w:font")):
            if font.get(qn("w:name")).startswith("ＭＳ"):
                table.remove(font)
        for name, (family, names) in FALLBACKS.items():
            font = OxmlElement("w:font")
            font.set(qn("w:name"), name)
            for tag, value in (("w:altName", names[0]), ("w:charset", "86"), ("w:family", family),
                               ("w:pitch", "variable")):
                child = OxmlElement(tag)
                child.set(qn("w:val"), value)
                font.append(child)
            table.append(font)
        rel.target_part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


# What follows w:overflowPunct in a paragraph's properties (the schema's order, CT_PPrBase).
PPR_AFTER_OVERFLOW = ("topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
                      "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
                      "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle",
                      "rPr", "sectPr", "pPrChange")


def _styles(doc: object) -> None:
    _no_theme_faces(doc)
    styles = doc.styles  # type: ignore[attr-defined]
    for name, face in FACES.items():
        style = styles[name]
        _fonts(style, face, SIZES[name], bold=False)
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
    # LibreOffice (7.4) lets a 、，。 at a line's end hang past the right margin and then does not paint it: its
    # PDF lost those commas. It reads w:overflowPunct inverted: "1" (Word's default when the element is absent:
    # punctuation may extend past the margin) turns its hanging off, so the line breaks before the character
    # instead. Word and WPS read "1" as their default, so nothing changes for them.
    overflow = OxmlElement("w:overflowPunct")
    overflow.set(qn("w:val"), "1")
    ppr = styles["Normal"].element.get_or_add_pPr()
    later = [c for c in ppr if c.tag in {qn(f"w:{t}") for t in PPR_AFTER_OVERFLOW}]
    if later:
        later[0].addprevious(overflow)
    else:
        ppr.append(overflow)
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
        _fonts(r, FOOTER_FACE, 14)


def _table(doc: object, table: Table) -> None:
    caption = doc.add_paragraph(table.caption, style="Normal")  # type: ignore[attr-defined]
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Pt(0)
    for run in caption.runs:
        _fonts(run, "黑体", 14)
    grid = doc.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.text = text
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.first_line_indent = Pt(0)
                paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                for run in paragraph.runs:
                    _fonts(run, "仿宋_GB2312", 10)
    for note in table.notes:
        p = doc.add_paragraph(note, style="Normal")  # type: ignore[attr-defined]
        for run in p.runs:
            _fonts(run, "仿宋_GB2312", 12)


def to_docx(blocks: list[Block], charts: dict[str, Chart], created: dt.datetime) -> bytes:
    doc = Document()
    _styles(doc)
    _font_table(doc)
    _page(doc)
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
                    _fonts(run, "仿宋_GB2312", 14)
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
    props = doc.core_properties
    props.title = plain(blocks[1].text) if len(blocks) > 1 else ""
    props.author = props.last_modified_by = "selfeval"
    props.created = props.modified = created
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed member times, so equal documents are equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
