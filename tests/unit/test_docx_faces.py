"""The fallbacks of the GB/T 9704 faces are named twice, for two readers: the DOCX font table (Word, WPS)
and the fontconfig file (LibreOffice, WeasyPrint). They must not drift apart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tasks.report.office import FACES, FALLBACKS, FOOTER_FACE

CONF = Path(__file__).resolve().parents[2] / "deploy" / "fontconfig" / "65-selfeval-gbt9704.conf"


def conf_fallbacks() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for match in ET.parse(CONF).getroot().iter("match"):
        face = match.findtext("test/string")
        assert face, "a rule without a family test"
        out[face] = tuple(e.findtext("string") or "" for e in match.findall("edit") if e.get("name") == "family")
    return out


def test_the_fontconfig_file_and_the_font_table_name_the_same_fallbacks():
    assert conf_fallbacks() == {face: names for face, (_, names) in FALLBACKS.items()}


def test_every_face_the_document_names_has_fallbacks():
    assert set(FACES.values()) | {FOOTER_FACE} <= set(FALLBACKS)


def test_the_title_falls_back_to_a_bold_face():
    rule = next(m for m in ET.parse(CONF).getroot().iter("match") if m.findtext("test/string") == FACES["Title"])
    weight = next(e for e in rule.findall("edit") if e.get("name") == "weight")
    assert weight.findtext("const") == "bold"
