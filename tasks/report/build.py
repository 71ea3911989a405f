"""From the warehouse to report files for one department-year: figures, score, tables, charts, provenance."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tasks import glossary as gl
from tasks.domain import REPORTED
from tasks.report import charts as ch
from tasks.report.document import plain
from tasks.report.figures import Figure, Figures, read_figures
from tasks.report.formatting import FEN_PER_WAN, md_cell
from tasks.report.keyed import Keys
from tasks.report.narrative import (
    Narrative,
    NarrativeAbsent,
    NarrativeError,
    NarrativeIndex,
    load_narrative,
    narrative_file,
    narrative_index,
    pending_narrative,
    render_text,
)
from tasks.report.narrative_form import FormFigure, write_form
from tasks.report.project_form import write_project_forms
from tasks.report.projects import (
    DistrictProjects,
    counted,
    forms_of,
    in_one_line,
    load_project_profile,
    summary_table,
)
from tasks.report.provenance import provenance
from tasks.report.render import (
    QualityNote,
    ReportInput,
    content_hash,
    load_options,
    narrative_context,
    report_dir,
    write_report,
)
from tasks.report.review import APPROVED_FOLDER, approved_mark, draft_mark, history, review_status
from tasks.report.score import Indicator, Profile, Scorecard, indicator_from, load_profile, score
from tasks.report.tables import (
    EXECUTED,
    awaiting,
    execution_table,
    funds_table,
    goals_table,
    indicators_table,
)
from tasks.report.targets import indicators_of, reported_figure
from tasks.settings import Settings
from tasks.warehouse import queries as q
from tasks.warehouse.load import Score, record_scores, rendered_notes
from tasks.warehouse.metrics import Registry, load_registry
from tasks.warehouse.reviews import APPROVED, Review, record_review, reviews

log = logging.getLogger(__name__)


# The funds block's indicator: 全年执行数 ÷ 全年预算数, full marks at 100 % and above.
def funds_indicator(profile: Profile) -> Indicator | None:
    if profile.funds_weight <= 0:
        return None
    return Indicator("预算执行", "资金执行", "预算执行率", "execution_rate", "at_least", Decimal(1), "%",
                     profile.funds_weight)


def money_figures(registry: Registry) -> frozenset[str]:
    """The metrics whose values are amounts in 分 (sums of a ``*_fen`` column)."""
    return frozenset(m.name for m in registry.metrics.values()
                     if m.kind == "sum" and str(m.column).endswith("_fen"))


def scorecard(figures: Figures, narrative: Narrative, profile: Profile, targets: list[q.TargetRow],
              registry: Registry) -> Scorecard:
    """Score a department-year by ``profile``: the funds block, the profile's own indicators, and the
    department's 绩效目标 (``targets``; without them, the narrative's ``performance_indicators`` of
    earlier releases). Raises NarrativeError naming the department-year when an indicator cannot be scored."""
    if targets:
        own, reported = indicators_of(targets)
    elif profile.total == "rescale":  # the narrative's indicators of earlier releases, made for this total
        own, reported = [indicator_from(i.model_dump()) for i in narrative.performance_indicators], {}
    else:  # a sum profile: no 绩效目标, no grade (未评级), rather than weights made for another total
        own, reported = [], {}
    values: dict[str, Any] = {name: f.value for name, f in figures.items.items()}
    values.update(reported)
    try:
        return score(values, profile.indicators + own, profile.grades, narrative.conclusion.grade_override,
                     profile=profile, funds=funds_indicator(profile), money=money_figures(registry))
    except (KeyError, ValueError) as exc:
        raise NarrativeError(f"scoring of {narrative.department} {narrative.year}: {exc}") from exc


def add_reported(figures: Figures, targets: list[q.TargetRow]) -> None:
    """Each reported 实际完成值 as a figure of its own, so that provenance shows its 绩效自评 file, row
    and evidence."""
    for row in targets:
        if row.actual_source != REPORTED:
            continue
        evidence = f"；佐证材料：{row.evidence}" if row.evidence else "；未列佐证材料"
        figures.add(Figure(reported_figure(row.indicator), row.actual, row.actual or "—", "reported",
                           f"{row.indicator}：部门在绩效自评中报送的实际完成值{evidence}",
                           ("fct_performance_actual",), {"department": figures.department_code, "year": figures.year},
                           label=row.indicator, unit=row.unit,
                           sql="-- reported by the department: self_assessment (fct_performance_actual)"))


def _wan(fen: int) -> Decimal:
    return Decimal(fen) / FEN_PER_WAN


def charts(keys: Keys, figures: Figures, card: Scorecard, registry: Registry) -> dict[str, ch.Chart]:
    """Budget against execution by fund source and by expense type; trends over the years held: the
    budget and execution, and the counts the department's 绩效指标 name (家, 个, …)."""
    out = {}
    name, year = figures.department_name, figures.year
    for key, splits, title in (("chart_fund_source", figures.splits["fund_source"], "按资金来源"),
                               ("chart_expense_type", figures.splits["expense_type"], "按支出性质")):
        shown = [s for s in splits if s.lines] or splits
        out[key] = ch.budget_against_execution(
            f"{year}年预算与执行（{title}，万元）", [s.name for s in shown], [_wan(s.budget_fen) for s in shown],
            [_wan(s.executed_fen) for s in shown], key)
    history = keys.history(figures.department_code)
    if history:
        years = [h.year for h in history]
        open_years = {y: ch.as_of_label(day) for y, day in keys.open_years(figures.department_code).items()}
        out["chart_trend"] = ch.trend(
            f"{name}历年预算与执行（万元）", years,
            {"年度预算数": [_wan(h.budget_fen) for h in history],
             "全年执行数": [_wan(h.executed_fen) for h in history]},
            "万元", "chart_trend", open_years=open_years, partial=frozenset({"全年执行数"}))
        counted = {s.indicator.name: s.indicator.figure for s in card.items
                   if s.indicator.figure in registry and registry[s.indicator.figure].format == "count"}
        if counted:
            counts = frozenset(m.name for m in registry.metrics.values() if m.format == "count")
            by_year = {y: keys.measured(figures.department_code, y, counts) for y in years}
            series: dict[str, list[Decimal | None]] = {
                label: [Decimal(str(by_year[y][figure].value)) for y in years]
                for label, figure in counted.items()}
            units = "/".join(dict.fromkeys(registry[f].unit for f in counted.values() if registry[f].unit))
            if any(v for values in series.values() for v in values):
                out["chart_tasks"] = ch.trend(f"绩效指标产出（{units}）" if units else "绩效指标产出", years, series,
                                              units, "chart_tasks", counts=True, open_years=open_years)
    return out


