"""The department fan-out on Dask (a distributed.LocalCluster of worker processes) gives the same
results as on the default runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from distributed import LocalCluster

from tasks.warehouse.engine import make_engine
from tests.integration.warehouse_helpers import snapshot


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def run(url: str, out: Path, dask_address: str | None):
    from flows.self_evaluation import self_evaluation, with_runner

    state = with_runner(self_evaluation, dask_address)(year=2022, warehouse_url=url, output_dir=str(out),
                                                       return_state=True)
    assert state.is_completed(), state.message
    return out / "2022"


def test_dask_and_default_runner_give_identical_results(prefect_harness, cluster, pg_server_url, tmp_path,
                                                        monkeypatch):
    import uuid

    import sqlalchemy as sa

    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path("tests/support/report-light.yaml").resolve()))
    schemas = [f"selfeval_dask_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = sa.create_engine(pg_server_url)
    with admin.begin() as conn:
        for s in schemas:
            conn.execute(sa.text(f'CREATE SCHEMA "{s}"'))
    try:
        urls = [f"{pg_server_url}?options=-csearch_path%3D{s}" for s in schemas]
        before = cluster.scheduler.transition_counter
        plain = run(urls[0], tmp_path / "plain", None)
        dask = run(urls[1], tmp_path / "dask", cluster.scheduler_address)
        assert cluster.scheduler.transition_counter > before, "no task ran on the Dask cluster"
        files = sorted(p.relative_to(plain) for p in plain.rglob("report.*"))
        assert len(files) == 6
        for rel in files:
            assert (dask / rel).read_bytes() == (plain / rel).read_bytes(), rel
        engines = [make_engine(u) for u in urls]
        a, b = (snapshot(e) for e in engines)
        for name in a:
            assert a[name].equals(b[name]), name
        for e in engines:
            e.dispose()
    finally:
        with admin.begin() as conn:
            for s in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{s}" CASCADE'))
        admin.dispose()
