"""The 项目支出绩效自评表's score, worked by hand, its profile variants, and the reviewer's checks (PJC-*).

The hand-worked project is the sample's 440103-SWJ 2022 XM22003 老字号保护传承经费 (tasks/synth/sample.py); the
integration test tests/integration/test_project_forms.py checks the same cells on the forms the flow writes.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from tasks.report.project_form import cell_texts, form_grid
from tasks.report.projects import (
    ProjectProfile,
    check_project_inputs,
    load_project_profile,
    score_project,
)
from tasks.settings import TEMPLATES_DIR
from tasks.warehouse.queries import FundsRow, ProjectTargetRow

PROFILE = TEMPLATES_DIR / "scoring" / "project.yaml"
DEPT, PROJECT = ("440103-SWJ", "广州市荔湾区商务局（模拟）"), ("XM22003", "老字号保护传承经费")


def funds(budget: int, executed: int) -> list[FundsRow]:
    return [FundsRow("年度资金总额", 1, None, budget, executed), FundsRow("当年财政拨款", 1, None, budget, executed),
            FundsRow("上年结转资金", 0, None, 0, 0), FundsRow("其他资金", 0, None, 0, 0)]


def row(level1: str, level2: str, name: str, nature: str, target: str, unit: str, weight: str, actual: str | None,
        score: str | None = None, deviation: str | None = None) -> ProjectTargetRow:
    return ProjectTargetRow(PROJECT[0], level1, level2, name, nature, target, unit, D(weight), actual,
                            None if score is None else D(score), deviation, actual is not None)


XM22003 = [
    row("产出指标", "数量指标", "老字号企业传承扶持户数", "≥", "20", "家", "20", "18",
        deviation="两家企业未按期提交验收材料；下一步督促补交后拨付。"),
    row("产出指标", "质量指标", "修缮项目验收合格率", "=", "100", "%", "15", "100"),
    row("产出指标", "时效指标", "扶持申请平均办理时长", "≤", "30", "天", "15", "36"),
    row("效益指标", "社会效益指标", "老字号品牌影响力", "定性", "明显提升", "", "15", "部分达成", score="10.5"),
    row("效益指标", "经济效益指标", "老字号企业营业收入增长率", "≥", "5", "%", "15", "12"),
    row("满意度指标", "服务对象满意度指标", "老字号企业满意度", "≥", "90", "%", "10", "93"),
]
BUDGET, EXECUTED = 699_858_529, 465_084_205  # 分: the ledger of XM22003's budget line


@pytest.fixture(scope="module")
def profile() -> ProjectProfile:
    return load_project_profile(PROFILE)


def test_the_hand_worked_project_scores_as_worked_by_hand(profile):
    """XM22003, by hand:

    执行率 = 4,650,842.05 ÷ 6,998,585.29 = 66.454 % (under 90 %) → 得分 10 × 0.66454 = 6.6454 → 6.65.
    老字号企业传承扶持户数 ≥ 20 家, 18 家: 20 × 18 ÷ 20 = 18.00 (正向, in proportion).
    修缮项目验收合格率 = 100 %, 100 %: 15.00 (等于).
    扶持申请平均办理时长 ≤ 30 天, 36 天 (反向, missed): ratio 15 × 30 ÷ 36 = 12.50.
    老字号品牌影响力 定性, 部分达成 scored 10.5 by the department, within 60-80 % of 15 = 9.00-12.00: 10.50.
    老字号企业营业收入增长率 ≥ 5 %, 12 %: capped at full marks, 15.00.
    老字号企业满意度 ≥ 90 %, 93 %: 10.00.
    总分 = 6.65 + 18 + 15 + 12.5 + 10.5 + 15 + 10 = 87.65 → 良 (80 ≤ 87.65 < 90).
    """
    form = score_project(2022, DEPT, PROJECT, funds(BUDGET, EXECUTED), True, XM22003, None, profile)
    assert form.funds_score == D("6.65")
    assert [i.score for i in form.items] == [D("18.00"), D("15.00"), D("12.50"), D("10.50"), D("15.00"), D("10.00")]
    assert form.total == D("87.65") and form.grade == "良" and form.assessed
    assert form.weights == 100
    texts = cell_texts(form_grid(form))
    assert ["年度资金总额", "—", "699.86", "465.08", "10", "66.45%", "6.65"] in texts
    assert ["产出指标", "时效指标", "扶持申请平均办理时长", "≤", "天", "≤30天", "36天", "15", "12.50", ""] in texts
    assert ["效益指标", "社会效益指标", "老字号品牌影响力", "定性", "—", "明显提升", "部分达成", "15", "10.50",
            ""] in texts
    assert ["总分", "100", "87.65", "良"] in texts


def test_the_linear_variant_of_less_is_better(profile):
    """反向, linear: 15 × (1 − (36 − 30) ÷ 30) = 12.00, so 总分 87.65 − 0.50 = 87.15; at twice the target it is 0."""
    base = replace(profile, base=replace(profile.base, at_most="linear"))
    form = score_project(2022, DEPT, PROJECT, funds(BUDGET, EXECUTED), True, XM22003, None, base)
    assert form.items[2].score == D("12.00") and form.total == D("87.15")
    doubled = [*XM22003[:2], replace(XM22003[2], actual="60"), *XM22003[3:]]
    assert score_project(2022, DEPT, PROJECT, funds(BUDGET, EXECUTED), True, doubled, None, base).items[2].score == 0


def test_the_fixed_share_variant_of_qualitative_says_the_departments_score_is_not_used(profile):
    """定性, share: 部分达成 is 0.6 × 15 = 9.00 whatever the department scored; the form says 10.5 was not used."""
    share = replace(profile, mode="share")
    form = score_project(2022, DEPT, PROJECT, funds(BUDGET, EXECUTED), True, XM22003, None, share)
    assert form.items[3].score == D("9.00") and form.total == D("86.15")
    assert any("自评得分 10.5 未采用" in n for n in form.notes)


def test_a_qualitative_score_outside_its_band_is_refused_at_intake(profile):
    targets = pd.DataFrame([{"department_code": DEPT[0], "project_code": "XM22003", "indicator": "老字号品牌影响力",
                             "nature": "定性", "target": "明显提升", "unit": None, "weight": 90.0,
                             "_source": "project_targets.csv", "_row": 5}])
    actuals = pd.DataFrame([{"department_code": DEPT[0], "project_code": "XM22003", "indicator": "老字号品牌影响力",
                             "actual": "部分达成", "score": s, "_source": "project_self_assessment.csv", "_row": 5}
                            for s in (72.0, 73.0)])
    problems = check_project_inputs(targets, actuals, profile)
    assert len(problems) == 1  # 72 = 80 % of 90 is in 部分达成's band (60-80 %); 73 is not
    text = str(problems[0])
    assert "project_self_assessment.csv" in text and "第 5 行" in text and "自评得分" in text and "54-72" in text


def test_a_project_whose_weights_do_not_make_90_is_refused_at_intake(profile):
    targets = pd.DataFrame([{"department_code": "D", "project_code": "P1", "indicator": f"指标{i}", "nature": "≥",
                             "target": "1", "unit": "个", "weight": w, "_source": "project_targets.csv", "_row": i + 2}
                            for i, w in enumerate((50.0, 30.0, 5.0))])
    problems = check_project_inputs(targets, targets.iloc[:0], profile)
    assert len(problems) == 1 and "分值合计 85" in str(problems[0]) and "第 2-4 行" in str(problems[0])
    fixed = targets.assign(weight=[50.0, 30.0, 10.0])
    assert check_project_inputs(fixed, fixed.iloc[:0], profile) == []


def test_each_project_of_many_is_summed_on_its_own_rows_in_order_of_department_and_project(profile):
    """Rows of several projects and departments interleaved (as files list them): each project's 分值 summed exactly
    (0.1 + 0.2 is 0.3), its first and last row and its file named, the problems by department then project, before
    any row's own problem; a row without a project code belongs to no project."""
    rows = [("D2", "P9", "50", 2), ("D1", "P2", "45", 3), ("D2", "P9", "30", 4), ("D1", "P1", "89.9", 5),
            ("D1", "P2", "45", 6), ("D1", "P1", "0.1", 7), ("D2", "P9", "9.9", 8), ("D1", "P3", "0.1", 9),
            ("D1", "P3", "0.2", 10), ("D1", "P3", "120", 11), ("D1", None, "3", 12)]
    targets = pd.DataFrame([{"department_code": d, "project_code": p, "indicator": f"指标{n}", "nature": "≥",
                             "target": "1", "unit": "个", "weight": float(w), "_source": f"{d}/project_targets.csv",
                             "_row": n} for d, p, w, n in rows])
    texts = [str(x) for x in check_project_inputs(targets, targets.iloc[:0], profile)]
    assert len(texts) == 3, texts
    assert "D1/project_targets.csv" in texts[0] and "项目 P3 的指标分值合计 120.3（第 9-11 行）" in texts[0]
    assert "D2/project_targets.csv" in texts[1] and "项目 P9 的指标分值合计 89.9（第 2-8 行）" in texts[1]
    assert "分值 120 不在 0 至 100 之间" in texts[2]  # the row's own problem comes after the sums