# What a department-year may not have submitted yet, as the 草稿 and the roll-up name it.
MISSING_ACCOUNTS = "决算总表（年度未结束）"
MISSING_NARRATIVE, MISSING_TARGETS, MISSING_ACTUALS = "自评材料（文字）", "绩效目标", "绩效自评"
MISSING_DATA = "指标数据"  # a computed 实际完成值 whose metric has no value for the year
PENDING_GRADE = "待定"


def goals_outcome(summary: str, figures: Figures, card: Scorecard, executed: str = EXECUTED) -> str:
    """附表1（二）'s 实际完成情况: the narrative's one-line conclusion and what the figures say (execution, and how
    many of the 绩效指标 reached their 年度指标值), not the whole narrative of the tasks. ``executed`` names the
    execution as the tables head it (an open year's: ``截至6月30日执行数``)."""
    scored = [i for i in card.items if i.indicator.method != "info"]
    met = sum(1 for i in scored if i.met)
    reached = f"；绩效指标 {len(scored)} 项，{met} 项达到年度指标值" if scored else ""
    return (f"{summary.rstrip('。')}。{executed} {figures['executed'].text} 万元，预算执行率 "
            f"{figures['execution_rate'].text}%{reached}。")


def missing_inputs(narrative_present: bool, targets: list[q.TargetRow], year_closed: bool = True) -> list[str]:
    """What the department has still to submit for its report to be final: its 决算总表 (an open year
    has none yet), its narrative, its 绩效目标, and the 绩效自评 that states the 实际完成值 of its
    ``reported`` targets."""
    missing = [] if year_closed else [MISSING_ACCOUNTS]
    if not narrative_present:
        missing.append(MISSING_NARRATIVE)
    if not targets:
        missing.append(MISSING_TARGETS)
    elif any(t.actual_source == REPORTED and t.actual is None for t in targets):
        missing.append(MISSING_ACTUALS)
    return missing


