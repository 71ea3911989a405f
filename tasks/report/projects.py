"""The 项目支出绩效自评表 of each project (pure functions): its profile, its score, the reviewer's checks.

A project's 绩效目标 (``project_targets.csv``), its 绩效自评 (``project_self_assessment.csv``) and its 概况
(``project_summaries.csv``, header and conclusions) come from the department; its funds from its budget lines and
the payment ledger (``mart_project_funds``). The profile (``templates/scoring/project.yaml``,
``Settings.project_profile``) says how it is scored:

- funds block: 执行率 = 全年执行数 ÷ 全年预算数 (调整后); 得分 = ``funds_weight`` × min(执行率, 1);
- 正向 (≥), 反向 (≤, ``at_most``: ratio or linear) and 等于 (=) as the department's 自评表 (tasks/report/score.py);
- 定性: ``qualitative_mode`` share (分值 × the grade's share) or band (the department's 自评得分, refused outside its
  grade's band; the share when it gives none);
- 总分 = 执行率得分 + Σ 指标得分, graded by the profile's bands;
- where a form has no 满意度指标, its 分值 split is ``without_satisfaction`` instead of ``weights``.

The reviewer's checks (``checks`` of the profile, PJC-*) are warnings shown on the form and in the roll-up.
Worked example: docs/indicators.md, "项目支出绩效自评表"; tests/unit/test_project_score.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.domain import QUALITATIVE_GRADES, today
from tasks.glossary import both
from tasks.report.formatting import percent, quantize, wan
from tasks.report.keyed import Keys
from tasks.report.rectification import row_problems
from tasks.report.score import METHOD_SIGN, NATURE_METHOD, Indicator, Profile, grade_of, score_one
from tasks.report.tables import Table
from tasks.report.targets import bare, in_unit, number, rows_of, target_unit
from tasks.sources.errors import Problem
from tasks.warehouse.queries import FundsRow, ProjectTargetRow, RectificationRow
from tasks.yamlfile import read_config

SATISFACTION = "满意度指标"
MODES = ("share", "band")
PENDING = "待填写"  # a 实际完成值 the 自评 has not given yet


@dataclass(frozen=True)
class Check:
    """A reviewer's check of the profile: id, label, threshold (percent) and message template."""

    id: str
    label: str
    message: str
    threshold: Decimal | None = None
    severity: str = "warning"


@dataclass(frozen=True)
class ProjectProfile:
    """How a project is scored; read from YAML by :func:`load_project_profile`."""

    base: Profile  # grades, funds weight, 反向 variant, 定性 shares, the 分值 split by 一级指标
    mode: str = "band"
    bands: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    without_satisfaction: dict[str, Decimal] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def indicator_total(self) -> Decimal:
        """The 分值 a project's indicators must make: 100 less the funds block's."""
        return Decimal(100) - self.base.funds_weight

    def expected_weights(self, has_satisfaction: bool) -> dict[str, Decimal]:
        return dict(self.base.weights if has_satisfaction or not self.without_satisfaction
                    else self.without_satisfaction)

    def band(self, grade: str, weight: Decimal) -> tuple[Decimal, Decimal] | None:
        """The 得分 a 定性 grade may take under ``weight``, or None when the profile has no band for it."""
        if grade not in self.bands:
            return None
        low, high = self.bands[grade]
        return quantize(weight * low, 2), quantize(weight * high, 2)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except Exception as exc:
        raise ValueError(f"{where}: {value!r} is not a number") from exc


