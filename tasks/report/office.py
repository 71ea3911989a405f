"""What every Word document selfeval writes needs to open with the right faces in Word, WPS and LibreOffice.

The faces of GB/T 9704 are named as offices have them (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312), none taken
from the theme, with their other names and free fallbacks (:data:`FALLBACKS`). Used by the report
(:mod:`tasks.report.docx_render`) and the narrative form (:mod:`tasks.report.narrative_form`).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from lxml import etree

FACES = {"Title": "方正小标宋简体", "Heading 1": "黑体", "Heading 2": "楷体_GB2312", "Normal": "仿宋_GB2312"}
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

def set_fonts(style_or_run: object, east_asian: str, size: int | None = None, bold: bool | None = None) -> None:
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


def _no_hanging_punctuation(doc: object) -> None:
    # LibreOffice (7.4) lets a 、，。 at a line's end hang past the right margin and then does not paint it: its
    # PDF lost those commas. It reads w:overflowPunct inverted: "1" (Word's default when the element is absent:
    # punctuation may extend past the margin) turns its hanging off, so the line breaks before the character
    # instead. Word and WPS read "1" as their default, so nothing changes for them.
    overflow = OxmlElement("w:overflowPunct")
    overflow.set(qn("w:val"), "1")
    ppr = doc.styles["Normal"].element.get_or_add_pPr()  # type: ignore[attr-defined]
    later = [c for c in ppr if c.tag in {qn(f"w:{t}") for t in PPR_AFTER_OVERFLOW}]
    if later:
        later[0].addprevious(overflow)
    else:
        ppr.append(overflow)


def office_faces(doc: object) -> None:
    """What any DOCX of selfeval needs to open right in Word, WPS and LibreOffice: every face named (none from
    the theme, zh-CN theme language), each face's other names in the font table, no lost hanging punctuation."""
    _no_theme_faces(doc)
    _font_table(doc)
    _no_hanging_punctuation(doc)


def saved(doc: object, created: dt.datetime, title: str, subject: str | None = None) -> bytes:
    """The document as DOCX bytes, its properties fixed (author selfeval, ``created`` as created and modified,
    revision 1) and its archive's member times too: equal documents give equal bytes."""
    props = doc.core_properties  # type: ignore[attr-defined]
    props.title = title
    if subject is not None:
        props.subject = subject
    props.author = props.last_modified_by = "selfeval"
    props.created = props.modified = created
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)  # type: ignore[attr-defined]
    return fixed_zip(buf.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed member times, so equal documents are equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
