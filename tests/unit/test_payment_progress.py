"""In-year monitoring: 序时进度, the data's date, the lag rule MON-001 and its alert, on small fixtures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from tasks.quality.alerts import channels
from tasks.report.monitoring import Monitoring, MonitoringRule, already_told, lag_alerts, load_rules
from tasks.settings import TEMPLATES_DIR, Settings
from tasks.warehouse.monitoring import Progress, as_of_date, data_month, month_end, reached, time_progress

RULE = MonitoringRule("MON-001", "支付进度滞后于序时进度", "warning", "total",
                      "{department} {as_of} {paid} {time} {lag} {threshold}")


def row(code: str, budget: int, paid: int, level: str = "total", key: str = "", name: str = "合计") -> Progress:
    return Progress(code, f"{code}局", level, key, name, budget, paid)


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2023, 6, 30), Decimal("0.5")),
    (dt.date(2023, 12, 31), Decimal(1)),
    (dt.date(2023, 1, 31), Decimal(1) / 12),
    (dt.date(2024, 2, 29), Decimal(2) / 12),  # a leap February's end is two months
    (dt.date(2023, 6, 15), (Decimal(5) + Decimal(15) / 30) / 12),  # mid-month: the month's elapsed share
])
def test_time_progress(day, expected):
    assert time_progress(day) == expected


def test_a_ledger_reaches_its_last_month_in_a_run_of_months():
    assert reached({1, 2, 3, 4, 5, 6}) == 6
    assert reached({1, 2, 3, 4, 5, 6, 11}) == 6  # one payment typed as November stands alone after a gap
    assert reached({5}) == 5 and reached({3, 4}) == 4  # a ledger that starts late
    assert reached(set()) is None


def test_the_data_month_is_the_latest_at_least_half_the_ledgers_reach():
    first_half = set(range(1, 7))
    assert data_month({"A": first_half | {11}}) == 6  # one department alone: its stray date does not count
    assert data_month({"A": first_half | {11}, "B": first_half}) == 6
    assert data_month({"A": first_half, "B": first_half, "C": {1, 2, 3}}) == 6
    assert data_month({"A": first_half, "B": {1, 2, 3}, "C": {1, 2, 3}}) == 3  # most ledgers stop at March
    assert data_month({"A": first_half, "B": {1, 2, 3}}) == 6  # half is enough
    assert data_month({}) is None  # nothing paid yet


def test_the_data_date_is_that_month_s_end_never_after_today_unless_set_for_the_year():
    late = dt.date(2026, 12, 2)
    assert month_end(dt.date(2023, 2, 3)) == dt.date(2023, 2, 28)
    assert as_of_date(6, 2023, late) == dt.date(2023, 6, 30)
    assert as_of_date(7, 2023, dt.date(2023, 7, 15)) == dt.date(2023, 7, 15)  # a ledger exported mid-month
    assert as_of_date(6, 2023, late, dt.date(2023, 5, 31)) == dt.date(2023, 5, 31)
    assert as_of_date(6, 2023, late, dt.date(2024, 1, 31)) == dt.date(2023, 6, 30)  # another year's setting
    assert as_of_date(None, 2023, late) is None  # nothing paid yet


def test_a_department_lags_only_beyond_the_threshold():
    m = Monitoring(2023, dt.date(2023, 6, 30), Decimal(10),
                   [row("A", 10_000, 4_000), row("B", 10_000, 3_999), row("C", 0, 0), row("D", 10_000, 6_000)],
                   [RULE])
    assert m.lag(m.rows[0]) == Decimal(10) and not m.lagging(m.rows[0])  # exactly 10 points: not flagged
    assert m.lagging(m.rows[1])
    assert m.lag(m.rows[2]) is None and not m.lagging(m.rows[2])  # no budget: no rate
    assert m.lag(m.rows[3]) == Decimal(-10)  # ahead of 序时进度
    assert list(m.flagged()) == ["B"]
    assert m.flagged()["B"][0].text == "B局 2023年6月30日 39.99 50.00 10.01 10"
    table = m.table("total")  # 预警 first, in the first column; then in the departments' order
    assert [(r["状态"], r["部门编码"]) for r in table] == [("预警", "B"), ("正常", "A"), ("—", "C"), ("正常", "D")]
    assert next(iter(table[0])) == "状态"
    assert m.notes() == []


def test_the_notes_name_payments_after_the_data_date_and_departments_without_data():
    m = Monitoring(2023, dt.date(2023, 6, 30), Decimal(10), [row("A", 10_000, 5_000)], [RULE],
                   later={"A": 2}, absent=[("N", "新局")])
    assert m.notes() == ["", "注：A局有 2 笔支付日期晚于截至日期，未计入支付进度，请核对支付日期。",
                         "未纳入监控（数据仓库中尚无其本年度预算数据：尚未报送、未通过校验或本次未运行）：新局。"]
    assert "未纳入监控" in "\n".join(m.markdown())
    assert Monitoring(2023, dt.date(2023, 6, 30), Decimal("7.5"), [], [RULE]).threshold_text == "7.5"
    assert Monitoring(2023, dt.date(2023, 6, 30), Decimal(20), [], [RULE]).threshold_text == "20"


def test_a_rule_flags_its_own_level_only():
    project = row("A", 10_000, 1_000, level="project", key="XM01", name="项目甲")
    m = Monitoring(2023, dt.date(2023, 6, 30), Decimal(10), [row("A", 100_000, 49_000), project], [RULE])
    assert m.findings() == []  # MON-001 reads the department's total
    projects = m.table("project")
    assert (projects[0]["项目编码"], projects[0]["项目"], projects[0]["状态"], projects[0]["差距（百分点）"]) == (
        "XM01", "项目甲", "滞后", "40.00")


def test_lag_alerts_name_the_rule_and_the_department():
    m = Monitoring(2023, dt.date(2023, 6, 30), Decimal(10), [row("B", 10_000, 2_000)], [RULE])
    [alert] = lag_alerts(m, "run-1")
    payload = alert.payload()
    assert payload["event"] == "selfeval.monitoring.lagging" and payload["department"] == "B"
    assert payload["findings"] == ["MON-001 B局 2023年6月30日 20.00 50.00 30.00 10"]
    assert "B 2023 支付进度滞后于序时进度" in alert.text()


def test_a_lag_is_alerted_once_per_data_date():
    m = Monitoring(2023, dt.date(2023, 6, 30), Decimal(10), [row("B", 10_000, 2_000), row("C", 10_000, 1_000)],
                   [RULE])
    last = {"as_of": "2023-06-30", "lagging": {"B": ["…"], "C": ["…"]}, "told": ["B"]}
    assert already_told(m, last) == {"B"}
    assert [a.department for a in lag_alerts(m, "run-2", already_told(m, last))] == ["C"]  # B was told
    assert already_told(m, {**last, "as_of": "2023-05-31"}) == set()  # a new month of data: told again
    # lagging in the last run but never told (alerts were off, or the webhook was down): told now
    assert already_told(m, {"as_of": "2023-06-30", "lagging": {"B": ["…"]}}) == set()
    assert [a.department for a in lag_alerts(m, "run-2", already_told(m, None))] == ["B", "C"]


def test_the_shipped_rule_and_bad_ones(tmp_path: Path):
    [shipped] = load_rules(TEMPLATES_DIR / "monitoring.yaml")
    assert shipped.rule_id == "MON-001" and shipped.severity == "warning" and shipped.level == "total"
    bad = tmp_path / "rules.yaml"
    for entry, message in (
        ("{rule_id: M, label: l, severity: fatal, level: total, message: m}", "a monitoring rule is a warning"),
        ("{rule_id: M, label: l, severity: warning, level: region, message: m}", "level 'region'"),
        ("{rule_id: M, label: l, severity: warning, level: total}", "expected the keys"),
        ("{rule_id: M, label: l, severity: warning, level: total, message: '{dept} lags'}", "names 'dept'"),
    ):
        bad.write_text(f"rules:\n  - {entry}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message) as err:
            load_rules(bad)
        assert str(bad) in str(err.value) and "entry 1" in str(err.value)


def test_lag_alerts_use_their_own_channels_else_the_data_quality_ones(monkeypatch):
    for name in ("ALERT_BLOCK", "ALERT_WEBHOOK", "LAG_ALERT_BLOCK", "LAG_ALERT_WEBHOOK"):
        monkeypatch.delenv(f"SELFEVAL_{name}", raising=False)
    plain = Settings(alert_block="slack-webhook/ops", alert_webhook=SecretStr("http://127.0.0.1:1/dq"))
    assert channels(plain, "lag") == channels(plain) == ("slack-webhook/ops", plain.alert_webhook)
    own = Settings(alert_block="slack-webhook/ops", lag_alert_block="slack-webhook/finance",
                   lag_alert_webhook=SecretStr("http://127.0.0.1:1/lag"))
    block, webhook = channels(own, "lag")
    assert block == "slack-webhook/finance" and webhook is not None
    assert webhook.get_secret_value().endswith("/lag")
    assert channels(own)[0] == "slack-webhook/ops"
