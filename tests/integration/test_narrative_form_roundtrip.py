"""The Word form end to end: `selfeval form`, the form in place of the YAML, `selfeval run`, and the form saved
by LibreOffice as an office would."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docx import Document

from flows.cli import main
from tests.conftest import LIWAN, libreoffice_convert


def run(source: Path, tmp: Path, *extra: str) -> int:
    return main(["run", "--year", "2022", "--department", LIWAN, "--source", str(source),
                 "--warehouse", f"duckdb:///{tmp}/wh.duckdb", "--out", str(tmp / "out"), *extra])


@pytest.fixture(scope="module")
def roundtrip(prefect_harness, tmp_path_factory) -> dict[str, Path]:
    """The sample run with its YAML; then `selfeval form`; then the same run with the form instead."""
    tmp = tmp_path_factory.mktemp("form")
    source = tmp / "sample"
    shutil.copytree(Path("data/sample"), source)
    assert run(source, tmp) == 0
    yaml_report = tmp / "yaml-report.md"
    shutil.copy(tmp / "out" / "2022" / LIWAN / "report.md", yaml_report)
    form = tmp / "form.docx"
    assert main(["form", "--year", "2022", "--department", LIWAN, "--source", str(source),
                 "--warehouse", f"duckdb:///{tmp}/wh.duckdb", "--out", str(form)]) == 0
    narrative = source / "narrative" / "2022"
    (narrative / f"{LIWAN}.yaml").unlink()
    shutil.copy(form, narrative / f"{LIWAN}.docx")
    assert run(source, tmp) == 0
    return {"tmp": tmp, "source": source, "form": form, "yaml_report": yaml_report,
            "form_report": tmp / "out" / "2022" / LIWAN / "report.md"}


def test_the_form_in_place_of_the_yaml_gives_the_same_report_byte_for_byte(roundtrip):
    assert roundtrip["form_report"].read_bytes() == roundtrip["yaml_report"].read_bytes()


def test_the_form_lists_the_figures_with_their_values_in_the_warehouse(roundtrip):
    from tasks.report.narrative_form import paragraph_text

    doc = Document(str(roundtrip["form"]))
    figures = next(t for t in doc.tables if t.cell(0, 0).text.startswith("【可引用的数字】"))

    def text(cell) -> str:  # the value is in a content control, which python-docx's cell.text leaves out
        return "".join(paragraph_text(p) for p in cell._tc.iter("{*}p"))

    rows = {text(r.cells[0]): text(r.cells[2]) for r in figures.rows[1:]}
    assert rows["{{ budget }}"] == "12103.34万元" and rows["{{ srdi_applicants }}"].endswith("家")


def test_an_edit_in_the_form_comes_through_to_the_report(roundtrip):
    tmp, source = roundtrip["tmp"], roundtrip["source"]
    path = source / "narrative" / "2022" / f"{LIWAN}.docx"
    doc = Document(str(path))
    cell = next(t for t in doc.tables if t.cell(0, 0).text.startswith("【存在问题】")).cell(1, 0)
    first = cell.paragraphs[0]
    for r in first.runs[1:]:
        r.text = ""
    first.runs[0].text = "一是工作效率仍待提升。"
    achievements = next(t for t in doc.tables if t.cell(0, 0).text.startswith("【主要成效】")).cell(1, 0)
    achievements.add_paragraph("另有专精特新申报企业 {{ srdi_applicants }} 家。")
    doc.save(str(path))
    assert run(source, tmp) == 0
    report = roundtrip["form_report"].read_text(encoding="utf-8")
    assert "一是工作效率仍待提升。" in report and "一是工作效率有待提升。" not in report
    assert re.search(r"另有专精特新申报企业 \d+ 家。", report)


def test_a_form_saved_by_libreoffice_reads_back_unchanged(roundtrip, tmp_path):
    """Open and save in LibreOffice (headless: load the DOCX, write a DOCX), as an office would."""
    from tasks.report.narrative import load_narrative

    saved = libreoffice_convert(roundtrip["form"], "docx:MS Word 2007 XML", tmp_path / "narrative" / "2022")
    saved.rename(saved.with_name(f"{LIWAN}.docx"))
    assert load_narrative(tmp_path / "narrative", 2022, LIWAN).model_dump() == \
        load_narrative(Path("data/sample/narrative"), 2022, LIWAN).model_dump()
