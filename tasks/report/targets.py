"""A department's 绩效目标 as indicators to score, and the checks a 绩效目标 must pass before loading.

The 绩效目标 (``finance/<year>/<department>/targets.csv``, contract dataset ``targets``) gives one row
per 三级指标: 指标性质 (≥ ≤ = 定性), 指标值, 计量单位, 分值 and 完成值来源 — a metric of the registry
(``templates/metrics.yaml``), whose value the warehouse gives, or ``reported``, whose value the
department's 绩效自评 (``self_assessment.csv``) states. The rules of ``expectations/performance.json``
check the files' own consistency in the gate; :func:`check_sources` checks them against the metric
registry, which the gate cannot see.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pandas as pd

from tasks.domain import FEN_PER_UNIT, REPORTED
from tasks.glossary import both
from tasks.report.score import NATURE_METHOD, Indicator, Profile
from tasks.sources.errors import Problem
from tasks.warehouse.metrics import Metric, Registry
from tasks.warehouse.queries import TargetRow

# A number as a 指标值 or 实际完成值 may be written: 60, 95%, 1,200, -3.5, and followed by the row's
# own 计量单位 (20家, 500万元). A 指标值 may also begin with the sign of its 指标性质, as published tables
# write it (≥95%, ≤100%, >=20, ＞20 read NFKC); a sign that contradicts the 指标性质 is refused by PRF-002.
# The same patterns as the PRF-002 and PRF-004 rule views in tasks/quality/sql/checks.sql.
NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?%?")
SIGN = re.compile(r"^(≥|≤|≧|≦|>=|<=|>|<|=)")
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?%?")  # commas grouping thousands: 1,200
PERCENT = "%"


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` for a staged frame (the dtypes of :func:`tasks.sources.staging.frame_of`): the
    same Python values (ints, floats, text, ``Timestamp``; NaN where the frame holds NaN, None where a nullable
    integer holds ``pd.NA``), read a column at a time: pandas builds each record a cell at a time, ~1 s for the
    140,000 staged project rows of 600 departments. An object column's values are passed as they are."""
    columns = [str(c) for c in frame.columns]
    cells = zip(*(_values(frame[c]) for c in frame.columns), strict=True)  # every column as long as the frame
    return [dict(zip(columns, values, strict=True)) for values in cells]


def _values(column: pd.Series) -> list[Any]:
    values = column.tolist()
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and column.hasnans:
        return [None if v is pd.NA else v for v in values]
    return values


def number(text: str | None, unit: str | None = None, signed: bool = False) -> Decimal | None:
    """``text`` as an exact number, or None when it is not one: "95%" is 95, "1,200" 1200; with
    ``unit``, "20家" (unit 家) is 20; with ``signed``, a leading comparison sign is read past
    ("≥95%" is 95; whether it agrees with the 指标性质 is the gate's rule PRF-002)."""
    if text is None:
        return None
    cleaned = bare(text, unit, signed)
    if "," in cleaned and not GROUPED.fullmatch(cleaned):  # 92,5 is no number: its comma groups no thousands
        return None
    cleaned = cleaned.replace(",", "")
    if not NUMBER.fullmatch(cleaned):
        return None
    return Decimal(cleaned.rstrip("%"))


def bare(text: str, unit: str | None = None, signed: bool = False) -> str:
    """A quantitative 指标值 or 实际完成值 without its comparison sign (with ``signed``) and without its
    计量单位 after it: "≥8个" (unit 个) → "8"; the 自评表 writes the sign and unit back in one form."""
    cleaned = str(text).strip()
    if signed:
        cleaned = SIGN.sub("", cleaned).strip()
    if unit and unit != PERCENT and cleaned.endswith(unit):
        cleaned = cleaned[: -len(unit)].strip()
    return cleaned


def target_unit(unit: str | None, target: str) -> str:
    """A target's 计量单位: as given, or % for a 指标值 written "95%" with none."""
    unit = "" if unit is None or pd.isna(unit) else str(unit).strip()
    return PERCENT if not unit and str(target).strip().endswith(PERCENT) else unit


def in_unit(value: Decimal | None, unit: str) -> Decimal | None:
    """A number as written, held as scoring holds it: a percentage as a fraction (95 % → 0.95)."""
    if value is None:
        return None
    return value / 100 if unit == PERCENT else value


_BARE_NUMBER = re.compile(r"\+?[0-9]+(\.[0-9]+)?")  # no % sign; a + may lead, as PRF-004 allows