def load_project_profile(path: Path) -> ProjectProfile:
    """A project scoring profile from YAML. Raises ValueError naming the file for an unknown key or value."""
    config = read_config(path)
    known = {"name", "description", "funds_weight", "at_most", "qualitative_mode", "qualitative", "bands", "weights",
             "without_satisfaction", "grades", "ungraded", "checks"}
    unknown = set(config) - known
    if unknown:
        raise ValueError(f"project profile {path}: unknown key(s) {sorted(unknown)}")
    mode = str(config.get("qualitative_mode", "share"))
    if mode not in MODES:
        raise ValueError(f"project profile {path}: qualitative_mode {mode!r} is not one of {MODES}")
    at_most = str(config.get("at_most", "ratio"))
    if at_most not in ("ratio", "linear"):
        raise ValueError(f"project profile {path}: at_most {at_most!r} is not ratio or linear")
    shares = {str(k): _decimal(v, f"{path}: qualitative") for k, v in (config.get("qualitative") or {}).items()}
    if set(shares) != set(QUALITATIVE_GRADES):
        raise ValueError(f"project profile {path}: qualitative must give a share for each of {QUALITATIVE_GRADES}")
    bands: dict[str, tuple[Decimal, Decimal]] = {}
    for grade, pair in (config.get("bands") or {}).items():
        low, high = (_decimal(v, f"{path}: bands.{grade}") for v in pair)
        if not 0 <= low <= high <= 1:
            raise ValueError(f"project profile {path}: band of {grade} must be 0 ≤ low ≤ high ≤ 1, got {pair}")
        bands[str(grade)] = (low, high)
    if mode == "band" and set(bands) != set(QUALITATIVE_GRADES):
        raise ValueError(f"project profile {path}: qualitative_mode band needs a band for each of {QUALITATIVE_GRADES}")
    for grade, share in shares.items():
        if grade in bands and not bands[grade][0] <= share <= bands[grade][1]:
            raise ValueError(f"project profile {path}: the share of {grade} ({share}) is outside its band")
    checks = {}
    for entry in config.get("checks") or []:
        threshold = entry.get("threshold")
        check = Check(str(entry["id"]), str(entry["label"]), str(entry["message"]),
                      None if threshold is None else _decimal(threshold, f"{path}: {entry['id']}"),
                      str(entry.get("severity", "warning")))
        checks[check.id] = check
    base = Profile(
        name=str(config.get("name", path.stem)),
        grades=sorted(((Decimal(str(g["min"])), str(g["grade"])) for g in config["grades"]), reverse=True),
        funds_weight=_decimal(config.get("funds_weight", 10), f"{path}: funds_weight"), total="sum", at_most=at_most,
        qualitative=shares, weights={str(k): _decimal(v, str(path)) for k, v in (config.get("weights") or {}).items()},
        ungraded=str(config.get("ungraded", "未自评")))
    moved = {str(k): _decimal(v, str(path)) for k, v in (config.get("without_satisfaction") or {}).items()}
    return ProjectProfile(base, mode, bands, moved, checks)


@dataclass(frozen=True)
class ProjectItem:
    """One scored 三级指标 of a project's form, with its texts as the form writes them."""

    level1: str
    level2: str
    name: str
    nature: str
    unit: str
    target_text: str
    actual_text: str
    weight: Decimal
    score: Decimal | None  # None: the 自评 has not come in
    deviation: str
    met: bool | None
    target: Decimal | None = None  # exact, percentages as fractions
    actual: Decimal | str | None = None
    note: str | None = None  # how the score was made, when the form must say it


@dataclass(frozen=True)
class Finding:
    """A reviewer's check that fired: its id, label and message."""

    id: str
    label: str
    message: str


@dataclass(frozen=True)
class ProjectForm:
    """A 项目支出绩效自评表, scored: everything the XLSX, HTML and DOCX write."""

    year: int
    department_code: str
    department_name: str
    project_code: str
    project_name: str
    summary: dict[str, str]  # implementer, manager, goal, achieved, execution_reason, conclusion, problems, measures
    funds: list[FundsRow]
    natures_stated: bool
    funds_weight: Decimal
    rate: Decimal | None  # 执行率, exact
    funds_score: Decimal
    items: list[ProjectItem]
    total: Decimal | None  # None: not assessed yet
    grade: str
    assessed: bool
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""
    rectifications: list[RectificationRow] = field(default_factory=list)  # the year's 整改 of its monitoring
    rectification_day: dt.date | None = None  # read as of (an open year: the run's date; None: its year end)

    @property
    def weights(self) -> Decimal:
        return self.funds_weight + sum((i.weight for i in self.items), Decimal(0))


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _shown(value: Decimal | None, unit: str) -> str:
    """An exact value as the form writes it, in its unit (a fraction for % is written back as percent)."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{_plain(quantize(value * 100, 2))}%"
    return f"{_plain(quantize(value, 2))}{unit}"


def written_target(nature: str, target: str, unit: str) -> str:
    """A 指标值 as a form writes it: its sign and unit around the bare number (≥30家, ≤30天, =100%), or a 定性
    target's words as given. ``unit`` as :func:`~tasks.report.targets.target_unit` reads it."""
    if nature == "定性":
        return target.strip()
    return METHOD_SIGN.get(NATURE_METHOD[nature], "") + bare(target, unit, signed=True).rstrip("%") + unit