def test_a_target_or_an_actual_that_is_no_number_is_refused_at_intake(profile):
    targets = pd.DataFrame([{"department_code": "D", "project_code": "P1", "indicator": "户数", "nature": "≥",
                             "target": "二十", "unit": "家", "weight": 90.0, "_source": "t.csv", "_row": 2}])
    actuals = pd.DataFrame([{"department_code": "D", "project_code": "P1", "indicator": "户数", "actual": "约18",
                             "score": None, "_source": "a.csv", "_row": 2}])
    texts = [str(p) for p in check_project_inputs(targets, actuals, profile)]
    assert any("「二十」不是数值" in t and "指标值" in t for t in texts)
    assert any("「约18」不是数值" in t and "实际完成值" in t for t in texts)


def test_a_form_without_satisfaction_moves_its_weight_as_the_profile_says(profile):
    """No 满意度指标: the profile's split is 产出 55, 效益 35; a form that gives 产出 60, 效益 30 is noted, and scored
    as given."""
    rows = [row("产出指标", "数量指标", "户数", "≥", "10", "家", "55", "10"),
            row("效益指标", "社会效益指标", "增长率", "≥", "5", "%", "35", "5")]
    form = score_project(2022, DEPT, PROJECT, funds(100, 100), True, rows, None, profile)
    assert form.total == D("100.00") and form.notes == []
    uneven = [replace(rows[0], weight=D(60)), replace(rows[1], weight=D(30))]
    noted = score_project(2022, DEPT, PROJECT, funds(100, 100), True, uneven, None, profile)
    assert noted.total == D("100.00") and "未设满意度指标" in noted.notes[0]
    assert "产出指标 60 分（评分方案 55 分）" in noted.notes[0]


