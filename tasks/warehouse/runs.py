"""The run log: one row per flow run in ``ops_run``, written at the start and at the end."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from tasks.warehouse import schema as s


def start_run(engine: sa.Engine, run_id: str, year: int, parameters: dict[str, Any], code_version: str) -> None:
    with engine.begin() as conn:
        conn.execute(s.ops_run.delete().where(s.ops_run.c.run_id == run_id))
        conn.execute(s.ops_run.insert().values(
            run_id=run_id, flow_run_id=run_id, year=year, started_at=dt.datetime.now(dt.UTC),
            status="running", code_version=code_version,
            parameters=json.dumps(parameters, ensure_ascii=False, sort_keys=True, default=str)))


def finish_run(engine: sa.Engine, run_id: str, status: str, summary: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(s.ops_run.update().where(s.ops_run.c.run_id == run_id).values(
            finished_at=dt.datetime.now(dt.UTC), status=status,
            summary=json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str)))


def _finished_runs(conn: sa.Connection, year: int,
                   other_than: str | None = None) -> Iterator[tuple[dict[str, Any], dt.datetime]]:
    """The summaries of the finished runs of ``year``, with when each finished, newest first (without run
    ``other_than``)."""
    r = s.ops_run
    query = (sa.select(r.c.summary, r.c.finished_at)
             .where(r.c.year == year, r.c.summary.is_not(None), r.c.finished_at.is_not(None))
             .order_by(r.c.finished_at.desc()))
    if other_than is not None:
        query = query.where(r.c.run_id != other_than)
    for text, finished in conn.execute(query):
        yield json.loads(text), finished


def last_monitoring(conn: sa.Connection, year: int, before: str) -> dict[str, Any] | None:
    """The monitoring (``RunSummary.monitoring``: as_of, time_progress, paid, lagging, told) of the latest
    finished run of ``year`` other than ``before`` that kept one, or None."""
    return next((dict(m) for summary, _ in _finished_runs(conn, year, before) if (m := summary.get("monitoring"))),
                None)


def _latest_statuses(conn: sa.Connection, year: int) -> dict[str, tuple[str, dt.datetime]]:
    """Each department's status in the latest finished run of ``year`` that included it, and when that run
    finished."""
    out: dict[str, tuple[str, dt.datetime]] = {}
    for summary, finished in _finished_runs(conn, year):
        for code, status in statuses(summary).items():
            out.setdefault(code, (status, finished))
    return out


def last_statuses(conn: sa.Connection, year: int) -> dict[str, str]:
    """Each department's status in the latest finished run of ``year`` that included it ("loaded",
    "draft", "skipped", "no data yet", "refused"), from the runs' summaries."""
    return {code: status for code, (status, _) in _latest_statuses(conn, year).items()}


def statuses(summary: dict[str, Any]) -> dict[str, str]:
    """A run summary's department → status; empty for a run that decided none (bad parameters, or a summary
    written before the statuses were kept as a mapping)."""
    found = summary.get("departments")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def refused_since_loaded(conn: sa.Connection, year: int) -> dict[str, tuple[dt.datetime, dt.datetime | None]]:
    """The departments of ``year`` whose latest finished run refused their data: department code → (when
    that run finished, when the rows the warehouse still holds for it were loaded, or None)."""
    p = s.ops_partition
    held = {str(code): at for code, at in conn.execute(
        sa.select(p.c.department_code, p.c.loaded_at).where(p.c.year == year))}
    return {code: (finished, held.get(code)) for code, (status, finished) in _latest_statuses(conn, year).items()
            if status == "refused"}
