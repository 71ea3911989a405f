"""The in-year monitoring a run and the roll-up show: 支付进度 against 序时进度, and the lag rule.

The measure is :mod:`tasks.warehouse.monitoring`; the rules are reviewed data (``templates/monitoring.yaml``,
``Settings.monitoring_rules``). A department lags when its 支付进度 is more than
``Settings.lag_warning_points`` percentage points below 序时进度. Lagging is a warning for the people who
follow budget execution, never a refusal, and separate from data quality: it alerts only when
``Settings.lag_alerts`` is on, on channels of its own when given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tasks.report import charts as ch
from tasks.report import formatting as fmt
from tasks.settings import Settings
from tasks.warehouse import monitoring as mon
from tasks.yamlfile import read_config

RULE_KEYS = {"rule_id", "label", "severity", "level", "message"}
PLACEHOLDERS = ("department", "name", "as_of", "paid", "time", "lag", "threshold")
EVENT = "selfeval.monitoring.lagging"
LIGHT_EVENT = "selfeval.monitoring.red-light"
LAGGING = "支付进度滞后于序时进度"
RED_LIGHTS = "绩效运行监控亮红灯"


@dataclass(frozen=True)
class MonitoringRule:
    rule_id: str
    label: str
    severity: str
    level: str
    message: str


def load_rules(path: Path) -> list[MonitoringRule]:
    """The rules of ``path``. Raises ValueError naming the file and the entry when one is malformed."""
    entries = (read_config(path) or {}).get("rules") or []
    rules = []
    for i, entry in enumerate(entries):
        where = f"monitoring rules {path}, entry {i + 1}"
        if not isinstance(entry, dict) or set(entry) != RULE_KEYS:
            raise ValueError(f"{where}: expected the keys {sorted(RULE_KEYS)}")
        if entry["severity"] != "warning":
            raise ValueError(f"{where}: severity {entry['severity']!r}; a monitoring rule is a warning")
        if entry["level"] not in mon.LEVELS:
            raise ValueError(f"{where}: level {entry['level']!r}, expected one of {', '.join(mon.LEVELS)}")
        try:
            str(entry["message"]).format(**dict.fromkeys(PLACEHOLDERS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{where}: message {entry['message']!r} names {exc}; it may name "
                             f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}") from None
        rules.append(MonitoringRule(**{k: str(v) for k, v in entry.items()}))
    return rules


@dataclass(frozen=True)
class Finding:
    rule: MonitoringRule
    row: mon.Progress
    text: str


@dataclass
class Monitoring:
    """A year's monitoring as of ``as_of``: every open department's rows, and what the rules flag."""

    year: int
    as_of: dt.date
    threshold: Decimal  # percentage points
    rows: list[mon.Progress]
    rules: list[MonitoringRule] = field(default_factory=list)
    later: dict[str, int] = field(default_factory=dict)  # payments dated after ``as_of``, not counted
    absent: list[tuple[str, str]] = field(default_factory=list)  # (code, name) without data for the year

    @property
    def threshold_text(self) -> str:
        """The threshold as written: 10, 7.5."""
        return f"{self.threshold.normalize():f}"

    @property
    def time(self) -> Decimal:
        """序时进度, a fraction."""
        return mon.time_progress(self.as_of)

    def lag(self, row: mon.Progress) -> Decimal | None:
        """Percentage points by which ``row``'s 支付进度 trails 序时进度 (negative: ahead); None without budget."""
        return None if row.rate is None else (self.time - row.rate) * 100

    def lagging(self, row: mon.Progress) -> bool:
        lag = self.lag(row)
        return lag is not None and lag > self.threshold

    @property
    def totals(self) -> list[mon.Progress]:
        return [r for r in self.rows if r.level == "total"]

    def findings(self) -> list[Finding]:
        out = []
        for rule in self.rules:
            for row in self.rows:
                if row.level == rule.level and self.lagging(row):
                    out.append(Finding(rule, row, rule.message.format(
                        department=row.department_name, name=row.name, as_of=chinese_date(self.as_of),
                        paid=fmt.percent(row.rate, 2), time=fmt.percent(self.time, 2),
                        lag=f"{fmt.quantize(self.lag(row) or Decimal(0), 2):f}",
                        threshold=self.threshold_text)))
        return out

    def flagged(self) -> dict[str, list[Finding]]:
        """The findings by department code."""
        out: dict[str, list[Finding]] = {}
        for f in self.findings():
            out.setdefault(f.row.department_code, []).append(f)
        return out

    def table(self, level: str = "total") -> list[dict[str, str]]:
        """The rows of one level as text, in the roll-up's and the artifact's columns: 状态 first (预警, 滞后,
        正常), and the 预警 rows first."""
        flagged = {(f.row.department_code, f.row.key) for f in self.findings() if f.row.level == level}
        out = []
        for r in self.rows:
            if r.level != level:
                continue
            lag = self.lag(r)
            state = ("预警" if (r.department_code, r.key) in flagged else "滞后" if self.lagging(r) else "正常"
                     if lag is not None else "—")
            parts = {} if level == "total" else {"资金来源": r.name} if level == "fund_source" else {
                "项目编码": r.key, "项目": r.name}
            out.append({"状态": state, "部门编码": r.department_code, "部门": r.department_name, **parts,
                        "全年预算数（万元）": fmt.wan(r.budget_fen), "累计支付（万元）": fmt.wan(r.paid_fen),
                        "支付进度": f"{fmt.percent(r.rate, 2)}%" if r.rate is not None else "—",
                        "序时进度": f"{fmt.percent(self.time, 2)}%",
                        "差距（百分点）": f"{fmt.quantize(lag, 2):f}" if lag is not None else "—"})
        rank = {"预警": 0, "滞后": 1}
        return sorted(out, key=lambda row: rank.get(row["状态"], 2))  # 预警 first, its column first

    def markdown(self, heading: str = "##", projects: bool = True) -> list[str]:
        """The monitoring section: what it is, the totals, the findings, and per 资金来源 and project."""
        lines = [f"{heading} 预算执行进度监控（截至{chinese_date(self.as_of)}）", "",
                 f"序时进度 {fmt.percent(self.time, 2)}%；支付进度低于序时进度超过 "
                 f"{self.threshold_text} 个百分点的部门标为预警。", ""]
        lines += fmt.markdown_table(self.table("total"))
        findings = self.findings()
        lines += ["", *(f"- {f.rule.rule_id} {f.text}" for f in findings)] if findings else [
            "", "无部门支付进度滞后于序时进度超过预警线。"]
        lines += self.notes()
        lines += ["", f"{heading}# 按资金来源", "", *fmt.markdown_table(self.table("fund_source"))]
        if projects:
            lines += ["", f"{heading}# 按项目", "", *fmt.markdown_table(self.table("project"))]
        return lines


    def notes(self) -> list[str]:
        """What the table leaves out: payments dated after the data's date, departments without data."""
        names = {r.department_code: r.department_name for r in self.totals}
        out = [f"注：{names.get(code, code)}有 {n} 笔支付日期晚于截至日期，未计入支付进度，请核对支付日期。"
               for code, n in sorted(self.later.items())]
        if self.absent:
            out.append("未纳入监控（数据仓库中尚无其本年度预算数据：尚未报送、未通过校验或本次未运行）："
                       + "、".join(name for _, name in self.absent) + "。")
        return ["", *out] if out else []


