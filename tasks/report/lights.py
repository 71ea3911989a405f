"""The 双监控's lights (pure functions): spending and targets tracked together, each item red, yellow or green.

A lights profile (``templates/lights/*.yaml``, ``Settings.monitoring_lights``) says how:

- spending, ``schedule`` (序时进度): the 1-X月执行率 ÷ 序时进度, against the profile's bands (under 60 % red,
  60-80 % yellow, 80 % and above green); or ``calendar``: the 执行率 due at the latest checkpoint reached (25 / 40 /
  60 / 80 % by the end of April / June / August / October), below it red, at or above it green;
- targets apart from spending: a ≥ indicator whose 1-X月完成值 ÷ 指标值 is more than ``gap_points`` percentage
  points from the 1-X月执行率 is yellow;
- 完成目标可能性: 确定能 green, 有可能 yellow, 不可能 red; a 定性 indicator's 1-X月完成值: 达成 green, 部分达成 yellow,
  未达成 red;
- a 偏差原因 is due when the answer is 有可能 or 不可能: missing, the item is yellow at least.

Each light names its rule and its inputs. An item's light is the worst of its lights; a project's, the worst of
its spending and its indicators'. Lights warn; they never refuse data. docs/monitoring.md, "双监控".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tasks.domain import LIKELIHOODS
from tasks.report.formatting import percent, quantize
from tasks.warehouse.monitoring import time_progress
from tasks.yamlfile import read_config

COLORS = ("red", "yellow", "green")  # worst first
TEXT = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
# The rules that light an item; their ids as the forms, the roll-up and the artifact name them.
RULES = {
    "LGT-001": "支付进度对照序时进度",
    "LGT-002": "支付进度对照时间节点",
    "LGT-003": "目标完成与预算执行偏离",
    "LGT-004": "完成目标可能性",
    "LGT-005": "定性指标完成情况",
    "LGT-006": "偏差原因未填写",
}


@dataclass(frozen=True)
class Light:
    """One light: its color, the rule that lit it, and the inputs it read, in words."""

    color: str
    rule_id: str
    reason: str

    @property
    def label(self) -> str:
        return RULES[self.rule_id]


@dataclass(frozen=True)
class LightsProfile:
    name: str
    method: str  # schedule or calendar
    bands: list[tuple[Decimal, str]] = field(default_factory=list)  # schedule: (min share of 序时进度, color)
    checkpoints: dict[int, Decimal] = field(default_factory=dict)  # calendar: month → 执行率 due by its end
    gap_points: Decimal = Decimal(10)
    likelihood: dict[str, str] = field(default_factory=dict)
    qualitative: dict[str, str] = field(default_factory=dict)
    reason_due: tuple[str, ...] = ("有可能", "不可能")


def load_lights(path: Path) -> LightsProfile:
    """A lights profile from YAML. Raises ValueError naming the file for a missing or unknown key or value."""
    config = read_config(path)
    unknown = set(config) - {"name", "description", "spending", "gap_points", "likelihood", "qualitative",
                             "reason_due"}
    if unknown:
        raise ValueError(f"lights profile {path}: unknown key(s) {sorted(unknown)}")
    spending = config.get("spending") or {}
    method = str(spending.get("method", ""))
    if method not in ("schedule", "calendar"):
        raise ValueError(f"lights profile {path}: spending.method {method!r} is not schedule or calendar")
    colors = [*(b.get("light") for b in spending.get("bands") or []),
              *(config.get("likelihood") or {}).values(), *(config.get("qualitative") or {}).values()]
    wrong = sorted({str(c) for c in colors if c not in COLORS})
    if wrong:
        raise ValueError(f"lights profile {path}: {wrong} are not lights; use {COLORS}")
    bands = sorted(((Decimal(str(b["min"])), str(b["light"])) for b in spending.get("bands") or []), reverse=True)
    if method == "schedule" and (not bands or bands[-1][0] != 0):
        raise ValueError(f"lights profile {path}: the schedule's bands must end at min 0")
    checkpoints = {int(k): Decimal(str(v)) for k, v in (spending.get("checkpoints") or {}).items()}
    if method == "calendar" and not checkpoints:
        raise ValueError(f"lights profile {path}: a calendar profile needs checkpoints")
    if set(config.get("likelihood") or {}) != set(LIKELIHOODS):
        raise ValueError(f"lights profile {path}: likelihood must give a light for each of {LIKELIHOODS}")
    return LightsProfile(str(config.get("name", path.stem)), method, bands, checkpoints,
                         Decimal(str(config.get("gap_points", 10))), dict(config["likelihood"]),
                         dict(config.get("qualitative") or {}), tuple(config.get("reason_due") or ()))


def schedule_share(as_of: dt.date) -> Decimal:
    """序时进度 at ``as_of`` as the monitoring reads it (X/12 at the end of month X)."""
    return time_progress(as_of)


def _pct(value: Decimal) -> str:
    return f"{percent(value, 2)}%"


def spending_light(rate: Decimal | None, as_of: dt.date, profile: LightsProfile) -> Light | None:
    """The light of 1-X月执行率 ``rate`` (a fraction) at ``as_of``; None without a budget."""
    if rate is None:
        return None
    if profile.method == "schedule":
        time = schedule_share(as_of)
        share = rate / time if time else Decimal(0)
        color = next(c for floor, c in profile.bands if share >= floor)
        return Light(color, "LGT-001", f"1-{as_of.month}月执行率 {_pct(rate)} ÷ 序时进度 {_pct(time)} = {_pct(share)}")
    reached = [m for m in sorted(profile.checkpoints) if m <= as_of.month]
    if not reached:
        first = min(profile.checkpoints)
        return Light("green", "LGT-002", f"{first}月末前无执行进度要求（1-{as_of.month}月执行率 {_pct(rate)}）")
    due = profile.checkpoints[reached[-1]]
    color = "red" if rate < due else "green"
    return Light(color, "LGT-002", f"1-{as_of.month}月执行率 {_pct(rate)}，{reached[-1]}月末应达 {_pct(due)}")


def indicator_lights(nature: str, unit: str, target: Decimal | None, to_date: Decimal | str | None,
                     likelihood: str | None, reason: str | None, rate: Decimal | None,
                     profile: LightsProfile) -> list[Light]:
    """An indicator's lights: its 完成目标可能性, a 定性 one's 1-X月完成值, a ≥ one's gap to spending (``rate``),
    and a 偏差原因 due but missing. ``target`` and ``to_date`` are exact (percentages as fractions); a 定性
    ``to_date`` is its grade. The gap is read for a ≥ indicator that accumulates over the year (a count or an
    amount), not for one in % (a rate or a level such as 满意度 is not "done so far")."""
    out = []
    if likelihood in profile.likelihood:
        out.append(Light(profile.likelihood[likelihood], "LGT-004", likelihood))
    if nature == "定性" and isinstance(to_date, str) and to_date in profile.qualitative:
        out.append(Light(profile.qualitative[to_date], "LGT-005", f"完成情况为{to_date}"))
    if nature == "≥" and unit != "%" and isinstance(to_date, Decimal) and target and rate is not None:
        attained = to_date / target
        gap = abs(attained - rate) * 100
        if gap > profile.gap_points:
            out.append(Light("yellow", "LGT-003", f"目标完成 {_pct(attained)} 与执行率 {_pct(rate)} 相差 "
                                                  f"{quantize(gap, 2):f} 个百分点（超过 {profile.gap_points:f}）"))
    if likelihood in profile.reason_due and not (reason or "").strip():
        out.append(Light("yellow", "LGT-006", f"完成目标可能性为{likelihood}，未填写偏差原因"))
    return out


def worst(lights: list[Light]) -> str | None:
    """The worst color of ``lights`` (red before yellow before green); None for none."""
    found = {light.color for light in lights}
    return next((c for c in COLORS if c in found), None)


def linear_projection(paid_fen: int, as_of: dt.date) -> int | None:
    """全年预计执行数 by the ledger, named 按序时线性外推: the payments so far ÷ 序时进度 (分); None before any time."""
    time = schedule_share(as_of)
    return int(quantize(Decimal(paid_fen) / time, 0)) if time else None


@dataclass(frozen=True)
class Candidate:
    """A 重点监控 candidate: the department and project, its light, its lag and budget, and why it ranks there."""

    rank: int
    department: str
    project_code: str
    project_name: str
    color: str
    lag_points: Decimal
    budget_fen: int
    reason: str


def rank_candidates(items: list[tuple[str, str, str, str, Decimal | None, int]], as_of: dt.date) -> list[Candidate]:
    """重点监控 candidates from ``items`` (department name, project code, project name, light, 执行率, 全年预算数 分):
    red before yellow (green are not candidates), then by lag behind 序时进度 (points, most first), then by budget
    (largest first). Each says why it ranks where it does."""
    time = schedule_share(as_of)
    order = {c: i for i, c in enumerate(COLORS)}
    ranked = sorted(((dept, code, name, color, (time - (rate or Decimal(0))) * 100, budget)
                     for dept, code, name, color, rate, budget in items if color in ("red", "yellow")),
                    key=lambda r: (order[r[3]], -r[4], -r[5], r[0], r[1]))
    out = []
    for i, (dept, code, name, color, lag, budget) in enumerate(ranked, start=1):
        behind = f"落后序时进度 {quantize(lag, 2):f} 个百分点" if lag > 0 else "不落后于序时进度"
        out.append(Candidate(i, dept, code, name, color, quantize(lag, 2), budget,
                             f"{TEXT[color]}；{behind}；预算 {quantize(Decimal(budget) / 1_000_000, 2):f} 万元"))
    return out
