"""The layouts 决算 and 台账 exports use, read the same from CSV and workbooks, or refused naming the place:
a header over three rows, 栏次 and unit rows under it, merged cells, line breaks in a quoted header cell,
one dataset over several sheets, and several files for one dataset."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tasks.sources.base import FileSource, is_copy_of
from tasks.sources.contract import BUDGET_LINES, PAYMENTS
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import SourceError
from tasks.sources.staging import stage
from tasks.sources.workbook_reader import read_workbook

LINE_HEADER = ["部门编码", "指标编号", "项目编码", "项目名称", "资金来源", "支出性质", "全年预算数", "全年执行数",
               "年末结转和结余"]
LINES = [["D", "L1", "P1", "科技专项", "一般公共预算财政拨款", "项目支出", "100.00", "90.00", "10.00"],
         ["D", "L2", "P1", "科技专项", "一般公共预算财政拨款", "项目支出", "50.50", "50.50", "0"],
         ["D", "L3", "P2", "人员经费", "一般公共预算财政拨款", "基本支出", "8.00", "8.00", "0"]]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    import csv

    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def workbook(sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for cells in (merges or {}).get(name, []):
            ws.merge_cells(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- a header over three rows, the middle one group labels only


def three_row_header() -> list[list[str]]:
    """部门编码 … 支出性质 merged down three rows; 预算执行情况 over 资金 | 结转; then the leaf names."""
    return [[*LINE_HEADER[:6], "预算执行情况", "", ""],
            [""] * 6 + ["资金", "", "结转"],
            [""] * 6 + ["全年预算数", "全年执行数", "年末结转和结余"]]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_header_over_three_rows_whose_middle_row_holds_only_group_labels(form):
    rows = [["单位：元"], *three_row_header(), *LINES]
    if form == "csv":
        raw = read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES)
    else:
        raw = read_workbook(workbook({"明细": rows}, {"明细": ["A2:A4", "G2:I2", "G3:H3"]}), "b.xlsx", BUDGET_LINES)
    frame = stage(raw)
    assert frame["budget"].tolist() == [10000, 5050, 800]
    assert frame["_row"].tolist() == [5, 6, 7]  # the records' own lines, under the 4 lines above them
    assert raw.header_row == 4


# --- 栏次 and unit rows under the header


@pytest.mark.parametrize("annex", [
    ["栏次", "", "", "", "", "", "1", "2", "3"],
    ["甲", "乙", "丙", "丁", "", "", "1", "2", "3=1-2"],
    ["", "", "", "", "", "", "1", "2", "3"],
])
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_column_numbers_row_under_the_header_is_skipped(annex, form):
    rows = [LINE_HEADER, annex, *LINES]
    raw = (read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES) if form == "csv"
           else read_workbook(workbook({"明细": rows}), "b.xlsx", BUDGET_LINES))
    frame = stage(raw)
    assert frame["line_id"].tolist() == ["L1", "L2", "L3"] and frame["_row"].tolist() == [3, 4, 5]


@pytest.mark.parametrize(("units", "budget"), [
    (["", "", "", "", "", "", "（元）", "（元）", "（元）"], [10000, 5050, 800]),
    (["", "", "", "", "", "", "（万元）", "（万元）", "（万元）"], [100_000_000, 50_500_000, 8_000_000]),
    (["", "", "", "", "", "", "万元", "万元", "万元"], [100_000_000, 50_500_000, 8_000_000]),
    (["", "", "", "", "", "", "(单位:万元)", "", ""], [100_000_000, 50_500_000, 8_000_000]),
])
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_unit_row_under_the_header_gives_its_columns_their_unit(units, budget, form):
    rows = [LINE_HEADER, units, *LINES]
    raw = (read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES) if form == "csv"
           else read_workbook(workbook({"明细": rows}), "b.xlsx", BUDGET_LINES))
    frame = stage(raw)
    assert frame["budget"].tolist() == budget and frame["_row"].tolist() == [3, 4, 5]


def test_a_unit_row_that_disagrees_with_the_header_or_the_unit_line_is_refused():
    header = [*LINE_HEADER[:6], "全年预算数（元）", *LINE_HEADER[7:]]
    rows = [header, [""] * 6 + ["（万元）", "", ""], *LINES]
    with pytest.raises(SourceError) as caught:
        read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES)
    assert (caught.value.problem.row, caught.value.problem.column) == (2, "全年预算数（元）")
    assert "the header says 元 but the unit row below it says 万元" in caught.value.problem.message
    rows = [["单位：元"], LINE_HEADER, [""] * 6 + ["（万元）", "（万元）", "（万元）"], *LINES]
    with pytest.raises(SourceError, match="the header says 万元 but the unit line"):
        stage(read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES))


# --- a quoted line break inside a CSV header cell


def test_a_quoted_line_break_inside_a_csv_header_cell():
    text = ("部门编码,指标编号,项目编码,项目名称,资金来源,支出性质,\"全年\n预算数\",\"全年\r\n执行数\",年末结转和结余\n"
            + "\n".join(",".join(r) for r in LINES) + "\n")
    raw = read_csv(text.encode("utf-8"), "b.csv", BUDGET_LINES)
    frame = stage(raw)
    assert frame["budget"].tolist() == [10000, 5050, 800] and frame["executed"].tolist() == [9000, 5050, 800]
    assert frame["_row"].tolist() == [4, 5, 6]  # the header takes lines 1-3, as an editor shows them


# --- merged cells in the data area


def test_merged_text_cells_give_each_row_their_value():
    rows = [LINE_HEADER, *[list(r) for r in LINES]]
    for r in rows[2:3]:
        r[2] = r[3] = r[4] = r[5] = None  # what a merged range holds outside its top-left cell
    data = workbook({"明细": rows}, {"明细": ["C2:C3", "D2:D3", "E2:E4", "F2:F3"]})
    frame = stage(read_workbook(data, "b.xlsx", BUDGET_LINES))
    assert frame["project_name"].tolist() == ["科技专项", "科技专项", "人员经费"]
    assert frame["fund_source"].tolist() == ["一般公共预算财政拨款"] * 3


def test_a_merged_amount_is_refused_saying_merged():
    rows = [LINE_HEADER, *[list(r) for r in LINES]]
    rows[2][6] = None
    data = workbook({"明细": rows}, {"明细": ["G2:G3"]})
    with pytest.raises(SourceError) as caught:
        read_workbook(data, "b.xlsx", BUDGET_LINES)
    problem = caught.value.problem
    assert "G2:G3 are merged" in problem.message and "cannot be shared between rows" in problem.message
    assert (problem.sheet, problem.row, problem.column) == ("明细", 2, "全年预算数")


# --- one dataset over several sheets


def test_a_dataset_spread_over_several_sheets_is_refused_naming_them():
    data = workbook({"1月": [LINE_HEADER, LINES[0]], "2月": [LINE_HEADER, LINES[1]], "说明": [["填表说明"]]})
    with pytest.raises(SourceError) as caught:
        read_workbook(data, "b.xlsx", BUDGET_LINES)
    assert "several sheets hold the budget_lines data: '1月', '2月'" in caught.value.problem.message
    assert "SELFEVAL_SHEETS" in str(caught.value.problem)
    # a sheet named in SELFEVAL_SHEETS is read alone; an empty template sheet beside the data is no data
    assert len(stage(read_workbook(data, "b.xlsx", BUDGET_LINES, "2月"))) == 1
    data = workbook({"填报模板": [LINE_HEADER], "明细": [LINE_HEADER, *LINES]})
    assert read_workbook(data, "b.xlsx", BUDGET_LINES).sheet == "明细"


# --- several files for one dataset


@pytest.mark.parametrize("others", [
    ["budget_lines.xlsx"], ["budget_lines.xls", "budget_lines.et"], ["BUDGET_LINES.CSV"],
    ["budget_lines (1).csv"], ["budget_lines - 副本.xlsx"],
])
def test_a_dataset_in_several_files_is_refused_naming_every_file(tmp_path, others):
    folder = tmp_path / "2022" / "D"
    folder.mkdir(parents=True)
    names = ["budget_lines.csv", *others]
    for name in names:
        (folder / name).write_bytes(csv_bytes([LINE_HEADER, *LINES]))
    if len(list(folder.iterdir())) < len(names):
        pytest.skip("this file system ignores case")
    source = FileSource("finance", tmp_path)
    with pytest.raises(SourceError) as caught:
        source.read(BUDGET_LINES, year=2022, department="D")
    message = caught.value.problem.message
    assert f"in {len(names)} files" in message and all(name in message for name in names)
    before = source.fingerprint(BUDGET_LINES, year=2022, department="D")
    for name in others:
        (folder / name).unlink()
    assert source.fingerprint(BUDGET_LINES, year=2022, department="D") != before
    assert len(stage(source.read(BUDGET_LINES, year=2022, department="D"))) == 3


def test_what_a_file_manager_calls_a_copy():
    assert all(is_copy_of(n, "payments") for n in ("payments (1)", "payments(2)", "payments - 副本",
                                                   "payments - copy", "payments 副本 (2)", "payments（3）"))
    assert not any(is_copy_of(n, "payments") for n in ("payments2", "payments_2022", "payments_old", "payment"))


def test_the_payments_ledger_layouts_too():
    """The same layouts on another dataset: a 栏次 row under a payments header."""
    header = ["支付凭证号", "部门编码", "指标编号", "支付日期", "收款人全称", "支出经济分类", "支付金额"]
    rows = [header, ["栏次", "", "", "", "", "", "1"], ["V1", "D", "L1", "2022-03-01", "甲", "30201", "12.00"]]
    assert stage(read_csv(csv_bytes(rows), "p.csv", PAYMENTS))["amount"].tolist() == [1200]


# --- found by a newcomer's trial of issue 26


INVESTMENT_HEADER = ["项目编号", "招商部门编码", "项目名称", "项目公司统一社会信用代码", "签约日期", "注册日期",
                     "协议投资额", "协议达产年产值或营收"]
INVESTMENT_ROW = ["XM1", "D", "甲项目", "", "2022-03-01", "", "200000000.00", "300000000.00"]


@pytest.mark.parametrize("units", [
    ["", "", "", "", "", "", "（元）", ""],  # one unit cell merged over both amounts: CSV keeps it in the first
    ["", "", "", "", "", "", "", "（元）"],
    ["", "", "", "", "", "", "(单位:元)", ""],
])
def test_a_unit_row_gives_its_unit_to_every_money_column_it_leaves_blank(units):
    from tasks.sources.contract import INVESTMENT_PROJECTS

    raw = read_csv(csv_bytes([INVESTMENT_HEADER, units, INVESTMENT_ROW]), "i.csv", INVESTMENT_PROJECTS)
    frame = stage(raw)  # the dataset's default is 万元: 元 must reach both columns
    assert frame["agreed_investment"].tolist() == [20_000_000_000] and frame["agreed_output"].tolist() == [
        30_000_000_000]


def test_a_unit_row_naming_two_money_units_and_leaving_a_column_blank_is_refused():
    header = [*LINE_HEADER[:6], "全年预算数", "全年执行数", "年末结转和结余"]
    rows = [header, [""] * 6 + ["（元）", "（万元）", ""], *LINES]
    with pytest.raises(SourceError, match="gives 万元 and 元 to other columns and none to the money column"):
        read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES)


def test_a_merged_unit_cell_in_a_workbook_reaches_every_column_it_spans():
    from tasks.sources.contract import INVESTMENT_PROJECTS

    data = workbook({"招商": [INVESTMENT_HEADER, ["", "", "", "", "", "", "（元）", None], INVESTMENT_ROW]},
                    {"招商": ["G2:H2"]})
    frame = stage(read_workbook(data, "i.xlsx", INVESTMENT_PROJECTS))
    assert frame["agreed_output"].tolist() == [30_000_000_000]


def test_a_group_label_row_may_hold_a_year():
    rows = [[*LINE_HEADER[:6], "2022年度", "", ""], [""] * 6 + LINE_HEADER[6:], *LINES]
    data = workbook({"明细": rows}, {"明细": ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:I1"]})
    assert stage(read_workbook(data, "b.xlsx", BUDGET_LINES))["budget"].tolist() == [10000, 5050, 800]


def test_a_csv_header_cell_with_two_line_breaks_over_a_second_header_row():
    text = ('部门编码,指标编号,项目编码,项目名称,资金来源,支出性质,"预算\n执行\n情况",,\n'
            ',,,,,,全年预算数,全年执行数,年末结转和结余\n' + "\n".join(",".join(r) for r in LINES) + "\n")
    frame = stage(read_csv(text.encode("utf-8"), "b.csv", BUDGET_LINES))
    assert frame["budget"].tolist() == [10000, 5050, 800] and frame["_row"].tolist() == [5, 6, 7]


def test_a_note_merged_over_the_width_of_the_table_ends_it():
    rows = [LINE_HEADER, *[list(r) for r in LINES], ["注：本表数据来源于预算管理一体化系统。"]]
    data = workbook({"明细": rows}, {"明细": ["A5:I5"]})
    assert len(stage(read_workbook(data, "b.xlsx", BUDGET_LINES))) == 3


def test_a_blank_template_sheet_with_only_a_total_row_is_no_data():
    data = workbook({"明细": [LINE_HEADER, *LINES], "空白模板": [LINE_HEADER, ["合计", "", "", "", "", "", 0, 0, 0]]})
    assert read_workbook(data, "b.xlsx", BUDGET_LINES).sheet == "明细"


def test_a_control_character_inside_a_quoted_multi_line_cell_names_its_record_and_column():
    text = (",".join(LINE_HEADER) + "\n" + ",".join(LINES[0]) + "\n"
            + 'D,L9,P9,"社会保障\n缴费\x00",一般公共预算财政拨款,基本支出,1.00,1.00,0\n')
    with pytest.raises(SourceError) as caught:
        read_csv(text.encode("utf-8"), "b.csv", BUDGET_LINES)
    assert (caught.value.problem.row, caught.value.problem.column) == (3, "项目名称")
    with pytest.raises(SourceError) as caught:  # in a title line above the header: the row alone
        read_csv(("预算执行\x00情况表\n" + ",".join(LINE_HEADER) + "\n" + ",".join(LINES[0]) + "\n").encode(),
                 "b.csv", BUDGET_LINES)
    assert (caught.value.problem.row, caught.value.problem.column) == (1, None)


@pytest.mark.parametrize("name", ["budget_lines copy 2.csv", "budget_lines - 副本 - 副本.csv",
                                  "budget_lines (1) (1).csv", "budget_lines - 副本（2）.csv", "复件 budget_lines.csv",
                                  "Copy of budget_lines.csv"])
def test_every_name_a_file_manager_gives_a_copy_is_a_second_file(tmp_path, name):
    folder = tmp_path / "2022" / "D"
    folder.mkdir(parents=True)
    for each in ("budget_lines.csv", name):
        (folder / each).write_bytes(csv_bytes([LINE_HEADER, *LINES]))
    with pytest.raises(SourceError, match="in 2 files"):
        FileSource("finance", tmp_path).read(BUDGET_LINES, year=2022, department="D")


def test_a_dataset_whose_only_file_is_named_as_a_copy_is_read_with_a_warning(tmp_path):
    folder = tmp_path / "2022" / "D"
    folder.mkdir(parents=True)
    (folder / "budget_lines (1).csv").write_bytes(csv_bytes([LINE_HEADER, *LINES]))
    raw = FileSource("finance", tmp_path).read(BUDGET_LINES, year=2022, department="D")
    assert len(stage(raw)) == 3
    assert [w.severity for w in raw.warnings] == ["warning"] and "named as a copy of budget_lines.csv" in str(
        raw.warnings[0])


# --- found by a second newcomer's trial of issue 26


def test_a_unit_row_whose_unit_stands_under_no_money_column_gives_it_to_them_all():
    from tasks.sources.contract import INVESTMENT_PROJECTS

    for units in (["（单位：元）", "", "", "", "", "", "", ""], ["", "", "", "", "", "（元）", "", ""]):
        frame = stage(read_csv(csv_bytes([INVESTMENT_HEADER, units, INVESTMENT_ROW]), "i.csv", INVESTMENT_PROJECTS))
        assert frame["agreed_investment"].tolist() == [20_000_000_000], units


def test_a_line_of_units_above_the_header_is_a_unit_line():
    from tasks.sources.contract import INVESTMENT_PROJECTS

    rows = [["", "", "", "", "", "", "（元）", "（元）"], INVESTMENT_HEADER, INVESTMENT_ROW]
    frame = stage(read_csv(csv_bytes(rows), "i.csv", INVESTMENT_PROJECTS))
    assert frame["agreed_output"].tolist() == [30_000_000_000]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_group_label_s_unit_reaches_the_columns_under_it(form):
    from tasks.sources.contract import INVESTMENT_PROJECTS

    top = [*INVESTMENT_HEADER[:6], "协议金额（千元）", ""]
    leaf = [""] * 6 + INVESTMENT_HEADER[6:]
    row = [*INVESTMENT_ROW[:6], "200000.00", "300000.00"]
    raw = (read_csv(csv_bytes([top, leaf, row]), "i.csv", INVESTMENT_PROJECTS) if form == "csv"
           else read_workbook(workbook({"招商": [top, leaf, row]}, {"招商": ["G1:H1"]}), "i.xlsx", INVESTMENT_PROJECTS))
    frame = stage(raw)
    assert frame["agreed_investment"].tolist() == [20_000_000_000] and frame["agreed_output"].tolist() == [
        30_000_000_000]


@pytest.mark.parametrize("written", ["23500万元", "1,234.00元", "7 310.00"])
def test_a_merged_amount_written_as_text_is_refused_too(written):
    rows = [LINE_HEADER, *[list(r) for r in LINES]]
    rows[1][6], rows[2][6] = written, None
    data = workbook({"明细": rows}, {"明细": ["G2:G3"]})
    with pytest.raises(SourceError, match="are merged and hold the amount"):
        read_workbook(data, "b.xlsx", BUDGET_LINES)


@pytest.mark.parametrize("name", ["budget_lines 2.csv", "budget_lines (another copy).csv",
                                  "budget_lines (3rd copy).csv", "budget_lines (复件).csv", "budget_lines(副本 1).csv"])
def test_more_names_file_managers_give_a_copy(tmp_path, name):
    test_every_name_a_file_manager_gives_a_copy_is_a_second_file(tmp_path, name)


def test_an_amount_whose_comma_groups_no_thousands_is_refused():
    rows = [LINE_HEADER, [*LINES[0][:6], "12750,50", "0", "12750.50"]]
    with pytest.raises(SourceError, match="its commas do not group thousands"):
        stage(read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES))
    rows = [LINE_HEADER, [*LINES[0][:6], "12,750.50", "12750.5000", "0"]]  # trailing zeros: exact to the 分
    frame = stage(read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES))
    assert frame["budget"].tolist() == [1_275_050] and frame["executed"].tolist() == [1_275_050]


@pytest.mark.parametrize("footer", ["单位负责人：张三    财务负责人：李四    填表人：王五", "填表日期：2023年1月10日",
                                    "注1：本表为决算数。", "数据来源：预算管理一体化系统"])
def test_signature_lines_and_notes_below_the_table_end_it(footer):
    data = workbook({"明细": [LINE_HEADER, *LINES, [footer]]})
    assert len(stage(read_workbook(data, "b.xlsx", BUDGET_LINES))) == 3


@pytest.mark.parametrize("note", ["数据来源：区企业服务平台（一期）导出", "备注：以下为补录项目", "注：下表续"])
def test_a_note_with_records_below_it_is_refused_not_taken_for_the_table_s_end(note):
    """A note line between records (an export's 数据来源 line, 以下为补录项目 above late additions): the records under
    it were dropped unsaid, and a department's 申报企业 read 0. Refused, naming the note's row and the record's."""
    data = workbook({"明细": [LINE_HEADER, *LINES[:2], [note], [*LINES[2][:8], ""],  # its 结转 empty: zero
                             ["填表人：王五", "", "", "审核人：李四"]]})
    with pytest.raises(SourceError) as caught:
        read_workbook(data, "b.xlsx", BUDGET_LINES)
    problem = caught.value.problem
    assert problem.row == 4 and "其下第 5 行仍有记录" in problem.message and problem.sheet == "明细", problem


@pytest.mark.parametrize("signed", [
    ["单位负责人：张三", "", "财务负责人：李四", "", "填表人：王五", "", "填表日期：2023年1月10日"],
    ["分管领导：张三", "", "科室负责人：李四"], ["单位（盖章）", "", "", "", "", "", "2023年1月15日"],
    ["复核：李四", "制单：王五"], ["局长：", "张三", "财务科长：", "李四"], ["日期：2023-01-15", "编制单位：某局"],
    ["其中：政府采购", "", "", "", "", "", "50.00", "50.00", "0"]])
def test_notes_and_signature_lines_spread_over_cells_below_the_table_still_end_it(signed):
    """Signature lines of every kind under a note end the table (a few of them were refused as records after the
    note check came: a record fills every column the contract requires)."""
    rows = [LINE_HEADER, *LINES, ["注：1. 本表为决算数。"], ["2. 金额单位为元。"], signed]
    assert len(stage(read_workbook(workbook({"明细": rows}), "b.xlsx", BUDGET_LINES))) == 3


def test_a_formula_whose_result_the_workbook_does_not_store_is_refused_not_read_as_zero():
    """A workbook written by a program (openpyxl here, as a web system's export is) holds 年末结转和结余 as =G2-H2 with
    no stored result: calamine reads it empty, and an empty amount is zero, so 328.40 万元 of 结转 read 0.00 with no
    word. Refused, naming the cell, its column and the formula."""
    rows = [LINE_HEADER, *[[*r[:8], f"=G{i}-H{i}"] for i, r in enumerate(LINES, start=2)]]
    with pytest.raises(SourceError) as caught:
        read_workbook(workbook({"明细": rows}), "b.xlsx", BUDGET_LINES)
    problem = caught.value.problem
    assert (problem.row, problem.column, problem.sheet) == (2, "年末结转和结余", "明细"), problem
    assert "单元格 I2 是公式 =G2-H2，文件中没有保存它的计算结果" in problem.message, problem.message


def test_a_formula_whose_result_is_empty_text_is_a_blank_and_a_wrong_dimension_hides_none():
    """=IF(G2>1000,G2,"") as Excel saves it, its result empty text (<v></v>): a blank, as Excel shows it (it was refused
    as never saved); and a program's workbook whose <dimension> says A1 still has its uncached formula found."""
    import re as regex
    import zipfile

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("明细")
    sheet.write_row(0, 0, [*LINE_HEADER, "年初预算数"])
    for i, r in enumerate(LINES, start=1):
        sheet.write_row(i, 0, [*r[:6], float(r[6]), float(r[7]), float(r[8])])
        sheet.write_formula(i, 9, f'=IF(G{i + 1}>1000,G{i + 1},"")', None, "")
    book.close()
    saved = io.BytesIO()  # as Excel saves it: the result's type is text (XlsxWriter leaves it out for "")
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = regex.sub(rb'(<c r="J\d+")(><f>)', rb'\1 t="str"\2', body)
            dst.writestr(item, body)
    frame = stage(read_workbook(saved.getvalue(), "b.xlsx", BUDGET_LINES))
    assert frame["initial_budget"].isna().all() and frame["carryover"].tolist() == [1000, 0, 0]

    rows = [LINE_HEADER, *[[*r[:8], f"=G{i}-H{i}"] for i, r in enumerate(LINES, start=2)]]
    written = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook({"明细": rows}))) as src, zipfile.ZipFile(written, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = regex.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', body)
            dst.writestr(item, body)
    with pytest.raises(SourceError) as caught:
        read_workbook(written.getvalue(), "b.xlsx", BUDGET_LINES)
    assert "单元格 I2 是公式 =G2-H2" in caught.value.problem.message, caught.value.problem


def test_a_formula_with_its_stored_result_reads_as_that_result():
    """As Excel and WPS save it: the formula and its result; the result is read (and an empty cell is still zero)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("明细")
    sheet.write_row(0, 0, LINE_HEADER)
    for i, r in enumerate(LINES, start=1):
        sheet.write_row(i, 0, [*r[:6], float(r[6]), float(r[7])])
        sheet.write_formula(i, 8, f"=G{i + 1}-H{i + 1}", None, float(r[6]) - float(r[7]))
    sheet.write_row(4, 0, ["D", "L4", "P3", "其他", "一般公共预算财政拨款", "项目支出", 1.0, 1.0])  # 结转 left empty
    book.close()
    frame = stage(read_workbook(out.getvalue(), "b.xlsx", BUDGET_LINES))
    assert frame["carryover"].tolist() == [1000, 0, 0, 0]


@pytest.mark.parametrize("label", ["2022", "2022.12", "2022年12月31日"])
def test_a_group_label_that_is_a_date_or_a_year(label):
    rows = [[*LINE_HEADER[:6], label, "", ""], [""] * 6 + LINE_HEADER[6:], *LINES]
    assert stage(read_csv(csv_bytes(rows), "b.csv", BUDGET_LINES))["budget"].tolist() == [10000, 5050, 800]



@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_two_columns_under_one_header_are_refused_naming_both_or_told_apart(form):
    """A workbook with two 全年执行数 columns (one hidden, holding an old value) ended the whole run in a traceback,
    every department's: refused, naming the header's row and both columns; two columns under one header the contract
    does not read (备注) are told apart and ignored with the other unknown columns."""
    header = [*LINE_HEADER, "全年执行数"]
    rows = [header, *[[*r, "1.00"] for r in LINES]]
    data = workbook({"明细": rows}) if form == "xlsx" else csv_bytes(rows)
    reader = read_workbook if form == "xlsx" else read_csv
    with pytest.raises(SourceError) as caught:
        stage(reader(data, f"b.{form}", BUDGET_LINES))
    problem = caught.value.problem
    assert (problem.row, problem.column) == (1, "全年执行数"), problem
    assert "两列都是全年执行数（第 8 列和第 10 列" in problem.message, problem
    noted = [[*LINE_HEADER, "备注", "备注"], *[[*r, "a", "b"] for r in LINES]]
    raw = reader(workbook({"明细": noted}) if form == "xlsx" else csv_bytes(noted), f"b.{form}", BUDGET_LINES)
    assert stage(raw)["budget"].tolist() == [10000, 5050, 800]



def test_records_in_hidden_rows_are_refused_naming_them():
    """A hidden row under the records (a 已终止 project, or rows a filter hides) was counted though the office does not
    see it (协议投资金额 7.2 亿 for the 4.2 shown): refused, naming the rows; hidden rows that hold no record (an empty
    one, a note below) are no matter."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "明细"
    for r in [LINE_HEADER, *LINES, [], ["注：本表为决算数。"]]:
        sheet.append(r)
    for hidden in (3, 5, 6):  # the second record, the empty row and the note
        sheet.row_dimensions[hidden].hidden = True
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SourceError) as caught:
        read_workbook(out.getvalue(), "b.xlsx", BUDGET_LINES)
    problem = caught.value.problem
    assert (problem.row, problem.sheet) == (3, "明细"), problem
    assert "有 1 条记录在隐藏的行中（第 3 行" in problem.message, problem
    sheet.row_dimensions[3].hidden = False
    out = io.BytesIO()
    book.save(out)
    assert len(stage(read_workbook(out.getvalue(), "b.xlsx", BUDGET_LINES))) == 3
