"""Prefect tasks of the warehouse: prepare, plan reruns, promote what passed the gate, close the run."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.pipeline import Intake, Plan
from tasks.quality.rundb import RunDatabase
from tasks.report.render import report_dir
from tasks.report.stamp import clear_stamp, is_stamped
from tasks.resources import dropped_connection, engine_for, migrate_warehouse, opened
from tasks.settings import Settings
from tasks.warehouse import queries as q
from tasks.warehouse.load import earlier_inputs, partition_states
from tasks.warehouse.promote import Promotion
from tasks.warehouse.promote import promote as promote_keys
from tasks.warehouse.runs import finish_run, last_statuses, start_run


@task(name="promote", cache_policy=NO_CACHE, retries=5, retry_delay_seconds=[1, 2, 4, 8, 16],
      retry_jitter_factor=0.5, retry_condition_fn=dropped_connection)
def promote(settings: Settings, db: RunDatabase, plan: Plan, intake: Intake, accepted: list[str]) -> Promotion:
    """Move the accepted department-years, and the shared sources whose content changed, from the run database
    into the warehouse, as a set and in one transaction (:func:`tasks.warehouse.promote.promote`). Their report
    folders' render stamps are cleared first: the reports there are about to be stale. Retried only on a
    dropped connection (the transaction then left nothing)."""
    for code in accepted:
        folder = report_dir(settings.output_dir, plan.year, code)
        if folder.exists():
            clear_stamp(folder)
    engine = engine_for(settings)
    try:
        return promote_keys(db, engine, plan.year, accepted, plan.run_id, plan.code_version, plan.fingerprints,
                            intake.files, intake.shared())
    finally:
        engine.dispose()


@task(name="find-unchanged", cache_policy=NO_CACHE)
def find_unchanged(settings: Settings, year: int, departments: list[str], code_version: str,
                   force: bool) -> tuple[dict[str, str | None], dict[str, str], dict[str, str]]:
    """Fingerprint each department-year's inputs; those unchanged since their last load are skipped. Returns the
    fingerprints, the skipped (department → the run that loaded it) and why each other is done again."""
    from tasks.pipeline import input_fingerprints, redo_reasons, unchanged

    context = {"code_version": code_version, **settings.result_settings()}
    engine = engine_for(settings)
    try:
        previous = partition_states(engine, year)
        earlier = earlier_inputs(engine, year)
    finally:
        engine.dispose()
    with opened(settings, "finance") as fin, opened(settings, "statistics") as sta, \
            opened(settings, "registry") as reg:
        fingerprints = input_fingerprints({"finance": fin, "statistics": sta, "registry": reg},
                                          settings.narrative_root(), year, departments, context, earlier,
                                          threads=settings.extract_threads)
    rendered = {code: is_stamped(report_dir(settings.output_dir, year, code), fingerprints[code])
                for code in departments}
    skipped = {} if force else unchanged(fingerprints, previous, rendered)
    return fingerprints, skipped, redo_reasons(fingerprints, previous, skipped, code_version, force)


@task(name="prepare-warehouse", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def prepare_warehouse(settings: Settings, run_id: str, year: int, parameters: dict, code_version: str) -> None:
    """Migrate the warehouse (once per run) and log the run's start, before any data work: fail fast
    if it is unreachable."""
    migrate_warehouse(settings)
    engine = engine_for(settings)
    try:
        start_run(engine, run_id, year, parameters, code_version)
    finally:
        engine.dispose()


@task(name="close-run", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def close_run(settings: Settings, run_id: str, status: str, summary: dict) -> None:
    engine = engine_for(settings)
    try:
        finish_run(engine, run_id, status, summary)
    finally:
        engine.dispose()


@task(name="report-status", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def report_status(settings: Settings, year: int, departments: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each department's report for ``year`` ("final", "draft" or "none"), and its status in the latest run
    of ``year`` (absent when no run included it)."""
    migrate_warehouse(settings)
    engine = engine_for(settings)
    try:
        with engine.connect() as conn:
            return q.report_status(conn, year, departments), last_statuses(conn, year)
    finally:
        engine.dispose()
