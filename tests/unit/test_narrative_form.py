"""The narrative's Word form: written, edited as offices edit (python-docx here), and read back."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tasks.report.narrative import NarrativeAbsent, NarrativeError, check_narrative, load_narrative
from tasks.report.narrative_form import FormFigure, read_form, write_form
from tasks.warehouse.metrics import load_registry
from tests.conftest import LIWAN, SAMPLE

CREATED = dt.datetime(2026, 12, 2, 9, 0)
NARRATIVES = SAMPLE / "narrative"


def sample_data(code: str = LIWAN) -> dict:
    return load_narrative(NARRATIVES, 2022, code).model_dump(exclude={"performance_indicators"})


def form_file(tmp_path: Path, data: dict | None, code: str = LIWAN, year: int = 2022) -> Path:
    folder = tmp_path / "narrative" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{code}.docx"
    figures = [FormFigure("srdi_applicants", "省级专精特新申报企业数", "12家")]
    path.write_bytes(write_form(data, code, "科工信局", year, figures, "预填内容：测试。", CREATED))
    return path


def section(doc, label: str):
    """The table of the section whose first cell starts with 【label】."""
    return next(t for t in doc.tables if t.cell(0, 0).text.lstrip().startswith(f"【{label}】"))


def box(doc, label: str):
    """The cell a writer types into, under the section's 【label】."""
    return section(doc, label).cell(1, 0)


@pytest.mark.parametrize("code", [LIWAN, "440103-SWJ", "440103-WTJ"])
def test_a_form_reads_back_as_the_narrative_it_was_written_from(tmp_path, code):
    path = form_file(tmp_path, sample_data(code), code)
    assert load_narrative(tmp_path / "narrative", 2022, code).model_dump() == \
        load_narrative(NARRATIVES, 2022, code).model_dump()
    assert path.read_bytes() == form_file(tmp_path / "again", sample_data(code), code).read_bytes()  # deterministic


