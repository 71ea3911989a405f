"""The run as plain functions: choose departments, assemble staged data, decide per department.

The Prefect flow sequences these; tests call them directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

from tasks import glossary as gl
from tasks.addresses import without_server_paths
from tasks.progress import RunProgress
from tasks.quality.gate import QualityReport
from tasks.quality.rules import INPUT_RULE
from tasks.quality.rundb import INDICATOR_UNITS, RunDatabase
from tasks.quality.views import RunData
from tasks.report.narrative import narrative_files, narrative_index
from tasks.settings import EXPECTATIONS_DIR, PROJECT_ROOT, TEMPLATES_DIR, Settings
from tasks.sources.base import ABSENT, Source
from tasks.sources.errors import Problem
from tasks.sources.extract import Extracted
from tasks.sources.raw import sha256_file
from tasks.warehouse.metrics import Registry

if TYPE_CHECKING:
    from tasks.report.build import Rendered
    from tasks.report.monitoring import Monitoring

K = TypeVar("K")
V = TypeVar("V")


class UsageError(ValueError):
    """Bad parameters: an unknown department, a year with no data. The CLI exits 2."""


def check_configuration(settings: Settings) -> None:
    """What a run reads besides its sources, checked before anything loads: the landing zone's folder
    (``settings.source``, unless every source has its own location), the output folder, and the reviewed
    files: the metric registry, the scoring profile, the monitoring rules, the projects' profile and the
    双监控's lights (``settings.metrics_registry`` … ``settings.monitoring_lights``).

    Raises :class:`UsageError` naming the file and what is wrong in it (a missing file, YAML that does
    not parse, an unknown key, a metric naming a column that does not exist), so that the CLI exits 2
    with one line rather than a department's task failing with a traceback.
    """
    import yaml

    from tasks.report.lights import load_lights
    from tasks.report.monitoring import load_rules
    from tasks.report.projects import load_project_profile
    from tasks.report.score import load_profile
    from tasks.warehouse.metrics import load_registry

    root = Path(settings.source)  # the landing zone, unless every source is given its own location
    if not root.is_dir() and not all(getattr(settings, f"{name}_source") for name in ("finance", "statistics",
                                                                                       "registry")):
        raise UsageError(f"数据目录不存在（no such folder）：{root}；请检查 --source 或 SELFEVAL_SOURCE")
    sources = ("finance", "statistics", "registry")
    for name in sources:  # a source given its own folder (--finance DIR), mistyped: not every department refused
        own = getattr(settings, f"{name}_source")
        if own and "://" not in own and not Path(own).is_dir():
            raise UsageError(f"{gl.source(name)}目录不存在（no such folder）：{own}；请检查 --{name} 或 "
                             f"SELFEVAL_{name.upper()}_SOURCE")
    defaults = [name for name in sources if not getattr(settings, f"{name}_source")]
    if defaults and root.is_dir() and not any((root / name).is_dir() for name in defaults):
        folders = "、".join(f"{name}/" for name in defaults)
        raise UsageError(f"数据目录 {root} 中没有 {folders}（the folder holds none of {', '.join(defaults)}）："
                         "--source 应指向含这些目录的 landing zone 本身，而不是其中的某个目录")
    if settings.narrative_dir and not Path(settings.narrative_dir).is_dir():  # given, and mistyped
        raise UsageError(f"文字材料目录不存在（no such folder）：{settings.narrative_dir}；请检查 --narrative 或 "
                         "SELFEVAL_NARRATIVE_DIR")
    if not Path(settings.report_config).is_file():
        raise UsageError(f"报告选项文件不存在（no such file）：{settings.report_config}；请检查 SELFEVAL_REPORT_CONFIG")
    out = Path(settings.output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出目录是一个文件（the output folder is a file）：{out}；"
                         "请检查 --out 或 SELFEVAL_OUTPUT_DIR")
    checked: tuple[tuple[str, Path, Callable[[Path], object]], ...] = (
        (gl.both("指标库", "metric registry"), settings.metrics_registry, load_registry),
        (gl.both("评分方案", "scoring profile"), settings.scoring_profile, load_profile),
        (gl.both("监控规则", "monitoring rules"), settings.monitoring_rules, load_rules),
        (gl.both("项目评分方案", "project profile"), settings.project_profile, load_project_profile),
        (gl.both("亮灯规则", "monitoring lights"), settings.monitoring_lights, load_lights))
    for what, path, load in checked:
        try:
            load(path)
        except FileNotFoundError:
            raise UsageError(f"{what} {path}：文件不存在（no such file）") from None
        except yaml.YAMLError as exc:
            said = " ".join(str(exc).split())
            raise UsageError(f"{what} {path}：不是有效的 YAML（not valid YAML: {said}）") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = " ".join(str(exc).split())
            raise UsageError(f"{what} {path}：内容有误（{message}）") from None


LISTED_CODES = 10  # department codes a failure line names for one reason; the run artifact lists them all


class DataRefused(Exception):
    """Some department-year was refused: a fatal data-quality rule failed or an input is malformed.

    Carries the run summary; the CLI exits 3 and the flow run ends Failed with this message.
    """

    def __init__(self, summary: RunSummary):
        self.summary = summary
        super().__init__(summary.failure_message())


class RunOutOfMemory(Exception):
    """The run database (DuckDB) could not work within ``run_memory_limit`` in one of the run's stages: said in
    one line naming the stage, the setting and its value, not a traceback. Nothing was promoted (promotion is
    one transaction). The flow run ends Failed with this message and the CLI exits 1."""


class ReportsNotRendered(Exception):
    """Some loaded department-year's report could not be rendered (an error, not the data's fault).

    Carries the run summary; the flow run ends Failed with this message and the CLI exits 1.
    """

    def __init__(self, summary: RunSummary):
        self.summary = summary
        super().__init__("报告未能生成（report not rendered）：" + "；".join(
            f"{o.department_code} {summary.year}: {'; '.join(o.reasons)}" for o in summary.failed))


# The outcomes whose department-year has a report in the warehouse's mart_score as of this run.
RENDERED = ("loaded", "draft", "skipped")
REPORT_IN_FORMS = 3  # a department's report renders in about the time of three project forms (bench_city's profile)


@dataclass
class DepartmentOutcome:
    department_code: str
    # loaded: data loaded, report final; draft: data loaded, report a 草稿 (``missing`` names what the
    # department has still to submit); skipped: unchanged since the last run; refused: nothing loaded;
    # failed: data loaded, its report could not be rendered (an error, not the data's fault)
    status: str
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    warnings: int = 0
    reports: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    score: str = ""  # a final report's 总分 and 等级 ("93.50 优秀"); empty for a 草稿 and the rest
    projects: str = ""  # its projects' 自评 in one line ("10 个项目：已自评 2，…"); empty without projects
    input_warnings: int = 0  # of ``warnings``, those of its input files (rule INPUT), not of a rule: not on the page

    @property
    def rule_warnings(self) -> int:
        """Its warnings from the data-quality rules, which the run's data-quality page lists."""
        return self.warnings - self.input_warnings


