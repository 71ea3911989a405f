"""Prefect tasks of the load stage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from tasks.quality.views import RunData
from tasks.report.build import render_department
from tasks.report.render import QualityNote
from tasks.settings import Settings
from tasks.warehouse.engine import make_engine, warehouse_url
from tasks.warehouse.load import load_partition
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


@task(name="load-department", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=_transient)
def load_department(data: RunData, department: str, settings: Settings, run_id: str, hashes: dict[str, str],
                    code_version: str) -> dict[str, int]:
    engine = engine_for(settings)
    try:
        partition = build_partition(data, department, run_id, dt.datetime.now(dt.UTC), hashes)
        return load_partition(engine, partition, run_id, code_version)
    finally:
        engine.dispose()


@task(name="load-and-render", cache_policy=NO_CACHE, retries=5, retry_delay_seconds=[1, 2, 4, 8, 16],
      retry_jitter_factor=0.5, retry_condition_fn=_transient)
def load_and_render(data: RunData, department: str, settings: Settings, run_id: str, hashes: dict[str, str],
                    code_version: str, notes: list[QualityNote]) -> tuple[dict[str, int], dict[str, str]]:
    """One department-year, end to end: replace its partition, then render its report from the warehouse.

    This is the unit the flow fans out over departments (on Dask when configured).
    """
    engine = engine_for(settings)
    try:
        partition = build_partition(data, department, run_id, dt.datetime.now(dt.UTC), hashes)
        rows = load_partition(engine, partition, run_id, code_version)
        paths = render_department(engine, settings, department, data.year, notes)
    finally:
        engine.dispose()
    return rows, {k: str(v) for k, v in paths.items()}


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
