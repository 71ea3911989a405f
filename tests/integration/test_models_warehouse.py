"""The same given/expect cases as tests/unit/test_models.py, on the migrated warehouse itself (DuckDB file and
PostgreSQL): the views the migrations made from tasks/sql/marts.sql, over the warehouse's own tables, give the
rows each case expects. And a changed marts.sql is built again on the next upgrade, not left stale."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tasks.warehouse import models
from tasks.warehouse import schema as s
from tasks.warehouse.migrate import upgrade
from tests.support.model_cases import assert_rows, case_id, cases

CASES = cases()
FILLER = {"payee": "某公司", "economic_class": "30201", "region_name": "荔湾区", "run_id": "case",
          "source_uri": "file:///case.csv", "source_sha256": "0" * 64, "source_file": 1}


def _row(table: sa.Table, row: dict, n: int) -> dict:
    """A case's row, with what the model does not read filled in (the warehouse's NOT NULL columns)."""
    values = {c.name: FILLER[c.name] for c in table.c if not c.nullable and c.name in FILLER}
    lineage = {"source_row": n, "loaded_at": dt.datetime(2023, 1, 1)}
    values.update({k: v for k, v in lineage.items() if k in table.c}, **row)
    return values


@pytest.mark.parametrize(("model", "case"), CASES, ids=[case_id(c) for c in CASES])
def test_a_warehouse_view_gives_what_its_case_expects(engine, model, case):
    upgrade(engine)
    with engine.begin() as conn:
        for name, rows in case["given"].items():
            table = s.metadata.tables[name]
            conn.execute(table.insert(), [_row(table, r, n) for n, r in enumerate(rows, 1)])
        models.refresh(conn)  # the given rows bypass promotion, which keeps the materialized models
    with engine.connect() as conn:
        result = conn.execute(sa.text(f'SELECT * FROM "{model}"'))
        assert_rows(list(result.keys()), [tuple(r) for r in result], case["expect"])


def test_a_changed_model_is_built_again_on_upgrade(engine, monkeypatch, tmp_path):
    upgrade(engine)
    with engine.connect() as conn:
        assert models.current(conn)
    changed = tmp_path / "marts.sql"
    changed.write_text(models.MARTS.read_text(encoding="utf-8").replace(
        "SUM(amount_fen) AS paid_fen", "SUM(amount_fen) + 1 AS paid_fen"), encoding="utf-8")
    monkeypatch.setattr(models, "MARTS", changed)
    with engine.begin() as conn:
        assert not models.current(conn)
        conn.execute(s.fct_payment.insert(), [_row(s.fct_payment, {
            "department_code": "D", "year": 2022, "voucher_no": "V", "line_id": "L", "pay_date": dt.date(2022, 1, 5),
            "amount_fen": 10}, 1)])
    upgrade(engine)  # the changed models made again, a materialized one (the ledger by day) from every row held
    with engine.connect() as conn:
        assert models.current(conn)
        assert conn.execute(sa.text("SELECT paid_fen FROM int_line_ledger_by_day")).scalar() == 11