def score_item(row: ProjectTargetRow, profile: ProjectProfile) -> ProjectItem:
    """One indicator of a project, scored by ``profile``. A 定性 score outside its band raises ValueError (the
    intake refuses it first: :func:`check_project_inputs`)."""
    method = NATURE_METHOD[row.nature]
    unit = target_unit(row.unit, row.target)
    qualitative = method == "qualitative"
    target = None if qualitative else in_unit(number(row.target, unit, signed=True), unit)
    target_text = written_target(row.nature, row.target, unit)
    deviation = (row.deviation or "").strip()
    if not row.assessed:
        return ProjectItem(row.level1, row.level2, row.indicator, row.nature, unit, target_text, PENDING, row.weight,
                           None, deviation, None, target)
    indicator = Indicator(row.level1, row.level2, row.indicator, row.indicator, method, target, unit, row.weight)
    note = None
    if qualitative:
        actual: Decimal | str | None = (row.actual or "").strip() or None
        score = score_one(indicator, actual, profile.base)
        if row.score is not None and actual in QUALITATIVE_GRADES:
            band = profile.band(str(actual), row.weight) if profile.mode == "band" else None
            if band is not None:
                if not band[0] <= row.score <= band[1]:
                    raise ValueError(f"「{row.indicator}」: 自评得分 {row.score} is outside {actual}'s band {band}")
                score = quantize(row.score, 2)
            elif score is not None and quantize(row.score, 2) != score:
                note = (f"「{row.indicator}」自评得分 {_plain(row.score)} 未采用：评分方案按{actual}固定计"
                        f" {_plain(score)} 分。")
        met = actual == QUALITATIVE_GRADES[0] if actual is not None else None
        actual_text = str(actual or "—")
    else:
        value = in_unit(number(row.actual, unit), unit)
        actual = value
        score = score_one(indicator, value, profile.base)
        if row.score is not None and score is not None and quantize(row.score, 2) != score:
            note = (f"「{row.indicator}」自评得分 {_plain(row.score)} 未采用：定量指标按实际完成值计 "
                    f"{_plain(score)} 分。")
        if value is None or target is None:
            met = None
        elif method == "at_most":
            met = value <= target
        elif method == "exact":
            met = value == target
        else:
            met = value >= target
        actual_text = _shown(value, unit) if value is not None else (row.actual or "—")
    return ProjectItem(row.level1, row.level2, row.indicator, row.nature, unit, target_text, actual_text, row.weight,
                       score, deviation, met, target, actual, note)


def execution_rate(funds: list[FundsRow]) -> Decimal | None:
    """执行率 on the 全年预算数 (调整后): the 年度资金总额 row's execution ÷ budget, exact; None for no budget."""
    total = funds[0]
    return Decimal(total.executed_fen) / Decimal(total.budget_fen) if total.budget_fen else None


