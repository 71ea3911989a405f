"""Unit lines, header units, row numbers after blank lines, Excel's empty columns, report notes."""

from __future__ import annotations

import pytest

from tasks.addresses import landing_roots, without_server_paths
from tasks.pipeline import report_notes
from tasks.sources.contract import INVESTMENT_PROJECTS, PAYMENTS
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import SourceError
from tasks.sources.staging import stage
from tasks.sources.units import UnitLineError, declared_unit, split_header_unit, unit_of_line

HEADER = "支付凭证号,部门编码,指标编号,支付日期,收款人全称,支出经济分类,支付金额"
RECORD = "V{n},D,L1,2022-03-15,甲,30201,1.50"


@pytest.mark.parametrize(("line", "unit"), [
    ("单位：元", "元"), ("单位:元", "元"), ("单位 元", "元"), ("金额单位：人民币元", "元"), ("（单位：万元）", "万元"),
    ("(单位:万元)", "万元"), ("单位：千元", "千元"), ("单位：亿元", "亿元"), ("单位：分", "分"), ("单位：元、%", "元"),
    ("单位：万元/个", "万元"), ("单位：人民币万元", "万元"), ("2022年度收支决算总表（单位：万元）", "万元"),
    ("表中金额单位为万元", "万元"), ("编制单位：荔湾区科工信局    金额单位：元", "元"), ("单位：%", None),
    ("金额单位:人民币 元", "元"), ("单位:万 元", "万元"), ("单位（元）", "元"), ("单位:人民币(元)", "元"),
    ("单位：万元人民币", "万元"), ("单位：元。", "元"), ("单位∶元", "元"), ("（元）", "元"),
    ("天河区招商引资项目台账（金额：元）", "元"), ("2022年天河区重点单位招商项目表", False),
    ("填报单位：广州市荔湾区科技工业和信息化局", False), ("单位名称：某局", False), ("国库集中支付明细表", False),
    # the label spaced out to its column's width, as 决算 forms print it (read as 元 before: 10,000× too small)
    ("单 位：万元", "万元"), ("单　位：万元", "万元"), ("单  位 : 万元", "万元"), ("金 额 单 位：万元", "万元"),
    ("（金　额：万元）", "万元"), ("填 报 单 位：某局", False), ("单 位 名 称：某局", False),
    # a title that ends with its unit (read as 元 before), and titles that do not
    ("国库集中支付明细表（万元）", "万元"), ("招商引资项目台账 (元)", "元"), ("2022年部门决算表（人民币万元）", "万元"),
    ("国库集中支付明细表（2022年）", False), ("万元户调查表", False),
    # a title ending with its unit where 单位 is an organisation (they were read as 元)
    ("预算单位国库集中支付明细表（万元）", "万元"), ("各单位项目支出明细表（万元）", "万元"),
    ("填报单位：某局  支付明细表（万元）", "万元"),
])
def test_unit_lines_offices_write(line, unit):
    assert unit_of_line(line) == unit


@pytest.mark.parametrize("cells, unit", [
    (["国库集中支付明细表（万元）"], "万元"), (["预算单位国库集中支付明细表（万元）"], "万元"),
    (["基本信息", "", "", "预算执行情况（万元）", "结转结余"], None),  # group labels: their own columns' units
    (["计划投资（亿元）", "到位资金"], None), (["评分（分）", "权重（%）"], None), (["绩效评分表（分）"], None)])
def test_a_title_s_unit_counts_a_row_of_group_labels_does_not(cells, unit):
    """A title (one cell) with its unit in brackets declares it; a row of several labels above a header does not (a
    group label's 预算执行情况（万元） read 年末结转和结余, outside the group, in 万元), nor does （分）, which is
    points."""
    found = declared_unit([cells])
    assert (found.unit if found else None) == unit


def test_a_spaced_out_unit_line_scales_the_amounts_it_heads():
    """单 位：万元 over a ledger: its amounts are 万元 (they were read as 元, 10,000 times too small, and every file of
    the department agreed, so no rule saw it)."""
    staged = stage(read("单 位：万元\n" + HEADER + "\n" + RECORD.format(n=1) + "\n"))
    assert staged["amount"].tolist() == [1_500_000]  # 1.50 万元 = 15,000.00 元 = 1,500,000 分


@pytest.mark.parametrize(("line", "why"), [
    ("单位：美元", "'美元' is not a unit"), ("单位：", "names no unit"), ("单位：万元、元", "two money units"),
    ("单位：广州市某局", "is not a unit"), ("支付明细表（万元） 单位：元", "two money units"),
])
def test_unit_lines_nobody_can_read_are_refused(line, why):
    with pytest.raises(UnitLineError, match=why):
        unit_of_line(line)