def report_input(keys: Keys, settings: Settings, department: str,
                 quality_notes: list[QualityNote] | None = None, drawn: bool = True,
                 listed: NarrativeIndex | None = None) -> ReportInput:
    """Everything one department-year's report shows, read through ``keys`` (which reads it for every key at
    once). A department whose narrative is not written yet gets a 草稿 (``ReportInput.missing`` names what is
    missing; each section of prose is marked 待填写); one whose 绩效自评 is not in yet has its reported 实际完成值
    marked 待填写 and no grade. ``drawn=False``: the figures, scores and what is missing only, without the
    tables, charts and provenance that only the report's files show. ``listed``: the year's narrative folder as
    :func:`~tasks.report.narrative.narrative_index` lists it, when the caller renders many departments (else it is
    listed for this one: at 600 departments, listing it for each took ~2.5 s of the render)."""
    year = keys.year
    try:
        narrative = load_narrative(settings.narrative_root(), year, department, listed)
    except NarrativeAbsent:
        narrative = None
    options = load_options(settings.report_config)
    registry = keys.registry
    profile = load_profile(settings.scoring_profile)
    figures = read_figures(keys, department)
    targets = keys.targets(department)
    closed = keys.closed(department)
    missing = missing_inputs(narrative is not None, targets, closed)
    narrative = narrative or pending_narrative(department, year)
    card = scorecard(figures, narrative, profile, targets, registry)
    unmeasured = [i for i in card.items if awaiting(i) and not i.indicator.reported]
    if unmeasured:  # a metric with no value yet (statistics not published for the year, say)
        missing.append(f"{MISSING_DATA}（{len(unmeasured)} 项）")
    if MISSING_ACTUALS in missing or unmeasured:
        card = replace(card, grade=PENDING_GRADE, computed_grade=PENDING_GRADE, overridden=False)
    if not closed:  # the year is not over: what its 自评表 would score is the ledger so far, not a result
        card = replace(card, grade=gl.OPEN_YEAR, computed_grade=gl.OPEN_YEAR, overridden=False)
    add_reported(figures, targets)
    data = ReportInput(figures, narrative, card, quality_notes or [], options, missing=missing, open_year=not closed)
    if not drawn:
        return data
    if options.get("appendices", True):
        funds, stated = keys.funds(department)
        summary = render_text(narrative.conclusion.summary, narrative_context(figures, narrative),
                              f"{year}/{department}.yaml conclusion.summary")
        so_far = keys.open_years(department).get(year) if not closed else None
        executed = f"{ch.as_of_label(so_far)}执行数" if so_far else EXECUTED
        data.tables = {"funds": funds_table(figures, card, funds, stated, executed),
                       "goals": goals_table(narrative.goals, goals_outcome(plain(summary), figures, card, executed)),
                       "indicators": indicators_table(figures, card, profile, open_year=not closed),
                       "execution": execution_table(figures, executed)}
        if options.get("charts", True):
            data.charts = charts(keys, figures, card, registry)
    # each project's 自评表, a year-end form (an open year has its 双监控 instead): whatever the appendices
    if options.get("projects", True) and closed:
        data.projects = forms_of(keys, load_project_profile(settings.project_profile), department)
        if data.projects and options.get("appendices", True):
            data.tables["projects"] = summary_table(data.projects, figures.department_name, year)
    data.provenance = provenance(keys, figures)
    return data


