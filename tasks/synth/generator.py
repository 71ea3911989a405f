"""Generate a landing zone (finance, statistics, registry) from department profiles.

A profile states the aggregates a department should show; the generator invents records
that add up to them exactly. The bundled sample is one profile per department
(``tasks.synth.sample``); ``selfeval synth`` builds a city of random profiles.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.domain import (
    EXPENSE_TYPE_NAMES,
    FUND_NATURE_CARRIED,
    FUND_NATURE_CURRENT,
    FUND_SOURCE_NAMES,
    INDUSTRY_ALL,
    PROGRAM_HITECH,
    PROGRAM_SRDI,
    SUMMARY_TOTAL,
)
from tasks.sources.contract import (
    APPLICATIONS,
    BUDGET_LINES,
    DATASETS,
    DEPARTMENTS,
    ENTERPRISES,
    INDICATORS,
    INVESTMENT_PROJECTS,
    PAYMENTS,
    SELF_ASSESSMENT,
    SUMMARY,
    TARGETS,
    Dataset,
)
from tasks.synth.parts import (
    INDUSTRIES,
    MONTH_WEIGHTS,
    allocate,
    company_names,
    next_weekday,
    random_dates,
    random_usccs,
    random_weights,
)

GUANGZHOU_DISTRICTS = (
    ("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"),
    ("440111", "白云区"), ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区"),
    ("440115", "南沙区"), ("440117", "从化区"), ("440118", "增城区"),
)
RD_INDUSTRIES = ("工业", "建筑业", "服务业")

# 基本支出 lines every department has: (name, economic class, weight, payee or None for suppliers).
BASIC_LINES = (
    ("在职人员工资福利", "30101", 0.50, "{dept}（工资统发）"),
    ("社会保障缴费", "30108", 0.12, "广州市社会保险基金管理中心"),
    ("住房公积金", "30113", 0.07, "广州住房公积金管理中心"),
    ("日常公用经费", "30201", 0.16, None),
    ("公务用车运行维护费", "30231", 0.02, None),
    ("离退休人员经费", "30302", 0.13, "{dept}（离退休人员统发）"),
)
# Salary-like lines pay monthly rather than at random.
MONTHLY_CLASSES = {"30101", "30108", "30113", "30302"}


@dataclass
class FinanceTarget:
    """A department-year's aggregates in 分; the generator builds lines and payments to match."""

    budget: int
    basic_executed: int
    project_executed: int
    carryover: int = 0
    fund_sources: dict[str, float] = field(default_factory=lambda: {FUND_SOURCE_NAMES[0]: 1.0})
    projects: list[tuple[str, str]] = field(default_factory=list)  # (name, "subsidy" | "service")
    payments: int = 4000
    # Lines whose unspent budget goes to carryover first, then lapses.
    unspent_lines: int = 2
    # 年初预算数 and 资金性质, when the department's export gives them: each project line's initial
    # budget is this share of its full-year budget (基本支出 lines keep theirs), and the first
    # ``carried_projects`` project lines are 上年结转, the others 当年财政拨款. None: not given.
    initial_share: float | None = None
    carried_projects: int = 0
    # An open year (no 决算 yet): the ledger so far, paid up to ``through`` (inclusive). Each line's
    # 全年执行数 is then its ledger sum, carryover is 0, and there is no 决算总表. ``projects_through``
    # stops 项目支出 payments earlier (a department lagging behind 序时进度); ``even_months`` spreads
    # payments evenly over the months instead of towards December.
    through: dt.date | None = None
    projects_through: dt.date | None = None
    even_months: bool = False


@dataclass
class Investment:
    signed: int  # year
    registered: int | None
    investment_wan: str  # 万元, as a decimal string: money is never a float here
    output_wan: str
    name: str


