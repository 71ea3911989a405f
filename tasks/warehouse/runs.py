"""The run log: one row per flow run in ``ops_run``, written at the start and at the end."""

from __future__ import annotations

import datetime as dt
import json
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


def last_monitoring(conn: sa.Connection, year: int, before: str) -> dict[str, Any] | None:
    """The monitoring (``RunSummary.monitoring``: as_of, time_progress, paid, lagging) of the latest finished
    run of ``year`` other than ``before`` that kept one, or None."""
    r = s.ops_run
    rows = conn.execute(sa.select(r.c.summary).where(r.c.year == year, r.c.run_id != before,
                                                     r.c.summary.is_not(None), r.c.finished_at.is_not(None))
                        .order_by(r.c.finished_at.desc()))
    for (text,) in rows:
        monitoring = json.loads(text).get("monitoring")
        if monitoring:
            return dict(monitoring)
    return None


def last_statuses(conn: sa.Connection, year: int) -> dict[str, str]:
    """Each department's status in the latest finished run of ``year`` that included it ("loaded",
    "draft", "skipped", "no data yet", "refused"), from the runs' summaries."""
    r = s.ops_run
    rows = conn.execute(sa.select(r.c.summary).where(r.c.year == year, r.c.summary.is_not(None),
                                                     r.c.finished_at.is_not(None))
                        .order_by(r.c.finished_at.desc()))
    out: dict[str, str] = {}
    for (text,) in rows:
        for code, status in (json.loads(text).get("departments") or {}).items():
            out.setdefault(str(code), str(status))
    return out