def test_a_project_whose_self_assessment_has_not_come_in_is_a_draft_not_graded(profile):
    rows = [replace(r, actual=None, score=None, assessed=False) for r in XM22003]
    form = score_project(2022, DEPT, PROJECT, funds(BUDGET, EXECUTED), True, rows, None, profile)
    assert not form.assessed and form.total is None and form.grade == "未自评"
    assert all(i.actual_text == "待填写" for i in form.items)
    assert cell_texts(form_grid(form))[0] == ["项目支出绩效自评表（草稿）"]


# The reviewer's checks: each fires on a failing fixture and stays quiet on a passing one.

def _ids(form) -> list[str]:
    return [f.id for f in form.findings]


def test_pjc_001_execution_under_90_percent_needs_a_reason(profile):
    clean = [replace(r, deviation="说明") for r in XM22003]
    assert "PJC-001" in _ids(score_project(2022, DEPT, PROJECT, funds(100, 89), True, clean, None, profile))
    assert "PJC-001" not in _ids(score_project(2022, DEPT, PROJECT, funds(100, 90), True, clean, None, profile))
    explained = score_project(2022, DEPT, PROJECT, funds(100, 89), True, clean, {"execution_reason": "年底拨付"},
                              profile)
    assert "PJC-001" not in _ids(explained)