def test_two_unit_lines_that_disagree_are_refused_naming_the_second():
    with pytest.raises(UnitLineError) as caught:
        declared_unit([["单位：万元"], [""], ["金额单位：元"]])
    assert caught.value.row == 3  # type: ignore[attr-defined]


def test_header_units():
    assert split_header_unit("协议投资额（元）") == ("协议投资额", "元")
    assert split_header_unit("全年预算数(千元)") == ("全年预算数", "千元")
    assert split_header_unit("金额（人民币元）") == ("金额", "元")
    assert split_header_unit("支付金额") == ("支付金额", None)


def read(text: str | bytes, dataset=PAYMENTS):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_csv(data, "finance/2022/D/payments.csv", dataset)


def test_a_unit_line_that_is_not_understood_names_file_line_and_forms():
    with pytest.raises(SourceError) as caught:
        read("2022年支付明细\n单位：港币\n" + HEADER + "\n" + RECORD.format(n=1) + "\n")
    problem = caught.value.problem
    assert problem.row == 2 and problem.uri.endswith("payments.csv")
    assert "'单位：港币' is not understood" in problem.message and "单位：元 / 千元 / 万元" in str(problem.expected)


def test_the_unit_line_applies_in_any_form():
    for line, fen in (("金额单位：人民币元", 150), ("（单位：千元）", 150_000), ("单位：万元", 1_500_000)):
        assert stage(read(f"{line}\n{HEADER}\n{RECORD.format(n=1)}\n"))["amount"].tolist() == [fen], line


def test_a_header_unit_that_disagrees_with_the_unit_line_is_refused():
    header = INVESTMENT_PROJECTS.columns
    names = ",".join(c.label + ("（元）" if c.name == "agreed_investment" else "") for c in header)
    record = "P1,D,项目,,2022-01-03,,100.00,200.00"
    with pytest.raises(SourceError) as caught:
        stage(read(f"单位：万元\n{names}\n{record}\n", INVESTMENT_PROJECTS))
    problem = caught.value.problem
    assert (problem.row, problem.column) == (2, "协议投资额（元）")
    assert "the header says 元 but the unit line (row 1) says 万元" in problem.message
    same = names.replace("（元）", "（万元）")
    assert stage(read(f"单位：万元\n{same}\n{record}\n", INVESTMENT_PROJECTS))["agreed_investment"].tolist() == [
        1_000_000 * 100]