def score_project(year: int, department: tuple[str, str], project: tuple[str, str], funds: list[FundsRow],
                  natures_stated: bool, rows: list[ProjectTargetRow], summary: dict[str, Any] | None,
                  profile: ProjectProfile) -> ProjectForm:
    """A project's form, scored: funds block, indicators, 总分, 自评等级, notes and the reviewer's findings.

    ``department`` and ``project`` are (code, name); ``funds`` the rows of :func:`project_funds` (分); ``rows`` the
    project's 绩效目标 with its 绩效自评 (empty: no 绩效目标, the form shows the funds alone); ``summary`` its 概况.
    A project is assessed when its 绩效自评 has a row for each of its indicators; otherwise its form is a 草稿, the
    missing 实际完成值 are 待填写 and it is not graded (``profile.base.ungraded``)."""
    rate = execution_rate(funds)
    weight = profile.base.funds_weight
    funds_score = quantize(weight * min(rate, Decimal(1)), 2) if rate is not None else Decimal(0)
    items = [score_item(r, profile) for r in rows]
    assessed = bool(rows) and all(r.assessed for r in rows)
    texts = {k: str(v).strip() for k, v in (summary or {}).items() if v is not None and str(v).strip()}
    total = quantize(funds_score + sum((i.score or Decimal(0) for i in items), Decimal(0)), 2) if assessed else None
    grade = grade_of(total, profile.base.grades) if total is not None else profile.base.ungraded
    notes = [i.note for i in items if i.note]
    notes.extend(_weight_notes(items, profile))
    form = ProjectForm(year, department[0], department[1], project[0], project[1], texts, funds, natures_stated,
                       weight, rate, funds_score, items, total, grade, assessed, [], notes, profile.name)
    return _with_findings(form, profile)


def _weight_notes(items: list[ProjectItem], profile: ProjectProfile) -> list[str]:
    """Where the form's 分值 by 一级指标 differ from the profile's split (without_satisfaction when it has none)."""
    if not items:
        return []
    has_satisfaction = any(i.level1 == SATISFACTION for i in items)
    expected = profile.expected_weights(has_satisfaction)
    given: dict[str, Decimal] = {}
    for i in items:
        given[i.level1] = given.get(i.level1, Decimal(0)) + i.weight
    differ = [f"{level} {_plain(given.get(level, Decimal(0)))} 分（评分方案 {_plain(w)} 分）"
              for level, w in expected.items() if given.get(level, Decimal(0)) != w]
    if not differ:
        return []
    lead = "" if has_satisfaction else "未设满意度指标，其分值按评分方案调入产出、效益指标；"
    return [f"{lead}分值与评分方案不同：{'；'.join(differ)}，按所填分值计分。"]


def _fmt(check: Check, **values: object) -> str:
    threshold = "" if check.threshold is None else _plain(check.threshold)
    return check.message.format(threshold=threshold, **values)


def _with_findings(form: ProjectForm, profile: ProjectProfile) -> ProjectForm:
    """The reviewer's checks that fire on ``form`` (profile.checks: PJC-001 … PJC-004); none on a form whose 自评
    has not come in (it is named as missing instead)."""
    out: list[Finding] = []
    if not form.assessed:
        return form
    checks = profile.checks

    def fire(check_id: str, **values: object) -> None:
        check = checks[check_id]
        out.append(Finding(check.id, check.label, _fmt(check, **values)))

    c1 = checks.get("PJC-001")
    if c1 is not None and c1.threshold is not None and form.rate is not None \
            and form.rate * 100 < c1.threshold and not form.summary.get("execution_reason"):
        fire("PJC-001", rate=f"{percent(form.rate, 2)}%")
    c2 = checks.get("PJC-002")
    for item in form.items:
        if c2 is None or c2.threshold is None or item.deviation or not isinstance(item.actual, Decimal) \
                or item.target is None or item.target <= 0 or item.score is None:
            continue
        far = c2.threshold / 100
        if item.nature == "≥" and item.actual >= item.target * far:  # a ≤ target beaten (0 accidents) is no overshoot
            share = f"{percent(item.actual / item.target, 0)}%"
            fire("PJC-002", indicator=item.name, actual=item.actual_text, target=item.target_text, share=share)
    c3 = checks.get("PJC-003")
    weights = sum((i.weight for i in form.items), Decimal(0))
    if c3 is not None and c3.threshold is not None and form.assessed and weights > 0 and form.funds_weight > 0 \
            and form.rate is not None:  # no budget: nothing is spent ahead of or behind
        indicators = sum((i.score or Decimal(0) for i in form.items), Decimal(0)) / weights
        funds = form.funds_score / form.funds_weight
        if indicators > funds * (1 + c3.threshold / 100):
            fire("PJC-003", indicators=f"{percent(indicators, 2)}%", funds=f"{percent(funds, 2)}%")
    if "PJC-004" in checks:
        for item in form.items:
            if item.met is False and not item.deviation:
                fire("PJC-004", indicator=item.name, actual=item.actual_text, target=item.target_text)
    return ProjectForm(**{**form.__dict__, "findings": out})


