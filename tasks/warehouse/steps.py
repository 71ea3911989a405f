"""Prefect tasks of the load stage."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from tasks.quality.views import RunData
from tasks.report.build import render_department
from tasks.report.render import QualityNote, report_dir
from tasks.report.stamp import clear_stamp, is_stamped, write_stamp
from tasks.settings import Settings
from tasks.sources.raw import sha256_file
from tasks.warehouse.dialect import take_waited
from tasks.warehouse.engine import make_engine, warehouse_url
from tasks.warehouse.load import earlier_inputs, load_partition, partition_states
from tasks.warehouse.runs import finish_run, start_run
from tasks.warehouse.transform import build_partition


def warehouse_password(settings: Settings) -> str | None:
    """The password from the environment, or else from the named Prefect Secret block."""
    if settings.warehouse_password:
        return settings.warehouse_password.get_secret_value()
    if settings.warehouse_password_block:
        from prefect.blocks.system import Secret

        block: Any = Secret.load(settings.warehouse_password_block)
        return str(block.get())
    return None


def engine_for(settings: Settings) -> sa.Engine:
    return make_engine(warehouse_url(settings.warehouse_url, warehouse_password(settings)))


def is_transient(exc: BaseException) -> bool:
    """A dropped database connection, or another process holding the DuckDB file: worth a retry."""
    if "Could not set lock on file" in str(exc):
        return True
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return bool(getattr(exc, "connection_invalidated", True))
    return False


def _transient(task: object, task_run: object, state: State) -> bool:
    """Retry a load only when the database connection failed, not when the data is wrong."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


@task(name="load-and-render", cache_policy=NO_CACHE, retries=5, retry_delay_seconds=[1, 2, 4, 8, 16],
      retry_jitter_factor=0.5, retry_condition_fn=_transient)
def load_and_render(data: RunData, department: str, settings: Settings, run_id: str, hashes: dict[str, str],
                    code_version: str, notes: list[QualityNote], fingerprint: str | None = None,
                    ) -> tuple[dict[str, int], dict[str, str], dict[str, float]]:
    """One department-year, end to end: replace its partition, then render its report from the warehouse.

    This is the unit the flow fans out over departments (on Dask when configured). Returns the rows
    written, the report files, and the seconds spent loading and rendering.
    """
    engine = engine_for(settings)
    try:
        start = time.perf_counter()
        take_waited()
        folder = report_dir(settings.output_dir, data.year, department)
        if folder.exists():
            clear_stamp(folder)  # the reports there are about to be stale
        partition = build_partition(data, department, run_id, dt.datetime.now(dt.UTC), hashes)
        if fingerprint:
            partition.inputs_sha256 = fingerprint
        rows = load_partition(engine, partition, run_id, code_version)
        loaded = time.perf_counter()
        paths = render_department(engine, settings, department, data.year, notes)
        if fingerprint:
            write_stamp(folder, fingerprint, paths)
        rendered = time.perf_counter()
    finally:
        engine.dispose()
    # time spent queueing for DuckDB's single writer is not load work; it shows in the fan-out's wall time
    seconds = {"load": loaded - start - take_waited(), "render": rendered - loaded}
    return rows, {k: str(v) for k, v in paths.items()}, seconds


@task(name="find-unchanged", cache_policy=NO_CACHE)
def find_unchanged(settings: Settings, year: int, departments: list[str], code_version: str,
                   force: bool) -> tuple[dict[str, str | None], dict[str, str]]:
    """Fingerprint each department-year's inputs; those unchanged since their last load are skipped."""
    from tasks.pipeline import input_fingerprints, unchanged
    from tasks.sources.steps import opened

    context = {"code_version": code_version, "tolerance": str(settings.ledger_tolerance_wan),
               "yoy_bound": settings.yoy_warning_bound, "jump_factor": settings.jump_warning_factor,
               "sheets": settings.sheets,
               "report_config": sha256_file(settings.report_config) if settings.report_config.exists() else None}
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
      retry_condition_fn=_transient)
def prepare_warehouse(settings: Settings, run_id: str, year: int, parameters: dict, code_version: str) -> None:
    """Migrate the warehouse and log the run's start, before any data work: fail fast if unreachable."""
    engine = engine_for(settings)
    try:
        start_run(engine, run_id, year, parameters, code_version)
    finally:
        engine.dispose()


@task(name="close-run", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=_transient)
def close_run(settings: Settings, run_id: str, status: str, summary: dict) -> None:
    engine = engine_for(settings)
    try:
        finish_run(engine, run_id, status, summary)
    finally:
        engine.dispose()
