"""The flow on PostgreSQL produces the same report, byte for byte, as on DuckDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import LIWAN, first_difference


def run(tmp, url, name):
    from flows.self_evaluation import self_evaluation

    out = tmp / name
    state = self_evaluation(year=2022, warehouse_url=url, output_dir=str(out), return_state=True)
    assert state.is_completed(), state.message
    return out / "2022"


@pytest.fixture(scope="module")
def duckdb_reports(prefect_harness, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("duck")
    return run(tmp, f"duckdb:///{tmp}/wh.duckdb", "out")


def test_postgresql_reports_are_byte_identical(prefect_harness, duckdb_reports, pg_url, tmp_path, reference_text):
    pg_reports = run(tmp_path, pg_url, "pg")
    files = sorted(p.relative_to(duckdb_reports) for p in duckdb_reports.rglob("report.*"))
    assert len(files) >= 6
    for rel in files:
        assert (pg_reports / rel).read_bytes() == (duckdb_reports / rel).read_bytes(), rel
    assert first_difference((pg_reports / LIWAN / "report.md").read_text(encoding="utf-8"), reference_text) is None


def test_password_comes_from_a_prefect_secret_block(prefect_harness, pg_url):
    from prefect.blocks.system import Secret

    from tasks.resources import engine_for
    from tasks.settings import Settings

    Secret(value="s3cret-from-block").save("selfeval-test-warehouse-password", overwrite=True)
    engine = engine_for(Settings(warehouse_url=pg_url, warehouse_password_block="selfeval-test-warehouse-password"))
    try:
        assert engine.url.password == "s3cret-from-block"
        assert "s3cret" not in str(engine.url)  # SQLAlchemy masks it when printed
        with engine.connect() as conn:  # trust auth on the test server accepts any password
            assert conn.execute(sa.text("select 1")).scalar() == 1
    finally:
        engine.dispose()