@dataclass
class MonitoringSummary:
    """A run's in-year monitoring, as its summary, the CLI and ``ops_run`` keep it: 支付进度 per department
    ("48.47%", "—" without a budget) and 序时进度 ("50.00") as of ``as_of``, the findings of lagging
    departments, and which of them have been told by a lag alert at this as_of."""

    as_of: str
    time_progress: str
    paid: dict[str, str] = field(default_factory=dict)
    lagging: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # payments after the data's date, departments without data
    told: list[str] = field(default_factory=list)  # departments a lag alert was delivered for, at this as_of
    red: dict[str, list[str]] = field(default_factory=dict)  # the 双监控's red items by department, in words
    # the red items (tasks.report.monitoring.light_key) a red-light alert was delivered for, by department
    told_lights: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, m: Monitoring) -> MonitoringSummary:
        from tasks.report import formatting as fmt

        return cls(m.as_of.isoformat(), fmt.percent(m.time, 2),
                   {r.department_code: "—" if r.rate is None else f"{fmt.percent(r.rate, 2)}%" for r in m.totals},
                   {code: [f"{f.rule.rule_id} {f.text}" for f in found] for code, found in m.flagged().items()},
                   [note for note in m.notes() if note])


@dataclass
class RunSummary:
    year: int
    run_id: str
    outcomes: list[DepartmentOutcome] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for operators and benchmarks
    data_docs: str | None = None  # the run's Great Expectations Data Docs site
    quality_page: str | None = None  # the run's data-quality page: every rule, failing first, offline
    monitoring: MonitoringSummary | None = None  # an open year's 支付进度 against 序时进度
    reviews: list[dict[str, str]] = field(default_factory=list)  # review: true: this run's decisions
    projects: list[str] = field(default_factory=list)  # the departments' projects summed up (Markdown lines)

    @property
    def refused(self) -> list[DepartmentOutcome]:
        return [o for o in self.outcomes if o.status == "refused"]

    @property
    def failed(self) -> list[DepartmentOutcome]:
        """Department-years loaded whose report could not be rendered."""
        return [o for o in self.outcomes if o.status == "failed"]

    def as_dict(self) -> dict[str, object]:
        return {"year": self.year, "run_id": self.run_id, "timings": self.timings,
                "departments": {o.department_code: o.status for o in self.outcomes},
                "missing": {o.department_code: o.missing for o in self.outcomes if o.missing},
                **({"monitoring": dataclasses.asdict(self.monitoring)} if self.monitoring else {}),
                **({"reviews": self.reviews} if self.reviews else {})}

    def failure_message(self) -> str:
        """One line for the flow run's end and the alert: the refused department-years by what refused them
        (the rules that failed, or the first problem with their inputs), departments refused for the same
        thing together (a broken shared source refuses every department for one reason), at most
        ``LISTED_CODES`` codes of each shown; and how many others were loaded."""
        why: dict[str, list[str]] = {}
        for o in self.refused:
            why.setdefault("、".join(o.rules) if o.rules else "；".join(o.reasons[:1]), []).append(o.department_code)
        parts = []
        for what, codes in why.items():
            shown = "、".join(codes[:LISTED_CODES])
            if len(codes) > LISTED_CODES:
                shown += f" 等 {len(codes)} 个部门（{len(codes)} departments）"
            parts.append(f"{shown} {self.year}: {what}")
        loaded = sum(1 for o in self.outcomes if o.status in ("loaded", "draft", "failed"))
        others = f"；其余 {loaded} 个部门已入库（{loaded} others loaded）" if loaded else ""
        return f"{gl.ALERT_REFUSED}（data refused, not loaded）：" + "；".join(parts) + others