@dataclass(frozen=True)
class Rendered:
    """One department-year's report as written: its files by format, what it still lacks (a 草稿's), and
    the score it publishes; or, when its render failed, why (``error``: nothing of it was published)."""

    department: str
    paths: dict[str, Path]
    missing: list[str]
    score: Score | None
    error: str | None = None
    projects: str = ""  # its projects' 自评 in one line (tasks.report.projects.in_one_line)
    district: DistrictProjects | None = None  # its projects counted for the district (a closed year's), or None


def prepare_worker() -> None:
    """What a render process needs before its first report, imported at its start (Prefect's process pool runs
    this as each worker's initializer; unpickling it imports this module and the report's): XlsxWriter, which every
    project's 自评表 is written with, imported on first use otherwise."""
    import xlsxwriter  # noqa: F401


def render_keys(engine: sa.Engine, settings: Settings, departments: list[str], year: int,
                quality_notes: dict[str, list[QualityNote]] | None = None) -> list[Rendered]:
    """Render loaded department-years' reports in every configured format, reading the warehouse once for
    all of them (:class:`~tasks.report.keyed.Keys`), without writing to it: the caller publishes the scores
    (:func:`tasks.warehouse.load.record_scores`), all at once.

    Under review (``settings.review``) a report is a 草稿 until its text is approved
    (:mod:`tasks.report.review`): watermarked, and saying so when it replaces an approved version; a text
    already approved is rendered with its stamp. Raises LookupError for a department the warehouse does not
    hold."""
    registry = load_registry(settings.metrics_registry)
    notes = quality_notes or {}
    out = []
    listed = narrative_index(settings.narrative_root(), year)  # the folder listed once for all of them
    with engine.connect() as conn:
        keys = Keys(conn, registry, year, list(departments))
        for department in departments:
            try:
                out.append(_render_one(keys, conn, settings, department, notes.get(department), listed))
            except (sa.exc.OperationalError, sa.exc.InterfaceError):
                raise  # the connection dropped: the whole task is retried
            except Exception as exc:  # one report's failure is its own: the others are written and published
                log.exception("%s %s：报告生成失败（the report could not be rendered）", department, year)
                out.append(Rendered(department, {}, [], None, error=f"{type(exc).__name__}: {exc}"))
    return out


def _render_one(keys: Keys, conn: sa.Connection, settings: Settings, department: str,
                notes: list[QualityNote] | None, listed: NarrativeIndex | None = None) -> Rendered:
    """One department-year's report, every format, from what ``keys`` read (``listed``: as for
    :func:`report_input`)."""
    year = keys.year
    data = report_input(keys, settings, department, notes, listed=listed)
    digest = content_hash(data)
    if settings.review:
        decisions = reviews(conn, year, department)
        status = review_status(digest, decisions)
        mark = (approved_mark(status.decision) if status.state == APPROVED and status.decision
                else draft_mark(status))
        data.review = replace(mark, content=digest, history=history(decisions))
    paths = write_report(settings.output_dir, data)
    if data.projects:
        summary = data.tables.get("projects") or summary_table(data.projects, data.figures.department_name, year)
        paths.update(write_project_forms(report_dir(settings.output_dir, year, department), data.projects, summary))
    card = data.scorecard
    return Rendered(department, paths, data.missing, Score(
        department, year, card.total, card.grade, card.computed_grade, card.overridden, digest,
        data.missing, [(n.rule_id, n.label, n.failing_rows, n.example) for n in data.quality_notes]),
        projects=in_one_line(data.projects), district=_counted(keys, settings, department, data))


