"""A synthetic city for benchmarks and scale tests: many departments, large ledgers, planted faults.

``selfeval synth --out DIR --departments 60 --payments 1000000 --enterprises 200000 --fault-rate 0.1``
writes a landing zone in the data contract's layout (finance, statistics, registry, narrative),
reproducible from its seed. With a fault rate, that share of departments gets one known fault, and
``expected_faults.csv`` says which rules must refuse which department.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tasks.domain import FUND_SOURCE_NAMES
from tasks.synth.generator import (
    GUANGZHOU_DISTRICTS,
    DepartmentProfile,
    FinanceTarget,
    Investment,
    PerformanceTarget,
    ProjectAssessment,
    ProjectIndicator,
    RegistryTarget,
    StatisticsTarget,
    build_landing_zone,
    write_landing_zone,
)

DEPARTMENT_KINDS = ("科技工业和信息化局", "商务局", "文化广电旅游体育局", "发展和改革局", "住房和建设局", "卫生健康局",
                    "教育局", "民政局", "交通运输局", "生态环境分局")
PROJECT_WORDS = ("专项资金", "工作经费", "扶持资金", "运行保障经费", "建设经费", "补助资金")
FAULTS = {
    "over_budget": ("FIN-001",),  # on a line with nothing carried over: FIN-002 has nothing to say
    "ledger_gap": ("REC-003",),
    "duplicate_voucher": ("FIN-004", "REC-003"),
    "out_of_year": ("FIN-005",),
}


# Twice the default ledger tolerance (0.01 万元 = 100 元): a duplicated payment this large trips REC-003.
# The expected rule hits assume the default tolerance.
LEDGER_BREAK_YUAN = 200


@dataclass(frozen=True)
class CitySpec:
    departments: int = 60
    years: tuple[int, ...] = (2022,)
    payments: int = 1_000_000  # across all departments and years
    enterprises: int = 20_000
    fault_rate: float = 0.0
    seed: int = 7


def _profiles(spec: CitySpec, rng: np.random.Generator) -> list[DepartmentProfile]:
    weights = rng.lognormal(0, 0.5, spec.departments)
    per_department = np.maximum(200, (spec.payments / len(spec.years) * weights / weights.sum()).astype(int))
    profiles = []
    for i in range(spec.departments):
        region_code, region_name = GUANGZHOU_DISTRICTS[i % len(GUANGZHOU_DISTRICTS)]
        kind = DEPARTMENT_KINDS[(i // len(GUANGZHOU_DISTRICTS)) % len(DEPARTMENT_KINDS)]
        code = f"{region_code}-D{i + 1:03d}"
        projects = [(f"{kind[:2]}{j + 1:02d}号{PROJECT_WORDS[j % len(PROJECT_WORDS)]}",
                     "subsidy" if j % 3 == 0 else "service") for j in range(int(rng.integers(8, 30)))]
        finance = {}
        for year in spec.years:
            basic = int(rng.integers(5_000_000, 40_000_000)) * 100
            project = int(rng.integers(10_000_000, 150_000_000)) * 100
            unspent = int(rng.integers(0, 2_000_000)) * 100
            sources = {FUND_SOURCE_NAMES[0]: 0.8, FUND_SOURCE_NAMES[1]: 0.1, FUND_SOURCE_NAMES[3]: 0.1}
            # the generator pays basic-expense lines monthly (12 payments each) and spreads the target
            # over the rest in proportion to all execution: scale it so the ledger comes out near target
            payments = int(per_department[i] * (basic + project) / project)
            finance[year] = FinanceTarget(budget=basic + project + unspent, basic_executed=basic,
                                          project_executed=project, carryover=unspent // 2, fund_sources=sources,
                                          projects=projects, payments=payments)
        registry = None
        if i % 3 == 0:  # a third of departments handle applications and investment projects
            first_year = min(spec.years)
            registry = RegistryTarget(
                srdi={y: int(rng.integers(10, 60)) for y in spec.years},
                hitech_first={y: int(rng.integers(10, 40)) for y in range(first_year - 3, max(spec.years) + 1)},
                investments=[Investment(y, y, f"{rng.integers(1000, 50000)}.00", f"{rng.integers(1000, 80000)}.00",
                                        f"{region_name}招商项目{y}-{k + 1}") for y in spec.years for k in range(3)],
                firms=max(200, spec.enterprises // max(1, spec.departments // 3) // 2))
        targets = {year: performance_targets(rng, registry is not None, year) for year in spec.years}
        # each 项目支出 project's 绩效目标 and (four in five) its 绩效自评, from a generator of their own: the
        # ledgers and the rest of the city stay as they were before the projects came
        own = np.random.default_rng([spec.seed, i, 29])
        assessed = {year: [project_assessment(own, f"XM{year % 100:02d}{j + 1:03d}", name)
                           for j, (name, _) in enumerate(projects)] for year in spec.years}
        profiles.append(DepartmentProfile(code, f"广州市{region_name}{kind}（模拟{i + 1:03d}）", region_code,
                                          region_name, True, finance, registry, targets, assessed))
    return profiles


def project_assessment(rng: np.random.Generator, code: str, name: str) -> ProjectAssessment:
    """A project's 绩效目标 (分值 90: 产出 50, 效益 30, 满意度 10) and, four times in five, its 绩效自评."""
    done = rng.random() < 0.8
    count, rate, time = int(rng.integers(5, 40)), int(rng.integers(85, 101)), int(rng.integers(10, 40))
    grade = str(rng.choice(["达成", "达成", "部分达成", "未达成"]))
    indicators = [
        ProjectIndicator("产出指标", "数量指标", "服务对象数", "≥", str(count), "个", "25",
                         str(int(count * rng.uniform(0.7, 1.6))) if done else None),
        ProjectIndicator("产出指标", "质量指标", "验收合格率", "=", "100", "%", "15", str(rate) if done else None,
                         deviation="部分事项整改后验收" if done and rate < 100 else None),
        ProjectIndicator("产出指标", "时效指标", "平均办理时长", "≤", "30", "天", "10", str(time) if done else None),
        ProjectIndicator("效益指标", "社会效益指标", "项目实施成效", "定性", "明显提升", "", "30",
                         grade if done else None),
        ProjectIndicator("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", "10",
                         str(int(rng.integers(80, 100))) if done else None),
    ]
    return ProjectAssessment(code, indicators, implementer="本部门", manager="项目负责科室",
                             goal=f"完成{name}年度任务。", achieved="按计划实施。", conclusion="基本完成年度目标。",
                             assessed=done)