@dataclass
class RegistryTarget:
    srdi: dict[int, int] = field(default_factory=dict)
    # Applications to other programmes: programme → year → enterprises applying (drawn from the
    # region's live enterprises with a generator of their own, so the other records do not change).
    programs: dict[str, dict[int, int]] = field(default_factory=dict)
    hitech_first: dict[int, int] = field(default_factory=dict)
    hitech_repeat: dict[int, int] = field(default_factory=dict)
    investments: list[Investment] = field(default_factory=list)
    firms: int = 1200


@dataclass
class PerformanceTarget:
    """One row of a department's 绩效目标, and what its 绩效自评 reports of it."""

    level1: str
    level2: str
    indicator: str
    nature: str  # ≥ ≤ = 定性
    target: str
    unit: str
    weight: str
    source: str  # a metric of templates/metrics.yaml, or "reported"
    actual: str | None = None  # the reported 实际完成值
    deviation: str | None = None  # 偏差原因分析及改进措施
    evidence: str | None = None


@dataclass
class ProjectIndicator:
    """One row of a project's 绩效目标, and what the project's 绩效自评 reports of it."""

    level1: str
    level2: str
    indicator: str
    nature: str  # ≥ ≤ = 定性
    target: str
    unit: str
    weight: str
    actual: str | None = None  # the reported 实际完成值; None: not reported
    score: str | None = None  # a 定性 indicator's own score within its band
    deviation: str | None = None


@dataclass
class ProjectAssessment:
    """A project's 绩效目标 and 绩效自评 (project_targets, project_self_assessment) and its header and
    conclusions (project_summaries); ``assessed`` False: targets only, the 自评 not in yet."""

    project_code: str
    indicators: list[ProjectIndicator]
    implementer: str = ""
    manager: str = ""
    goal: str = ""
    achieved: str = ""
    execution_reason: str = ""
    conclusion: str = ""
    problems: str = ""
    measures: str = ""
    assessed: bool = True


