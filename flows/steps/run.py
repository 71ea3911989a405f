"""The yearly flow's stages, each a short sequence of named Prefect tasks: plan, extract, gate, finish.

What each task does lives in ``tasks/``; here the stages only say which tasks run in which order, what
the operator is told in the run's log, and how far the run's progress is.
"""

from __future__ import annotations

import logging
from typing import TypeVar, cast

from prefect import get_run_logger
from prefect.states import Cancelled, Failed, State
from prefect.utilities.annotations import quote

from flows.steps.quality import alert, record_quality, validate
from flows.steps.report import check_narratives, check_targets, rerender, set_aside_stale
from flows.steps.review import review_reports
from flows.steps.sources import extract_departments, extract_finance, extract_registry, extract_statistics
from flows.steps.warehouse import close_run, find_unchanged, prepare_warehouse
from tasks import glossary as gl
from tasks import pipeline as pl
from tasks.addresses import landing_roots
from tasks.artifacts import publish_run
from tasks.progress import RunProgress
from tasks.quality.rules import INPUT_RULE
from tasks.quality.rundb import RunDatabase
from tasks.resources import WarehouseUnreachable, reach_warehouse
from tasks.settings import Settings
from tasks.warehouse.metrics import load_registry


class ExpectedEnd(logging.Filter):
    """Prefect's engine logs every deployment run that ends Failed with a traceback ("Engine execution exited
    with unexpected exception"). A refusal is the expected end of bad data, said already in the run's log and
    its artifact, so that record is dropped; any other failure keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        kind = record.exc_info[0] if record.exc_info else None
        return not (kind is not None and issubclass(kind, pl.DataRefused)
                    and str(record.msg).startswith("Engine execution exited"))


logging.getLogger("prefect.flow_runs").addFilter(ExpectedEnd())  # the engine's run logger


T = TypeVar("T")


def plan_run(settings: Settings, year: int, departments: list[str] | None, rerender_only: bool, force: bool,
             run_id: str) -> pl.Plan:
    """Prepare the warehouse (migrations, the run's record), read the catalogue of departments, and find
    those whose inputs and code are unchanged since their last load (skipped)."""
    log = get_run_logger()
    version = pl.code_version()
    reach_warehouse(settings)  # one line if it does not answer, before any step fails on it with a traceback
    prepare_warehouse(settings, run_id, year, {"year": year, "departments": departments,
                                               "rerender_only": rerender_only}, version)
    if rerender_only:
        return pl.Plan(year, run_id, version, list(departments or []))
    catalogue, found = extract_departments(settings)
    if found.failed:  # without the list of departments, nothing can be checked or loaded
        reasons = [str(p) for p in found.problems]
        everyone = [gl.ALL_DEPARTMENTS]  # the catalogue names no department: the refusal is the whole run's
        return pl.Plan(year, run_id, version, list(departments or everyone), catalogue=catalogue, departments=found,
                       refused=[pl.DepartmentOutcome(code, "refused", reasons) for code in departments or everyone])
    try:
        chosen = pl.resolve_departments(catalogue, departments or None)
    except pl.UsageError:
        close_run(settings, run_id, "usage", {"year": year, "departments": {}, "requested": departments})
        raise
    fingerprints, skipped, redone = find_unchanged(settings, year, chosen, version, force)
    plan = pl.Plan(year, run_id, version, chosen, fingerprints, skipped, catalogue=catalogue, departments=found,
                   progress=RunProgress(len(chosen), f"{year} 年自评报告：已完成部门"))
    for code, last_run in skipped.items():
        log.info("%s %s 未变化，未重算（skipped: inputs and code unchanged since run %s）", code, year, last_run)
        plan.advance(code, "skipped")
    for code, why in redone.items():
        log.info("%s %s 重算（redone）：%s", code, year, why)
    plan.shown()
    return plan


def extract(settings: Settings, plan: pl.Plan, db: RunDatabase) -> pl.Intake:
    """Every source of the departments to do, into the run database: the shared statistics and registry first,
    while the run holds least (the 217 MB file of a registry of 2M firms took ~470 MB while it was read), then
    finance department by department; none of them held as frames. The narratives and the 绩效目标 checked.
    What is malformed is a problem of the department it belongs to (a shared source's, of every department)."""
    year, todo = plan.year, plan.todo
    statistics, registry = extract_statistics(settings, db.append), extract_registry(settings, db.append)
    db.flush()  # a registry under RunDatabase.batch_rows would otherwise wait as Arrow through finance's reads
    finance = extract_finance(settings, year, todo, db.append)
    for code in finance.no_data:  # nothing delivered for the year yet: not refused
        plan.advance(code, "no data yet")
    plan.shown()
    intake = pl.Intake(plan.departments, finance, statistics, registry)
    codes = [c for c in todo if c not in finance.no_data]
    intake.problems = pl.input_problems(codes, *intake.extracted)
    intake.warnings = pl.input_warnings(codes, *intake.extracted)
    narrative_problems, narrative_warnings = check_narratives(settings, year, codes)
    pl.merge_problems(intake.problems, narrative_problems)
    pl.merge_problems(intake.warnings, narrative_warnings)
    pl.merge_problems(intake.problems, check_targets(settings, db.staged_frame("targets"),
                                                     db.staged_frame("project_targets"),
                                                     db.staged_frame("project_self_assessment")))
    return intake


def as_is(value: T) -> T:
    """``value`` passed to a task without Prefect walking it for futures (Prefect's ``quote``): a run's rule
    results are thousands of objects, and walking them cost ~5 s of the gate at 600 departments."""
    return cast(T, quote(value))


def gate(settings: Settings, plan: pl.Plan, intake: pl.Intake, db: RunDatabase) -> pl.Verdict:
    """The rule registry over every department's staged rows at once; the results recorded, alerts sent, and
    each department decided: refused (nothing of it loads) or accepted with its warnings."""
    log = get_run_logger()
    checked = [c for c in plan.todo if c not in intake.finance.no_data and c not in intake.problems]
    data = pl.assemble(plan.year, plan.catalogue, checked, *intake.extracted[1:], staged=db,
                       units=pl.indicator_units(load_registry(settings.metrics_registry)))
    report = validate(as_is(data), settings)
    roots = landing_roots({**{name: settings.location(name) for name in ("finance", "statistics", "registry")},
                           "narrative": str(settings.narrative_root())}, settings.source)
    page = record_quality(as_is(report), settings, plan.run_id, intake.problems, roots, intake.shared_problems(),
                          as_is(intake.problem_records()))
    alert(as_is(report), intake.problems, settings, plan.run_id)
    decisions = pl.decide_all(plan, intake, report, roots)
    for code, decision in decisions.items():
        if decision.refused:
            log.error("%s", decision.log)
            set_aside_stale(settings, plan.year, code)
            plan.advance(code, "refused")
            continue
        for w in dict.fromkeys(intake.warnings.get(code, [])):
            log.warning("%s %s: %s", code, plan.year, w)
        for rule_id, label, failing, example in decision.notes:
            if rule_id != INPUT_RULE:  # input warnings are logged above
                log.warning("%s %s: %s %s：%s 行不符；%s", code, plan.year, rule_id, label, failing, example)
    plan.shown()
    return pl.Verdict(decisions, report.data_docs, page)


def usage_error(error: pl.UsageError) -> State:
    """How a run with bad parameters ends (a mistyped department code, a broken registry file): one line in
    the run's log, no traceback, and a Cancelled state carrying ``error``. Not Failed: nothing went wrong
    with the data or the product, so the failed-run alert stays silent."""
    message = f"{gl.USAGE_ERROR}: {error}"
    get_run_logger().error("%s", message)
    return Cancelled(message=message, data=error)


def warehouse_unreachable(error: WarehouseUnreachable) -> State:
    """How a run ends when the warehouse does not answer: one line in the run's log and a Failed state carrying
    ``error`` (the failed-run alert fires: the night's reports are not made), with no traceback."""
    get_run_logger().error("%s", error)
    return Failed(message=str(error), data=error)


def out_of_memory(settings: Settings, plan: pl.Plan, clock: pl.Clock, error: Exception) -> State:
    """How a run ends when the run database ran out of memory: one line in the run's log naming the stage (the
    first of extract, validate and promote that ``clock`` has not lapped) and ``run_memory_limit``, the run's
    record closed as failed, and a Failed state carrying :class:`~tasks.pipeline.RunOutOfMemory` (the failed-run
    alert fires), with no traceback."""
    stage = next((s for s in ("extract", "validate", "promote") if s not in clock.timings), "promote")
    reason = " ".join(str(error).split("\n")[0].split())
    failure = pl.RunOutOfMemory(gl.OUT_OF_MEMORY.format(stage=gl.STAGES.get(stage, stage),
                                                        limit=settings.run_memory_limit, reason=reason))
    get_run_logger().error("%s", failure)
    close_run(settings, plan.run_id, "failed", {"error": str(failure)})
    return Failed(message=str(failure), data=failure)


def rerender_run(settings: Settings, plan: pl.Plan) -> pl.RunSummary:
    """Render the department-years the warehouse holds again, without touching their data (and ask for
    review, when on)."""
    summary = pl.RunSummary(plan.year, plan.run_id, rerender(settings, plan.year, plan.chosen or None))
    if settings.review:
        summary.reviews = review_reports(settings, plan.year, [o.department_code for o in summary.outcomes
                                                               if o.status == "rerendered"], plan.run_id)
    return summary


def finish(settings: Settings, summary: pl.RunSummary, clock: pl.Clock,
           rerendered: bool = False) -> pl.RunSummary | State:
    """The run's one artifact (a row per department), its record in the warehouse, and its end: Failed when a
    department-year was refused (the message names them and the rules, without a traceback: a refusal is
    the expected outcome of bad data), else the summary. A re-render ends with its summary."""
    log = get_run_logger()
    summary.timings = clock.timings
    for o in summary.outcomes:
        if o.status in ("loaded", "draft"):
            log.info("%s %s 已入库并生成报告%s：%s", o.department_code, summary.year,
                     f"（草稿，{gl.MISSING}：{'、'.join(o.missing)}）" if o.missing else "", o.reports.get("md"))
    publish_run(summary, settings)
    status = "rerendered" if rerendered else "refused" if summary.refused else "completed"
    close_run(settings, summary.run_id, status, summary.as_dict())
    if summary.refused and not rerendered:
        return Failed(message=summary.failure_message(), data=pl.DataRefused(summary))
    if summary.failed:  # a report that could not be rendered is an error: the run fails, and says which
        failure = pl.ReportsNotRendered(summary)
        return Failed(message=str(failure), data=failure)
    return summary
