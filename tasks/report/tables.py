"""The report's tables, as plain rows: the 部门整体支出绩效自评表 in the 财预〔2020〕10号 layout (funds,
年度总体目标, 绩效指标) and the 预算执行明细 by fund source and expense type."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tasks import glossary as gl
from tasks.domain import FEN_PER_UNIT
from tasks.report import formatting as fmt
from tasks.report.figures import Figures
from tasks.report.narrative import PENDING
from tasks.report.score import METHOD_SIGN, Profile, Scorecard, Scored
from tasks.warehouse.queries import FundsRow

DASH = "—"
REPORTED_MARK = "（自报）"
NOTE_MARK = "※"  # a value whose reading the notes under the table explain
NO_DATA = "—（暂无数据）"


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _number(value: Decimal) -> str:
    """A weight as written: 10, not 10.0."""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _value(value: Decimal | str | None, unit: str) -> str:
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    if unit == "%":
        return f"{fmt.percent(value, 2)}%"
    if unit in FEN_PER_UNIT:
        return f"{fmt.quantize(value, 2):f}{unit}"
    return f"{fmt.quantize(value, 0) if value == value.to_integral_value() else fmt.quantize(value, 2)}{unit}"


def _rate(executed: int, budget: int) -> str:
    rate = fmt.ratio(executed, budget)
    return f"{fmt.percent(rate, 2)}%" if rate is not None else DASH


def _execution_item(card: Scorecard) -> Scored | None:
    """The scored 预算执行率: the funds block's own, or (an earlier profile) the indicator naming it."""
    if card.funds is not None:
        return card.funds
    return next((s for s in card.items if s.indicator.figure == "execution_rate"), None)


# The execution column's heading of a closed year; an open year's names the date of its ledger.
EXECUTED = "全年执行数"


def funds_table(figures: Figures, card: Scorecard, funds: list[FundsRow], natures_stated: bool,
                executed: str = EXECUTED) -> Table:
    """附表1（一）: 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分 for 年度资金总额, then 其中：
    当年财政拨款, 上年结转资金 and 其他资金. A column the budget lines do not give is "—", and said so.
    ``executed`` heads the execution column: an open year's is its ledger so far (``截至6月30日执行数``)."""
    item = _execution_item(card)
    weight = _number(item.indicator.weight) if item else DASH
    score = f"{item.score:.2f}" if item and item.score is not None else DASH
    rows, notes = [], []
    for i, f in enumerate(funds):
        initial = fmt.wan(f.initial_budget_fen) if f.initial_budget_fen is not None and f.lines else DASH
        if i == 0:
            rows.append([f.label, initial, fmt.wan(f.budget_fen), fmt.wan(f.executed_fen), weight,
                         _rate(f.executed_fen, f.budget_fen), score])
            continue
        carried_unknown = f.label == "上年结转资金" and not natures_stated
        cells = [DASH] * 3 if carried_unknown else [initial, fmt.wan(f.budget_fen), fmt.wan(f.executed_fen)]
        rows.append([f"其中：{f.label}" if i == 1 else f"　　　{f.label}", *cells, DASH,
                     DASH if carried_unknown else _rate(f.executed_fen, f.budget_fen), DASH])
    total = funds[0] if funds else None
    if total is not None and total.initial_budget_fen is None:
        notes.append("预算指标未全部提供年初预算数，年初预算数列不填。")
    if not natures_stated:
        notes.append("预算指标未标注资金性质（当年财政拨款/上年结转），财政拨款均列入当年财政拨款，上年结转资金不单列。")
    if total is not None and total.executed_fen > total.budget_fen:
        over = [f.label for f in funds[1:] if f.executed_fen > f.budget_fen]
        notes.append(f"{executed}超过全年预算数 {fmt.wan(total.executed_fen - total.budget_fen)} 万元"
                     + (f"，超出部分由{'、'.join(over)}安排" if over else "") + "；执行率按满分计。")
    notes.append(f"年末结转和结余 {fmt.wan(figures['carryover'].value)} 万元。执行数为国库集中支付明细之和；"
                 "执行率得分 = 分值 × min(执行率, 100%)。")
    return Table(f"附表1 {figures.department_name}{figures.year}年度部门整体支出绩效自评表",
                 ["（一）年度资金", "年初预算数（万元）", "全年预算数（万元）", f"{executed}（万元）", "分值", "执行率",
                  "得分"], rows, notes)


def goals_table(goals: list[str], outcome: str) -> Table:
    """附表1（二）: the 年度总体目标 as planned (the narrative's goals) against what was done."""
    planned = "".join(f"{i}.{g}" for i, g in enumerate(goals, start=1))
    return Table("（二）年度总体目标", ["预期目标", "实际完成情况"], [[planned, outcome]])


def _target(item: Scored) -> str:
    ind = item.indicator
    if ind.method == "qualitative":
        return ind.target_text or DASH
    if ind.target_text is not None:  # as the 绩效目标 writes it: ≥95%, ≥20亿元
        return METHOD_SIGN.get(ind.method, "") + ind.target_text.rstrip("%") + ind.unit
    if ind.target is None:
        return DASH
    return METHOD_SIGN.get(ind.method, "") + _value(ind.target, ind.unit)