def performance_targets(rng: np.random.Generator, has_registry: bool, year: int) -> list[PerformanceTarget]:
    """A department-year's 绩效目标 and 绩效自评 as the default profile scores them (产出 50, 效益 30, 满意度 10,
    with the funds block's 10): a computed 支付进度, reported counts, a 定性 target and a 满意度, and, for a
    department handling applications, the registry's counts."""
    done = int(rng.integers(8, 16))
    rows = [
        PerformanceTarget("产出指标", "时效指标", "四季度末支付进度", "≥", "95", "%", "20", "paid_q4"),
        PerformanceTarget("产出指标", "数量指标", "完成重点项目数", "≥", "10", "个", "15", "reported",
                          actual=str(done), deviation=None if done >= 10 else "部分项目前期手续办理滞后。",
                          evidence=f"{year}年重点项目台账"),
        PerformanceTarget("产出指标", "质量指标", "项目验收合格情况", "定性", "全部通过验收", "", "15", "reported",
                          actual="达成", evidence=f"{year}年项目验收报告"),
    ]
    if has_registry:
        rows += [PerformanceTarget("效益指标", "经济效益指标", "省级“专精特新”申报企业数", "≥", "20", "家", "15",
                                   "srdi_applicants"),
                 PerformanceTarget("效益指标", "经济效益指标", "新签约招商项目数", "≥", "3", "个", "15",
                                   "signed_projects")]
    else:
        served = int(rng.integers(900, 1400))
        rows += [PerformanceTarget("效益指标", "社会效益指标", "服务群众人次", "≥", "1000", "人次", "15", "reported",
                                   actual=str(served), evidence=f"{year}年服务登记台账"),
                 PerformanceTarget("效益指标", "可持续影响指标", "长效管理机制建立情况", "定性", "建立并运行",
                                   "", "15", "reported", actual="部分达成", deviation="制度已建立，运行尚需磨合。")]
    rows.append(PerformanceTarget("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", "10",
                                  "reported", actual=str(int(rng.integers(88, 99))),
                                  evidence=f"{year}年满意度问卷调查汇总表"))
    return rows


