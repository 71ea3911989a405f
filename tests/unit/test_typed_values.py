"""Values as people type them: currency signs before amounts, comparisons in words before targets, and a
percentage written as a fraction (issue 26)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.report.targets import fraction_reading
from tasks.sources.contract import PAYMENTS
from tasks.sources.csv_reader import read_csv
from tasks.sources.staging import comparison, stage

HEADER = "支付凭证号,部门编码,指标编号,支付日期,收款人全称,支出经济分类,支付金额\n"


@pytest.mark.parametrize(("cell", "fen"), [
    ('"￥45,912.09"', 4_591_209), ('"¥45,912.09"', 4_591_209), ("¥12", 1200), ("￥０.５０", 50),
    ("人民币1200.00", 120_000), ('"(¥12.00)"', -1200), ("¥45912.09元", 4_591_209),
])
def test_currency_signs_before_amounts_are_read(cell, fen):
    text = HEADER + f"V1,D,L1,2022-03-15,甲,30201,{cell}\n"
    frame = stage(read_csv(text.encode("utf-8"), "p.csv", PAYMENTS)) if fen >= 0 else None
    if frame is None:  # a negative payment is refused, but as a negative amount, not as unreadable
        from tasks.sources.errors import SourceError

        with pytest.raises(SourceError, match="is negative"):
            stage(read_csv(text.encode("utf-8"), "p.csv", PAYMENTS))
        return
    assert frame["amount"].tolist() == [fen]


@pytest.mark.parametrize(("typed", "read"), [
    ("不低于95%", "≥95%"), ("95%以上", "≥95%"), ("95%及以上", "≥95%"), ("≥95%", "≥95%"), ("≥95%以上", "≥95%"),
    ("不少于20家", "≥20家"), ("至少20", "≥20"), ("大于等于1,200", "≥1,200"), ("高于90", ">90"),
    ("不高于20分钟", "≤20分钟"), ("不超过3个工作日", "≤3个工作日"), ("控制在5%以内", "≤5%"), ("10%以下", "≤10%"),
    ("低于5%", "<5%"), ("等于100%", "=100%"),
    # left as written: no comparison, a qualitative target, or words that say two things (PRF-002 refuses those)
    ("95%", "95%"), ("全面完成年度任务", "全面完成年度任务"), ("不低于95%以下", "不低于95%以下"),
    ("达到95%", "达到95%"),
])
def test_comparisons_in_words_are_read_as_the_sign_they_mean(typed, read):
    assert comparison(typed) == read


@pytest.mark.parametrize(("actual", "target", "other"), [
    ("1", Decimal(100), Decimal(100)), ("1.0", Decimal(100), Decimal(100)), ("0.95", Decimal(95), Decimal(95)),
    ("0.5", Decimal(90), Decimal(50)), ("1.00", Decimal("99.5"), Decimal(100)),
    ("1%", Decimal(100), None),  # written with its % sign: one reading
    ("0", Decimal(100), None), ("1.5", Decimal(100), None), ("95", Decimal(95), None),
    ("1", Decimal(1), None), ("0.8", Decimal("0.9"), None),  # a target of 1 % or less: 0.8 % is plausible
    (None, Decimal(100), None), ("达成", Decimal(100), None),
])
def test_a_reported_value_that_may_be_a_fraction_of_a_percentage(actual, target, other):
    assert fraction_reading(actual, target) == other


def test_a_target_that_may_be_a_fraction():
    assert fraction_reading("0.95") == Decimal(95) and fraction_reading("1") == Decimal(100)
    assert fraction_reading("95") is None and fraction_reading("95%") is None


CASES = [  # (计量单位, 指标值, 实际完成值): every case of the test above, as the files state them
    ("%", "100", "1"), ("", "≥100%", "1.0"), ("%", "95", "0.95"), ("", "90%", "0.5"), ("%", "99.5", "1.00"),
    ("%", "100", "1%"), ("%", "100", "0"), ("%", "100", "1.5"), ("%", "95", "95"), ("%", "1", "1"),
    ("%", "0.9", "0.8"), ("家", "100", "1"), ("", "100", "1"), ("%", "≥90", "+0.92"),
]


def test_the_gate_and_the_table_read_a_fraction_the_same_way():
    """PRF-008's view (SQL) and the 自评表's note (Python, fraction_reading) flag the same rows."""
    from tasks.quality.rundb import run_database
    from tasks.report.targets import number, target_unit
    from tasks.sources.contract import DEPARTMENTS, SELF_ASSESSMENT, TARGETS

    targets = "部门编码,一级指标,二级指标,三级指标,指标性质,指标值,计量单位,分值,完成值来源\n" + "".join(
        f"D,效益指标,满意度,指标{i},≥,{t},{u},5,reported\n" for i, (u, t, _) in enumerate(CASES))
    actuals = "部门编码,三级指标,实际完成值\n" + "".join(f"D,指标{i},{a}\n" for i, (_, _, a) in enumerate(CASES))
    departments = "部门编码,部门名称,行政区划代码,行政区划\nD,甲局,440103,荔湾区\n"
    frames = {d.name: stage(read_csv(text.encode(), f"{d.name}.csv", d))
              for d, text in ((TARGETS, targets), (SELF_ASSESSMENT, actuals))}
    with run_database() as db:
        db.build(2022, stage(read_csv(departments.encode(), "departments.csv", DEPARTMENTS)), frames)
        assert "self_assessment" not in db.failed
        flagged = db.duckdb.sql("SELECT indicator, actual_readings FROM chk_self_assessment "
                                "WHERE NOT actual_plausible ORDER BY _idx").fetchall()
    expected = []
    for i, (unit, target, actual) in enumerate(CASES):
        unit = target_unit(unit, target)
        other = fraction_reading(actual, number(target, unit, signed=True)) if unit == "%" else None
        if other is not None:
            expected.append(f"指标{i}")
    assert [name for name, _ in flagged] == expected == ["指标0", "指标1", "指标2", "指标3", "指标4", "指标13"]
    assert flagged[0][1] == "1（按 1% 计分；若指 100%，请填写 100）"  # both readings


def test_a_signed_fraction_is_a_fraction_too():
    assert fraction_reading("+0.92", Decimal(90)) == Decimal(92)


def test_a_comma_that_groups_no_thousands_is_no_number_in_python_or_sql():
    """92,5 (a slip for 92.5) is not 925: number() gives None and PRF-004 refuses it."""
    from tasks.quality.rundb import run_database
    from tasks.report.targets import number
    from tasks.sources.contract import DEPARTMENTS, SELF_ASSESSMENT, TARGETS

    assert number("92,5") is None and number("1,200") == Decimal(1200) and number("1,2345") is None
    targets = ("部门编码,一级指标,二级指标,三级指标,指标性质,指标值,计量单位,分值,完成值来源\n"
               "D,效益指标,满意度,甲,≥,90,%,5,reported\nD,效益指标,满意度,乙,≥,\"1,200\",人,5,reported\n")
    actuals = "部门编码,三级指标,实际完成值\nD,甲,\"92,5\"\nD,乙,\"1,300\"\n"
    departments = "部门编码,部门名称,行政区划代码,行政区划\nD,甲局,440103,荔湾区\n"
    frames = {d.name: stage(read_csv(text.encode(), f"{d.name}.csv", d))
              for d, text in ((TARGETS, targets), (SELF_ASSESSMENT, actuals))}
    with run_database() as db:
        db.build(2022, stage(read_csv(departments.encode(), "departments.csv", DEPARTMENTS)), frames)
        found = dict(db.duckdb.sql("SELECT indicator, actual_valid FROM chk_target_actuals").fetchall())
        valid = dict(db.duckdb.sql("SELECT indicator, target_valid FROM chk_targets").fetchall())
    assert found == {"甲": False, "乙": True} and valid == {"甲": True, "乙": True}


IND_HEADER = "行政区划代码,行政区划,年份,指标代码,指标名称,行业,数值,计量单位\n"


def _indicator(year: str, value: str = "12.5"):
    from tasks.sources.contract import INDICATORS

    text = IND_HEADER + f"440103,荔湾区,{year},A01,规上企业数,全部,{value},家\n"
    return stage(read_csv(text.encode("utf-8"), "indicators.csv", INDICATORS))


@pytest.mark.parametrize(("typed", "year"), [("2022", 2022), ("+2022", 2022), ("２０２２", 2022), ("2022.0", 2022),
                                             (" 2022 ", 2022)])
def test_a_year_as_people_type_it(typed, year):
    frame = _indicator(typed)
    assert frame["year"].tolist() == [year] and str(frame["year"].dtype) == "int64"


@pytest.mark.parametrize(("typed", "said"), [
    ("12345678901234567890", "is not a whole number"),  # beyond 64 bits: refused, not an Arrow error
    ("1e19", "is not a whole number"), ("1234567890123456789", "is not a whole number"),  # rounded by a float
    ("2022.5", "is not a whole number"), ("1800", "is not a plausible year"), ("二〇二二", "is not a whole number"),
])
def test_a_year_that_is_no_year_is_refused_naming_its_cell(typed, said):
    from tasks.sources.errors import SourceError

    with pytest.raises(SourceError, match=said) as caught:
        _indicator(typed)
    assert caught.value.problem.row == 2 and "年份" in str(caught.value.problem.column)


@pytest.mark.parametrize(("typed", "value"), [("12.5", 12.5), ("1,234.5", 1234.5), ("1e3", 1000.0), ("-.5", -0.5)])
def test_a_figure_as_people_type_it(typed, value):
    assert _indicator("2022", f'"{typed}"')["value"].tolist() == [value]


@pytest.mark.parametrize("typed", ["1E400", "inf", "NaN", "十二", "1_000"])
def test_a_figure_that_is_no_number_is_refused(typed):
    from tasks.sources.errors import SourceError

    with pytest.raises(SourceError, match="is not a number"):
        _indicator("2022", typed)


def test_an_optional_flag_a_file_lacks_is_no_and_a_label_that_is_a_number_is_read():
    import pandas as pd

    from tasks.sources.contract import DEPARTMENTS
    from tasks.sources.raw import RawTable

    text = "部门编码,部门名称,行政区划代码,行政区划\n440103-KGXJ,科工信局,440103,荔湾区\n"
    frame = stage(read_csv(text.encode("utf-8"), "departments.csv", DEPARTMENTS))
    assert frame["synthetic"].tolist() == [False] and str(frame["synthetic"].dtype) == "bool"
    cells = pd.DataFrame([["440103-KGXJ", "科工信局", "440103", "荔湾区", "x"]],
                         columns=["部门编码", "部门名称", "行政区划代码", "行政区划", 2022], dtype="str")
    raw = RawTable(dataset=DEPARTMENTS, source="finance", uri="departments.xlsx", sha256="0", frame=cells)
    assert stage(raw)["department_code"].tolist() == ["440103-KGXJ"]  # the column headed 2022 is ignored