def check_project_inputs(targets: pd.DataFrame, actuals: pd.DataFrame, profile: ProjectProfile) -> list[Problem]:
    """What the gate cannot see, before anything loads: each project's 分值 must make the profile's indicator total
    (90 with the funds block's 10), and a 定性 indicator's 自评得分 must lie within its grade's band (qualitative
    mode band). ``targets`` and ``actuals`` are the staged ``project_targets`` and ``project_self_assessment``
    (``_source``, ``_row``). Returns one problem per project (the sum) or per row (the band), naming file, row and
    column."""
    problems: list[Problem] = []
    expected = profile.indicator_total
    natures: dict[tuple[str, str, str], tuple[str, Any, str]] = {}
    weights: dict[tuple[Any, Any], tuple[Decimal, int, int, str]] = {}  # by project: Σ 分值, first and last row, file
    for r in rows_of(targets):
        key, row = (r["department_code"], r["project_code"]), int(r["_row"])
        if not (pd.isna(key[0]) or pd.isna(key[1])):  # as a pandas group: a row without its key is in none
            total, first, last, source = weights.get(key, (Decimal(0), row, row, str(r["_source"])))
            weights[key] = (total + Decimal(str(r["weight"])), min(first, row), max(last, row), source)
        if not 0 <= float(r["weight"]) <= 100:
            problems.append(Problem(
                "finance", str(r["_source"]), both(f"项目 {r['project_code']}「{r['indicator']}」的分值 "
                                                   f"{_plain(Decimal(str(r['weight'])))} 不在 0 至 100 之间",
                                                   "a 分值 below 0 or above 100"),
                row=int(r["_row"]), column="分值 (weight)",
                expected=both("0 至 100 之间的分值", "a 分值 from 0 to 100"),
                department=str(r["department_code"])))
        unit = target_unit(None if pd.isna(r.get("unit")) else r.get("unit"), str(r["target"]))
        natures[str(r["department_code"]), str(r["project_code"]), str(r["indicator"])] = (
            str(r["nature"]), r["weight"], unit)
        if r["nature"] != "定性" and number(str(r["target"]), unit, signed=True) is None:
            problems.append(Problem(
                "finance", str(r["_source"]), both(f"项目 {r['project_code']}「{r['indicator']}」的指标值"
                                                   f"「{r['target']}」不是数值",
                                                   f"the 指标值 {r['target']!r} is not a number"),
                row=int(r["_row"]), column="指标值 (target)",
                expected=both("≥、≤、= 的指标值写数字，如 60、95% 或 ≥20", "a number such as 60, 95% or ≥20"),
                department=str(r["department_code"])))
    sums = []  # first, by department and project: a project's 分值 must make the profile's total
    for (code, project), (total, first, last, source) in sorted(weights.items()):
        if total != expected:
            sums.append(Problem(
                "finance", source,
                both(f"项目 {project} 的指标分值合计 {_plain(total)}（第 {first}-{last} 行），连同执行率 "
                     f"{_plain(profile.base.funds_weight)} 分不是 100 分",
                     f"project {project}'s 分值 add up to {_plain(total)} (rows {first}-{last}), not "
                     f"{_plain(expected)}"),
                column="分值 (weight)",
                expected=both(f"每个项目的指标分值合计 {_plain(expected)}（评分方案 {profile.name}）",
                              f"分值 adding up to {_plain(expected)} per project (profile {profile.name})"),
                department=str(code)))
    problems[:0] = sums
    for r in rows_of(actuals):
        nature, weight, unit = natures.get(
            (str(r["department_code"]), str(r["project_code"]), str(r["indicator"])), ("", None, ""))
        text = "" if r.get("actual") is None or pd.isna(r.get("actual")) else str(r["actual"]).strip()
        score = r.get("score")
        if nature and score is not None and not pd.isna(score) and not 0 <= float(score) <= float(weight):
            problems.append(Problem(
                "finance", str(r["_source"]), both(f"项目 {r['project_code']}「{r['indicator']}」的自评得分 "
                                                   f"{_plain(Decimal(str(score)))} 不在 0 至分值 "
                                                   f"{_plain(Decimal(str(weight)))} 之间",
                                                   "a 自评得分 below 0 or above the indicator's 分值"),
                row=int(r["_row"]), column="自评得分 (score)",
                expected=both("0 至该指标分值之间的得分", "a score from 0 to the 分值"),
                department=str(r["department_code"])))
            continue
        if not nature or not text:
            continue  # PRJ-004 and PRJ-005 say so
        bad = text not in QUALITATIVE_GRADES if nature == "定性" else number(text, unit) is None
        if bad:
            problems.append(Problem(
                "finance", str(r["_source"]), both(f"项目 {r['project_code']}「{r['indicator']}」的实际完成值「{text}」"
                                                   + ("不是达成/部分达成/未达成" if nature == "定性" else "不是数值"),
                                                   f"the 实际完成值 {text!r} is not "
                                                   + ("a grade" if nature == "定性" else "a number")),
                row=int(r["_row"]), column="实际完成值 (actual)",
                expected=both("定性指标填达成、部分达成或未达成" if nature == "定性" else f"数字，如 95{unit}",
                              "达成, 部分达成 or 未达成" if nature == "定性" else "a number"),
                department=str(r["department_code"])))
    if profile.mode != "band":
        return problems
    for r in rows_of(actuals):
        score = r.get("score")
        if score is None or pd.isna(score):
            continue
        nature, weight, _ = natures.get((str(r["department_code"]), str(r["project_code"]), str(r["indicator"])),
                                        ("", None, ""))
        grade = str(r.get("actual") or "").strip()
        if nature != "定性" or grade not in QUALITATIVE_GRADES:
            continue
        band = profile.band(grade, Decimal(str(weight)))
        value = Decimal(str(score))
        if band is None or band[0] <= value <= band[1]:
            continue
        problems.append(Problem(
            "finance", str(r["_source"]), both(
                f"「{r['indicator']}」自评为{grade}，自评得分 {_plain(value)} 不在{grade}的得分区间 "
                f"{_plain(band[0])}-{_plain(band[1])} 内",
                f"the 自评得分 {_plain(value)} of a 定性 indicator graded {grade} is outside its band"),
            row=int(r["_row"]), column="自评得分 (score)",
            expected=both(f"{grade}：分值 {_plain(Decimal(str(weight)))} 的 "
                          f"{percent(profile.bands[grade][0])}%-{percent(profile.bands[grade][1])}%，即 "
                          f"{_plain(band[0])}-{_plain(band[1])} 分",
                          f"a score within the band of {grade}"),
            department=str(r["department_code"])))
    return problems