def test_typing_adding_paragraphs_and_pasting_with_formatting_come_through(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    achievements = box(doc, "主要成效").paragraphs[0]
    for run in achievements.runs:
        run.text = ""
    achievements.runs[0].text = "全年专精特新申报企业 {{ srdi_applicants }} 家，"
    pasted = achievements.add_run("成效显著。")  # pasted with its own formatting
    pasted.bold, pasted.italic, pasted.font.name = True, True, "微软雅黑"
    box(doc, "部门职能").add_paragraph("新增的一条职能。")
    box(doc, "存在问题").add_paragraph("")  # an empty paragraph is no item
    doc.save(str(path))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    assert narrative.achievements == "全年专精特新申报企业 {{ srdi_applicants }} 家，成效显著。"
    assert narrative.functions[-1] == "新增的一条职能。" and len(narrative.functions) == 14
    assert len(narrative.problems) == 3


def test_a_text_field_of_several_paragraphs_is_one_paragraph(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    box(doc, "重点工作任务完成情况分析").add_paragraph("另起一段。")
    box(doc, "主要成效").paragraphs[0].runs[-1].text += "R&D"
    box(doc, "主要成效").add_paragraph("investment grew")
    doc.save(str(path))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    assert narrative.task_analysis.endswith("“华南板块”。另起一段。")
    assert narrative.achievements.endswith("R&D investment grew")  # Latin words do not run together


def test_tracked_changes_read_as_accepted(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    p = box(doc, "自评结论综述").paragraphs[0]._p
    deleted, inserted = OxmlElement("w:del"), OxmlElement("w:ins")
    for el, tag, text in ((deleted, "w:delText", "较好"), (inserted, "w:t", "很好")):
        el.set(qn("w:id"), "1")
        el.set(qn("w:author"), "审核人")
        run, t = OxmlElement("w:r"), OxmlElement(tag)
        t.text = text
        run.append(t)
        el.append(run)
        p.append(el)
    doc.save(str(path))
    assert load_narrative(tmp_path / "narrative", 2022, LIWAN).conclusion.summary == "各重点工作任务完成较好很好"


def test_autocorrected_quotes_inside_template_tags_are_put_back(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    cell = box(doc, "主要成效")
    text = "".join(r.text for r in cell.paragraphs[0].runs)
    typed = text.replace("growth_above('rd_growth', rd_growth_threshold)",
                         "growth_above(‘rd_growth’, rd_growth_threshold)").replace("{{ srdi_applicants }}",
                                                                                   "｛｛ srdi_applicants ｝｝")
    assert typed != text
    for run in cell.paragraphs[0].runs[1:]:
        run.text = ""
    cell.paragraphs[0].runs[0].text = typed + "“引号”照旧。"
    doc.save(str(path))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    assert narrative.achievements == text + "“引号”照旧。"


def test_an_empty_form_for_a_new_year_has_every_box(tmp_path):
    form_file(tmp_path, None, year=2024)
    with pytest.raises(NarrativeError, match=r"【部门职能】：此栏不能为空：至少填写一段"):
        load_narrative(tmp_path / "narrative", 2024, LIWAN)


def test_measures_rows_are_added_and_a_half_filled_row_is_named(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    table = section(doc, "下一步改进措施")
    row = table.add_row()
    row.cells[0].text, row.cells[1].text = "坚持数字赋能", "一是推进数字政府建设。"
    doc.save(str(path))
    measures = load_narrative(tmp_path / "narrative", 2022, LIWAN).measures
    assert [m.heading for m in measures][-1] == "坚持数字赋能" and len(measures) == 5
    row.cells[1].text = ""
    doc.save(str(path))
    with pytest.raises(NarrativeError, match=r"【下一步改进措施】第 8 行：具体内容为空"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_an_unknown_figure_is_named_by_section_and_paragraph(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    box(doc, "主要成效").add_paragraph("新增 {{ srdi_aplicants }} 家。")
    doc.save(str(path))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    registry = load_registry(Path("templates/metrics.yaml"))
    with pytest.raises(NarrativeError) as caught:
        check_narrative(narrative, registry, str(path))
    message = str(caught.value)
    assert str(path) in message and "【主要成效】第 2 段" in message and "srdi_aplicants" in message


def test_a_deleted_section_is_refused_by_name(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    table = section(doc, "存在问题")
    table._tbl.getparent().remove(table._tbl)
    doc.save(str(path))
    with pytest.raises(NarrativeError, match=r"缺少【存在问题】"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_a_section_given_twice_is_refused(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    table = section(doc, "存在问题")
    table._tbl.addnext(copy.deepcopy(table._tbl))
    doc.save(str(path))
    with pytest.raises(NarrativeError, match=r"【存在问题】出现两次"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_a_bad_parameter_row_is_named(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    table = section(doc, "参数")
    table.cell(1, 1).text = "[0.5"
    doc.save(str(path))
    with pytest.raises(NarrativeError, match=r"【参数】第 2 行：取值 '\[0.5'"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_the_form_of_another_department_is_refused(tmp_path):
    path = form_file(tmp_path, sample_data("440103-SWJ"), "440103-SWJ")
    shutil.move(path, path.with_name(f"{LIWAN}.docx"))
    with pytest.raises(NarrativeError, match="文件写的是部门 440103-SWJ、年度 2022，应为 440103-KGXJ 2022"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_a_yaml_and_a_form_at_once_are_refused(tmp_path):
    path = form_file(tmp_path, sample_data())
    shutil.copy(NARRATIVES / "2022" / f"{LIWAN}.yaml", path.with_suffix(".yaml"))
    with pytest.raises(NarrativeError, match="同时存在，请只保留一个"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


@pytest.mark.parametrize("name", [f"{LIWAN}.yml", f"{LIWAN}.YAML"])
def test_a_yaml_narrative_under_another_suffix_is_read(tmp_path, name):
    folder = tmp_path / "narrative" / "2022"
    folder.mkdir(parents=True)
    shutil.copy(NARRATIVES / "2022" / f"{LIWAN}.yaml", folder / name)
    assert load_narrative(tmp_path / "narrative", 2022, LIWAN).department == LIWAN


def test_a_narrative_and_its_copy_are_refused(tmp_path):
    folder = tmp_path / "narrative" / "2022"
    folder.mkdir(parents=True)
    for name in (f"{LIWAN}.yaml", f"{LIWAN} - 副本.yaml"):
        shutil.copy(NARRATIVES / "2022" / f"{LIWAN}.yaml", folder / name)
    with pytest.raises(NarrativeError, match=r"副本\.yaml 同时存在"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_a_narrative_with_a_byte_order_mark_over_gbk_text_reads_with_a_warning(tmp_path):
    import codecs

    folder = tmp_path / "narrative" / "2022"
    folder.mkdir(parents=True)
    text = (NARRATIVES / "2022" / f"{LIWAN}.yaml").read_text(encoding="utf-8")
    (folder / f"{LIWAN}.yaml").write_bytes(codecs.BOM_UTF8 + text.encode("gbk"))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    assert narrative.functions == load_narrative(NARRATIVES, 2022, LIWAN).functions
    assert len(narrative.warnings) == 1 and "its text is GBK/GB18030" in narrative.warnings[0]


def test_a_file_that_is_not_a_word_document_is_named(tmp_path):
    path = tmp_path / "narrative" / "2022" / f"{LIWAN}.docx"
    path.parent.mkdir(parents=True)
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(NarrativeError, match=rf"{path}：不是 Word 文档"):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_no_narrative_at_all_is_absent_not_malformed(tmp_path):
    (tmp_path / "narrative" / "2022").mkdir(parents=True)
    with pytest.raises(NarrativeAbsent):
        load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_figures_are_locked_content_controls_the_reader_skips(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    sdts = [s for s in doc.element.body.iter(qn("w:sdt"))
            if s.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == "selfeval:figure:srdi_applicants"]
    assert len(sdts) == 1
    assert sdts[0].find(f"{qn('w:sdtPr')}/{qn('w:lock')}").get(qn("w:val")) == "sdtContentLocked"
    assert "".join(t.text for t in sdts[0].iter(qn("w:t"))) == "12家"
    assert "12家" not in str(read_form(path).data)  # the figures' table is not read into any field


def test_a_figure_named_where_text_is_printed_as_written_is_refused(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    box(doc, "自评结论综述").paragraphs[0].runs[0].text = "执行率达到 {{ execution_rate }}"
    doc.save(str(path))
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    with pytest.raises(NarrativeError, match=r"【自评结论综述】：数字占位符（\{\{ \}\}）只在"):
        check_narrative(narrative, load_registry(Path("templates/metrics.yaml")), str(path))


def test_a_grade_override_must_be_a_grade_of_the_profile(tmp_path):
    data = sample_data()
    data["conclusion"]["grade_override"] = "很好"
    path = form_file(tmp_path, data)
    narrative = load_narrative(tmp_path / "narrative", 2022, LIWAN)
    registry = load_registry(Path("templates/metrics.yaml"))
    with pytest.raises(NarrativeError, match=r"【自评等级调整】：等级 '很好' 不是评分方案中的等级"):
        check_narrative(narrative, registry, str(path), ["优秀", "良好", "中", "差"])
    check_narrative(narrative, registry, str(path))  # without the profile's grades, not checked