def narrative(profile: DepartmentProfile, year: int) -> dict[str, object]:
    has_registry = profile.registry is not None
    achievements = ("全年预算执行率 {{ execution_rate }}%，项目支出 {{ expense_PROJECT }} 万元。" +
                    ("全年省级“专精特新”申报企业 {{ srdi_applicants }} 家，新签约项目 {{ signed_projects }} 个。"
                     if has_registry else ""))
    return {
        "department": profile.code, "year": year,
        "functions": [f"负责{profile.region_name}相关领域的政策执行与公共服务。（模拟数据）"],
        "goals": ["按计划完成年度重点工作任务。"],
        "key_tasks": ["落实年度预算，推进重点项目。"],
        "conclusion": {"summary": "各重点工作任务基本完成"},
        "task_analysis": "{{ year }} 年本部门按计划推进各项工作。",
        "achievements": achievements,
        "problems": ["一是预算执行进度有待均衡。"],
        "measures": [{"heading": "加强预算管理，围绕执行进度持续发力", "text": "一是加强项目前期论证。"}],
    }


def _plant(zone_root: Path, profiles: list[DepartmentProfile], spec: CitySpec,
           rng: np.random.Generator) -> list[dict[str, object]]:
    """Plant one fault in a share of department-years; returns the expected rule hits."""
    expected: list[dict[str, object]] = []
    kinds = list(FAULTS)
    chosen = [p for p in profiles if rng.random() < spec.fault_rate]
    for n, profile in enumerate(chosen):
        year = spec.years[-1]
        kind = kinds[n % len(kinds)]
        folder = zone_root / "finance" / str(year) / profile.code
        if kind == "over_budget":
            path = folder / "budget_lines.csv"
            lines = pd.read_csv(path, dtype=str, keep_default_na=False)
            i = int(lines.index[(lines["支出性质"] == "项目支出")
                                & (lines["年末结转和结余"].map(Decimal) == 0)][0])
            old = Decimal(lines.loc[i, "全年预算数"])
            new = Decimal(lines.loc[i, "全年执行数"]) - 1000
            lines.loc[i, "全年预算数"] = f"{new:.2f}"
            lines.to_csv(path, index=False, lineterminator="\n")
            summary_path = folder / "summary.csv"
            summary = pd.read_csv(summary_path, dtype=str, keep_default_na=False)
            for item in ("合计", lines.loc[i, "资金来源"], "项目支出"):  # the totals follow, so only the line is wrong
                hit = summary["项目"] == item
                summary.loc[hit, "全年预算数"] = summary.loc[hit, "全年预算数"].map(
                    lambda v, cut=old - new: f"{Decimal(v) - cut:.2f}")
            summary.to_csv(summary_path, index=False, lineterminator="\n")
            row: int | str = i + 2
        else:
            path = folder / "payments.csv"
            pay = pd.read_csv(path, dtype=str, keep_default_na=False)
            if kind == "duplicate_voucher":
                # the copy must also break its line's ledger sum (REC-003) beyond the default tolerance
                big = pay.index[pd.to_numeric(pay["支付金额"]) >= LEDGER_BREAK_YUAN]
                i = int(big[rng.integers(0, len(big))])
            else:
                i = int(rng.integers(0, len(pay)))
            row = i + 2
            if kind == "ledger_gap":
                pay.loc[i, "支付金额"] = f"{float(pay.loc[i, '支付金额']) + 1000:.2f}"
            elif kind == "duplicate_voucher":
                row = f"{i + 2};{len(pay) + 2}"  # the original and its copy, appended at the end
                pay = pd.concat([pay, pay.iloc[[i]]], ignore_index=True)
            else:
                pay.loc[i, "支付日期"] = f"{year - 1}-12-31"
            pay.to_csv(path, index=False, lineterminator="\n")
        expected.append({"department_code": profile.code, "year": year, "fault": kind,
                         "rules": ";".join(FAULTS[kind]), "file": str(path.relative_to(zone_root)), "row": row})
    return expected


def build_city(root: Path, spec: CitySpec) -> list[dict[str, object]]:
    rng = np.random.default_rng(spec.seed)
    profiles = _profiles(spec, rng)
    zone = build_landing_zone(profiles, StatisticsTarget(years=tuple(range(min(spec.years) - 2,
                                                                           max(spec.years) + 1))),
                              spec.seed, extra_firms_per_region=max(10, spec.enterprises // 22))
    write_landing_zone(zone, root)
    for profile in profiles:
        for year in spec.years:
            path = root / "narrative" / str(year) / f"{profile.code}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(narrative(profile, year), allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    expected = _plant(root, profiles, spec, rng)
    with (root / "expected_faults.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["department_code", "year", "fault", "rules", "file", "row"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(expected)
    return expected