def test_pjc_002_an_actual_far_beyond_its_target_needs_an_explanation(profile):
    far = [row("产出指标", "数量指标", "户数", "≥", "20", "家", "90", "30")]  # 150 % of the target
    assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, far, None, profile)) == ["PJC-002"]
    near = [replace(far[0], actual="29")]
    assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, near, None, profile)) == []
    explained = [replace(far[0], deviation="新增企业集中申报")]
    assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, explained, None, profile)) == []
    # a ≤ target beaten, however far (no accident against at most 2), is no overshoot to explain
    for fewer in ("20", "0"):
        beaten = [row("产出指标", "时效指标", "安全事故起数", "≤", "2" if fewer == "0" else "30", "起", "90", fewer)]
        assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, beaten, None, profile)) == []


def test_pjc_003_asks_nothing_of_a_project_without_budget(profile):
    met = [row("产出指标", "数量指标", "户数", "≥", "20", "家", "90", "20")]
    assert _ids(score_project(2022, DEPT, PROJECT, funds(0, 0), True, met, None, profile)) == []


def test_pjc_003_performance_claimed_ahead_of_spending(profile):
    """All indicators met (90 ÷ 90 = 100 %) against 执行率 95 % (得分 9.5 ÷ 10 = 95 %): 100 > 95 × 1.05 = 99.75,
    fires; at 执行率 96 %, 100 ≤ 100.8, quiet."""
    met = [row("产出指标", "数量指标", "户数", "≥", "20", "家", "90", "20")]
    assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 95), True, met, None, profile)) == ["PJC-003"]
    assert _ids(score_project(2022, DEPT, PROJECT, funds(100, 96), True, met, None, profile)) == []


def test_pjc_004_a_missed_target_needs_a_reason(profile):
    missed = [row("产出指标", "数量指标", "户数", "≥", "20", "家", "90", "10")]
    assert "PJC-004" in _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, missed, None, profile))
    reasoned = [replace(missed[0], deviation="企业申报不足")]
    assert "PJC-004" not in _ids(score_project(2022, DEPT, PROJECT, funds(100, 100), True, reasoned, None, profile))


def test_a_profile_with_an_unknown_key_or_a_share_outside_its_band_is_refused(tmp_path: Path):
    text = PROFILE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "\nfoo: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key"):
        load_project_profile(bad)
    assert "部分达成: 0.6," in text
    outside = tmp_path / "outside.yaml"
    outside.write_text(text.replace("部分达成: 0.6,", "部分达成: 0.5,"), encoding="utf-8")
    with pytest.raises(ValueError, match="outside its band"):
        load_project_profile(outside)


def test_a_weight_or_a_score_out_of_range_is_refused_at_intake(profile):
    """The warehouse keeps 分值 and 自评得分 to 6 digits: a 分值 outside 0-100 or a score outside 0-分值 is the
    file's error, named, before anything loads (and never reaches a cast that would overflow)."""
    targets = pd.DataFrame([{"department_code": "D", "project_code": "P1", "indicator": f"指标{i}", "nature": "≥",
                             "target": "1", "unit": "个", "weight": w, "_source": "t.csv", "_row": i + 2}
                            for i, w in enumerate((190.0, -100.0))])
    actuals = pd.DataFrame([{"department_code": "D", "project_code": "P1", "indicator": "指标0", "actual": "1",
                             "score": 99999.0, "_source": "a.csv", "_row": 2}])
    texts = [str(p) for p in check_project_inputs(targets, actuals, profile)]
    assert sum("不在 0 至 100 之间" in t for t in texts) == 2
    assert any("自评得分 99999 不在 0 至分值 190 之间" in t and "a.csv" in t for t in texts)


def test_a_score_given_for_a_quantitative_indicator_is_not_used_and_the_form_says_so(profile):
    rows = [replace(XM22003[0], score=D("20"))]  # 18 of 20 by the formula
    form = score_project(2022, DEPT, PROJECT, funds(100, 100), True, rows, None, profile)
    assert form.items[0].score == D("18.00")
    assert any("自评得分 20 未采用：定量指标按实际完成值计 18 分" in n for n in form.notes)


