"""Score a department-year against its indicators and grade it, by a scoring profile (pure functions).

A profile (``templates/scoring/*.yaml``, ``Settings.scoring_profile``) says how: the weight of the
funds block's 预算执行率, the profile's own indicators (every department has them), how the total is
made, how a less-is-better or qualitative indicator scores, and the grade bands with their labels.

Methods, per indicator (formulas and hand-worked examples in docs/indicators.md):
- ``at_least`` (≥): weight × min(actual ÷ target, 1), proportional and capped at full marks;
- ``at_most`` (≤): full weight up to the target; beyond it ``ratio`` (the 财预〔2020〕10号 pattern:
  weight × target ÷ actual) or ``linear`` (falling to 0 at twice the target);
- ``exact`` (=): weight × max(0, 1 − |actual − target| ÷ |target|);
- ``qualitative`` (定性): weight × the profile's share for 达成 / 部分达成 / 未达成;
- ``info``: shown, not scored.
Scores are rounded half up to 2 decimals, per indicator. The total is their sum (``total: sum``) or
their sum scaled to 100 by the weights (``total: rescale``, the earlier profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tasks.domain import FEN_PER_UNIT, QUALITATIVE_GRADES
from tasks.report.formatting import quantize
from tasks.yamlfile import read_config

METHODS = ("at_least", "at_most", "exact", "qualitative", "info")
NATURE_METHOD = {"≥": "at_least", "≤": "at_most", "=": "exact", "定性": "qualitative"}
METHOD_SIGN = {"at_least": "≥", "at_most": "≤", "exact": "="}
TOTALS = ("sum", "rescale")
DEFAULT_QUALITATIVE = {"达成": Decimal(1), "部分达成": Decimal("0.5"), "未达成": Decimal(0)}


@dataclass(frozen=True)
class Indicator:
    """One scored row. ``target`` is exact in the indicator's unit (a percentage as a fraction: 95 % is
    0.95); ``target_text`` is the 指标值 as the 绩效目标 writes it (a qualitative one's expected outcome)."""

    level1: str
    level2: str
    name: str
    figure: str
    method: str
    target: Decimal | None
    unit: str
    weight: Decimal
    deviation_reason: str | None = None
    target_text: str | None = None
    reported: bool = False  # the actual is the department's own (绩效自评), not computed
    evidence: str | None = None
    # what the 自评表 says of how the 指标值 and the 实际完成值 were read (a percentage written as 0.95), if anything
    readings: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True)
class Scored:
    indicator: Indicator
    actual: Decimal | str | None
    score: Decimal | None

    @property
    def met(self) -> bool | None:
        ind, actual = self.indicator, self.actual
        if actual is None:
            return None
        if ind.method == "qualitative":
            return actual == QUALITATIVE_GRADES[0]
        if ind.target is None or not isinstance(actual, Decimal):
            return None
        if ind.method == "at_most":
            return actual <= ind.target
        if ind.method == "exact":
            return actual == ind.target
        return actual >= ind.target


@dataclass(frozen=True)
class Profile:
    """How a department-year is scored; read from YAML by :func:`load_profile`."""

    name: str
    grades: list[tuple[Decimal, str]]
    funds_weight: Decimal = Decimal(0)  # 预算执行率 in the funds block; 0: none (an indicator carries it)
    total: str = "sum"
    at_most: str = "ratio"
    qualitative: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_QUALITATIVE))
    indicators: list[Indicator] = field(default_factory=list)
    weights: dict[str, Decimal] = field(default_factory=dict)  # expected 分值 by 一级指标
    ungraded: str = "未评级"  # the grade when a department has no 绩效目标 to score


@dataclass(frozen=True)
class Scorecard:
    items: list[Scored]  # the 绩效指标 block
    total: Decimal
    grade: str
    computed_grade: str
    overridden: bool
    funds: Scored | None = None  # the funds block's 预算执行率, when the profile scores it there
    profile: str = ""
    weights: Decimal = Decimal(0)  # Σ 分值, the funds block's included
    raw: Decimal = Decimal(0)  # Σ 得分
    complete: bool = True  # False: no 绩效目标, so no grade


def indicator_from(entry: dict[str, Any], default_method: str = "at_least") -> Indicator:
    method = entry.get("method", default_method)
    if method not in METHODS:
        raise ValueError(f"indicator {entry.get('name')!r}: unknown method {method!r}; use one of {METHODS}")
    target = entry.get("target")
    return Indicator(
        level1=entry["level1"], level2=entry["level2"], name=entry["name"], figure=entry["figure"],
        method=method, target=None if target is None else Decimal(str(target)),
        unit=entry.get("unit", ""), weight=Decimal(str(entry.get("weight", 0))),
        deviation_reason=entry.get("deviation_reason"),
    )


