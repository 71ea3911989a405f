"""The 双监控's follow-up (整改跟踪), a submission's 截至日期, rows that name no target, and red-light alerts: pure
functions on small rows. The integration test (tests/integration/test_open_year.py, ``_time_travel``) reads the same
on the sample's forms month by month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tasks.report import lights as lg
from tasks.report import rectification as rc
from tasks.report.dual import DualForm, DualItem, red_items, unmatched, usable
from tasks.report.monitoring import Monitoring, light_alerts, light_key, told_lights
from tasks.warehouse.monitoring import Progress
from tasks.warehouse.queries import MonitoringRow, RectificationRow

D = dt.date
SPENDING = RectificationRow("A", "XM1", "", D(2023, 7, 10), "加快支付", D(2023, 8, 31), None, None)
ANSWERED = RectificationRow("A", "XM2", "培育数", D(2023, 7, 12), "补报原因", D(2023, 7, 20), "已补报", D(2023, 7, 20))
# a result written but no 完成日期: not closed (the bureau closes it by the date)
UNDATED = RectificationRow("A", "XM3", "", D(2023, 7, 1), "加快支付", None, "已加快", None)


def test_an_item_is_open_from_its_request_until_its_result_and_date():
    assert not SPENDING.open_on(D(2023, 7, 9))  # not requested yet
    assert SPENDING.open_on(D(2023, 7, 10)) and not SPENDING.overdue_on(D(2023, 8, 31))  # due that day: not late
    assert SPENDING.overdue_on(D(2023, 9, 1))
    assert ANSWERED.open_on(D(2023, 7, 19)) and not ANSWERED.open_on(D(2023, 7, 20))
    assert UNDATED.open_on(D(2026, 1, 1)) and not UNDATED.overdue_on(D(2026, 1, 1))  # no 整改期限: never overdue
    assert rc.status(SPENDING, D(2023, 7, 15)) == "未完成"
    assert rc.status(SPENDING, D(2023, 9, 1)) == "逾期未完成"
    assert rc.status(ANSWERED, D(2023, 7, 31)) == "按期完成（2023-07-20）"  # due the 20th, done the 20th
    late = RectificationRow("A", "XM1", "", D(2023, 7, 10), "加快支付", D(2023, 8, 31), "已支付", D(2023, 9, 20))
    assert rc.status(late, D(2023, 12, 31)) == "逾期完成（2023-09-20）"
    free = RectificationRow("A", "XM1", "", D(2023, 7, 10), "加快支付", None, "已支付", D(2023, 9, 20))
    assert rc.status(free, D(2023, 12, 31)) == "已完成（2023-09-20）"
    # a result without its date is shown, awaiting its date; a date without a result is not closed
    assert rc.status(UNDATED, D(2023, 9, 1)) == "待确认（未填整改完成日期）"
    assert rc.shown_outcome(UNDATED, D(2023, 9, 1)) == "已加快"
    dated = RectificationRow("A", "XM1", "", D(2023, 7, 10), "加快支付", D(2023, 8, 31), None, D(2023, 8, 1))
    assert rc.status(dated, D(2023, 8, 15)) == "未完成（未填整改结果）"
    assert rc.shown_outcome(SPENDING, D(2023, 9, 1)) == "—"


def test_the_grid_shows_what_was_known_by_the_day_and_a_result_only_once_done():
    assert rc.grid_rows([SPENDING], D(2023, 7, 9)) == []
    rows = rc.grid_rows([ANSWERED, SPENDING], D(2023, 7, 15))
    assert [c.text for c in rows[0]] == ["整改跟踪（截至2023年7月15日）"]
    assert [c.text for c in rows[1]] == list(rc.HEADERS)
    assert [c.text for c in rows[2]] == ["资金执行", "2023-07-10", "加快支付", "2023-08-31", "—", "未完成"]
    assert [c.text for c in rows[3]][4:] == ["—", "未完成"]  # answered on the 20th: not yet on the 15th
    assert all(sum(c.span for c in r) == 10 for r in rows)  # ten columns, as both forms
    assert all(sum(c.span for c in r) == 10 for r in rc.grid_rows([SPENDING], D(2023, 9, 1), "整改",
                                                                   rc.PROJECT_SPANS))
    done = rc.grid_rows([ANSWERED], D(2023, 7, 20))
    assert [c.text for c in done[2]][4:] == ["已补报", "按期完成（2023-07-20）"] and done[2][-1].light == ""
    assert rc.grid_rows([SPENDING], D(2023, 9, 1))[2][-1].light == "red"  # overdue


def test_a_closed_year_reads_its_history_at_the_year_end_or_its_last_completion():
    assert rc.year_end(2023, [SPENDING]) == D(2023, 12, 31)
    late = RectificationRow("A", "XM1", "", D(2023, 11, 1), "加快支付", None, "已完成", D(2024, 2, 1))
    assert rc.year_end(2023, [SPENDING, late]) == D(2024, 2, 1)


def test_the_summary_counts_and_lists_the_open_ones_overdue_first():
    lines = rc.summary_lines([ANSWERED, UNDATED, SPENDING], D(2023, 9, 1), {"A": "甲局"},
                             {("A", "XM1"): "项目一", ("A", "XM3"): "项目三"})
    assert lines[0] == "整改跟踪（截至2023年9月1日）：已下达整改要求 3 项，已完成 1 项，未完成 2 项（其中逾期 1 项）。"
    table = [line for line in lines if line.startswith("| ") and "甲局" in line]
    assert table[0].startswith("| 逾期未完成 | 甲局 | 项目一 | 资金执行 |") and "项目三" in table[1]
    assert table[1].endswith("| 已加快 |")  # what the department wrote, even undated
    assert rc.summary_lines([SPENDING], D(2023, 7, 1), {}, {}) == []  # nothing requested yet


def submission(project: str, indicator: str, period_end: D | None) -> MonitoringRow:
    return MonitoringRow(project, indicator, "1", "2", "确定能", None, None, None, None, period_end)


def test_a_submission_counted_to_a_later_date_is_not_used_before_it():
    rows = [submission("XM1", "家数", D(2023, 6, 30)), submission("XM1", "满意度", None)]
    kept, later = usable(rows, D(2023, 5, 31))
    assert [r.indicator for r in kept] == ["满意度"]  # no 截至日期: any date
    assert later == {"XM1": D(2023, 6, 30)}  # noted on XM1's own form
    assert usable(rows, D(2023, 6, 30)) == (rows, {})


def test_a_row_that_names_no_target_is_noted_not_shown():
    units = {"": {"总体"}, "XM1": {"家数"}, "XM2": set()}
    notes = unmatched([submission("XM1", "家数", None), submission("XM1", "家 数", None),
                       submission("XM9", "家数", None), submission("", "总体", None), submission("", "其他", None),
                       submission("XM2", "家数", None)], units)
    assert notes == ["监控表中项目 XM1的「家 数」：不是该项目已报送的绩效目标（三级指标），未采用。",
                     "监控表中项目 XM9的「家数」：该项目不在本部门的项目支出中，未采用。",
                     "监控表中部门整体的「其他」：不是部门已报送的绩效目标（三级指标），未采用。",
                     "监控表中项目 XM2的「家数」：该项目未报送绩效目标，未采用。"]
    assert unmatched([submission("", "总体", None)], {"": set()}) == [
        "监控表中部门整体的「总体」：部门未报送绩效目标，未采用。"]


def test_a_rectification_row_out_of_place_or_out_of_order_is_named():
    assert rc.row_problems(SPENDING, set()) == []
    assert rc.row_problems(ANSWERED, {"家数"}) == [
        "整改跟踪表中项目 XM2的「培育数」不是其绩效目标中的三级指标，请核对。"]
    assert rc.row_problems(SPENDING, None) == ["整改跟踪表中项目 XM1（2023年7月10日下达）：本部门没有该项目，未采用。"]
    backwards = RectificationRow("A", "", "", D(2023, 7, 10), "补报", D(2023, 7, 1), "已补", D(2023, 7, 5))
    assert rc.row_problems(backwards, set()) == [
        "整改跟踪表中部门整体「资金执行」的整改期限 2023-07-01 早于下达日期 2023-07-10，请核对。",
        "整改跟踪表中部门整体「资金执行」的整改完成日期 2023-07-05 早于下达日期 2023-07-10，请核对。"]


def test_a_repeated_row_of_a_lenient_dataset_is_warned_of_and_the_first_stands():
    import pandas as pd

    from tasks.sources.contract import RECTIFICATION
    from tasks.sources.extract import _repeated

    frame = pd.DataFrame({"department_code": ["A", "A", "A"], "project_code": ["XM1", None, "XM1"],
                          "indicator": [None, None, None], "requested_on": pd.to_datetime(["2023-07-10"] * 3),
                          "_row": [2, 3, 4], "_source": ["rectification.csv"] * 3})
    [warning] = _repeated(frame, RECTIFICATION, "finance", "A")
    assert warning.row == 4 and warning.severity == "warning" and "与第 2 行重复" in warning.message


def form(code: str, project: str, spending: str, items: list[list[lg.Light]]) -> DualForm:
    return DualForm(2023, D(2023, 6, 30), code, "甲局", project, "项目一", None, 100, 10, None,
                    lg.Light(spending, "LGT-001", "1-6月执行率 10.00%"),
                    [DualItem(f"指标{i}", "≥", "10", "1", "2", "不可能", "", "", "", lights)
                     for i, lights in enumerate(items)])


def test_red_items_name_the_form_the_item_and_the_rule():
    red = red_items([form("A", "XM1", "red", [[lg.Light("red", "LGT-004", "不可能")], [lg.Light("green", "LGT-004",
                                                                                            "确定能")]]),
                     form("B", "XM2", "green", [[lg.Light("yellow", "LGT-006", "未填写")]])])
    assert red == {"A": ["XM1 项目一「资金执行」红灯 LGT-001 支付进度对照序时进度：1-6月执行率 10.00%",
                         "XM1 项目一「指标0」红灯 LGT-004 完成目标可能性：不可能"]}


def test_red_lights_are_alerted_once_per_data_date():
    m = Monitoring(2023, D(2023, 6, 30), Decimal(10), [Progress("A", "甲局", "total", "", "合计", 100, 10)])
    red = {"A": ["XM1 项目一「资金执行」红灯"], "B": []}
    [alert] = light_alerts(red, 2023, "run-1")
    assert alert.payload()["event"] == "selfeval.monitoring.red-light" and alert.department == "A"
    assert alert.text().startswith("selfeval: A 2023 绩效运行监控亮红灯\n- XM1")
    told = told_lights(m, {"as_of": "2023-06-30", "told": [], "told_lights": {"A": ["XM1 项目一「资金执行」红灯"]}})
    assert light_alerts(red, 2023, "run-2", told) == []  # told at this data date
    assert told_lights(m, {"as_of": "2023-06-30", "told": ["A"]}) == {}  # a lag is not a light
    assert [a.department for a in light_alerts(red, 2023, "run-3",
                                               told_lights(m, {"as_of": "2023-05-31", "told_lights": {"A": [
                                                   "XM1 项目一「资金执行」红灯"]}}))] == ["A"]  # a new month: again
    more = {"A": ["XM1 项目一「资金执行」红灯 LGT-001 支付进度对照序时进度：1-6月 10%",
                  "XM2 项目二「家数」红灯 LGT-004 完成目标可能性：不可能"]}
    told = {"A": {light_key(more["A"][0])}}
    [new] = light_alerts(more, 2023, "run-4", told)  # a red item new at the same data date: it alone is told
    assert new.findings == [more["A"][1]]
    assert light_key(more["A"][0]) == "XM1 项目一「资金执行」红灯 LGT-001 支付进度对照序时进度"


def test_every_row_of_a_monitoring_form_spans_its_ten_columns():
    from tasks.report.dual import form_grid

    lit = form("A", "XM1", "red", [[lg.Light("red", "LGT-004", "不可能")]])
    full = DualForm(**{**lit.__dict__, "submitted": True, "notes": ["说明"], "rectifications": [SPENDING],
                       "followup_day": D(2023, 9, 1), "period_end": D(2023, 5, 31)})
    for grid in (form_grid(lit), form_grid(full)):
        assert all(sum(c.span for c in row) == 10 for row in grid), [[c.text for c in r] for r in grid]
