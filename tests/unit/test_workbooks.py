"""Workbooks as offices export them: formula noise, totals wherever they stand, sheet choice, odd files."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tasks.sources.base import FileSource
from tasks.sources.contract import BUDGET_LINES
from tasks.sources.errors import SourceError
from tasks.sources.staging import stage
from tasks.sources.workbook_reader import read_workbook

HEADER = ["部门编码", "指标编号", "项目编码", "项目名称", "资金来源", "支出性质",
          "全年预算数", "全年执行数", "年末结转和结余"]
LINES = [["D", "L1", "P1", "甲", "一般公共预算财政拨款", "基本支出", 13120154.23, 13120154.22],
         ["D", "L2", "P2", "乙", "一般公共预算财政拨款", "项目支出", 100.10, 100.10]]


def book(rows, *, hidden_first=False, title="明细", unit="单位：元", extra_sheet_first=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_sheet_first is not None:
        ws.title = extra_sheet_first[0]
        for r in extra_sheet_first[1]:
            ws.append(r)
        ws = wb.create_sheet(title)
    else:
        ws.title = title
    if hidden_first:
        dd = wb.create_sheet("下拉列表", 0)
        dd.append(HEADER)
        dd.sheet_state = "hidden"
    ws.append([unit])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def lines_with_carryover(total=None, total_at_top=False, label="合计", label_column=0):
    body = [[*r, r[6] - r[7]] for r in LINES]  # =G-H: 0.009999999776482582 for the first line
    rows = [HEADER]
    if total is not None:
        total_row = [""] * 9
        total_row[label_column] = label
        total_row[6:9] = total
        if total_at_top:
            rows.append(total_row)
    rows += body
    if total is not None and not total_at_top:
        rows.append(total_row)
    return rows


def sums():
    body = [[*r, r[6] - r[7]] for r in LINES]
    return [sum(r[i] for r in body) for i in (6, 7, 8)]


def test_subtraction_noise_is_the_fen_excel_shows():
    rows = lines_with_carryover(total=sums())
    assert rows[1][8] != 0.01  # really noisy
    frame = stage(read_workbook(book(rows), "b.xlsx", BUDGET_LINES))
    assert frame["carryover"].tolist() == [1, 0]
    assert frame["budget"].tolist() == [1312015423, 10010]


def test_a_cell_really_more_precise_than_a_fen_is_refused_as_excel_shows_it():
    rows = [HEADER, [*LINES[0][:6], 57521.585, 0, 0]]
    with pytest.raises(SourceError) as caught:
        stage(read_workbook(book(rows), "b.xlsx", BUDGET_LINES))
    problem = caught.value.problem
    assert (problem.sheet, problem.row) == ("明细", 3) and "'57521.585' is more precise than 1 分" in problem.message
    assert "工作表「明细」，第 3 行，「全年预算数" in str(problem)


@pytest.mark.parametrize(("at_top", "label", "column"), [
    (False, "合计", 0), (True, "合计", 0), (False, "合　计", 0), (False, "合计：", 0), (False, "合计", 1)])
def test_a_total_row_is_checked_wherever_it_stands(at_top, label, column):
    good = lines_with_carryover(total=sums(), total_at_top=at_top, label=label, label_column=column)
    assert len(stage(read_workbook(book(good), "b.xlsx", BUDGET_LINES))) == 2
    wrong = lines_with_carryover(total=[s + 1000 for s in sums()], total_at_top=at_top, label=label,
                                 label_column=column)
    with pytest.raises(SourceError, match=r"row states .* but the rows (above|below) add up to"):
        read_workbook(book(wrong), "b.xlsx", BUDGET_LINES)


def test_the_detail_sheet_wins_over_a_summary_sheet_before_it():
    summary = ("汇总", [["部门编码", "项目", "全年预算数", "全年执行数"], ["D", "合计", 1, 1]])
    data = book(lines_with_carryover(), extra_sheet_first=summary)
    raw = read_workbook(data, "b.xlsx", BUDGET_LINES)
    assert raw.sheet == "明细" and len(stage(raw)) == 2


def test_hidden_drop_down_sheet_is_passed_over():
    raw = read_workbook(book(lines_with_carryover(), hidden_first=True), "b.xlsx", BUDGET_LINES)
    assert raw.sheet == "明细"


def test_header_cells_with_line_breaks_and_empty_used_range_columns():
    rows = lines_with_carryover()
    rows[0] = [h.replace("预算", "\n预算") for h in HEADER] + ["", ""]
    rows[1] = [*rows[1], None, None]
    raw = read_workbook(book(rows), "b.xlsx", BUDGET_LINES)
    assert raw.warnings == [] and stage(raw)["budget"].tolist() == [1312015423, 10010]


@pytest.mark.parametrize(("data", "words"), [
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML page"),
    ("部门编码\t指标编号\nD\tL1\n".encode(), "text saved under a workbook's name"),
])
def test_files_that_are_not_workbooks_say_what_they_are(data, words):
    with pytest.raises(SourceError, match=words):
        read_workbook(data, "b.xls", BUDGET_LINES)


def test_a_suffix_in_capitals_is_found(tmp_path):
    folder = tmp_path / "2022" / "D"
    folder.mkdir(parents=True)
    (folder / "budget_lines.XLSX").write_bytes(book(lines_with_carryover()))
    source = FileSource("finance", tmp_path)
    assert len(stage(source.read(BUDGET_LINES, year=2022, department="D"))) == 2


TARGET_HEADER = ["部门编码", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "计量单位", "分值", "完成值来源"]


def targets_book(cells: list[tuple[object, str | None]]) -> bytes:
    """A 绩效目标 sheet whose 指标值 cells are the given (value, number format) pairs."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标"
    ws.append(["部门整体绩效目标申报表"])
    ws.append(TARGET_HEADER)
    for n, (value, fmt) in enumerate(cells):
        ws.append(["D", "效益指标", "满意度指标", f"指标{n}", "≥", value, "%", 10, "reported"])
        if fmt:
            ws.cell(row=ws.max_row, column=6).number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("value", "fmt", "read"), [
    (0.95, "0%", "95%"),
    (0.955, "0%", "95.5%"),  # the value, not the format's rounding (96%)
    (0.9, "0.00%", "90%"),
    (0.95, None, "0.95"),  # a plain number keeps its value: with 计量单位 % it means 0.95 %
    (95, "General", "95"),
    ("95%", None, "95%"),  # typed as text
])
def test_a_cell_formatted_as_a_percentage_reads_as_it_shows(value, fmt, read):
    from tasks.sources.contract import TARGETS

    raw = read_workbook(targets_book([(value, fmt)]), "finance/2022/D/targets.xlsx", TARGETS)
    assert raw.frame["指标值"].tolist() == [read]
    assert raw.frame["分值"].tolist() == ["10"]  # other number columns are not looked at


def test_percent_formats_are_read_from_an_xls_too():
    """Excel 97-2003 (.xls, and WPS .et) keep number formats in their own records: read with xlrd."""
    from pathlib import Path

    from tasks.sources.contract import TARGETS

    path = Path(__file__).resolve().parents[1] / "corpus" / "files" / "targets-percent.xls"
    raw = read_workbook(path.read_bytes(), "finance/2022/D/targets.xls", TARGETS)
    assert raw.frame["指标值"].tolist() == ["95%", "0.95", "95.5%"]
