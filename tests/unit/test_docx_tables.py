"""The DOCX's tables as the bureau's forms lay them out: columns sized to their content, the 三级指标 column
widest, figures right-aligned; read back from the document (python-docx), not from the code's numbers."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tasks.report.document import Block
from tasks.report.docx_render import column_widths, is_number, to_docx
from tasks.report.tables import Table

INDICATORS = Table("（三）绩效指标", ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                  "偏差原因分析及改进措施"],
                   [["产出指标", "数量指标", "扶持科技型中小企业数量", "≥70家", "74家", "10", "10.00", ""],
                    ["效益指标", "满意度指标", "企业服务满意度", "≥90%", "95.00%", "10", "10.00", ""],
                    ["合计", "", "", "", "", "90", "89.50", ""]])


def _docx_table(table: Table):
    data = to_docx([Block("title", "某局"), Block("title", "报告"), Block("table", data=table)], {},
                   dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
    return Document(io.BytesIO(data)).tables[0]


def test_columns_are_sized_to_their_content_with_the_indicator_widest():
    grid = _docx_table(INDICATORS)
    widths = [cell.width for cell in grid.rows[1].cells]
    assert len(set(widths)) > 2  # not equal widths
    names = grid.rows[0].cells[2].text
    assert names == "三级指标" and widths[2] == max(widths)
    assert widths[5] < widths[2] / 2  # 分值 is narrow
    total_mm = sum(w for w in widths) / 36000
    assert 150 < total_mm < 160  # the text width of the page


def test_figures_are_right_aligned_and_text_is_not():
    grid = _docx_table(INDICATORS)
    row = grid.rows[1].cells
    assert [c.paragraphs[0].alignment for c in row[3:7]] == [WD_ALIGN_PARAGRAPH.RIGHT] * 4
    assert row[2].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    assert grid.rows[0].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_what_counts_as_a_figure():
    assert all(is_number(t) for t in ("12,103.27", "99.10%", "≥95%", "20分", "74", "-3.5", "1000万元"))
    assert not any(is_number(t) for t in ("企业服务满意度", "", "—", "按期完成", "2023年度"))


def test_widths_add_up_to_the_text_width():
    assert abs(sum(column_widths(INDICATORS)) - 156) < 0.5


def test_a_long_title_is_cut_where_no_word_is_stranded():
    from tasks.report.docx_render import caption_lines, unbroken

    lines = caption_lines("附表1 广州市荔湾区科技工业和信息化局2022年度部门整体支出绩效自评表")
    assert lines == ["附表1 广州市荔湾区科技工业和信息化局2022年度", "部门整体支出绩效自评表"]
    assert caption_lines("（三）绩效指标") == ["（三）绩效指标"]
    assert unbroken("按（财预〔2020〕10号）计分").replace("\u2060", "") == "按（财预〔2020〕10号）计分"
    assert "预\u2060〔\u20602\u20600" in unbroken("财预〔2020〕10号")