def fraction_reading(text: str | None, against: Decimal | None = None) -> Decimal | None:
    """The other reading of a percentage written as a fraction: ``text`` (a 指标值 or 实际完成值 in %, as
    written) when it is a bare number (no % sign) above 0 and at most 1, and ``against`` (the target, in
    %; None for a target itself) is above 1: "0.95" may be 95 %, "1" may be 100 %. Returns that reading
    (95, 100), or None when the number reads one way only. The predicate of rules PRF-007 and PRF-008
    (``tasks/quality/sql/checks.sql``); the value is scored as written, and the 自评表 says so."""
    if text is None or not _BARE_NUMBER.fullmatch(str(text).strip()):
        return None
    value = Decimal(str(text).strip().lstrip("+"))
    if not 0 < value <= 1 or (against is not None and against <= 1):
        return None
    return value * 100


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def reading_notes(row: TargetRow) -> tuple[str | None, str | None]:
    """What the 自评表 says of the 指标值 and of a reported 实际完成值 that may be a percentage written as a
    fraction (:func:`fraction_reading`): which reading was used, and what to write for the other; None for
    a value that reads one way only."""
    unit = target_unit(row.unit, row.target)
    if unit != PERCENT or row.nature == "定性":
        return None, None
    target_note = actual_note = None
    target = bare(row.target, unit, signed=True).replace(",", "")
    other = fraction_reading(target)
    if other is not None:
        target_note = (f"「{row.indicator}」的年度指标值填为 {target}（未带 %），按 {target}% 计；"
                       f"若指 {_plain(other)}%，请在绩效目标中填写 {_plain(other)}。")
    other = fraction_reading(row.actual, number(row.target, unit, signed=True)) \
        if row.actual_source == REPORTED else None
    if other is not None:
        actual = str(row.actual).strip()
        actual_note = (f"「{row.indicator}」的实际完成值填报为 {actual}（未带 %），按 {actual}% 计分；"
                       f"若指 {_plain(other)}%，请在绩效自评中填写 {_plain(other)}。")
    return target_note, actual_note


def reported_figure(indicator: str) -> str:
    """The name under which a reported actual is passed to scoring and shown in provenance."""
    return f"自报:{indicator}"


def indicators_of(rows: list[TargetRow]) -> tuple[list[Indicator], dict[str, Decimal | str | None]]:
    """The 绩效目标 as indicators to score, and the reported actuals (by figure name) they need."""
    out: list[Indicator] = []
    reported: dict[str, Decimal | str | None] = {}
    for row in rows:
        method = NATURE_METHOD[row.nature]
        row = replace(row, unit=target_unit(row.unit, row.target))
        is_reported = row.actual_source == REPORTED
        figure = reported_figure(row.indicator) if is_reported else row.actual_source
        if is_reported:
            reported[figure] = (row.actual if method == "qualitative"
                                else in_unit(number(row.actual, row.unit), row.unit))
        out.append(Indicator(
            level1=row.level1, level2=row.level2, name=row.indicator, figure=figure, method=method,
            target=None if method == "qualitative" else in_unit(number(row.target, row.unit, signed=True), row.unit),
            unit=row.unit, weight=row.weight, deviation_reason=row.deviation or None,
            target_text=row.target.strip() if method == "qualitative" else bare(row.target, row.unit, signed=True),
            reported=is_reported,
            evidence=row.evidence or None, readings=reading_notes(row)))
    return out, reported


MONEY_UNITS = frozenset(FEN_PER_UNIT)


def _unit_problem(metric: Metric, money: bool, unit: str) -> str | None:
    """Why a target in ``unit`` cannot be compared with ``metric``'s value, or None when it can."""
    percent = metric.unit == PERCENT or metric.format == "percent" or metric.kind in ("ratio", "growth")
    if percent and unit != PERCENT:
        return both(f"「{metric.name}」是百分比，计量单位却是{unit or '空的'}",
                    f"{metric.name!r} is a percentage, but the 计量单位 is {unit or 'empty'}")
    if not percent and unit == PERCENT:
        return both(f"「{metric.name}」不是百分比（{metric.unit or '计数'}），计量单位却是 %",
                    f"{metric.name!r} is not a percentage ({metric.unit or 'a count'}), but the 计量单位 is %")
    if money and unit not in MONEY_UNITS:
        return both(f"「{metric.name}」是金额，计量单位却是{unit or '空的'}",
                    f"{metric.name!r} is an amount of money, but the 计量单位 is {unit or 'empty'}")
    if not money and not percent and unit and metric.unit and unit != metric.unit:
        return both(f"「{metric.name}」以{metric.unit}计，计量单位却是{unit}",
                    f"{metric.name!r} is in {metric.unit}, but the 计量单位 is {unit}")
    return None