def chinese_date(day: dt.date) -> str:
    """2023年6月30日."""
    return f"{day.year}年{day.month}月{day.day}日"


def monitor(conn: sa.Connection, settings: Settings, year: int, today: dt.date) -> Monitoring | None:
    """The monitoring of ``year`` from the warehouse as of the data's date (:func:`~tasks.warehouse.monitoring.
    as_of_date`, never after ``today``), or None when no department's year is open (each has its 决算总表,
    or ``year`` is in ``settings.closed_years``) or nothing is paid yet."""
    if year in settings.closed_years:
        return None
    departments = mon.open_departments(conn, year)
    if not departments:
        return None
    month = mon.data_month(mon.paying_months(conn, year, departments))
    as_of = mon.as_of_date(month, year, today, settings.monitoring_as_of)
    chosen = settings.monitoring_as_of == as_of  # set by the operator: later payments are expected
    if as_of is None:
        return None
    return Monitoring(year, as_of, settings.lag_warning_points, mon.payment_progress(conn, year, as_of, departments),
                      load_rules(settings.monitoring_rules),
                      {} if chosen else mon.later_payments(conn, year, as_of, departments),
                      mon.without_data(conn, year))


def chart(m: Monitoring, title: str, labels: dict[str, str]) -> ch.Chart:
    """Each department's 支付进度 as a bar (warned ones in orange), 序时进度 as a line."""
    totals = m.totals
    flagged = m.flagged()
    return ch.progress_against_time(
        title, [labels.get(r.department_code, r.department_name) for r in totals],
        [None if r.rate is None else fmt.quantize(r.rate * 100, 2) for r in totals],
        fmt.quantize(m.time * 100, 2), [r.department_code in flagged for r in totals], "monitoring")