def missing_projects(projects: Iterable[tuple[str, str]], forms: dict[str, ProjectForm]) -> list[str]:
    """The 项目支出 projects (code, expense type code) with no assessed form: named, not dropped."""
    return [code for code, kind in projects if kind == "PROJECT" and not (code in forms and forms[code].assessed)]


def forms_of(keys: Keys, profile: ProjectProfile, department: str) -> list[ProjectForm]:
    """The forms of a department-year's projects, read through ``keys`` (for every key at once): each project
    of the 项目支出 with a budget line, and each other project that has a 绩效目标, in project-code order."""
    info = keys.department(department)
    targets: dict[str, list[ProjectTargetRow]] = {}
    for row in keys.project_targets(department):
        targets.setdefault(row.project_code, []).append(row)
    out = []
    for project in keys.projects(department):
        if project.expense_type_code != "PROJECT" and project.code not in targets:
            continue
        funds, stated = keys.project_funds(department, project.code)
        form = score_project(keys.year, (department, str(info["department_name"])), (project.code, project.name),
                             funds, stated, targets.get(project.code, []),
                             keys.project_summary(department, project.code), profile)
        mine = [r for r in keys.rectifications(department) if r.project_code == project.code]
        named = {t.indicator for t in targets.get(project.code, [])}
        out.append(replace(form, rectifications=mine, notes=[*form.notes, *(p for r in mine
                                                                             for p in row_problems(r, named))],
                           rectification_day=None if keys.closed(department) else today()))
    return out