def _deviation(item: Scored) -> str:
    if item.indicator.method == "info" or item.met is not False:
        return item.indicator.deviation_reason or ""
    return item.indicator.deviation_reason or "未说明偏差原因"


def awaiting(item: Scored) -> bool:
    """Whether an indicator has no 实际完成值 yet: a reported one whose 绩效自评 has not come, or a
    computed quantitative one whose metric has no value for the year. Its 得分 waits (a 草稿)."""
    ind = item.indicator
    return item.actual is None and (ind.reported or ind.method not in ("info", "qualitative"))


def indicators_table(figures: Figures, card: Scorecard, profile: Profile | None = None,
                     open_year: bool = False) -> Table:
    """附表1（三）: 一级/二级/三级指标, 年度指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施; then the
    合计 of the indicators and the 总分 with the funds block's 分值 and 得分, and the grade. An ``open_year``
    (no 决算 yet) gives no 总分 and no grade: 年度未结束."""
    rows = []
    for item in card.items:
        ind = item.indicator
        if awaiting(item):  # a 草稿's row: the 绩效自评 not in yet, or the metric with no value yet
            rows.append([ind.level1, ind.level2, ind.name, _target(item), PENDING if ind.reported else NO_DATA,
                         _number(ind.weight), DASH, ""])
            continue
        actual = _value(item.actual, ind.unit) + (REPORTED_MARK if ind.reported else "")
        target_read, actual_read = ind.readings
        rows.append([ind.level1, ind.level2, ind.name, _target(item) + (NOTE_MARK if target_read else ""),
                     actual + (NOTE_MARK if actual_read else ""),
                     DASH if ind.method == "info" else _number(ind.weight),
                     DASH if item.score is None else f"{item.score:.2f}", _deviation(item)])
    weights = sum((i.indicator.weight for i in card.items), Decimal(0))
    raw = sum((i.score for i in card.items if i.score is not None), Decimal(0))
    rows.append(["合计", "", "", "", "", _number(weights), f"{raw:.2f}", ""])
    notes = []
    if open_year:
        rows.append(["总分", "", "", "", "", _number(card.weights), DASH, f"{gl.OPEN_YEAR}，不计总分、不评等级"])
        notes.append(f"{gl.OPEN_YEAR}：执行数为截至目前的累计支付，各项得分仅为进度参考，不计总分、不评等级，待决算后自评。")
    elif card.funds is not None:
        rows.append(["总分", "", "", "", "", _number(card.weights), f"{card.total:.2f}",
                     f"自评等级：{card.computed_grade}"])
        notes.append(f"总分 {card.total} 分 = 预算执行率得分 {card.funds.score:.2f} + 绩效指标得分 {raw:.2f}"
                     f"（{card.profile}）。")
        if card.weights != 100:
            notes.append(f"分值合计 {_number(card.weights)}，不等于 100，总分按各项得分之和计。")
    elif not open_year:
        notes.append(f"总分 {card.total} 分（得分合计 {raw:.2f} ÷ 分值合计 {_number(weights)} × 100），"
                     f"自评等级：{card.computed_grade}。")
    if profile is not None and profile.weights:
        given: dict[str, Decimal] = {}
        for item in card.items:
            given[item.indicator.level1] = given.get(item.indicator.level1, Decimal(0)) + item.indicator.weight
        differ = [f"{k} {_number(given.get(k, Decimal(0)))}（应为 {_number(v)}）" for k, v in profile.weights.items()
                  if given.get(k, Decimal(0)) != v]
        if differ and card.items:
            notes.append("一级指标分值与评价办法不一致：" + "；".join(differ) + "。")
    if not card.complete:
        notes.append("未提供年度绩效目标，仅对预算执行率计分，不评定等级。")
    notes += [f"{NOTE_MARK}{n}" for item in card.items for n in item.indicator.readings if n]
    if any(i.indicator.reported for i in card.items):
        notes.append(f"标注{REPORTED_MARK}的实际完成值由部门在绩效自评中报送，佐证材料见数据来源页。")
    if card.overridden:
        notes.append(f"部门自评等级为{card.grade}，与按指标计算的等级不同。")
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    return Table("（三）绩效指标", header, rows, notes)


def execution_table(figures: Figures, heading: str = EXECUTED) -> Table:
    """附表2: 全年预算数, 全年执行数 (``heading``: an open year's so far) and 执行率 in total, by fund source
    and by expense type."""
    budget, executed = figures["budget"].value, figures["executed"].value
    rows = [["年度资金总额", fmt.wan(budget), fmt.wan(executed), _rate(executed, budget)]]
    for label, splits in (("按资金来源分", figures.splits["fund_source"]),
                          ("按支出性质分", figures.splits["expense_type"])):
        rows.append([label, "", "", ""])
        for s in splits:
            rows.append([f"　{s.name}", fmt.wan(s.budget_fen), fmt.wan(s.executed_fen),
                         _rate(s.executed_fen, s.budget_fen)])
    return Table(f"附表2 {figures.department_name}{figures.year}年度预算执行明细",
                 ["项目", "全年预算数（万元）", f"{heading}（万元）", "执行率"], rows,
                 ["执行数为国库集中支付明细之和。"])