def load_profile(path: Path) -> Profile:
    """A scoring profile from YAML. Raises ValueError naming the file for an unknown key or value."""
    config = read_config(path)
    known = {"name", "grades", "funds_weight", "total", "at_most", "qualitative", "indicators", "weights",
             "ungraded", "description"}
    unknown = set(config) - known
    if unknown:
        raise ValueError(f"scoring profile {path}: unknown key(s) {sorted(unknown)}")
    total, at_most = config.get("total", "sum"), config.get("at_most", "ratio")
    if total not in TOTALS:
        raise ValueError(f"scoring profile {path}: total {total!r} is not one of {TOTALS}")
    if at_most not in ("ratio", "linear"):
        raise ValueError(f"scoring profile {path}: at_most {at_most!r} is not ratio or linear")
    qualitative = {str(k): Decimal(str(v)) for k, v in (config.get("qualitative") or DEFAULT_QUALITATIVE).items()}
    if set(qualitative) != set(QUALITATIVE_GRADES):
        raise ValueError(f"scoring profile {path}: qualitative must give a share for each of {QUALITATIVE_GRADES}")
    grades = sorted(((Decimal(str(g["min"])), str(g["grade"])) for g in config["grades"]), reverse=True)
    return Profile(
        name=str(config.get("name", path.stem)), grades=grades,
        funds_weight=Decimal(str(config.get("funds_weight", 0))), total=total, at_most=at_most,
        qualitative=qualitative, indicators=[indicator_from(e) for e in config.get("indicators") or []],
        weights={str(k): Decimal(str(v)) for k, v in (config.get("weights") or {}).items()},
        ungraded=str(config.get("ungraded", "未评级")))


def actual_value(indicator: Indicator, value: Any, money: bool | None = None) -> Decimal | str | None:
    """The figure's exact value in the indicator's unit. Money figures are held in 分 and converted
    when ``money`` (None: whenever the unit is a money unit); a qualitative actual stays text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        raise ValueError(f"indicator {indicator.name!r}: figure {indicator.figure!r} has one value per group")
    converts = indicator.unit in FEN_PER_UNIT if money is None else money and indicator.unit in FEN_PER_UNIT
    if converts:
        return Decimal(value) / Decimal(FEN_PER_UNIT[indicator.unit])
    return Decimal(value)


def score_one(indicator: Indicator, actual: Decimal | str | None, profile: Profile | None = None) -> Decimal | None:
    """An indicator's 得分 (2 decimals, half up); None for ``info``. A missing actual scores 0."""
    if indicator.method == "info":
        return None
    w, target = indicator.weight, indicator.target
    if indicator.method == "qualitative":
        shares = profile.qualitative if profile is not None else DEFAULT_QUALITATIVE
        return quantize(w * shares.get(str(actual), Decimal(0)), 2)
    if not isinstance(actual, Decimal) or target is None:
        return Decimal(0)
    if indicator.method == "at_least":
        # a target of 0 or less (增长率 ≥ 0 %) is met or not: proportion has no meaning below zero
        fraction = (Decimal(1) if actual >= target else Decimal(0)) if target <= 0 else min(actual / target, Decimal(1))
    elif indicator.method == "exact":
        fraction = (Decimal(1) if actual == target else Decimal(0)) if target == 0 else \
            max(Decimal(0), 1 - abs(actual - target) / abs(target))
    elif actual <= target:
        fraction = Decimal(1)
    elif profile is not None and profile.at_most == "ratio":
        fraction = target / actual if actual > 0 else Decimal(0)
    else:
        fraction = max(Decimal(0), 1 - (actual - target) / target) if target > 0 else Decimal(0)
    return quantize(w * max(fraction, Decimal(0)), 2)


def grade_of(total: Decimal, grades: list[tuple[Decimal, str]]) -> str:
    for minimum, grade in grades:
        if total >= minimum:
            return grade
    return grades[-1][1]


def _scored(indicator: Indicator, values: dict[str, Any], money: frozenset[str] | None,
            profile: Profile | None) -> Scored:
    if indicator.figure not in values:
        raise KeyError(f"indicator {indicator.name!r} names figure {indicator.figure!r}, which does not exist")
    actual = actual_value(indicator, values[indicator.figure], None if money is None else indicator.figure in money)
    return Scored(indicator, actual, score_one(indicator, actual, profile))


def score(values: dict[str, Any], indicators: list[Indicator], grades: list[tuple[Decimal, str]],
          override: str | None = None, *, profile: Profile | None = None, funds: Indicator | None = None,
          money: frozenset[str] | None = None) -> Scorecard:
    """Score the funds block's indicator (``funds``) and every indicator from ``values`` (figure name →
    exact value; ``money``: the figures held in 分), make the total by the profile and grade it.

    Without ``profile``: the total is scaled to 100 by the weights (the earlier behaviour). A profile
    whose total is a sum grades a department with no indicator of its own as ``profile.ungraded``.
    Raises KeyError for a figure that does not exist, ValueError when nothing has a weight.
    """
    items = [_scored(ind, values, money, profile) for ind in indicators]
    funds_item = _scored(funds, values, money, profile) if funds is not None else None
    scored = [*items, *([funds_item] if funds_item else [])]
    weights = sum((s.indicator.weight for s in scored), Decimal(0))
    if weights <= 0:
        raise ValueError("no indicator has a weight")
    raw = sum((s.score for s in scored if s.score is not None), Decimal(0))
    rescale = profile is None or profile.total == "rescale"
    total = quantize(raw * 100 / weights, 2) if rescale else quantize(raw, 2)
    complete = rescale or any(i.method != "info" and i.weight > 0 for i in indicators
                              if profile is None or i not in profile.indicators)
    computed = grade_of(total, grades) if complete else (profile.ungraded if profile else "")
    overridden = bool(override) and override != computed
    return Scorecard(items, total, override or computed, computed, overridden, funds_item,
                     profile.name if profile else "", weights, raw, complete)
