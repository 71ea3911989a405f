"""The 双监控's lights, worked by hand on the sample's 2023 submission (440103-SWJ, as of 30 June 2023), and the
two spending profiles on the same data. The integration test (tests/integration/test_open_year.py) reads the same
lights from the forms the nightly writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from tasks.report import lights as lg
from tasks.settings import TEMPLATES_DIR

AS_OF = dt.date(2023, 6, 30)  # 序时进度 6/12 = 50 %
# the ledger of each project's lines to 30 June (分), and its 调整后预算数
XM23001 = (106_635_310, 436_383_531)
XM23003 = (65_013_698, 184_351_993)  # 35.27 %: where the two profiles differ
XM23004 = (447_080_997, 892_620_018)
XM23007 = (281_020_345, 521_016_516)


@pytest.fixture(scope="module")
def schedule() -> lg.LightsProfile:
    return lg.load_lights(TEMPLATES_DIR / "lights" / "schedule.yaml")


@pytest.fixture(scope="module")
def calendar() -> lg.LightsProfile:
    return lg.load_lights(TEMPLATES_DIR / "lights" / "calendar.yaml")


def rate(paid_budget: tuple[int, int]) -> D:
    return D(paid_budget[0]) / D(paid_budget[1])


def colors(lights: list[lg.Light]) -> list[tuple[str, str]]:
    return [(light.rule_id, light.color) for light in lights]


def test_a_project_lit_red_on_spending(schedule):
    """XM23001 促进外贸稳增长专项资金: 1,066,353.10 ÷ 4,363,835.31 = 24.44 % paid; ÷ 序时进度 50 % = 48.87 %, under
    60 %: red (LGT-001). Its 外贸企业扶持家数 (≥ 30 家, 14 so far) is 46.67 % done against 24.44 % spent: 22.23
    points apart, over 10: yellow (LGT-003); 有可能 with a reason given: yellow (LGT-004), no LGT-006."""
    light = lg.spending_light(rate(XM23001), AS_OF, schedule)
    assert light is not None and (light.rule_id, light.color) == ("LGT-001", "red")
    assert "24.44%" in light.reason and "48.87%" in light.reason
    reason = "扶持资金待第三季度集中拨付"
    found = lg.indicator_lights("≥", "家", D(30), D(14), "有可能", reason, rate(XM23001), schedule)
    assert colors(found) == [("LGT-004", "yellow"), ("LGT-003", "yellow")]
    assert "22.23 个百分点" in found[1].reason
    assert lg.worst([light, *found]) == "red"


def test_a_project_lit_yellow_by_the_gap_between_targets_and_spending(schedule):
    """XM23004 消费促进活动经费: 4,470,809.97 ÷ 8,926,200.18 = 50.09 %, ÷ 50 % = 100.17 %: green. 消费促进活动场次
    (≥ 20 场, 13 so far) is 65 % done against 50.09 % spent: 14.91 points apart: yellow (LGT-003). 活动带动消费额
    (≥ 5 亿元, 2.6) is 52 %: 1.91 points, green. 参与商户满意度 (%, a level) is not read for the gap. Worst: yellow."""
    spent = rate(XM23004)
    light = lg.spending_light(spent, AS_OF, schedule)
    assert light is not None and light.color == "green"
    gap = lg.indicator_lights("≥", "场", D(20), D(13), "确定能", None, spent, schedule)
    assert colors(gap) == [("LGT-004", "green"), ("LGT-003", "yellow")] and "14.91 个百分点" in gap[1].reason
    assert colors(lg.indicator_lights("≥", "亿元", D(5), D("2.6"), "确定能", None, spent, schedule)) == [
        ("LGT-004", "green")]
    assert colors(lg.indicator_lights("≥", "%", D("0.9"), D("0.93"), "确定能", None, spent, schedule)) == [
        ("LGT-004", "green")]
    assert lg.worst([light, *gap]) == "yellow"


def test_a_target_that_cannot_be_met_with_no_reason(schedule):
    """XM23007 电子商务发展资金: 53.94 % spent, ÷ 50 % = 107.87 %: green. 电商示范企业培育数 says 不可能: red (LGT-004),
    and gives no reason: yellow (LGT-006); its 5 of 10 (50 %) is 3.94 points from 53.94 %: no gap. 直播电商基地建成
    (定性) 部分达成 so far: yellow (LGT-005). Worst: red."""
    spent = rate(XM23007)
    found = lg.indicator_lights("≥", "家", D(10), D(5), "不可能", None, spent, schedule)
    assert colors(found) == [("LGT-004", "red"), ("LGT-006", "yellow")]
    assert colors(lg.indicator_lights("定性", "", None, "部分达成", "确定能", None, spent, schedule)) == [
        ("LGT-004", "green"), ("LGT-005", "yellow")]
    assert colors(lg.indicator_lights("≥", "家", D(10), D(5), "不可能", "受平台政策调整影响", spent, schedule)) == [
        ("LGT-004", "red")]  # with a reason: no LGT-006


def test_the_calendar_and_the_schedule_give_the_published_results_and_differ_between_30_and_40_percent(
        schedule, calendar):
    """At the end of June the calendar rule wants 40 % paid; the schedule wants 80 % of 50 % = 40 % for green and
    60 % of it = 30 % for yellow. XM23001 (24.44 %): red by both. XM23004 (50.09 %): green by both. XM23003
    老字号保护传承经费 (35.27 %): yellow by the schedule (70.53 % of 序时进度), red by the calendar (under 40 %)."""
    for project, by_schedule, by_calendar in ((XM23001, "red", "red"), (XM23004, "green", "green"),
                                              (XM23003, "yellow", "red")):
        s, c = lg.spending_light(rate(project), AS_OF, schedule), lg.spending_light(rate(project), AS_OF, calendar)
        assert s is not None and c is not None and (s.color, c.color) == (by_schedule, by_calendar)
    # before the end of April the calendar asks nothing; the schedule already lights a slow start
    early = dt.date(2023, 3, 31)
    assert lg.spending_light(D("0.10"), early, calendar).color == "green"  # type: ignore[union-attr]
    assert lg.spending_light(D("0.10"), early, schedule).color == "red"  # type: ignore[union-attr]
    # the end of April: 25 % due
    april = dt.date(2023, 4, 30)
    assert lg.spending_light(D("0.24"), april, calendar).color == "red"  # type: ignore[union-attr]
    assert lg.spending_light(D("0.25"), april, calendar).color == "green"  # type: ignore[union-attr]


def test_the_linear_projection_and_the_ranking_of_candidates():
    """按序时线性外推: 1,066,353.10 ÷ 50 % = 2,132,706.20. Candidates: red before yellow, then by lag behind 序时进度
    (XM23001 50 − 24.44 = 25.56 points), then by budget; green are not candidates."""
    assert lg.linear_projection(XM23001[0], AS_OF) == 213_270_620
    ranked = lg.rank_candidates([("商务局", "XM23004", "消费促进活动经费", "yellow", rate(XM23004), XM23004[1]),
                                 ("商务局", "XM23007", "电子商务发展资金", "red", rate(XM23007), XM23007[1]),
                                 ("商务局", "XM23001", "促进外贸稳增长专项资金", "red", rate(XM23001), XM23001[1]),
                                 ("商务局", "XM23005", "招商推介活动经费", "green", D("0.57"), 1)], AS_OF)
    assert [c.project_code for c in ranked] == ["XM23001", "XM23007", "XM23004"]
    assert ranked[0].reason == "红灯；落后序时进度 25.56 个百分点；预算 436.38 万元"
    assert ranked[1].reason.startswith("红灯；不落后于序时进度")


def test_a_lights_profile_with_an_unknown_key_or_light_is_refused(tmp_path: Path):
    text = (TEMPLATES_DIR / "lights" / "schedule.yaml").read_text(encoding="utf-8")
    for n, bad in enumerate((text + "\nfoo: 1\n", text.replace("light: yellow", "light: amber"))):
        path = tmp_path / f"bad{n}.yaml"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError, match=r"unknown key|not lights"):
            lg.load_lights(path)
