"""Prefect tasks of the data-quality gate: check, record and publish, alert."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.quality import alerts
from tasks.quality.gate import QualityReport, gate_parameters, run_gate
from tasks.quality.outputs import write_csv_reports, write_input_errors
from tasks.quality.page import write_quality_page
from tasks.quality.rundb import RunDatabase, run_database
from tasks.quality.views import RunData
from tasks.report.render import report_dir
from tasks.resources import engine_for
from tasks.settings import Settings
from tasks.sources.errors import Problem
from tasks.warehouse.quality_records import record_results


def docs_dir(settings: Settings, year: int) -> Path:
    return Path(settings.output_dir).resolve() / str(int(year)) / "data-docs"


def staging_database(settings: Settings) -> AbstractContextManager[RunDatabase]:
    """The run database a run's finance datasets are staged into and checked in (a context manager;
    gone, with what it spilled, when the context ends)."""
    return run_database(settings.scratch_dir, settings.run_memory_limit)


@task(name="validate", cache_policy=NO_CACHE)
def validate(data: RunData, settings: Settings) -> QualityReport:
    params = gate_parameters(settings, data.year)
    return run_gate(data, params, docs_dir=docs_dir(settings, data.year), scratch=settings.scratch_dir,
                    memory_limit=settings.run_memory_limit)


@task(name="record-quality", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4])
def record_quality(report: QualityReport, settings: Settings, run_id: str,
                   input_problems: dict[str, list[str]] | None = None, roots: dict[str, str] | None = None,
                   shared_problems: frozenset[str] = frozenset(), records: dict[str, Problem] | None = None) -> str:
    """Results into the warehouse, the error, warning and quarantine CSVs of each department-year (sent to the
    departments: files named by their paths in the landing zone, ``roots``; a shared input's problem,
    ``shared_problems``, said to be the operator's to mend; an input problem's file, row and column in their
    columns, ``records``), and the run's data-quality page that links them
    (returned: the run's one artifact links it; for the operator, it names the server's paths)."""
    engine = engine_for(settings)
    try:
        record_results(engine, report, run_id)
    finally:
        engine.dispose()
    files: dict[str, dict[str, str]] = {}
    for code in report.departments:
        folder = report_dir(settings.output_dir, report.year, code)
        files[code] = {k: str(v) for k, v in write_csv_reports(folder, report, code, roots).items()}
    for code, problems in (input_problems or {}).items():  # refused for its inputs: its errors listed as well
        if code not in files and problems:
            files[code] = {"fatal": str(write_input_errors(report_dir(settings.output_dir, report.year, code), code,
                                                           report.year, problems, roots, shared_problems,
                                                           records))}
    year_dir = Path(settings.output_dir) / str(int(report.year))
    listed = {severity: {code: Path(os.path.relpath(f[severity], year_dir)).as_posix() for code, f in files.items()
                         if severity in f} for severity in ("fatal", "warning")}
    return str(write_quality_page(year_dir, report, listed["fatal"], input_problems, run_id, listed["warning"]))


@task(name="alert", cache_policy=NO_CACHE)
def alert(report: QualityReport, input_problems: dict[str, list[str]], settings: Settings, run_id: str) -> int:
    """Alert on every refused department-year (and warnings when configured); returns alerts sent."""
    log = get_run_logger()
    sent = 0
    for item in alerts.alerts_for(report, input_problems, run_id, settings.alert_on_warnings):
        alerts.emit(item)
        problems = alerts.deliver(item, settings)
        for problem in problems:
            log.warning("%s %s：告警未送达（alert not delivered）：%s", item.department, item.year, problem)
        sent += not problems
    return sent