def test_a_workbook_takes_any_project_code_as_its_sheet_name():
    """Excel refuses a sheet name that begins or ends with ', holds []:*?/\\, is longer than 31 characters or
    repeats another (without case): each is made acceptable, never an error that fails the department's report."""
    import datetime as dt
    import io

    import openpyxl

    from tasks.report.grid import Cell
    from tasks.report.project_form import form_xlsx

    grid = [[Cell("项目支出绩效自评表", 10, "title")], [Cell("=1+1", 5), Cell("http://x", 5)]]
    names = ["'XM22005", "XM22005'", "xm22005", "XM/22:05*?", "X" * 40]
    data = form_xlsx([(n, grid) for n in names], dt.datetime(2023, 1, 1, tzinfo=dt.UTC), "t")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["XM22005", "XM22005(2)", "xm22005(3)", "XM_22_05__", "X" * 31]
    assert book.worksheets[0]["A2"].value == "=1+1" and book.worksheets[0]["A2"].data_type == "s"  # text, no formula


def test_a_row_is_as_tall_as_its_longest_wrapped_text_with_cjk_two_units_wide():
    from tasks.report.grid import Cell
    from tasks.report.project_form import COLUMN_WIDTHS, row_height

    def by_hand(row):  # the rule as first written, a character at a time
        lines, col = 1, 0
        for cell in row:
            room = max(1.0, sum(COLUMN_WIDTHS[col:col + cell.span]) - 1.5)
            for part in cell.text.split("\n"):
                used = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
                lines = max(lines, -(-used // room) if used else 1)
            col += cell.span
        return 15.0 * lines

    texts = ["", "a" * 9, "a" * 10, "汉" * 4, "汉" * 5, "\u2e7f" * 9, "\u2e80" * 9, "１２３４５", "😀" * 5,
             "资金\n" + "x" * 30, "\n\n", "Ａ" * 50 + "b" * 3]
    for text in texts:
        row = [Cell(text), Cell("ok", 9)]
        assert row_height(row, COLUMN_WIDTHS) == by_hand(row), text
    assert row_height([Cell("汉" * 5)], COLUMN_WIDTHS) == 30.0  # 10 units in a column of 10 (8.5 usable): 2 lines
    assert row_height([Cell("a" * 8)], COLUMN_WIDTHS) == 15.0


def test_departments_counted_apart_sum_to_the_district():
    from tasks.report.projects import DistrictProjects, summed

    a = DistrictProjects([("优", 1), ("良", 0)], [("≥90%", 1)], [("PJC-001", "偏低", 1)],
                         [("甲", "P1", "一", "草稿")], 2)
    b = DistrictProjects([("优", 2), ("良", 3)], [("≥90%", 4)], [("PJC-001", "偏低", 0)],
                         [("乙", "P9", "九", "未报送")], 5)
    empty = DistrictProjects([("优", 0), ("良", 0)], [("≥90%", 0)], [("PJC-001", "偏低", 0)], [], 0)
    assert summed([a, empty, b]) == DistrictProjects([("优", 3), ("良", 3)], [("≥90%", 5)], [("PJC-001", "偏低", 1)],
                                                     [("甲", "P1", "一", "草稿"), ("乙", "P9", "九", "未报送")], 7)
    assert summed([empty]) is None and summed([]) is None


def test_rows_of_a_staged_frame_are_its_records_value_for_value():
    import math

    import numpy as np

    from tasks.report.targets import rows_of

    frame = pd.DataFrame({
        "department_code": pd.Series(["D1", None, "D3"], dtype="str"),
        "_row": pd.array([2, None, 4], dtype="Int64"),
        "weight": np.array([10.5, np.nan, 3.0]),
        "count": np.array([1, 2, 3], dtype="int64"),
        "when": np.array(["2022-01-01", "2022-06-30", "NaT"], dtype="datetime64[s]"),
        "score": pd.Series([D("1.5"), None, D("2")], dtype=object),
    })

    def same(a: object, b: object) -> bool:
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return type(a) is type(b) and (a is b or a == b)

    got, expected = rows_of(frame), frame.to_dict("records")
    assert len(got) == len(expected) == 3
    for mine, theirs in zip(got, expected, strict=True):
        assert list(mine) == list(theirs)
        assert all(same(mine[k], theirs[k]) for k in theirs), (mine, theirs)
    assert rows_of(frame.iloc[:0]) == []