def check_sources(targets: pd.DataFrame, registry: Registry, profile: Profile | None = None,
                  money: frozenset[str] = frozenset()) -> list[Problem]:
    """What the gate cannot see, checked before anything loads: each 绩效目标's 完成值来源 must be
    ``reported`` or a metric of the registry with one value per department-year (not one per group),
    in a 计量单位 the metric's value can be compared in (a percentage in %, money in 元/万元/亿元, a
    count in its own unit); and under a ``profile`` whose total is a sum, a department's 分值 with the
    profile's own (the funds block's 10) must add up to 100. ``targets`` is the staged dataset (``_source``,
    ``_row``); ``money``: the metrics that are amounts in 分. Returns one problem per bad row (or
    department, for the sum), naming the file, row and column."""
    problems = _sum_problems(targets, profile)
    for row in rows_of(targets):
        source = str(row["actual_source"])
        if source == REPORTED:
            continue
        if row["nature"] == "定性":
            message = both(f"定性指标的实际完成值是达成/部分达成/未达成，没有指标能给出；却是「{source}」",
                           f"a 定性 target's 实际完成值 is 达成/部分达成/未达成, which no metric gives; got {source!r}")
            expected = both(f"{REPORTED}，并在绩效自评中填写等级", f"{REPORTED}, with the grade in the 绩效自评")
        elif source not in registry:
            message = both(f"「{source}」不是指标库（{registry.path}）中的指标",
                           f"{source!r} is not a metric of the registry ({registry.path})")
        elif registry.grouped(source) is not None:
            message = both(f"「{source}」按{registry.grouped(source)}分别给值，不是一个数",
                           f"{source!r} gives one value per {registry.grouped(source)}, not one figure")
        else:
            wrong = _unit_problem(registry[source], source in money, target_unit(row["unit"], row["target"]))
            if wrong is None:
                continue
            problems.append(Problem(
                "finance", str(row["_source"]), wrong, row=int(row["_row"]), column="计量单位 (unit)",
                expected=both("百分比用 %；金额用元、万元或亿元；计数用指标自己的单位",
                              "% for a percentage; 元, 万元 or 亿元 for money; the metric's own unit for a count"),
                department=str(row["department_code"])))
            continue
        if row["nature"] != "定性":
            expected = both(f"{REPORTED}，或指标库中的一个指标（见 docs/indicators.md）",
                            f"{REPORTED}, or one of the registry's metrics (docs/indicators.md)")
        problems.append(Problem(
            "finance", str(row["_source"]), message, row=int(row["_row"]), column="完成值来源 (actual_source)",
            expected=expected, department=str(row["department_code"])))
    return problems


def _sum_problems(targets: pd.DataFrame, profile: Profile | None) -> list[Problem]:
    """Under a profile that sums the 得分, each department's 分值 must make 100 with the profile's own."""
    if profile is None or profile.total != "sum" or targets.empty:
        return []
    own = profile.funds_weight + sum((i.weight for i in profile.indicators), Decimal(0))
    problems = []
    for code, rows in targets.groupby("department_code", sort=True):
        total = sum((Decimal(str(w)) for w in rows["weight"]), Decimal(0)) + own
        if total != 100:
            first = rows.iloc[0]
            problems.append(Problem(
                "finance", str(first["_source"]),
                both(f"分值连同评分方案自有的 {own.normalize():f} 分合计 {total.normalize():f}（第 "
                     f"{int(rows['_row'].min())}-{int(rows['_row'].max())} 行），自评表总分将不是 100 分",
                     f"the 分值 add up to {total.normalize():f} with the {own.normalize():f} of the profile's own "
                     f"(rows {int(rows['_row'].min())}-{int(rows['_row'].max())}); "
                     "the 自评表's 总分 would not be out of 100"),
                column="分值 (weight)", expected=both(f"分值合计 {(100 - own).normalize():f}（评分方案 {profile.name}"
                                                    "）",
                                                     f"分值 adding up to {(100 - own).normalize():f} "
                                                     f"(scoring profile {profile.name})"),
                department=str(code)))
    return problems