SUMMARY_CAPTION = "项目支出绩效自评情况汇总表"
NOT_SENT = "未报送绩效目标"
DRAFT_FORM = "自评未报送或未填齐"
DONE = "已自评"


def status_of(form: ProjectForm) -> str:
    """已自评, 自评未报送或未填齐 (a 草稿) or 未报送绩效目标."""
    if not form.items:
        return NOT_SENT
    return DONE if form.assessed else DRAFT_FORM


def summary_table(forms: list[ProjectForm], department_name: str, year: int) -> Table:
    """附表: each project with its budget, execution, 执行率, 总分, 等级 and whether its 自评 came in; a project
    with no 自评 is named, not dropped."""
    rows = []
    for f in forms:
        total = f.funds[0]
        rows.append([f.project_code, f.project_name, wan(total.budget_fen), wan(total.executed_fen),
                     "—" if f.rate is None else f"{percent(f.rate, 2)}%",
                     "—" if f.total is None else f"{f.total:.2f}", f.grade if f.assessed else "—", status_of(f)])
    done = sum(1 for f in forms if status_of(f) == DONE)
    drafts, unsent = (sum(1 for f in forms if status_of(f) == s) for s in (DRAFT_FORM, NOT_SENT))
    notes = [f"共 {len(forms)} 个项目，已自评 {done} 个，{DRAFT_FORM} {drafts} 个，{NOT_SENT} {unsent} 个。"
             "执行率 = 全年执行数 ÷ 全年预算数"
             "（调整后），执行数为国库集中支付明细之和；各项目自评表见 projects/ 文件夹。"]
    findings = sum(len(f.findings) for f in forms)
    if findings:
        notes.append(f"审核提示 {findings} 条，见各项目自评表。")
    return Table(f"附表3 {department_name}{year}年度{SUMMARY_CAPTION}",
                 ["项目编码", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率", "总分", "自评等级",
                  "自评情况"],
                 rows, notes)


RATE_BANDS = ((Decimal("0.9"), "90%及以上"), (Decimal("0.8"), "80%-90%"), (Decimal("0.6"), "60%-80%"),
              (Decimal(0), "60%以下"))
NO_BUDGET = "无预算"


def rate_band(rate: Decimal | None) -> str:
    """The 执行率 band a project falls in (90 % and above, 80-90 %, 60-80 %, under 60 %; 无预算 without one)."""
    if rate is None:
        return NO_BUDGET
    return next(label for floor, label in RATE_BANDS if rate >= floor)


@dataclass(frozen=True)
class DistrictProjects:
    """The district's projects summed up for the roll-up: counts by grade and by 执行率 band, the reviewer's
    findings by check, and every project whose form is not assessed, named."""

    grades: list[tuple[str, int]]
    bands: list[tuple[str, int]]
    findings: list[tuple[str, str, int]]  # check id, label, projects it fired on
    missing: list[tuple[str, str, str, str]]  # department name, project code, project name, status
    total: int


