"""The report's tables, as plain rows: the 部门整体支出绩效自评表 and the 年度绩效指标完成情况表."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tasks.domain import FEN_PER_UNIT
from tasks.report import formatting as fmt
from tasks.report.figures import Figures
from tasks.report.score import Scorecard, Scored


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _number(value: Decimal) -> str:
    """A weight as written: 10, not 10.0."""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _value(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{fmt.percent(value, 2)}%"
    if unit in FEN_PER_UNIT:
        return f"{fmt.quantize(value, 2):f}{unit}"
    return f"{fmt.quantize(value, 0) if value == value.to_integral_value() else fmt.quantize(value, 2)}{unit}"


def execution_table(figures: Figures, card: Scorecard) -> Table:
    rate_item = next((s for s in card.items if s.indicator.figure == "execution_rate"), None)
    weight = _number(rate_item.indicator.weight) if rate_item else "—"
    score = f"{rate_item.score:.2f}" if rate_item and rate_item.score is not None else "—"
    budget, executed = figures["budget"].value, figures["executed"].value
    rows = [["年度资金总额", fmt.wan(budget), fmt.wan(executed), f"{fmt.percent(fmt.ratio(executed, budget), 2)}%",
             weight, score]]
    for label, splits in (("按资金来源分", figures.splits["fund_source"]),
                          ("按支出性质分", figures.splits["expense_type"])):
        rows.append([label, "", "", "", "", ""])
        for s in splits:
            rate = fmt.ratio(s.executed_fen, s.budget_fen)
            rows.append([f"　{s.name}", fmt.wan(s.budget_fen), fmt.wan(s.executed_fen),
                         f"{fmt.percent(rate, 2)}%" if rate is not None else "—", "", ""])
    return Table(f"附表1 {figures.department_name}{figures.year}年部门整体支出绩效自评表",
                 ["项目", "年度预算数（万元）", "全年执行数（万元）", "执行率", "分值", "得分"], rows,
                 [f"年末结转和结余 {fmt.wan(figures['carryover'].value)} 万元。执行数为国库集中支付明细之和。"])


def _deviation(item: Scored) -> str:
    if item.indicator.method == "info" or item.met is not False:
        return ""
    return item.indicator.deviation_reason or "未说明偏差原因"


def indicators_table(figures: Figures, card: Scorecard) -> Table:
    rows = []
    for item in card.items:
        ind = item.indicator
        sign = "≤" if ind.method == "at_most" else "≥"
        target = "—" if ind.target is None else sign + _value(ind.target, ind.unit)
        rows.append([ind.level1, ind.level2, ind.name, target, _value(item.actual, ind.unit),
                     "—" if ind.method == "info" else _number(ind.weight),
                     "—" if item.score is None else f"{item.score:.2f}", _deviation(item)])
    weights = sum((i.indicator.weight for i in card.items), Decimal(0))
    raw = sum((i.score for i in card.items if i.score is not None), Decimal(0))
    rows.append(["合计", "", "", "", "", _number(weights), f"{raw:.2f}", ""])
    notes = [f"总分 {card.total} 分（得分合计 {raw:.2f} ÷ 分值合计 {_number(weights)} × 100），"
             f"自评等级：{card.computed_grade}。"]
    if card.overridden:
        notes.append(f"部门自评等级为{card.grade}，与按指标计算的等级不同。")
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因"]
    return Table(f"附表2 {figures.department_name}{figures.year}年度绩效指标完成情况表", header, rows, notes)