class Clock:
    """Wall-clock seconds per stage of a run (``lap``), and summed seconds of parallel work (``add``)."""

    def __init__(self) -> None:
        self._now = time.perf_counter
        self._start = self._last = self._now()
        self.timings: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = self._now()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self._last, 3)
        self.timings["total"] = round(now - self._start, 3)
        self._last = now

    def add(self, stage: str, seconds: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + seconds, 3)


def waiting_for(previous: dict[str, str], last_run: dict[str, str]) -> list[str]:
    """The departments whose previous-year report the night still waits for: not final, and not found with
    no data for that year by its latest run ("no data yet": new since, say).

    ``previous``: every department of the catalogue → its previous-year report, "final", "draft" or "none"
    (:func:`~tasks.warehouse.queries.report_status`); ``last_run``: each department's status in the latest
    run of the previous year (:func:`~tasks.warehouse.runs.last_statuses`)."""
    return sorted(code for code, status in previous.items()
                  if status != "final" and last_run.get(code) != "no data yet")


def nightly_years(night: dt.date, previous: dict[str, str], last_run: dict[str, str]) -> list[int]:
    """The years one night processes, oldest first: the previous year while :func:`waiting_for` names a
    department, then the current year (for in-year monitoring, and to load its ledger so far)."""
    return [night.year - 1, night.year] if waiting_for(previous, last_run) else [night.year]


def resolve_departments(available: pd.DataFrame, requested: list[str] | None) -> list[str]:
    codes = list(available["department_code"])
    if not requested:
        return codes
    unknown = [c for c in requested if c not in codes]
    if unknown:
        raise UsageError(f"没有这个部门编码（unknown department code）：{'、'.join(unknown)}；"
                         f"已有（known）：{'、'.join(codes)}")
    return list(dict.fromkeys(requested))