def _counted(keys: Keys, settings: Settings, department: str, data: ReportInput) -> DistrictProjects | None:
    """The department's projects counted as the roll-up counts them (:func:`tasks.report.projects.counted`): from
    the forms its report shows; made for the count when the report's options leave them out. None for an open
    year."""
    forms = data.projects if data.projects or data.options.get("projects", True) else None
    return counted(keys, load_project_profile(settings.project_profile), department, forms)


def render_department(engine: sa.Engine, settings: Settings, department: str, year: int,
                      quality_notes: list[QualityNote] | None = None) -> tuple[dict[str, Path], list[str]]:
    """Render one loaded department-year's report (:func:`render_keys`) and publish its 总分 and 等级 to
    ``mart_score`` (with the report's content hash), where the roll-up reads them. Returns the files by
    format, and what the department has still to submit (empty for a final report; a 草稿 names it, see
    :func:`missing_inputs`)."""
    [done] = render_keys(engine, settings, [department], year, {department: quality_notes or []})
    if done.score is None:
        raise RenderFailed(f"{department} {year}：报告生成失败（the report could not be rendered: {done.error}）")
    record_scores(engine, [done.score])
    return done.paths, done.missing


class RenderFailed(RuntimeError):
    """A report that could not be rendered (a bug, or a file that could not be written)."""


def notes_rendered(conn: sa.Connection, department: str, year: int) -> list[QualityNote] | None:
    """The data-quality notes the department-year's report was last rendered with: re-rendering with them
    draws the same text. None when the warehouse does not keep them (no report yet)."""
    kept = rendered_notes(conn, department, year)
    return None if kept is None else [QualityNote(*n) for n in kept]


BRIEF_COLUMNS = ("三级指标", "年度指标值", "实际完成值", "分值", "得分")


def review_brief(engine: sa.Engine, settings: Settings, department: str, year: int, links: dict[str, str]) -> str:
    """What a reviewer reads in the review form before deciding, as Markdown: the draft's key figures (全年预算数,
    执行数, 执行率, 总分 and 等级), its data-quality warnings, its 自评表 (绩效指标) and ``links`` to open the
    watermarked draft (label → address). Reads the warehouse as the draft was rendered from it."""
    with engine.connect() as conn:
        keys = Keys(conn, load_registry(settings.metrics_registry), year, [department])
        data = report_input(keys, settings, department, notes_rendered(conn, department, year), drawn=False)
    figures, card = data.figures, data.scorecard
    grade = gl.OPEN_YEAR if data.open_year else f"总分 {card.total:.2f}，自评等级 {card.grade}"
    lines = [f"**关键数字**：全年预算数 {figures['budget'].text} 万元，执行数 {figures['executed'].text} 万元，"
             f"执行率 {figures['execution_rate'].text}%；{grade}。", "",
             "**打开草稿**：" + " ".join(f"[{label}]({url})" for label, url in links.items()), ""]
    notes = [f"{n.rule_id} {n.label}：{n.failing_rows} 行（{n.example}）" for n in data.quality_notes]
    lines += ["**数据质量提示**：" + ("；".join(notes) if notes else "无"), ""]
    if data.missing:
        lines += [f"**尚未报送**：{'、'.join(data.missing)}", ""]
    table = indicators_table(figures, card, open_year=data.open_year)
    shown = [table.header.index(h) for h in BRIEF_COLUMNS]  # what fits the form's width
    lines += [f"**自评表{table.caption}**", "", "| " + " | ".join(BRIEF_COLUMNS) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(md_cell(str(row[i])) or "—" for i in shown) + " |" for row in table.rows]
    return "\n".join(lines)


class ReportChanged(RuntimeError):
    """The report's text is no longer the one a reviewer approved (its data changed in between)."""


