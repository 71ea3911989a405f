"""Faults: a load killed half-way, and a PostgreSQL connection dropped during a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tasks.warehouse import schema as s
from tasks.warehouse.engine import make_engine
from tests.integration.warehouse_helpers import count, load_sample, payments_of_run, sample_data, snapshot

ROOT = Path(__file__).resolve().parents[2]
LIWAN = "440103-KGXJ"


def test_sigkill_mid_load_keeps_the_previous_partition(warehouse_url, tmp_path):
    data, hashes = sample_data(departments=[LIWAN])
    engine = make_engine(warehouse_url)
    load_sample(engine, "first", data, hashes)
    before = snapshot(engine)
    payments = count(engine, s.fct_payment)
    engine.dispose()  # DuckDB: one process may hold the file for writing

    marker = tmp_path / "inside"
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.kill_helper", warehouse_url, str(marker)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"helper ended before the stall: {proc.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("helper never reached the middle of the load")
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    engine = make_engine(warehouse_url)
    after = snapshot(engine)
    for name in before:
        assert before[name].equals(after[name]), name
    assert payments_of_run(engine, "killed-run") == 0
    load_sample(engine, "next", data, hashes)
    assert count(engine, s.fct_payment) == payments
    assert payments_of_run(engine, "next") == payments
    engine.dispose()


def test_dropped_postgresql_connection_is_retried(prefect_harness, pg_url, pg_server_url, tmp_path, monkeypatch):
    """The flow's own promotion step (``promote``, under its own retry policy) survives a PostgreSQL
    connection killed in the middle of writing the department-years."""
    from prefect.context import TaskRunContext

    import tasks.warehouse.promote as promote
    from flows.self_evaluation import self_evaluation
    from tasks.pipeline import RunSummary

    real_copy = promote.copy_batches
    dropped: list[str] = []  # the task that was writing when its connection was killed
    attempts: list[tuple[str, object, int]] = []  # (task, task run id, run count) of each copy

    def copy_after_a_drop(conn, table, reader):
        context = TaskRunContext.get()
        if context is not None:
            attempts.append((context.task.name, context.task_run.id, context.task_run.run_count))
        if not dropped:
            pid = conn.execute(sa.text("select pg_backend_pid()")).scalar()
            admin = sa.create_engine(pg_server_url)
            with admin.connect() as other:
                other.execute(sa.text("select pg_terminate_backend(:p)"), {"p": pid})
            admin.dispose()
            dropped.append(context.task.name if context else "(outside a task)")
        return real_copy(conn, table, reader)

    monkeypatch.setattr(promote, "copy_batches", copy_after_a_drop)
    state = self_evaluation(year=2022, departments=[LIWAN], warehouse_url=pg_url,
                            output_dir=str(tmp_path / "out"), return_state=True)
    assert state.is_completed(), state.message
    assert dropped == ["promote"], "the connection was not dropped in the middle of the flow's promotion"
    # The same task run of the flow's promotion tried again (its retry policy), not a new one: read from
    # the task's own run context, so the check does not wait on the server's event ingestion.
    first_task, first_run, first_count = attempts[0]
    assert (first_task, first_count) == ("promote", 1)
    assert any(run == first_run and count == 2 for _, run, count in attempts), attempts

    summary = state.result()
    assert isinstance(summary, RunSummary)
    (outcome,) = summary.outcomes
    assert outcome.status == "loaded" and (tmp_path / "out" / "2022" / LIWAN / "report.pdf").exists()
    engine = make_engine(pg_url)
    assert payments_of_run(engine, summary.run_id) == outcome.rows["fct_payment"] > 1000
    assert count(engine, s.fct_payment) == outcome.rows["fct_payment"]  # the killed attempt left nothing
    engine.dispose()