def indicator_units(registry: Registry) -> pd.DataFrame:
    """Each 指标代码 the report's metrics sum over the statistics (``fct_indicator_value``), with the 行业 a metric
    reads of it (None: any) and the unit it reads it in (``indicator_code``, ``industry``, ``unit``): what STA-004
    holds the statistics' 计量单位 to, since a metric sums the values as written (RETAIL in 万元 read as 亿元 was 10,000
    times too large, the growth still right)."""
    found: set[tuple[str, str, str]] = set()  # (code, industry or "" for any, unit)
    for m in registry.metrics.values():
        if m.kind == "sum" and m.table == "fct_indicator_value" and m.unit and "indicator_code" in m.filters:
            codes, industries = m.filters["indicator_code"], m.filters.get("industry", "")
            found.update((str(code), str(industry), m.unit) for code in (codes if isinstance(codes, list) else [codes])
                         for industry in (industries if isinstance(industries, list) else [industries]))
    ordered = sorted(found)
    return pd.DataFrame({"indicator_code": pd.Series([c for c, _, _ in ordered], dtype="str"),
                         "industry": pd.Series([i or None for _, i, _ in ordered], dtype="str"),
                         "unit": pd.Series([u for _, _, u in ordered], dtype="str")})


def assemble(year: int, departments: pd.DataFrame, chosen: list[str], *extracted: Extracted,
             staged: RunDatabase | None = None, units: pd.DataFrame | None = None) -> RunData:
    """One :class:`RunData` of the chosen departments that still have all their inputs; ``staged`` is
    the run database the sources were appended to, when they were (see ``extract_finance`` and
    ``extract_shared``); ``units``: :func:`indicator_units`, for STA-004."""
    failed = {p.department for e in extracted for p in e.problems if p.department}
    keep = [c for c in chosen if c not in failed]
    frames: dict[str, pd.DataFrame] = {}
    for e in extracted:
        frames.update(e.frames)
    deps = departments[departments["department_code"].isin(keep)].reset_index(drop=True)
    # departments whose year is open (no 决算总表 yet): the rules of a closed year's 决算 do not apply
    open_years = sorted(c for e in extracted for c in keep if e.open_year(c))
    frames["open_departments"] = pd.DataFrame({"department_code": pd.Series(open_years, dtype="string")})
    if units is not None:
        frames[INDICATOR_UNITS] = units
    if staged is not None:
        staged.flush()  # the parts still waiting go into the database, and out of memory
    return RunData(year=year, departments=deps, frames=frames, staged=staged)


def shared_problems(*extracted: Extracted) -> list[Problem]:
    """The problems of the inputs every department reads (no department's own: statistics, registry): each refuses
    every department, and none is the department's to mend."""
    return [p for e in extracted for p in e.problems if p.department is None]


def input_problems(chosen: list[str], *extracted: Extracted) -> dict[str, list[str]]:
    """Errors per department, as messages: its own inputs' problems and any shared input's."""
    out: dict[str, list[str]] = {c: [str(p) for p in shared_problems(*extracted)] for c in chosen}
    for e in extracted:
        for p in e.problems:
            if p.department in out:
                out[p.department].append(str(p))
    return {c: ps for c, ps in out.items() if ps}


def input_warnings(chosen: list[str], *extracted: Extracted) -> dict[str, list[str]]:
    """Warnings about inputs (an ignored unknown column, say), per department that read them."""
    out: dict[str, list[str]] = {c: [] for c in chosen}
    for e in extracted:
        for w in e.warnings:
            for code in ([w.department] if w.department in out else chosen if w.department is None else []):
                out[str(code)].append(str(w))
    return {c: ws for c, ws in out.items() if ws}


