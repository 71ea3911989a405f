"""The nightly run, all year round: the current year, and the previous year until its reports are final.

Every night (the ``nightly`` deployment, 02:00 Asia/Shanghai), for every department:

- the previous year, while any of its reports is not final (a 草稿 waiting for its 决算总表, narrative,
  绩效目标 or 绩效自评, or not rendered yet): the self-evaluation season. Departments whose inputs did not
  change are skipped in seconds, so a season that lasts costs little;
- the current year: its ledger so far loads and is checked, and its 支付进度 is set against 序时进度
  (in-year monitoring). A department with no file for the year yet is "no data yet", not refused.

Each year is a subflow run of ``self-evaluation``; the night ends Failed only when one of them does (a
fatal data rule, a malformed input), naming the year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from flows.self_evaluation import self_evaluation, with_runner
from flows.steps.sources import extract_departments
from flows.steps.warehouse import report_status
from tasks import glossary as gl
from tasks import pipeline as pl
from tasks.domain import TIMEZONE, today
from tasks.settings import Settings


def night_of(scheduled: dt.datetime | None) -> dt.date:
    """The date a run is for: its scheduled start in Asia/Shanghai (a late or retried run still does the
    night it was scheduled for), or today there."""
    if scheduled is None:
        return today()
    return scheduled.astimezone(TIMEZONE).date() if scheduled.tzinfo else scheduled.date()


@flow(name="self-evaluation-nightly", log_prints=False, validate_parameters=True)
def nightly(today: dt.date | None = None) -> State[Any]:
    """The night's work: the previous year until its reports are final, and the current year.

    Args:
        today: 运行日期（北京时间）；留空为本次计划运行的日期 / The night's date; empty for the run's scheduled date
            (Asia/Shanghai).
    """
    log = get_run_logger()
    night = today or night_of(flow_run.scheduled_start_time)
    settings = Settings()
    catalogue, listed = extract_departments(settings)
    codes = [] if listed.failed else [str(c) for c in catalogue["department_code"]]
    previous, last_run = report_status(settings, night.year - 1, codes)
    # without the catalogue, the previous year is processed: that run then refuses and alerts
    years = pl.nightly_years(night, previous, last_run) if codes else [night.year - 1, night.year]
    if night.year - 1 in years:
        log.info("%s：%s 年度报告尚未定稿（%s），一并处理（not final yet: processing it too）",
                 night, night.year - 1,
                 "、".join(pl.waiting_for(previous, last_run))
                 or "部门目录无法读取（the department catalogue could not be read）")
    results: dict[int, str] = {}
    for year in years:
        state = cast("State[Any]", with_runner(self_evaluation, settings.dask_address)(year=year, return_state=True))
        results[year] = state.type.value
        log.info("%s 年：%s %s", year, gl.run_state(state.type.value), state.message or "")
    text = f"{night} 夜间运行（nightly）：{gl.years_line(results)}"
    failed = [year for year, value in results.items() if value != "COMPLETED"]
    if failed:
        return Failed(message=text, data=results)
    return Completed(message=text, data=results)
