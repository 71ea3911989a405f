"""The yearly flow: plan → extract → gate → promote → render each key → review → monitor → close.

The body only sequences named steps (``flows/steps``); what each step does lives in ``tasks/``. A
department-year is a key: the run database holds every department's staged rows, the gate checks them all
at once, promotion moves the accepted keys' rows into the warehouse as a set, and the renders read the
warehouse by keys. The render fan-out runs over ``render_workers`` parts: in processes of their own, a core
each, for a run of many departments (``render_processes_from``); otherwise on the flow's task runner (threads
by default, Dask when ``SELFEVAL_DASK_ADDRESS`` names a scheduler: :func:`with_runner`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import duckdb
from prefect import Flow, flow
from prefect.runtime import flow_run
from prefect.states import State
from pydantic import BeforeValidator, Field

from flows.steps.quality import staging_database
from flows.steps.report import monitor_year, publish_scores, render_all, render_workers, sum_up_projects
from flows.steps.review import review_reports
from flows.steps.run import (
    as_is,
    extract,
    finish,
    gate,
    out_of_memory,
    plan_run,
    rerender_run,
    usage_error,
    warehouse_unreachable,
)
from flows.steps.warehouse import promote
from tasks import pipeline as pl
from tasks.domain import FIRST_YEAR, LAST_YEAR, today
from tasks.report.render import QualityNote
from tasks.resources import WarehouseUnreachable
from tasks.settings import Settings
from tasks.sources.contract import DEPARTMENT_CODE, department_code

# Parameters as the Prefect UI shows them: typed and bounded here, described (in Chinese and
# English) in the flow's docstring, which is where Prefect reads parameter descriptions from.
Year = Annotated[int | None, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Departments = Annotated[list[Annotated[str, BeforeValidator(department_code), Field(pattern=f"^{DEPARTMENT_CODE}$")]]
                        | None, Field()]


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
    year, clock = year or today().year, pl.Clock()
    try:  # bad parameters end the run Cancelled with one line, not Failed with a traceback
        settings = pl.configured(Settings(), source=source, warehouse_url=warehouse_url, output_dir=output_dir,
                                 finance_source=finance_source, statistics_source=statistics_source,
                                 registry_source=registry_source, narrative_dir=narrative_dir, review=review)
        plan = plan_run(settings, year, departments, rerender_only, force, str(flow_run.get_id() or uuid.uuid4()))
    except pl.UsageError as error:
        return usage_error(error)
    except WarehouseUnreachable as error:
        return warehouse_unreachable(error)
    if plan.refused or rerender_only:  # the catalogue could not be read; or only the reports are drawn again
        summary = rerender_run(settings, plan) if rerender_only else pl.RunSummary(year, plan.run_id, plan.refused)
        return finish(settings, summary, clock, rerendered=rerender_only)
    intake, verdict, rendered, done = None, pl.Verdict({}), {}, []
    clock.lap("plan")
    with render_workers(settings, plan.todo) as workers:  # processes start while the run extracts, end as it closes
        if plan.todo:
            try:
                with staging_database(settings) as db:
                    intake = extract(settings, plan, db)
                    clock.lap("extract")
                    verdict = gate(settings, plan, intake, db)
                    clock.lap("validate")
                    promoted = promote(settings, db, plan, intake, verdict.accepted)
            except duckdb.OutOfMemoryException as error:  # one line naming the setting, not DuckDB's traceback
                return out_of_memory(settings, plan, clock, error)
            clock.lap("promote")
            notes = {code: [QualityNote(*n) for n in found] for code, found in verdict.notes().items()}
            done = render_all(settings, year, verdict.accepted, notes, workers, promoted.projects())
            publish_scores(settings, year, as_is([r for r in done if r.error is None]), plan.fingerprints)
            rendered = pl.rendered_outcomes(plan, done, verdict.decisions, promoted.rows)
            clock.lap("render")
        summary = pl.RunSummary(year, plan.run_id, pl.outcomes(plan, intake, verdict.decisions, rendered),
                                data_docs=verdict.data_docs, quality_page=verdict.quality_page,
                                projects=sum_up_projects(as_is(done)))
        if settings.review:  # each report awaiting a decision: the run pauses until a reviewer gives it
            summary.reviews = review_reports(settings, year, [o.department_code for o in summary.outcomes
                                                              if o.status in pl.RENDERED], plan.run_id)
            clock.lap("review")
        summary.monitoring = monitor_year(settings, year, plan.run_id)  # an open year: 支付进度 against 序时进度
    clock.lap("monitor")  # with the render workers' exit, if the run had to wait for it
    return finish(settings, summary, clock)


def with_runner(selected: Flow[..., Any], dask_address: str | None) -> Flow[..., Any]:
    """``selected`` with its department fan-out on the Dask scheduler at ``dask_address``, if any."""
    if not dask_address:
        return selected
    from prefect_dask import DaskTaskRunner

    return selected.with_options(task_runner=DaskTaskRunner(address=dask_address))  # type: ignore[arg-type]