def lines_with(blank_at: dict[int, str], bad_at: int, crlf: bool = False, quoted_at: int | None = None) -> bytes:
    """A payments file of 30 lines: ``blank_at`` lines hold the given text, ``bad_at`` has a bad date."""
    lines = [HEADER]
    for number in range(2, 31):
        if number in blank_at:
            lines.append(blank_at[number])
        elif number == bad_at:
            lines.append(RECORD.format(n=number).replace("2022-03-15", "2022-13-45"))
        elif number == quoted_at:
            lines.append(RECORD.format(n=number).replace(",甲,", ',"甲\n乙",'))
        else:
            lines.append(RECORD.format(n=number))
    return (("\r\n" if crlf else "\n").join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize(("blanks", "crlf"), [
    ({11: ""}, False), ({11: ""}, True), ({2: "", 11: "", 12: ""}, False), ({11: ",,,,,,"}, False),
    ({11: "", 15: ",,,,,,"}, True), ({11: "   "}, False), ({11: "\t", 30: " "}, True),
])
def test_rows_are_named_by_the_line_an_editor_shows_after_blank_lines(blanks, crlf):
    with pytest.raises(SourceError) as caught:
        stage(read(lines_with(blanks, 21, crlf)))
    assert caught.value.problem.row == 21
    frame = stage(read(lines_with(blanks, 0, crlf)))
    expected = [n for n in range(2, 31) if n not in blanks]
    assert frame["_row"].tolist() == expected


def test_a_quoted_line_break_moves_later_rows_down():
    data = lines_with({11: ""}, 21, quoted_at=5)  # the record of line 5 ends on line 6
    with pytest.raises(SourceError) as caught:
        stage(read(data))
    assert caught.value.problem.row == 22


def test_excel_csv_utf8_empty_trailing_columns_are_not_columns():
    text = "\ufeff" + HEADER + ",,\r\n" + "".join(RECORD.format(n=n) + ",,\r\n" for n in range(1, 4))
    raw = read(text)
    assert raw.warnings == [] and len(raw.frame.columns) == 7
    assert stage(raw)["_row"].tolist() == [2, 3, 4]


def test_an_empty_header_over_values_is_a_warning_naming_the_column():
    text = HEADER + ",\n" + "".join(RECORD.format(n=n) + ",x\n" for n in range(1, 3))
    raw = read(text)
    assert [w.column for w in raw.warnings] == ["第 8 列"] and "holds values" in raw.warnings[0].message


def test_report_notes_name_files_in_the_landing_zone_once(tmp_path):
    zone = tmp_path / "landing"
    roots = landing_roots({"finance": str(zone / "finance"), "registry": str(tmp_path / "elsewhere"),
                           "statistics": "https://stats.example/api"}, str(zone))
    warning = f"finance: {zone}/finance/2022/D/payments.csv, row 1, column 备注: unknown column '备注' is ignored"
    notes = report_notes([warning, warning], [("REC-008", "跃变", 1, f"{tmp_path}/elsewhere/x.csv row 3: v=1")],
                         roots)
    assert [n[3] for n in notes] == [
        "finance: finance/2022/D/payments.csv, row 1, column 备注: unknown column '备注' is ignored",
        "registry/x.csv row 3: v=1"]
    assert str(tmp_path) not in without_server_paths(warning, roots)


def test_a_short_record_is_named_by_its_own_line_not_an_earlier_one_like_it():
    lines = lines_with({9: ""}, 0).decode().splitlines()
    lines[11] = lines[2].rsplit(",", 1)[0]  # line 12: line 3 without its amount, a prefix of line 3
    with pytest.raises(SourceError) as caught:
        read("\n".join(lines) + "\n")
    assert caught.value.problem.row == 12 and "has 6 fields but the header has 7" in caught.value.problem.message


@pytest.mark.parametrize("dates", [
    ["2022-01-03", "2022-12-31"],
    ["2022.01.03", "2022.1.3", "2022-1-3", "2022年1月3日", "２０２２．０１．０３", "20220103"],
])
def test_year_first_dates_in_any_form(dates):
    body = "".join(RECORD.format(n=i).replace("2022-03-15", d) + "\n" for i, d in enumerate(dates))
    staged = stage(read(HEADER + "\n" + body))["pay_date"]
    assert [d.strftime("%m-%d") for d in staged] == ["01-03" if d != "2022-12-31" else "12-31" for d in dates]


@pytest.mark.parametrize("bad, said", [("2022-02-30", "no day"), ("2023-02-29", "no day"), ("2022-13-01", "no day"),
                                       ("2022-04-31", "no day"), ("2022年2月30日", "no day"), ("01/03/2022", "form"),
                                       ("3/1/22", "form")])
def test_dates_that_do_not_exist_or_are_ambiguous_are_refused(bad, said):
    """A date in a known form that is no day of the calendar (30 February) is said to be that, not to be in no known
    form (an operator looked for a formatting fault); a form that could be read two ways is refused as unknown."""
    body = RECORD.format(n=1) + "\n" + RECORD.format(n=2).replace("2022-03-15", bad) + "\n"
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + body))
    message = caught.value.problem.message
    assert caught.value.problem.row == 3
    if said == "no day":
        assert f"「{bad}」不是日历上存在的日期" in message and "known format" not in message, message
    else:
        assert f"{bad!r} is not a date in a known format" in message, message


def test_a_column_of_dates_bad_both_ways_names_its_first_bad_cell_and_counts_the_others():
    """An unknown form above an impossible day: the first is named (the row an officer meets first), and the other
    counted, whichever way each is bad."""
    rows = {3: "03/15/2022", 5: "2022-02-30"}
    body = "".join(RECORD.format(n=i).replace("2022-03-15", rows.get(i + 1, "2022-03-15")) + "\n" for i in range(1, 6))
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + body))
    problem = caught.value.problem
    assert problem.row == 3 and "'03/15/2022' is not a date in a known format" in problem.message, problem
    assert "；本列另有 1 处：第 5 行（1 more in this column: rows 5）" in problem.message, problem.message


@pytest.mark.parametrize("rows, named, said, listed", [
    ({3: "03/15/2022", 5: ""}, 3, "'03/15/2022' is not a date in a known format", 5),  # the empty cell below
    ({3: "", 5: "2022-02-30"}, 3, "the date is empty", 5),  # the empty cell above
    ({4: "", 6: ""}, 4, "the date is empty", 6),  # only empty cells
])
def test_a_required_column_s_empty_cells_are_said_in_the_file_s_order_with_its_other_faults(rows, named, said, listed):
    """An empty cell of a required column is named in the file's order among the column's faults (it was named before
    a malformed date above it: the office mended row 5, ran again and met row 3), and the others are listed, empty
    or malformed."""
    body = "".join(RECORD.format(n=i).replace("2022-03-15", rows.get(i + 1, "2022-03-15")) + "\n" for i in range(1, 6))
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + body))
    problem = caught.value.problem
    assert problem.row == named and said in problem.message, problem
    assert f"；本列另有 1 处：第 {listed} 行（1 more in this column: rows {listed}）" in problem.message, problem