@dataclass
class LagAlert:
    """One department's monitoring findings, as an opt-in alert (``Settings.lag_alerts``)."""

    department: str
    year: int
    findings: list[str]
    run_id: str = ""
    event: str = EVENT
    headline: str = LAGGING

    def text(self) -> str:
        return "\n".join([f"selfeval: {self.department} {self.year} {self.headline}",
                          *(f"- {f}" for f in self.findings)])

    def payload(self) -> dict[str, Any]:
        return {"event": self.event, "text": self.text(), "department": self.department, "year": self.year,
                "findings": self.findings, "run_id": self.run_id}


def _at_this_date(m: Monitoring, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The last run's monitoring (as ``RunSummary.as_dict`` keeps it) when it was at ``m``'s data date; else {}."""
    return previous if previous is not None and previous.get("as_of") == m.as_of.isoformat() else {}


def already_told(m: Monitoring, previous: dict[str, Any] | None) -> set[str]:
    """The departments whose lag at this data date an earlier run has delivered an alert of: ``previous``
    is the last run's monitoring as ``RunSummary.as_dict`` keeps it (its ``told``, at its ``as_of``)."""
    return set(_at_this_date(m, previous).get("told") or [])


def lag_alerts(m: Monitoring, run_id: str, told: set[str] | None = None) -> list[LagAlert]:
    """One alert per lagging department not in ``told`` (:func:`already_told`): once per data date, and
    again for a new month of data that still lags."""
    return [LagAlert(code, m.year, [f"{f.rule.rule_id} {f.text}" for f in found], run_id)
            for code, found in m.flagged().items() if code not in (told or set())]


def light_key(item: str) -> str:
    """A red item's identity across runs: its form, item, rule and label (the words before its inputs)."""
    return item.split("：", 1)[0]


def told_lights(m: Monitoring, previous: dict[str, Any] | None) -> dict[str, set[str]]:
    """The red items (:func:`light_key`) an earlier run has alerted at this data date, by department: ``previous``
    is the last run's monitoring as ``RunSummary.as_dict`` keeps it (its ``told_lights``, at its ``as_of``)."""
    kept = _at_this_date(m, previous).get("told_lights") or {}
    return {str(code): set(items) for code, items in kept.items()} if isinstance(kept, dict) else {}


def light_alerts(red: dict[str, list[str]], year: int, run_id: str,
                 told: dict[str, set[str]] | None = None) -> list[LagAlert]:
    """One alert per department with red items (``red``: department → its red items in words, from
    :func:`tasks.report.dual.red_items`) not yet told at this data date (``told``, :func:`told_lights`): each red
    item once per data date, a department's new ones together, on the lag alerts' channels."""
    out = []
    for code, items in sorted(red.items()):
        new = [i for i in items if light_key(i) not in (told or {}).get(code, set())]
        if new:
            out.append(LagAlert(code, year, new, run_id, LIGHT_EVENT, RED_LIGHTS))
    return out