@dataclass
class DepartmentProfile:
    code: str
    name: str
    region_code: str
    region_name: str
    synthetic: bool
    finance: dict[int, FinanceTarget]
    registry: RegistryTarget | None = None
    targets: dict[int, list[PerformanceTarget]] = field(default_factory=dict)  # year → 绩效目标
    projects: dict[int, list[ProjectAssessment]] = field(default_factory=dict)  # year → projects' 自评
    # year → the 双监控 submission's rows, in the contract's column names (monitoring.csv)
    monitoring: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    # year → the bureau's 整改要求 and the department's 整改结果 (rectification.csv), in the contract's column names
    rectification: dict[int, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class StatisticsTarget:
    """Fixed R&D values for a region (万元, by year then industry); others are random walks."""

    rd: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    years: tuple[int, ...] = (2019, 2020, 2021, 2022)
    # Further indicators with fixed values, 全部行业: (code, name, unit, region code) → year → value.
    extra: dict[tuple[str, str, str, str], dict[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DepartmentFinance:
    """One department-year's finance files: budget lines, payment ledger and 决算总表."""

    year: int
    code: str
    budget_lines: pd.DataFrame
    payments: pd.DataFrame
    summary: pd.DataFrame | None  # None: an open year, whose 决算总表 is not due yet


@dataclass
class LandingZone:
    """A whole landing zone. ``finance`` is generated lazily, one department-year at a time, and can be
    consumed once: a city's ledger is never held whole in memory."""

    departments: list[dict]
    finance: Iterator[DepartmentFinance]
    indicators: pd.DataFrame
    enterprises: pd.DataFrame
    applications: pd.DataFrame
    investment_projects: pd.DataFrame
    targets: dict[tuple[int, str], pd.DataFrame] = field(default_factory=dict)
    self_assessment: dict[tuple[int, str], pd.DataFrame] = field(default_factory=dict)
    # (year, department) → dataset name → rows: the projects' 绩效目标, 绩效自评 and 概况
    project_files: dict[tuple[int, str], dict[str, pd.DataFrame]] = field(default_factory=dict)


def project_frames(code: str, projects: list[ProjectAssessment]) -> dict[str, pd.DataFrame]:
    """The three project datasets of one department-year, as rows in the contract's column names."""
    targets = [{"department_code": code, "project_code": p.project_code, "level1": i.level1, "level2": i.level2,
                "indicator": i.indicator, "nature": i.nature, "target": i.target, "unit": i.unit,
                "weight": i.weight} for p in projects for i in p.indicators]
    assessed = [{"department_code": code, "project_code": p.project_code, "indicator": i.indicator,
                 "actual": i.actual or "", "score": i.score or "", "deviation": i.deviation or ""}
                for p in projects if p.assessed for i in p.indicators]
    summaries = [{"department_code": code, "project_code": p.project_code, "implementer": p.implementer,
                  "manager": p.manager, "goal": p.goal, "achieved": p.achieved,
                  "execution_reason": p.execution_reason, "conclusion": p.conclusion, "problems": p.problems,
                  "measures": p.measures} for p in projects if p.assessed]
    return {"project_targets": pd.DataFrame(targets), "project_self_assessment": pd.DataFrame(assessed),
            "project_summaries": pd.DataFrame(summaries)}


def _fen_text(fen: np.ndarray | pd.Series) -> pd.Series:
    """Exact decimal text of amounts in 分, in 元 with two decimals."""
    fen = np.asarray(fen, dtype="int64")
    sign = np.where(fen < 0, "-", "")
    a = np.abs(fen)
    return pd.Series(sign, dtype="str") + pd.Series(a // 100).astype(str) + "." + pd.Series(a % 100).astype(
        str
    ).str.zfill(2)


def build_finance(
    profile: DepartmentProfile, year: int, target: FinanceTarget, rng: np.random.Generator,
    suppliers: list[str], grantees: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Budget lines, payment ledger and 决算总表 for one department-year."""
    names = [n for n, _, _, _ in BASIC_LINES]
    basic = allocate(target.basic_executed, [w for _, _, w, _ in BASIC_LINES], minimum=100)
    projects = target.projects
    proj = allocate(target.project_executed, random_weights(rng, len(projects), 0.9), minimum=100)
    executed = np.concatenate([basic, proj])
    n_lines = len(executed)
    expense = [EXPENSE_TYPE_NAMES[0]] * len(BASIC_LINES) + [EXPENSE_TYPE_NAMES[1]] * len(projects)
    # Fund sources: 基本支出 is always 一般公共预算; project lines are drawn by the profile's shares.
    sources = list(target.fund_sources)
    shares = np.array([target.fund_sources[s] for s in sources])
    proj_sources = [sources[i] for i in rng.choice(len(sources), size=len(projects), p=shares / shares.sum())]
    fund = [FUND_SOURCE_NAMES[0]] * len(BASIC_LINES) + proj_sources
    # Unspent budget sits on a few project lines; carryover is taken from it.
    unspent_total = target.budget - int(executed.sum())
    if unspent_total < target.carryover:
        raise ValueError(f"{profile.code} {year}: budget leaves less than the carryover")
    budget = executed.copy()
    carry = np.zeros(n_lines, dtype="int64")
    k = min(target.unspent_lines, n_lines)
    holders = np.sort(rng.choice(np.arange(len(BASIC_LINES), n_lines), size=k, replace=False))
    budget[holders] += allocate(unspent_total, random_weights(rng, k))
    carry[holders] = allocate(target.carryover, (budget - executed)[holders].astype("float64") + 1)
    carry = np.minimum(carry, budget - executed)
    line_ids = [f"ZB{year}-{profile.code[-4:]}-{i + 1:04d}" for i in range(n_lines)]
    project_codes = [f"JB{i + 1:02d}" for i in range(len(BASIC_LINES))] + [
        f"XM{year % 100:02d}{i + 1:03d}" for i in range(len(projects))
    ]
    lines = pd.DataFrame({
        "department_code": profile.code,
        "line_id": line_ids,
        "project_code": project_codes,
        "project_name": names + [p[0] for p in projects],
        "fund_source": fund,
        "expense_type": expense,
        "budget": _fen_text(budget),
        "executed": _fen_text(executed),
        "carryover": _fen_text(carry),
    })
    if target.initial_share is not None:
        initial = budget.copy()
        cut = np.arange(n_lines) >= len(BASIC_LINES)
        initial[cut] = (budget[cut] * target.initial_share // 100 * 100).astype("int64")  # whole 元
        lines["initial_budget"] = _fen_text(initial)
        carried = np.arange(n_lines) - len(BASIC_LINES)
        lines["fund_nature"] = np.where((carried >= 0) & (carried < target.carried_projects),
                                        FUND_NATURE_CARRIED, FUND_NATURE_CURRENT)

    # Payments: salary-like lines pay monthly; the rest split into many payments by size.
    frames = []
    total_exec = max(int(executed.sum()), 1)
    kinds = {i: BASIC_LINES[i] for i in range(len(BASIC_LINES))}
    for i in range(n_lines):
        amount = int(executed[i])
        if amount == 0:
            continue
        if i in kinds and kinds[i][1] in MONTHLY_CLASSES:
            n = 12
            dates = next_weekday(np.array(
                [np.datetime64(f"{year}-{m:02d}-10") for m in range(1, 13)], dtype="datetime64[D]"
            ))
            parts = allocate(amount, 1 + rng.normal(0, 0.03, size=12).clip(-0.2, 0.2), minimum=1)
            payees = np.array([str(kinds[i][3]).format(dept=profile.name)] * n)
            eclass = np.array([kinds[i][1]] * n)
        else:
            n = int(max(2, min(amount // 100, round(target.payments * amount / total_exec))))
            dates = np.sort(random_dates(rng, year, n, np.ones(12) if target.even_months else MONTH_WEIGHTS))
            parts = allocate(amount, random_weights(rng, n, 0.7), minimum=1)
            if i in kinds:
                named = kinds[i][3]
                payee_pool = [named.format(dept=profile.name)] if named else suppliers
                eclass_val = kinds[i][1]
            elif projects[i - len(BASIC_LINES)][1] == "subsidy":
                payee_pool, eclass_val = grantees, "31204"
            else:
                payee_pool, eclass_val = suppliers, "30227"
            payees = np.array(payee_pool)[rng.integers(0, len(payee_pool), size=n)]
            eclass = np.array([eclass_val] * n)
        frames.append(pd.DataFrame({
            "line_id": line_ids[i], "pay_date": dates, "payee": payees, "economic_class": eclass,
            "amount_fen": parts,
        }))
    pay = pd.concat(frames, ignore_index=True).sort_values(["pay_date", "line_id"], kind="stable")
    pay = pay.reset_index(drop=True)
    payments = pd.DataFrame({
        "voucher_no": [f"ZF{year}{profile.code[-4:]}{i + 1:07d}" for i in range(len(pay))],
        "department_code": profile.code,
        "line_id": pay["line_id"],
        "pay_date": pd.Series(pay["pay_date"].to_numpy().astype("datetime64[D]").astype(str)),
        "payee": pay["payee"],
        "economic_class": pay["economic_class"],
        "amount": _fen_text(pay["amount_fen"].to_numpy()),
    })

    # 决算总表: totals as the department reports them.
    rows = [(SUMMARY_TOTAL, budget.sum(), executed.sum(), carry.sum())]
    for src in FUND_SOURCE_NAMES:
        m = np.array([f == src for f in fund])
        rows.append((src, budget[m].sum(), executed[m].sum(), carry[m].sum()))
    for et in EXPENSE_TYPE_NAMES:
        m = np.array([e == et for e in expense])
        rows.append((et, budget[m].sum(), executed[m].sum(), carry[m].sum()))
    summary = pd.DataFrame({
        "department_code": profile.code,
        "item": [r[0] for r in rows],
        "budget": _fen_text(np.array([r[1] for r in rows])),
        "executed": _fen_text(np.array([r[2] for r in rows])),
        "carryover": _fen_text(np.array([r[3] for r in rows])),
    })
    return lines, payments, summary


def open_year(target: FinanceTarget, lines: pd.DataFrame, payments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A year's budget lines and ledger cut to ``target.through`` (项目支出 to ``target.projects_through``):
    payments dated later are dropped, each line's 全年执行数 becomes its ledger sum and its carryover 0."""
    assert target.through is not None
    dates = pd.to_datetime(payments["pay_date"]).dt.date
    projects = set(lines.loc[lines["expense_type"] == EXPENSE_TYPE_NAMES[1], "line_id"])
    last = payments["line_id"].map(lambda line: target.projects_through if line in projects
                                   and target.projects_through else target.through)
    kept = payments[(dates <= last).to_numpy()].reset_index(drop=True)
    fen = (kept["amount"].str.replace(".", "", regex=False).astype("int64")).groupby(kept["line_id"]).sum()
    lines = lines.copy()
    lines["executed"] = _fen_text(lines["line_id"].map(fen).fillna(0).astype("int64").to_numpy())
    lines["carryover"] = _fen_text(np.zeros(len(lines), dtype="int64"))
    return lines, kept


def _add_firms(rng: np.random.Generator, rows: list[dict], taken_codes: set[str], taken_names: set[str],
               region_code: str, n: int, start: int = 1995, end: int = 2021) -> list[str]:
    """Append ``n`` invented enterprises of a district to ``rows``; returns the live ones' codes."""
    industries = list(rng.choice(INDUSTRIES, size=n, p=[0.3, 0.08, 0.22, 0.15, 0.15, 0.10]))
    codes = random_usccs(rng, region_code, n, taken_codes)
    names = company_names(rng, "广州", industries, taken_names)
    span = (dt.date(end, 12, 31) - dt.date(start, 1, 1)).days
    alive = []
    for code, name, industry in zip(codes, names, industries, strict=True):
        established = dt.date(start, 1, 1) + dt.timedelta(days=int(rng.integers(0, span)))
        status = "存续" if rng.random() > 0.03 else "注销"
        rows.append({"uscc": code, "name": name, "region_code": region_code, "industry": industry,
                     "established": established.isoformat(), "status": status})
        if status == "存续":
            alive.append(code)
    return alive


def _applications(rng: np.random.Generator, p: DepartmentProfile, r: RegistryTarget, alive: list[str]) -> list[dict]:
    """高企 (first applications, then re-certification three years on) and 专精特新 applications."""
    rows: list[dict] = []
    suffix = p.code.split("-")[-1]
    seq = {"SR": 0, "GQ": 0}

    def add(kind: str, uscc: str, year: int, program: str, result: str) -> None:
        seq[kind] += 1
        month, day = int(rng.integers(3, 10)), int(rng.integers(1, 28))
        rows.append({
            "application_id": f"{kind}{year}{suffix}{seq[kind]:05d}", "uscc": uscc, "program": program,
            "year": year, "department_code": p.code, "submitted": dt.date(year, month, day).isoformat(),
            "result": result,
        })

    latest = max([*r.hitech_first, *r.srdi], default=0)
    order = list(rng.permutation(alive))
    passed_in: dict[int, list[str]] = {}
    cursor = 0
    for year in sorted(r.hitech_first):
        firsts = order[cursor: cursor + r.hitech_first[year]]
        cursor += r.hitech_first[year]
        due = passed_in.get(year - 3, [])
        repeats = list(rng.permutation(due))[: r.hitech_repeat.get(year, 0)] if due else []
        passed_in[year] = []
        for uscc in [*firsts, *repeats]:
            pending = year == latest and rng.random() < 0.4
            result = "评审中" if pending else ("通过" if rng.random() < 0.78 else "未通过")
            if result == "通过":
                passed_in[year].append(uscc)
            add("GQ", uscc, year, PROGRAM_HITECH, result)
    for year in sorted(r.srdi):
        for uscc in rng.choice(alive, size=r.srdi[year], replace=False):
            pending = year == latest and rng.random() < 0.5
            result = "评审中" if pending else ("通过" if rng.random() < 0.6 else "未通过")
            add("SR", str(uscc), year, PROGRAM_SRDI, result)
    return rows


def _program_applications(profiles: list[DepartmentProfile], ent_rows: list[dict]) -> list[dict]:
    """Applications to the profiles' other programmes (``RegistryTarget.programs``), by live enterprises
    of the department's region. A generator of their own (seeded by the department code) keeps every
    other record as it was without them."""
    rows: list[dict] = []
    for p in profiles:
        if p.registry is None or not p.registry.programs:
            continue
        rng = np.random.default_rng(int.from_bytes(p.code.encode("utf-8"), "little") % 2**32)
        alive = sorted(r["uscc"] for r in ent_rows if r["region_code"] == p.region_code and r["status"] == "存续")
        suffix = p.code.split("-")[-1]
        for k, (program, by_year) in enumerate(sorted(p.registry.programs.items())):
            for year, count in sorted(by_year.items()):
                for n, uscc in enumerate(sorted(rng.choice(alive, size=count, replace=False))):
                    month, day = int(rng.integers(3, 10)), int(rng.integers(1, 28))
                    rows.append({
                        "application_id": f"QT{k + 1}{year}{suffix}{n + 1:05d}", "uscc": str(uscc),
                        "program": program, "year": year, "department_code": p.code,
                        "submitted": dt.date(year, month, day).isoformat(),
                        "result": "通过" if rng.random() < 0.7 else "未通过"})
    return rows


def build_registry(
    profiles: list[DepartmentProfile], rng: np.random.Generator, extra_firms_per_region: int = 120,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Enterprises of every district, and the applications and investments of the profiles."""
    taken_codes: set[str] = set()
    taken_names: set[str] = set()
    ent_rows: list[dict] = []
    for code, _ in GUANGZHOU_DISTRICTS:
        _add_firms(rng, ent_rows, taken_codes, taken_names, code, extra_firms_per_region)
    app_rows: list[dict] = []
    inv_rows: list[dict] = []
    for p in profiles:
        r = p.registry
        if r is None or not (r.firms or r.srdi or r.hitech_first or r.investments):
            continue  # no records of its own (other programmes' applications come below)
        alive = _add_firms(rng, ent_rows, taken_codes, taken_names, p.region_code, r.firms)
        app_rows += _applications(rng, p, r, alive)
        suffix = p.code.split("-")[-1]
        for i, inv in enumerate(sorted(r.investments, key=lambda v: (v.signed, v.name))):
            signed = dt.date(inv.signed, int(rng.integers(1, 12)), int(rng.integers(1, 28)))
            uscc, registered = "", ""
            if inv.registered is not None:
                earliest = max(signed + dt.timedelta(days=20), dt.date(inv.registered, 1, 4))
                latest_day = dt.date(inv.registered, 12, 28)
                span = max((latest_day - earliest).days, 1)
                reg_date = min(earliest + dt.timedelta(days=int(rng.integers(0, span))), latest_day)
                registered = reg_date.isoformat()
                uscc = random_usccs(rng, p.region_code, 1, taken_codes)[0]
                name = company_names(rng, "广州", ["制造业"], taken_names)[0]
                ent_rows.append({"uscc": uscc, "name": name, "region_code": p.region_code,
                                 "industry": "制造业", "established": registered, "status": "存续"})
            inv_rows.append({
                "project_id": f"ZS{inv.signed}{suffix}{i + 1:03d}", "department_code": p.code,
                "project_name": inv.name, "uscc": uscc, "signed": signed.isoformat(),
                "registered": registered, "agreed_investment": inv.investment_wan,
                "agreed_output": inv.output_wan,
            })
    app_rows += _program_applications(profiles, ent_rows)
    enterprises = pd.DataFrame(ent_rows).sort_values(["region_code", "uscc"]).reset_index(drop=True)
    applications = pd.DataFrame(app_rows, columns=[c.name for c in APPLICATIONS.columns])
    applications = applications.sort_values(["year", "application_id"]).reset_index(drop=True)
    investments = pd.DataFrame(inv_rows, columns=[c.name for c in INVESTMENT_PROJECTS.columns])
    return enterprises, applications, investments


def build_statistics(target: StatisticsTarget, rng: np.random.Generator) -> pd.DataFrame:
    """R&D by industry, 规上工业总产值 and 规上工业增加值 for every district and year."""
    rows = []
    for region_code, region_name in GUANGZHOU_DISTRICTS:
        fixed = target.rd.get(region_code, {})
        base_rd = {ind: float(rng.uniform(2_000, 60_000)) for ind in RD_INDUSTRIES}
        output = float(rng.uniform(300, 4_000))
        for year in target.years:
            rd_year = {}
            for ind in RD_INDUSTRIES:
                if year in fixed and ind in fixed[year]:
                    rd_year[ind] = fixed[year][ind]
                else:
                    base_rd[ind] *= float(rng.uniform(0.95, 1.25))
                    rd_year[ind] = f"{base_rd[ind]:.2f}"
            total = sum(float(v) for v in rd_year.values())
            for ind, v in [*rd_year.items(), (INDUSTRY_ALL, f"{total:.2f}")]:
                rows.append((region_code, region_name, year, "RD_EXP", "R&D经费内部支出", ind, v, "万元"))
            output *= float(rng.uniform(0.97, 1.12))
            added = output * float(rng.uniform(0.22, 0.3))
            rows.append((region_code, region_name, year, "GIOV", "规模以上工业总产值", INDUSTRY_ALL,
                         f"{output:.2f}", "亿元"))
            rows.append((region_code, region_name, year, "IVA", "规模以上工业增加值", INDUSTRY_ALL,
                         f"{added:.2f}", "亿元"))
            for (code, name, unit, region), values in sorted(target.extra.items()):
                if region == region_code and year in values:
                    rows.append((region_code, region_name, year, code, name, INDUSTRY_ALL, values[year], unit))
    return pd.DataFrame(rows, columns=[c.name for c in INDICATORS.columns])


def build_landing_zone(
    profiles: list[DepartmentProfile], statistics: StatisticsTarget, seed: int, extra_firms_per_region: int = 120,
) -> LandingZone:
    rng = np.random.default_rng(seed)
    enterprises, applications, investments = build_registry(profiles, rng, extra_firms_per_region)
    indicators = build_statistics(statistics, rng)
    targets, assessed = {}, {}
    for p in profiles:
        for year, rows in sorted(p.targets.items()):
            targets[year, p.code] = pd.DataFrame([
                {"department_code": p.code, "level1": t.level1, "level2": t.level2, "indicator": t.indicator,
                 "nature": t.nature, "target": t.target, "unit": t.unit, "weight": t.weight,
                 "actual_source": t.source} for t in rows])
            assessed[year, p.code] = pd.DataFrame([
                {"department_code": p.code, "indicator": t.indicator, "actual": t.actual or "",
                 "deviation": t.deviation or "", "evidence": t.evidence or ""}
                for t in rows if t.actual is not None or t.deviation is not None],
                columns=["department_code", "indicator", "actual", "deviation", "evidence"])
    project_files = {(year, p.code): project_frames(p.code, rows) for p in profiles
                     for year, rows in sorted(p.projects.items())}
    for p in profiles:
        for name, by_year in (("monitoring", p.monitoring), ("rectification", p.rectification)):
            for year, entries in sorted(by_year.items()):
                project_files.setdefault((year, p.code), {})[name] = pd.DataFrame(
                    [{"department_code": p.code, **e} for e in entries])
    departments = [
        {"department_code": p.code, "department_name": p.name, "region_code": p.region_code,
         "region_name": p.region_name, "synthetic": "是" if p.synthetic else "否"}
        for p in profiles
    ]
    return LandingZone(departments, _finance(profiles, enterprises, rng), indicators, enterprises, applications,
                       investments, targets, assessed, project_files)


def _finance(profiles: list[DepartmentProfile], enterprises: pd.DataFrame,
             rng: np.random.Generator) -> Iterator[DepartmentFinance]:
    """Each department-year's finance files in profile order, drawn from ``rng`` after the registry and
    the statistics (so a zone's files do not depend on how it is written)."""
    suppliers = enterprises[
        enterprises["industry"].isin(["信息传输、软件和信息技术服务业", "租赁和商务服务业", "科学研究和技术服务业"])
    ]["name"].tolist()
    grantees_of: dict[str, list[str]] = {}
    for p in profiles:
        if p.region_code not in grantees_of:
            grantees_of[p.region_code] = enterprises.loc[enterprises["region_code"] == p.region_code, "name"].tolist()
        for year, target in sorted(p.finance.items()):
            if target.through is None:
                yield DepartmentFinance(year, p.code, *build_finance(p, year, target, rng, suppliers,
                                                                     grantees_of[p.region_code]))
                continue
            # An open year draws from a generator of its own, so that adding one changes no other file.
            own = np.random.default_rng(int.from_bytes(f"{p.code}/{year}".encode(), "little") % 2**32)
            lines, payments, _ = build_finance(p, year, target, own, suppliers, grantees_of[p.region_code])
            yield DepartmentFinance(year, p.code, *open_year(target, lines, payments), None)


def write_csv(frame: pd.DataFrame, dataset: Dataset, path: Path, headers: str = "label") -> None:
    """Write ``frame`` with the contract's Chinese labels (or canonical names) as headers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [c for c in dataset.columns if c.name in frame.columns]
    out = frame[[c.name for c in cols]]
    out.columns = [c.label if headers == "label" else c.name for c in cols]
    out.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def write_landing_zone(zone: LandingZone, root: Path) -> None:
    write_csv(pd.DataFrame(zone.departments), DEPARTMENTS, root / "finance" / "departments.csv")
    for part in zone.finance:
        year, code = part.year, part.code
        base = root / "finance" / str(year) / code
        write_csv(part.budget_lines, BUDGET_LINES, base / "budget_lines.csv")
        write_csv(part.payments, PAYMENTS, base / "payments.csv")
        if part.summary is not None:
            write_csv(part.summary, SUMMARY, base / "summary.csv")
        if (year, code) in zone.targets:
            write_csv(zone.targets[year, code], TARGETS, base / "targets.csv")
        if (year, code) in zone.self_assessment and len(zone.self_assessment[year, code]):
            write_csv(zone.self_assessment[year, code], SELF_ASSESSMENT, base / "self_assessment.csv")
        for name, frame in zone.project_files.get((year, code), {}).items():
            if len(frame):
                write_csv(frame, DATASETS[name], base / f"{name}.csv")
    write_csv(zone.indicators, INDICATORS, root / "statistics" / "indicators.csv")
    write_csv(zone.enterprises, ENTERPRISES, root / "registry" / "enterprises.csv")
    write_csv(zone.applications, APPLICATIONS, root / "registry" / "applications.csv")
    write_csv(zone.investment_projects, INVESTMENT_PROJECTS, root / "registry" / "investment_projects.csv")