def test_a_required_code_s_empty_cell_below_a_malformed_one_is_named_after_it():
    """The same for any required column: a 指标编号 empty in row 5 below one too long in row 3."""
    lines = [RECORD.format(n=i) for i in range(1, 6)]
    lines[1] = lines[1].replace(",L1,", f",{'L' * 65},", 1)
    lines[3] = lines[3].replace(",L1,", ",,", 1)
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + "\n".join(lines) + "\n"))
    problem = caught.value.problem
    assert problem.row == 3 and "the value is 65 characters long" in problem.message, problem
    assert "1 more in this column: rows 5" in problem.message, problem.message


def test_a_refusal_lists_the_rows_of_its_column_s_other_bad_cells():
    """The other bad cells of the column are listed by row (the first ten), so that an office mends them in one go
    rather than one run at a time (it said only how many)."""
    body = "".join(RECORD.format(n=i).replace("2022-03-15", "2022-02-30" if i % 2 else "2022-03-15") + "\n"
                   for i in range(1, 30))
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + body))
    message = caught.value.problem.message
    assert caught.value.problem.row == 2
    assert "；本列另有 14 处：第 4、6、8、10、12、14、16、18、20、22 行等（14 more in this column: rows 4, 6, 8, 10, " \
           "12, 14, 16, 18, 20, 22, …）" in message, message


@pytest.mark.parametrize("scan_bytes", [1, 2, 3, 7, 1 << 23])
def test_which_bytes_begin_a_line_are_found_as_a_scan_of_every_line_finds_them(monkeypatch, scan_bytes):
    """``_Lines.starts_with`` (a search for each byte after a line break) agrees with splitting the body into its
    lines, on bodies of blank lines, CRLF, lines of spaces and commas, a first line of each kind and none at all;
    so do its line ends and whether a quote is there. The body is scanned in slices, so each is checked with
    slices of a few bytes (a line break at a slice's last byte) and with a body that starts inside the data."""
    import random

    import tasks.sources.csv_reader as reader
    from tasks.sources.csv_reader import _Lines

    monkeypatch.setattr(reader, "SCAN_BYTES", scan_bytes)
    rng = random.Random(11)
    pieces = [b"", b"\r", b" ", b"\t", b",", b'"', b"a,1", b",,,", b" x"]
    bodies = [b"", b"\n", b"\n\n", b",a\n", b"a\n,", b"a\n"]
    bodies += [b"\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(300)]
    for body in bodies:
        starts = [0] + [i + 1 for i, byte in enumerate(body) if byte == 10 and i + 1 < len(body)]
        begun = {body[i] for i in starts if i < len(body)}
        for head in (b"", b'"title"\n', b"x,y\n\r\n"):  # what comes before the body is not looked at
            lines = _Lines(head + body, len(head))
            assert bytes(lines.body) == body
            for chars in (b"\n\r", b" \t", b',"\r \t', b","):
                assert lines.starts_with(chars) is any(c in begun for c in chars), (body, chars)
            assert lines.ends.tolist() == [i for i, byte in enumerate(body) if byte == 10]
            assert lines.quoted is (b'"' in body)


def test_the_rows_listed_are_the_file_s_rows_when_blank_lines_come_between():
    """With a blank line in the body (the reader then numbers each record by its line), the rows listed for the other
    bad cells are the file's, as the first one's is."""
    lines = [RECORD.format(n=1), "", RECORD.format(n=2).replace("1.50", "x"), RECORD.format(n=3),
             RECORD.format(n=4).replace("1.50", "y"), "", RECORD.format(n=5).replace("1.50", "z")]
    with pytest.raises(SourceError) as caught:
        stage(read(HEADER + "\n" + "\n".join(lines) + "\n"))
    assert caught.value.problem.row == 4
    assert "；本列另有 2 处：第 6、8 行（2 more in this column: rows 6, 8）" in caught.value.problem.message


def test_an_empty_cell_waits_for_the_column_s_later_checks():
    """A year column checked twice (a whole number, then plausible): an empty 年份 in row 4 below 1900 in row 2 named
    the empty cell first, and left 1900 unlisted (the first check, passing, said the empty cells)."""
    from tasks.sources.contract import INDICATORS

    header = "行政区划代码,行政区划,年份,指标代码,指标名称,行业,数值,计量单位"
    rows = ["440103,荔湾区,1900,RETAIL,社会消费品零售总额,全部行业,1,亿元",
            "440103,荔湾区,2022,RETAIL,社会消费品零售总额,全部行业,1,亿元",
            "440103,荔湾区,,RETAIL,社会消费品零售总额,全部行业,1,亿元"]
    with pytest.raises(SourceError) as caught:
        stage(read_csv(("\n".join([header, *rows]) + "\n").encode(), "i.csv", INDICATORS))
    problem = caught.value.problem
    assert problem.row == 2 and "'1900' is not a plausible year" in problem.message, problem
    assert "1 more in this column: rows 4" in problem.message, problem.message