def district_projects(forms: dict[str, list[ProjectForm]], profile: ProjectProfile,
                      names: dict[str, str]) -> DistrictProjects:
    """``forms``: each department's project forms; ``names``: department code → name."""
    every = [f for code in sorted(forms) for f in forms[code]]
    labels = [g for _, g in profile.base.grades] + [profile.base.ungraded]
    grades = [(g, sum(1 for f in every if f.grade == g)) for g in labels]
    bands = [(b, sum(1 for f in every if rate_band(f.rate) == b)) for b in [b for _, b in RATE_BANDS] + [NO_BUDGET]]
    fired: dict[str, set[str]] = {}
    for f in every:
        for finding in f.findings:
            fired.setdefault(finding.id, set()).add(f"{f.department_code}/{f.project_code}")
    findings = [(c.id, c.label, len(fired.get(c.id, ()))) for c in profile.checks.values()]
    missing = [(names.get(f.department_code, f.department_code), f.project_code, f.project_name, status_of(f))
               for f in every if not f.assessed]
    return DistrictProjects(grades, bands, findings, missing, len(every))


def counted(keys: Keys, profile: ProjectProfile, department: str,
            forms: list[ProjectForm] | None = None) -> DistrictProjects | None:
    """A department-year's projects counted for the district (:func:`district_projects` of its forms alone,
    ``forms`` when already made, else :func:`forms_of`), when its year is closed (a 决算总表 loaded); None for an
    open year, whose projects have their 双监控 instead. :func:`summed` adds departments' counts up: the roll-up
    and the run's artifact both count this way."""
    if not keys.closed(department):
        return None
    made = forms if forms is not None else forms_of(keys, profile, department)
    names = {department: str(keys.department(department)["department_name"])}
    return district_projects({department: made}, profile, names)


def summed(parts: list[DistrictProjects]) -> DistrictProjects | None:
    """Departments' :func:`district_projects`, each of one department, as one for all of them (``parts`` in the
    order of their department codes, as :func:`district_projects` orders them): counts added by grade, band and
    check (a check counts projects, each of one department), the projects not assessed one after another. None
    when no part holds a project. Every part is of the same profile (the same grades, bands and checks)."""
    parts = [d for d in parts if d.total]
    if not parts:
        return None
    first = parts[0]
    return DistrictProjects(
        [(g, sum(d.grades[i][1] for d in parts)) for i, (g, _) in enumerate(first.grades)],
        [(b, sum(d.bands[i][1] for d in parts)) for i, (b, _) in enumerate(first.bands)],
        [(c, label, sum(d.findings[i][2] for d in parts)) for i, (c, label, _) in enumerate(first.findings)],
        [m for d in parts for m in d.missing], sum(d.total for d in parts))


def district_markdown(d: DistrictProjects, heading: str = "##") -> list[str]:
    """The roll-up's 项目支出绩效自评 section in Markdown."""
    lines = [f"{heading} 项目支出绩效自评情况", "",
             f"共 {d.total} 个项目，已自评 {d.total - len(d.missing)} 个，未自评 {len(d.missing)} 个。", "",
             "| 自评等级 | 项目数 |", "|---|---|", *(f"| {g} | {n} |" for g, n in d.grades), "",
             "| 执行率 | 项目数 |", "|---|---|", *(f"| {b} | {n} |" for b, n in d.bands), "",
             "| 审核提示 | 项目数 |", "|---|---|", *(f"| {i} {label} | {n} |" for i, label, n in d.findings), ""]
    if d.missing:
        lines += ["未自评的项目：", "", "| 部门 | 项目编码 | 项目名称 | 自评情况 |", "|---|---|---|---|",
                  *(f"| {dept} | {code} | {name} | {status} |" for dept, code, name, status in d.missing), ""]
    return lines


def in_one_line(forms: list[ProjectForm]) -> str:
    """A department's projects as the run's artifact writes them, empty without projects:
    "10 个项目：已自评 2，草稿 1，未报送绩效目标 7；审核提示 5 条"."""
    if not forms:
        return ""
    counts = {s: sum(1 for f in forms if status_of(f) == s) for s in (DONE, DRAFT_FORM, NOT_SENT)}
    parts = [f"{label} {counts[s]}" for s, label in ((DONE, DONE), (DRAFT_FORM, "草稿"), (NOT_SENT, NOT_SENT))
             if counts[s]]
    findings = sum(len(f.findings) for f in forms)
    return f"{len(forms)} 个项目：" + "，".join(parts) + (f"；审核提示 {findings} 条" if findings else "")
