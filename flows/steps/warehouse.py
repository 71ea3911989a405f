"""Prefect tasks of the warehouse: prepare, plan reruns, load and render, close the run."""

from __future__ import annotations

import datetime as dt
import time

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.quality.views import RunData
from tasks.report.render import report_dir
from tasks.report.stamp import clear_stamp, is_stamped
from tasks.resources import dropped_connection, engine_for, migrate_warehouse, opened
from tasks.settings import Settings
from tasks.warehouse import queries as q
from tasks.warehouse.dialect import take_waited
from tasks.warehouse.load import earlier_inputs, load_partition, partition_states
from tasks.warehouse.runs import finish_run, last_statuses, start_run
from tasks.warehouse.transform import build_partition


@task(name="load", cache_policy=NO_CACHE, retries=5, retry_delay_seconds=[1, 2, 4, 8, 16],
      retry_jitter_factor=0.5, retry_condition_fn=dropped_connection)
def load(data: RunData, department: str, settings: Settings, run_id: str, hashes: dict[str, str],
         code_version: str, fingerprint: str | None = None) -> tuple[dict[str, int], float]:
    """Replace one department-year's partition in the warehouse, in one transaction.

    Its report folder's render stamp is cleared first: the reports there are about to be stale.
    Returns the rows written per table and the seconds spent loading (without the wait for DuckDB's
    single writer, which shows in the fan-out's wall time). Retried only on a dropped connection.
    """
    engine = engine_for(settings)
    try:
        start = time.perf_counter()
        take_waited()
        folder = report_dir(settings.output_dir, data.year, department)
        if folder.exists():
            clear_stamp(folder)
        partition = build_partition(data, department, run_id, dt.datetime.now(dt.UTC), hashes)
        if fingerprint:
            partition.inputs_sha256 = fingerprint
        rows = load_partition(engine, partition, run_id, code_version)
        seconds = time.perf_counter() - start - take_waited()
    finally:
        engine.dispose()
    return rows, seconds


@task(name="find-unchanged", cache_policy=NO_CACHE)
def find_unchanged(settings: Settings, year: int, departments: list[str], code_version: str,
                   force: bool) -> tuple[dict[str, str | None], dict[str, str]]:
    """Fingerprint each department-year's inputs; those unchanged since their last load are skipped."""
    from tasks.pipeline import input_fingerprints, unchanged

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
                                          settings.narrative_root(), year, departments, context, earlier)
    if force:
        return fingerprints, {}
    rendered = {code: is_stamped(report_dir(settings.output_dir, year, code), fingerprints[code])
                for code in departments}
    return fingerprints, unchanged(fingerprints, previous, rendered)


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
