"""The yearly flow: extract → validate → load → render, for each department of a year.

The body only sequences named steps; what each step does lives in ``tasks/``. The fan-out over
departments (load and render) runs on the flow's task runner: threads by default, Dask when
``SELFEVAL_DASK_ADDRESS`` names a scheduler (see :func:`with_runner`).
"""

from __future__ import annotations

import uuid
from collections import deque
from pathlib import Path
from typing import Annotated, Any

from prefect import Flow, flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State
from pydantic import Field

from flows.steps.quality import alert, record_quality, staging_database, validate
from flows.steps.report import check_narratives, check_targets, monitor_year, render_department, rerender
from flows.steps.review import review_reports
from flows.steps.sources import extract_departments, extract_finance, extract_registry, extract_statistics
from flows.steps.warehouse import close_run, find_unchanged, load, prepare_warehouse
from tasks import pipeline as pl
from tasks.artifacts import publish_reports, publish_run
from tasks.domain import today
from tasks.progress import RunProgress
from tasks.report.render import QualityNote
from tasks.settings import Settings
from tasks.sources.contract import DEPARTMENT_CODE

# Parameters as the Prefect UI shows them: typed and bounded here, described (in Chinese and
# English) in the flow's docstring, which is where Prefect reads parameter descriptions from.
Year = Annotated[int | None, Field(ge=2000, le=2100)]
Departments = Annotated[list[Annotated[str, Field(pattern=f"^{DEPARTMENT_CODE}$")]] | None, Field()]