def render_approved(engine: sa.Engine, settings: Settings, review: Review) -> dict[str, Path]:
    """The final files of an approved report, stamped with who approved it and when, drawn with the notes its
    draft was drawn with, into ``<out>/<year>/<department>/approved/``. The files are written aside, swapped in,
    and the decision recorded; a failure to write or to record leaves ``approved/`` as it was.

    Raises :class:`ReportChanged` when the warehouse no longer gives the approved text (``review``'s content
    hash); nothing is written or recorded then. Errors of the warehouse while recording leave no new files."""
    department, year = review.department_code, review.year
    with engine.connect() as conn:
        notes = notes_rendered(conn, department, year)
        keys = Keys(conn, load_registry(settings.metrics_registry), year, [department])
        data = report_input(keys, settings, department, notes)
        earlier = reviews(conn, year, department)
    digest = content_hash(data)
    if digest != review.report_sha256:
        raise ReportChanged(f"{department} {year}: the report's text changed since the draft was reviewed "
                            f"(content {digest[:12]}, approved {review.report_sha256[:12]}); not stamped")
    data.review = replace(approved_mark(review), content=digest, history=history([*earlier, review]))
    folder = report_dir(settings.output_dir, year, department)
    tag = "".join(c for c in review.run_id if c.isalnum())[:12]
    staging, final, previous = (folder / f".{APPROVED_FOLDER}-new-{tag}", folder / APPROVED_FOLDER,
                                folder / f".{APPROVED_FOLDER}-previous-{tag}")
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        written = write_report(settings.output_dir, data, subfolder=staging.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # swap in, then record; a failure to record puts the earlier approved version back
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    try:
        record_review(engine, review)
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        if previous.exists():
            previous.rename(final)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    return {fmt: final / path.relative_to(staging) for fmt, path in written.items()}


def write_projects(engine: sa.Engine, settings: Settings, year: int, departments: list[str] | None,
                   formats: tuple[str, ...]) -> dict[str, Path]:
    """The 项目支出绩效自评表 of loaded department-years (``departments``; None: every department loaded for the
    year) written again from the warehouse in ``formats`` (xlsx, html, docx, pdf) into each department's
    projects/ folder: DOCX and PDF on demand. Returns department → the folder's index. Raises LookupError for a
    department not loaded for the year."""
    registry = load_registry(settings.metrics_registry)
    profile = load_project_profile(settings.project_profile)
    out: dict[str, Path] = {}
    with engine.connect() as conn:
        loaded = q.loaded_departments(conn, year)
        chosen = loaded if departments is None else departments
        unknown = [d for d in chosen if d not in loaded]
        if unknown:
            raise LookupError(gl.NOT_LOADED.format(codes="、".join(unknown), year=year))
        keys = Keys(conn, registry, year, list(chosen))
        for department in chosen:
            forms = forms_of(keys, profile, department)
            name = str(keys.department(department)["department_name"])
            paths = write_project_forms(report_dir(settings.output_dir, year, department), forms,
                                        summary_table(forms, name, year), formats, replace_all=False)
            out[department] = paths["projects"]
    return out


def write_monitoring(engine: sa.Engine, settings: Settings, year: int, as_of: dt.date | None,
                     departments: list[str] | None, formats: tuple[str, ...], today: dt.date) -> tuple[Path, str]:
    """The 双监控 rebuilt as of ``as_of`` from the warehouse (time travel): the payments dated up to it, the
    submissions counted to it (their 截至日期), the 整改 given by it and their state then. Without ``as_of``, as
    the nightly dates it (the ledger's month, never after ``today``). Writes every form in ``formats`` and
    ``summary.md`` into ``<output_dir>/<year>/monitoring/<as_of>/`` (what an earlier call left there removed,
    so the folder holds this call's), never over the nightly's forms. Returns that folder and the summary.
    Raises LookupError when the year is not open in the warehouse or a department of ``departments`` is not
    monitored in it."""
    from tasks.report.dual import dual_forms, followup_lines, summary_page, write_dual_forms
    from tasks.report.lights import load_lights
    from tasks.report.monitoring import chinese_date as chinese
    from tasks.report.monitoring import monitor
    from tasks.warehouse import monitoring as mon

    chosen = settings.model_copy(update={"monitoring_as_of": as_of}) if as_of is not None else settings
    with engine.connect() as conn:
        found = monitor(conn, chosen, year, as_of or today)
        if found is None:
            raise LookupError(f"{year} 年没有可监控的数据：年度已结束（已有决算）或尚未载入预算数据"
                              f"（no open year {year} in the warehouse）")
        held = {r.department_code for r in found.rows}
        unknown = [d for d in departments or [] if d not in held]
        if unknown:
            raise LookupError(f"{'、'.join(unknown)}：{year} 年未纳入监控（not monitored in {year}）")
        if departments:
            found.rows = [r for r in found.rows if r.department_code in departments]
        forms = dual_forms(conn, found, load_lights(settings.monitoring_lights), followup_day=found.as_of)
        month = mon.data_month(mon.paying_months(conn, year, sorted({r.department_code for r in found.rows})))
    reach = mon.month_end(dt.date(year, month, 1)) if month else None
    ahead = ([] if reach is not None and found.as_of <= reach else
             ["注：尚未载入本年度的支付数据。", ""] if reach is None else
             [f"注：已载入的支付数据截至{chinese(reach)}，晚于该日的支付尚未载入，本表执行数不含。", ""])
    if ahead:  # said on every form too: its 1-X月执行数 lacks the payments not loaded yet
        forms = [replace(f, notes=[*f.notes, ahead[0].removeprefix("注：")]) for f in forms]
    folder = settings.output_dir / str(year) / "monitoring" / found.as_of.isoformat()
    shutil.rmtree(folder, ignore_errors=True)
    write_dual_forms(settings.output_dir, forms, formats, into=folder)
    page = summary_page(forms, found, [*ahead, *followup_lines(forms)])
    (folder / "summary.md").write_text(page, encoding="utf-8")
    return folder, page


def narrative_form(engine: sa.Engine, settings: Settings, department: str, year: int,
                   created: dt.datetime) -> tuple[bytes, str]:
    """The Word form of a department-year's narrative (:mod:`tasks.report.narrative_form`) and a line saying
    what it was pre-filled with: the year's own narrative when there is one (YAML or form), else the previous
    year's (its year changed), else nothing. Figures are listed with their values in the warehouse, or as not
    loaded yet. Raises NarrativeError for a narrative that cannot be read."""
    root = settings.narrative_root()
    prefill: dict[str, Any] | None = None
    note = "各栏为空：本年度和上年度都还没有文字材料。"
    for source_year in (year, year - 1):
        try:
            found = load_narrative(root, source_year, department)
        except NarrativeAbsent:
            continue
        prefill = found.model_dump(exclude={"performance_indicators"})
        prefill["year"] = year
        where = narrative_file(root, source_year, department)
        note = (f"预填内容：本年度已有的文字材料（{where.name if where else ''}）。" if source_year == year
                else f"预填内容：{source_year} 年度的文字材料，请按 {year} 年度改写。")
        if found.performance_indicators:
            note += "（原文件中的 performance_indicators 不在表中：请改用绩效目标表。）"
        break
    registry = load_registry(settings.metrics_registry)
    figures: Figures | None = None
    name = department
    with engine.connect() as conn:
        try:
            name = str(q.department(conn, department)["department_name"])
            if department in q.loaded_departments(conn, year):
                figures = read_figures(Keys(conn, registry, year, [department]), department)
        except LookupError:
            pass  # not in the warehouse yet: the form lists the figures without values
    listed = []
    for metric in registry.metrics.values():
        if figures is not None and metric.name in figures:
            figure = figures[metric.name]
            text = figure.text if figure.text.endswith(figure.unit) else f"{figure.text}{figure.unit}"
            text = "—（暂无数据）" if figure.text == "—" else text
        else:
            text = "（尚未装载）"
        listed.append(FormFigure(metric.name, metric.label or metric.description or metric.name, text))
    return write_form(prefill, department, name, year, listed, note, created), note
