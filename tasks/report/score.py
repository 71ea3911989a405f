"""Score a department-year against its indicators and grade it (pure functions).

Methods, per indicator (formulas in docs/indicators.md):
- ``at_least``: more is better; score = weight × min(actual / target, 1).
- ``at_most``: less is better; full weight up to the target, then falling linearly to 0 at twice it.
- ``info``: shown in the table, not scored (weight 0).
Scores are rounded half up to 2 decimals, per indicator. The total is their sum scaled to
100 by the weights, so that a department with fewer key-task indicators is not penalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tasks.domain import FEN_PER_UNIT
from tasks.report.formatting import quantize
from tasks.yamlfile import read_config

METHODS = ("at_least", "at_most", "info")


@dataclass(frozen=True)
class Indicator:
    level1: str
    level2: str
    name: str
    figure: str
    method: str
    target: Decimal | None
    unit: str
    weight: Decimal
    deviation_reason: str | None = None


@dataclass(frozen=True)
class Scored:
    indicator: Indicator
    actual: Decimal | None
    score: Decimal | None

    @property
    def met(self) -> bool | None:
        if self.actual is None or self.indicator.target is None:
            return None
        if self.indicator.method == "at_most":
            return self.actual <= self.indicator.target
        return self.actual >= self.indicator.target


@dataclass(frozen=True)
class Scorecard:
    items: list[Scored]
    total: Decimal
    grade: str
    computed_grade: str
    overridden: bool


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


def load_scoring(path: Path) -> tuple[list[tuple[Decimal, str]], list[Indicator]]:
    config = read_config(path)
    grades = [(Decimal(str(g["min"])), g["grade"]) for g in config["grades"]]
    return sorted(grades, reverse=True), [indicator_from(e) for e in config["indicators"]]


def actual_value(indicator: Indicator, value: Any) -> Decimal | None:
    """The figure's exact value in the indicator's unit (money figures are held in 分)."""
    if value is None:
        return None
    if indicator.unit in FEN_PER_UNIT:
        return Decimal(value) / Decimal(FEN_PER_UNIT[indicator.unit])
    return Decimal(value)


def score_one(indicator: Indicator, actual: Decimal | None) -> Decimal | None:
    if indicator.method == "info":
        return None
    if actual is None or indicator.target is None:
        return Decimal(0)
    w, target = indicator.weight, indicator.target
    if indicator.method == "at_least":
        fraction = Decimal(1) if target <= 0 else min(actual / target, Decimal(1))
    else:
        if actual <= target:
            fraction = Decimal(1)
        else:
            fraction = max(Decimal(0), 1 - (actual - target) / target) if target > 0 else Decimal(0)
    return quantize(w * max(fraction, Decimal(0)), 2)


def grade_of(total: Decimal, grades: list[tuple[Decimal, str]]) -> str:
    for minimum, grade in grades:
        if total >= minimum:
            return grade
    return grades[-1][1]


def score(values: dict[str, Any], indicators: list[Indicator], grades: list[tuple[Decimal, str]],
          override: str | None = None) -> Scorecard:
    """Score every indicator from ``values`` (figure name → exact value) and grade the total."""
    weights = sum(i.weight for i in indicators)
    if weights <= 0:
        raise ValueError("no indicator has a weight")
    items = []
    for ind in indicators:
        if ind.figure not in values:
            raise KeyError(f"indicator {ind.name!r} names figure {ind.figure!r}, which does not exist")
        actual = actual_value(ind, values[ind.figure])
        items.append(Scored(ind, actual, score_one(ind, actual)))
    raw = sum((s.score for s in items if s.score is not None), Decimal(0))
    total = quantize(raw * 100 / weights, 2)
    computed = grade_of(total, grades)
    overridden = bool(override) and override != computed
    return Scorecard(items, total, override or computed, computed, overridden)
