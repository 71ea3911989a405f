"""The Word form read in its final view: every kind of tracked change that Word and WPS write, accepted as
Word shows the document with 'No Markup' (ECMA-376 Part 1, 17.13.5), and comments left alone."""

from __future__ import annotations

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from tasks.report.narrative import load_narrative
from tests.conftest import LIWAN
from tests.unit.test_narrative_form import box, form_file, sample_data, section

W = nsdecls("w")
REV = 'w:id="{id}" w:author="审核人" w:date="2026-12-01T09:00:00Z"'


def _run(text: str, tag: str = "w:t") -> str:
    return f'<w:r><{tag} xml:space="preserve">{text}</{tag}></w:r>'


def _paragraph(body: str, mark: str = "") -> object:
    """A paragraph of raw runs; ``mark`` is a revision mark on its paragraph mark (w:del, w:ins, w:moveFrom)."""
    ppr = f"<w:pPr><w:rPr><{mark} {REV.format(id=90)}/></w:rPr></w:pPr>" if mark else ""
    return parse_xml(f"<w:p {W}>{ppr}{body}</w:p>")


def _replace(cell, *paragraphs) -> None:
    """The cell's paragraphs replaced by ``paragraphs`` (XML elements)."""
    tc = cell._tc
    for p in list(tc.iterchildren(tc.tag.replace("}tc", "}p"))):
        tc.remove(p)
    for p in paragraphs:
        tc.append(p)


def read(tmp_path):
    return load_narrative(tmp_path / "narrative", 2022, LIWAN)


def test_a_moved_sentence_is_read_once_where_it_was_moved_to(tmp_path):
    """Word writes a move as its source (w:moveFrom, still holding w:t text) and its destination
    (w:moveTo): read both, the sentence is printed twice; read as final, once."""
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    _replace(box(doc, "主要成效"), _paragraph(
        f'<w:moveFromRangeStart {REV.format(id=1)} w:name="move1"/>'
        f'<w:moveTo {REV.format(id=2)}>{_run("二是营商环境持续优化。")}</w:moveTo>'
        f'{_run("一是产业规模稳步扩大。")}'
        f'<w:moveFrom {REV.format(id=3)}>{_run("二是营商环境持续优化。")}</w:moveFrom>'
        f'<w:moveFromRangeEnd w:id="1"/>'))
    doc.save(str(path))
    assert read(tmp_path).achievements == "二是营商环境持续优化。一是产业规模稳步扩大。"


def test_deleted_and_inserted_text_and_a_deletion_inside_an_insertion(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    _replace(box(doc, "自评结论综述"), _paragraph(
        f'{_run("各重点工作任务完成")}'
        f'<w:del {REV.format(id=1)}>{_run("较好", "w:delText")}</w:del>'
        f'<w:ins {REV.format(id=2)}>{_run("很好")}'
        f'<w:del {REV.format(id=3)}>{_run("非常", "w:delText")}</w:del></w:ins>'))
    doc.save(str(path))
    assert read(tmp_path).conclusion.summary == "各重点工作任务完成很好"


def test_a_deleted_paragraph_mark_joins_the_paragraph_to_the_next(tmp_path):
    """Deleting the line break between two 职能 (the paragraph mark, tracked) makes them one item."""
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    before = read(tmp_path).functions
    _replace(box(doc, "部门职能"),
             _paragraph(_run("负责工业和信息化工作"), mark="w:del"),
             _paragraph(_run("，统筹推进科技创新。")),
             _paragraph(_run("第三条职能。")))
    doc.save(str(path))
    assert read(tmp_path).functions == ["负责工业和信息化工作，统筹推进科技创新。", "第三条职能。"]
    assert len(before) > 2


def test_a_deleted_paragraph_goes_and_an_inserted_one_stays(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    _replace(box(doc, "存在问题"),
             _paragraph(_run("问题一。")),
             _paragraph(f'<w:del {REV.format(id=5)}>{_run("删去的问题。", "w:delText")}</w:del>', mark="w:del"),
             _paragraph(f'<w:ins {REV.format(id=6)}>{_run("新增的问题。")}</w:ins>', mark="w:ins"))
    doc.save(str(path))
    assert read(tmp_path).problems == ["问题一。", "新增的问题。"]


def test_a_paragraph_moved_to_another_place_is_read_there_only(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    _replace(box(doc, "年度绩效目标"),
             _paragraph(f'<w:moveTo {REV.format(id=7)}>{_run("目标乙。")}</w:moveTo>', mark="w:moveTo"),
             _paragraph(_run("目标甲。")),
             _paragraph(f'<w:moveFrom {REV.format(id=8)}>{_run("目标乙。")}</w:moveFrom>', mark="w:moveFrom"))
    doc.save(str(path))
    assert read(tmp_path).goals == ["目标乙。", "目标甲。"]


def test_a_deleted_row_and_a_deleted_cell_go_and_an_inserted_row_stays(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    measures = section(doc, "下一步改进措施")
    before = read(tmp_path).measures
    deleted, inserted = measures.add_row(), measures.add_row()
    deleted.cells[0].text, deleted.cells[1].text = "删去的措施", "这一行已删除。"
    inserted.cells[0].text, inserted.cells[1].text = "新增的措施", "这一行是修订插入的。"
    deleted._tr.get_or_add_trPr().append(parse_xml(f"<w:del {W} {REV.format(id=9)}/>"))
    inserted._tr.get_or_add_trPr().append(parse_xml(f"<w:ins {W} {REV.format(id=10)}/>"))
    cell = box(doc, "部门职能")._tc
    gone = parse_xml(f"<w:tc {W}><w:tcPr><w:cellDel {REV.format(id=11)}/></w:tcPr>"
                     f"<w:p>{_run('删去的单元格里的职能。')}</w:p></w:tc>")
    cell.addnext(gone)
    doc.save(str(path))
    narrative = read(tmp_path)
    assert [m.heading for m in narrative.measures] == [m.heading for m in before] + ["新增的措施"]
    assert "删去的单元格里的职能。" not in narrative.functions


def test_formatting_changes_and_comments_leave_the_text_as_it_is(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    expected = read(tmp_path).task_analysis
    cell = box(doc, "重点工作任务完成情况分析")
    paragraph = cell.paragraphs[0]
    run = paragraph.runs[0]
    run.bold = True
    run._r.get_or_add_rPr().append(parse_xml(f"<w:rPrChange {W} {REV.format(id=12)}><w:rPr/></w:rPrChange>"))
    paragraph._p.get_or_add_pPr().append(parse_xml(f"<w:pPrChange {W} {REV.format(id=13)}><w:pPr/></w:pPrChange>"))
    doc.add_comment(paragraph.runs, text="请补充数据来源。", author="审核人", initials="审")
    doc.save(str(path))
    assert read(tmp_path).task_analysis == expected


def test_a_deleted_paragraph_mark_joins_past_a_bookmark_between_the_paragraphs(tmp_path):
    path = form_file(tmp_path, sample_data())
    doc = Document(str(path))
    _replace(box(doc, "部门职能"),
             _paragraph(_run("负责工业和信息化工作"), mark="w:del"),
             parse_xml(f'<w:bookmarkEnd {W} w:id="77"/>'),
             _paragraph(_run("，统筹推进科技创新。")))
    doc.save(str(path))
    assert read(tmp_path).functions == ["负责工业和信息化工作，统筹推进科技创新。"]