@flow(name="self-evaluation", log_prints=False, validate_parameters=True)
def self_evaluation(
    year: Year = None,
    departments: Departments = None,
    source: str | None = None,
    warehouse_url: str | None = None,
    output_dir: str | None = None,
    finance_source: str | None = None,
    statistics_source: str | None = None,
    registry_source: str | None = None,
    narrative_dir: str | None = None,
    rerender_only: bool = False,
    force: bool = False,
    review: bool = False,
) -> pl.RunSummary | State:
    """Build each department's 部门整体支出绩效自评报告 for ``year`` from its source data.

    A department whose data fails a fatal rule, or whose inputs are malformed, loads
    nothing and gets no report; the others go on, and the run then ends Failed naming it.

    Args:
        year: 报告年度；留空为本年度（北京时间） / Report year; empty for the current year (Asia/Shanghai).
        departments: 部门编码，可多选；留空为全部部门 / Department codes; empty for every department.
        source: 数据目录（含 finance、statistics、registry、narrative） / Landing-zone folder.
        warehouse_url: 数据仓库地址（SQLAlchemy URL，不含密码） / Warehouse SQLAlchemy URL, without password.
        output_dir: 报告输出目录 / Folder the reports are written to.
        finance_source: 财政数据：目录或数据库 URL / Finance: a folder or a database URL.
        statistics_source: 统计数据：目录或 API / Statistics: a folder or an API URL.
        registry_source: 企业登记数据：目录或 API / Registry: a folder or an API URL.
        narrative_dir: 自评材料（文字）目录 / Narrative folder.
        rerender_only: 只重新生成报告，不重新入库 / Re-render the reports from the warehouse without reloading.
        force: 即使数据与代码均未变化也重新处理 / Process departments even when their inputs and code are unchanged.
        review: 审核：报告先为草稿，在界面中批准或退回后定稿（SELFEVAL_REVIEW=true 时总是审核） / Review: reports
            are drafts until a reviewer approves or returns them here, the run pausing for each (always on with
            SELFEVAL_REVIEW=true).
    """
    log = get_run_logger()
    year = year or today().year
    settings = Settings().with_overrides(
        source=source, warehouse_url=warehouse_url, output_dir=Path(output_dir) if output_dir else None,
        finance_source=finance_source, statistics_source=statistics_source, registry_source=registry_source,
        narrative_dir=narrative_dir, review=review or None)
    pl.check_configuration(settings)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    summary = pl.RunSummary(year=year, run_id=run_id)
    version = pl.code_version()
    prepare_warehouse(settings, run_id, year, {"year": year, "departments": departments,
                                               "rerender_only": rerender_only}, version)
    if rerender_only:
        summary.outcomes = rerender(settings, year, departments)
        if settings.review:
            summary.reviews = review_reports(settings, year, [o.department_code for o in summary.outcomes
                                                              if o.status == "rerendered"], run_id)
        publish_run(summary)
        close_run(settings, run_id, "rerendered", summary.as_dict())
        return summary

    clock = pl.Clock()
    catalogue, dept_extract = extract_departments(settings)
    if dept_extract.failed:  # without the list of departments, nothing can be checked or loaded
        summary.outcomes = [pl.DepartmentOutcome(code, "refused", [str(p) for p in dept_extract.problems])
                            for code in departments or ["(all)"]]
        close_run(settings, run_id, "refused", summary.as_dict())
        return Failed(message=summary.failure_message(), data=pl.DataRefused(summary))
    chosen = pl.resolve_departments(catalogue, departments or None)
    progress = RunProgress(len(chosen), f"自评报告 {year}: departments done")
    fingerprints, skipped = find_unchanged(settings, year, chosen, version, force)
    outcomes: dict[str, pl.DepartmentOutcome] = {}
    for code, last_run in skipped.items():
        outcomes[code] = pl.DepartmentOutcome(code, "skipped", [f"inputs and code unchanged since run {last_run}"])
        log.info("%s %s skipped: inputs and code unchanged since run %s", code, year, last_run)
        progress.advance(f"{code} skipped")
    todo = [c for c in chosen if c not in skipped]
    clock.lap("plan")

    if todo:
        # The run database holds the finance datasets from extraction until every load has its rows;
        # memory holds the departments of one batch (RunDatabase.batch_rows) and of the loads in flight.
        with staging_database(settings) as db:
            finance = extract_finance(settings, year, todo, db.append)
            for code in finance.no_data:  # nothing delivered for the year yet: not refused
                outcomes[code] = pl.DepartmentOutcome(code, "no data yet", [f"no finance file for {year} yet"])
                progress.advance(f"{code} no data yet")
            todo = [c for c in todo if c not in finance.no_data]
            statistics = extract_statistics(settings)
            registry = extract_registry(settings)
            problems = pl.input_problems(todo, dept_extract, finance, statistics, registry)
            input_warnings = pl.input_warnings(todo, dept_extract, finance, statistics, registry)
            narrative_problems, narrative_warnings = check_narratives(settings, year, todo)
            pl.merge_problems(problems, narrative_problems)
            pl.merge_problems(input_warnings, narrative_warnings)
            pl.merge_problems(problems, check_targets(settings, {c: db.department_frame("targets", c) for c in todo}))
            clock.lap("extract")

            data = pl.assemble(year, catalogue, [c for c in todo if c not in problems], finance, registry,
                               statistics, staged=db)
            report = validate(data, settings)
            record_quality(report, settings, run_id)
            alert(report, problems, settings, run_id)
            hashes = pl.file_hashes(dept_extract, finance, statistics, registry)
            roots = pl.landing_roots({name: settings.location(name) for name in ("finance", "statistics", "registry")},
                                     settings.source)
            clock.lap("validate")

            # Loads go out a window at a time (settings.load_window), each with its own department's
            # rows read from the run database; renders follow their loads and are collected at the end.
            window: deque[str] = deque()
            futures: dict[str, tuple[Any, Any, int]] = {}
            for code in todo:
                decision = pl.decide(code, year, problems.get(code, []), report, input_warnings.get(code, []), roots)
                if decision.outcome is not None:
                    outcomes[code] = decision.outcome
                    log.error("%s", decision.log)
                    progress.advance(f"{code} refused")
                    continue
                for w in dict.fromkeys(input_warnings.get(code, [])):
                    log.warning("%s %s: %s", code, year, w)
                for rule_id, label, failing, example in decision.notes:
                    if rule_id != "INPUT":  # input warnings are logged above
                        log.warning("%s %s: %s %s: %s row(s); %s", code, year, rule_id, label, failing, example)
                while len(window) >= settings.load_window:
                    futures[window.popleft()][0].wait()
                notes = [QualityNote(*n) for n in decision.notes]
                loaded = load.submit(data.only(code), code, settings, run_id, hashes, version, fingerprints.get(code))
                rendered = render_department.submit(settings, code, year, notes, fingerprints.get(code),
                                                    wait_for=[loaded], return_state=False)
                futures[code] = (loaded, rendered, len(notes))
                window.append(code)
        # every department's rows are read: the run database goes before the renders are collected
        for code, (loaded, rendered, warnings) in futures.items():
            (rows, load_seconds), (paths, render_seconds, missing) = loaded.result(), rendered.result()
            outcomes[code] = pl.DepartmentOutcome(code, "draft" if missing else "loaded", warnings=warnings,
                                                  reports=paths, rows=rows, missing=missing)
            clock.add("load (sum)", load_seconds)
            clock.add("render (sum)", render_seconds)
            publish_reports(outcomes[code], year)
            log.info("%s %s loaded and rendered%s: %s", code, year,
                     f" as a 草稿 (not yet submitted: {'、'.join(missing)})" if missing else "", paths.get("md"))
            progress.advance(f"{code} {outcomes[code].status}")
        clock.lap("load and render")
    summary.outcomes = [outcomes[c] for c in chosen]
    if settings.review:  # each report awaiting a decision: the run pauses until a reviewer gives it
        summary.reviews = review_reports(settings, year, [o.department_code for o in summary.outcomes
                                                          if o.status in pl.RENDERED], run_id)
        clock.lap("review")
    summary.monitoring = monitor_year(settings, year, run_id)  # a year not yet closed: 支付进度 against 序时进度
    clock.lap("monitor")
    summary.timings = clock.timings

    publish_run(summary)
    close_run(settings, run_id, "refused" if summary.refused else "completed", summary.as_dict())
    if summary.refused:
        # A Failed state rather than an exception: the refusal is the expected outcome of bad
        # data, and its message names the departments and rules without a traceback.
        return Failed(message=summary.failure_message(), data=pl.DataRefused(summary))
    return summary


def with_runner(selected: Flow[..., Any], dask_address: str | None) -> Flow[..., Any]:
    """``selected`` with its department fan-out on the Dask scheduler at ``dask_address``, if any."""
    if not dask_address:
        return selected
    from prefect_dask import DaskTaskRunner

    return selected.with_options(task_runner=DaskTaskRunner(address=dask_address))  # type: ignore[arg-type]