def report_notes(warnings: list[str], results: list[tuple[str, str, int, str]],
                 roots: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """The notes of a report's 数据质量说明: input warnings, then rule warnings (id, label, rows,
    example), each said once, naming files relative to the landing zone, never the server's paths."""
    notes = [(INPUT_RULE, gl.INPUT_NOTE, 1, w) for w in warnings] + list(results)
    out: list[tuple[str, str, int, str]] = []
    for rule_id, label, rows, example in notes:
        note = (rule_id, label, rows, without_server_paths(example, roots))
        if note not in out:
            out.append(note)
    return out


@dataclass
class Decision:
    """What happens to one department-year after the gate: refused (``outcome`` says why), or loaded
    with these notes in its report's 数据质量说明 (rule id, label, failing rows, example)."""

    department_code: str
    outcome: DepartmentOutcome | None = None
    notes: list[tuple[str, str, int, str]] = field(default_factory=list)
    log: str = ""

    @property
    def refused(self) -> bool:
        return self.outcome is not None


def decide(code: str, year: int, problems: list[str], report: QualityReport, warnings: list[str],
           roots: dict[str, str]) -> Decision:
    """The policy, as one pure function: a department-year with an input problem (a malformed file, a
    missing narrative) is refused on input; else one that fails a fatal rule (or a rule that could not
    be evaluated) is refused by the gate; else it is loaded, its report noting the input warnings and
    the warning rules that failed, in files named relative to the landing zone (``roots``)."""
    if problems:
        return Decision(code, DepartmentOutcome(code, "refused", problems),
                        log=f"{code} {year} 未通过校验（refused）：{'；'.join(problems)}")
    if report.blocked(code):
        rules, reasons = quality_outcome(report, code)
        return Decision(code, DepartmentOutcome(code, "refused", reasons, rules, len(report.warnings(code))),
                        log=f"{code} {year} 未通过数据质量规则（refused by rules）：{'；'.join(reasons)}")
    failed = [(r.rule.rule_id, r.rule.label, r.failing_count, r.example()) for r in report.warnings(code)]
    return Decision(code, notes=report_notes(warnings, failed, roots))


@dataclass
class Plan:
    """What a run will do, decided before any data is read: its departments (``chosen``, in order), their
    input fingerprints, and those skipped as unchanged since the run that loaded them."""

    year: int
    run_id: str
    code_version: str
    chosen: list[str]
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # department → the run that loaded it
    catalogue: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # every department known
    departments: Extracted = field(default_factory=lambda: Extracted("finance"), repr=False)  # how it was read
    refused: list[DepartmentOutcome] = field(default_factory=list)  # the catalogue could not be read
    progress: RunProgress | None = field(default=None, repr=False, compare=False)

    @property
    def todo(self) -> list[str]:
        return [c for c in self.chosen if c not in self.skipped]

    def advance(self, code: str, status: str) -> None:
        """One more department done, for the run's progress (the Prefect UI, the command line's bar)."""
        if self.progress is not None:
            self.progress.advance(f"{code} {gl.status(status)}")

    def shown(self) -> None:
        """The run's progress artifact brought to what is done (after a burst of :meth:`advance`)."""
        if self.progress is not None:
            self.progress.flush()


@dataclass
class Intake:
    """What extraction gave: the sources' results, and by department the input problems (which refuse it)
    and warnings (which its report notes)."""

    departments: Extracted
    finance: Extracted
    statistics: Extracted
    registry: Extracted
    problems: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def extracted(self) -> tuple[Extracted, ...]:
        return (self.departments, self.finance, self.statistics, self.registry)

    @property
    def files(self) -> dict[str, str]:
        """Every file read, by URI: its content hash."""
        return file_hashes(*self.extracted)

    def problem_records(self) -> dict[str, Problem]:
        """Each input problem of the sources by its words (as :func:`input_problems` gives them): where it is (file,
        row, column) for the error report's own columns."""
        return {str(p): p for e in self.extracted for p in e.problems}

    def shared_problems(self) -> frozenset[str]:
        """The problems of the inputs every department reads (no department's own: statistics, registry), as
        :func:`input_problems` words them: each refuses every department, and none is the department's to mend."""
        return frozenset(str(p) for p in shared_problems(*self.extracted))

    def shared(self) -> dict[str, dict[str, str]]:
        """The shared sources read without a problem, with their files (uri → content hash): what their
        snapshots are keyed by. A source with a problem is left out: the warehouse keeps what it holds."""
        return {name: dict(e.files) for name, e in (("statistics", self.statistics), ("registry", self.registry))
                if not e.failed}


@dataclass
class Verdict:
    """The gate's outcome for a run: each department's decision, and where its Data Docs are."""

    decisions: dict[str, Decision]
    data_docs: str | None = None
    quality_page: str | None = None  # selfeval's own data-quality page of the run (tasks.quality.page)

    @property
    def accepted(self) -> list[str]:
        return [code for code, d in self.decisions.items() if not d.refused]

    def notes(self) -> dict[str, list[tuple[str, str, int, str]]]:
        """The notes of each accepted department's report (its warnings)."""
        return {code: self.decisions[code].notes for code in self.accepted}


def decide_all(plan: Plan, intake: Intake, report: QualityReport, roots: dict[str, str]) -> dict[str, Decision]:
    """The decision (:func:`decide`) of every department the run extracted, in the run's order."""
    return {code: decide(code, plan.year, intake.problems.get(code, []), report, intake.warnings.get(code, []), roots)
            for code in plan.todo if code not in intake.finance.no_data}


def outcomes(plan: Plan, intake: Intake | None, decisions: dict[str, Decision],
             rendered: dict[str, DepartmentOutcome]) -> list[DepartmentOutcome]:
    """Every chosen department's outcome, in the run's order: skipped, no data yet, refused, or loaded and
    rendered (``rendered``, final or a 草稿)."""
    out = []
    for code in plan.chosen:
        if code in plan.skipped:
            why = f"自运行 {plan.skipped[code]} 以来数据与代码均未变化（inputs and code unchanged since that run）"
            out.append(DepartmentOutcome(code, "skipped", [why]))
        elif intake is not None and code in intake.finance.no_data:
            out.append(DepartmentOutcome(code, "no data yet",
                                         [f"尚无 {plan.year} 年财政数据文件（no finance file yet）"]))
        elif code in decisions and decisions[code].outcome is not None:
            out.append(decisions[code].outcome)  # type: ignore[arg-type]
        elif code in rendered:
            out.append(rendered[code])
    return out


def rendered_outcomes(plan: Plan, rendered: list[Rendered], decisions: dict[str, Decision],
                      rows: dict[str, dict[str, int]]) -> dict[str, DepartmentOutcome]:
    """The outcome of each rendered department-year: loaded (its report final) or a 草稿 (``missing`` names
    what the department has still to submit), with its warnings, report files and rows loaded."""
    out = {}
    for r in rendered:
        if r.error is not None:  # loaded, but its report failed: the run fails, and the next run renders it
            why = f"报告生成失败（the report could not be rendered: {r.error}）"
            out[r.department] = DepartmentOutcome(r.department, "failed", [why], rows=rows.get(r.department, {}))
        else:
            out[r.department] = DepartmentOutcome(
                r.department, "draft" if r.missing else "loaded", warnings=len(decisions[r.department].notes),
                input_warnings=sum(1 for n in decisions[r.department].notes if n[0] == INPUT_RULE),
                reports={k: str(v) for k, v in r.paths.items()}, rows=rows.get(r.department, {}), missing=r.missing,
                score=f"{r.score.total} {r.score.grade}" if r.score is not None and not r.missing else "",
                projects=r.projects)
        plan.advance(r.department, out[r.department].status)
    return out


def configured(settings: Settings, *, output_dir: str | None = None, review: bool = False,
               **locations: str | None) -> Settings:
    """The run's settings: ``settings`` with the flow's parameters over them (``locations``: source,
    warehouse_url, the sources' and narratives' folders), checked (:func:`check_configuration`)."""
    out = settings.with_overrides(output_dir=Path(output_dir) if output_dir else None, review=review or None,
                                  **locations)
    check_configuration(out)
    return out


def chunks(keys: list[str], parts: int, work: dict[str, int] | None = None) -> list[list[str]]:
    """``keys`` cut into ``min(parts, len(keys))`` runs, in order (a render task each), of about equal work: each
    key costs ``work[key]`` in any unit (1 when not given, so that without ``work`` the runs are of about equal
    length), and each run ends at the key that takes it past its share; every run holds one key at least."""
    if not keys:
        return []
    parts = max(1, min(parts, len(keys)))
    costs = [max(0, (work or {}).get(k, 1)) for k in keys]
    out: list[list[str]] = []
    total, start, done = sum(costs), 0, 0
    for i, cost in enumerate(costs):
        done += cost
        left = len(keys) - i - 1  # the keys after this one; each later run needs one
        if len(out) < parts - 1 and (done * parts >= total * (len(out) + 1) or left == parts - 1 - len(out)):
            out.append(keys[start: i + 1])
            start = i + 1
    out.append(keys[start:])
    return out


def render_work(projects: dict[str, int]) -> dict[str, int]:
    """A department's render cost for :func:`chunks`, in project forms: its report (its formats, charts and
    provenance) costs about three forms' XLSX and HTML, and each project one (``projects``: its 项目 count)."""
    return {code: REPORT_IN_FORMS + n for code, n in projects.items()}


def render_in_processes(departments: int, parts: int, from_departments: int, dask: bool, server: bool) -> bool:
    """Whether a run's render parts go to processes of their own (each on a core: the forms and pages are
    Python, which threads of one process run a core at a time) rather than to the flow's task runner: with
    two parts or more and at least ``from_departments`` accepted departments to render (a process takes ~2 s
    to start), when the run reports to a Prefect server of its own (``server``: PREFECT_API_URL; without one,
    each worker process would start a temporary server of its own), unless the flow's runner is Dask, whose
    workers are processes already."""
    return server and not dask and parts >= 2 and departments >= from_departments


def merge_problems(problems: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for code, messages in more.items():
        problems.setdefault(code, []).extend(messages)


def file_hashes(*extracted: Extracted) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in extracted:
        out.update(e.files)
    return out


def code_version() -> str:
    """A hash of the code, templates and rules that shape a report: a change to any of them
    makes a department's earlier load stale."""
    digest = hashlib.sha256()
    roots = [PROJECT_ROOT / "tasks", PROJECT_ROOT / "flows", TEMPLATES_DIR, EXPECTATIONS_DIR]
    for root in roots:
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def quality_outcome(report: QualityReport, code: str) -> tuple[list[str], list[str]]:
    """Fatal rule ids and their one-line reasons for a department."""
    fatal = report.fatal(code)
    return [r.rule.rule_id for r in fatal], [r.reason() for r in fatal]


def fingerprint(parts: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def input_fingerprints(sources: Mapping[str, Source], narratives: Path, year: int, codes: list[str],
                       context: dict[str, object], earlier: dict[str, dict[int, str]] | None = None,
                       threads: int = 1) -> dict[str, str | None]:
    """What each department-year's report depends on, hashed before any data is read.

    Its own finance files, the shared statistics and registry, its narrative, the code version and
    the settings that change results (``context``), and the fingerprints of its earlier years'
    partitions in the warehouse (``earlier``: the report's trend reads them). None when a source
    cannot be hashed cheaply (an API, a database): such a department-year is always processed.

    ``threads`` files are hashed at once (SHA-256 and the reads run outside the interpreter's lock), a source's
    only when it allows it (``Source.concurrent_reads``); the result is the same as with one. A rerun with nothing
    changed is mostly this hashing: at 20M lines, ~2.5 GB of files.
    """
    from tasks.sources.contract import DEPARTMENTS, FINANCE_DATASETS, INDICATORS, REGISTRY_DATASETS

    def concurrent(name: str) -> bool:
        return threads > 1 and bool(getattr(sources[name], "concurrent_reads", False))

    listed = narrative_index(narratives, year)  # once for all departments
    jobs: dict[tuple[str, ...], Callable[[], str | None]] = {}  # in the order one thread hashes them
    here: set[tuple[str, ...]] = set()  # a source that reads one at a time: on this thread

    def hash_of(key: tuple[str, ...], source: str | None, job: Callable[[], str | None]) -> None:
        jobs[key] = job
        if source is not None and not concurrent(source):
            here.add(key)

    hash_of(("shared", "departments"), "finance", lambda: sources["finance"].fingerprint(DEPARTMENTS))
    hash_of(("shared", INDICATORS.name), "statistics", lambda: sources["statistics"].fingerprint(INDICATORS))
    for dataset in REGISTRY_DATASETS:
        hash_of(("shared", dataset.name), "registry", functools.partial(sources["registry"].fingerprint, dataset))
    written_files: dict[str, list[Path]] = {}
    for code in codes:
        for dataset in FINANCE_DATASETS:
            hash_of((code, dataset.name), "finance",
                    functools.partial(sources["finance"].fingerprint, dataset, year=year, department=code))
        # its YAML or its Word form (tasks.report.narrative.narrative_files); a narrative not written yet is known,
        # and unchanged while it stays away (the 草稿 stands)
        written_files[code] = narrative_files(narratives, year, code, listed)
        for path in written_files[code]:
            hash_of((code, "narrative", path.name), None, functools.partial(sha256_file, path))
    hashes = computed(jobs, threads, here)
    shared: dict[str, str | None] = {"departments": hashes["shared", "departments"]}
    shared[INDICATORS.name] = hashes["shared", INDICATORS.name]
    for dataset in REGISTRY_DATASETS:
        shared[dataset.name] = hashes["shared", dataset.name]
    out: dict[str, str | None] = {}
    for code in codes:
        parts: dict[str, object] = {"shared": shared, "context": context, "year": year,
                                    "earlier": {str(y): d for y, d in sorted((earlier or {}).get(code, {}).items())}}
        for dataset in FINANCE_DATASETS:
            parts[dataset.name] = hashes[code, dataset.name]
        written = {path.name: str(hashes[code, "narrative", path.name]) for path in written_files[code]}
        plain = f"{code}.yaml"  # one YAML under its own name: its hash alone, as earlier releases recorded
        parts["narrative"] = (written[plain] if list(written) == [plain] else written) or ABSENT
        known = [v for k, v in parts.items() if k not in ("shared", "context", "year", "earlier")]
        known += list(shared.values())
        out[code] = None if any(v is None for v in known) else fingerprint(parts)
    return out


def computed(jobs: Mapping[K, Callable[[], V]], threads: int, here: Collection[K] = ()) -> dict[K, V]:
    """Each job's value, by key, computed on ``threads`` threads, except the jobs of ``here``, which run on this
    thread, in their turn (one thread: all of them, in order). The first job to raise, in the jobs' order, raises
    here, as on one thread; the jobs not begun by then are dropped (those running are waited for), so that an
    unreadable first file, or Ctrl-C, does not wait for every other file to be hashed.

    Not :func:`tasks.sources.extract.in_order`: that map keeps at most ``threads`` keys ahead of the one it gives
    back, to bound the memory of departments read whole; here every job is submitted at once (a result is a hash),
    so that a large file does not hold the other threads back behind it (with ``in_order`` two threads hashed a
    20M-line city no faster than one, bench/bench_plan.py)."""
    elsewhere = [key for key in jobs if key not in here]
    if threads <= 1 or len(elsewhere) <= 1:
        return {key: job() for key, job in jobs.items()}
    pool = ThreadPoolExecutor(min(threads, len(elsewhere)), thread_name_prefix="selfeval-hash")
    try:
        futures = {key: pool.submit(jobs[key]) for key in elsewhere}
        return {key: jobs[key]() if key in here else futures[key].result() for key in jobs}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # nothing left to drop once every result is in


def redo_reasons(fingerprints: dict[str, str | None], previous: dict[str, dict[str, str]],
                 skipped: Collection[str], code_version: str, force: bool = False) -> dict[str, str]:
    """Why each department that is not skipped (``skipped``: :func:`unchanged`'s) is done again, in a few words for
    the run's log: an operator saw every department loaded again after an upgrade with no word why. ``previous``: what
    the warehouse last loaded of each (``tasks.warehouse.load.partition_states``: its fingerprint, code version and
    run)."""
    out: dict[str, str] = {}
    for code, digest in fingerprints.items():
        before = previous.get(code)
        if code in skipped:
            continue
        if force:
            out[code] = "按 --force 全部重算（forced）"
        elif before is None:
            out[code] = "尚未入库（not loaded yet）"
        elif digest is None:  # a database's or an API's rows, or a required file missing: nothing to compare
            out[code] = ("输入无法预先比对（来自数据库或接口，或缺少必需的文件），每次重算"
                         "（inputs that cannot be compared before they are read are done each run）")
        elif before.get("code_version") != code_version:
            out[code] = f"程序已更新，自运行 {before['run_id']} 以来（the code changed since that run）"
        elif digest != before["inputs_sha256"]:
            out[code] = "输入文件、文字材料或结果相关的设置已变化（inputs, narrative or settings changed）"
        else:
            out[code] = "报告文件不全或不是由上次载入生成，重新生成（its reports are not all there）"
    return out


def unchanged(fingerprints: dict[str, str | None], previous: dict[str, dict[str, str]],
              rendered: dict[str, bool]) -> dict[str, str]:
    """Departments whose inputs and code (the fingerprint covers the code version) are as when they
    were last loaded, and whose reports were rendered from that load and are all still there:
    department → the run that loaded them."""
    out = {}
    for code, digest in fingerprints.items():
        before = previous.get(code)
        if digest and before and before["inputs_sha256"] == digest and rendered.get(code):
            out[code] = before["run_id"]
    return out
