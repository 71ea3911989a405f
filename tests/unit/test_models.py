"""The model graph's marts (tasks/sql/marts.sql) against the given/expect cases beside them (tasks/sql/marts.yml),
in the manner of dbt's unit tests: each case's given tables, the model with the models it reads, the rows it
must give. And every model has its tests, and every test a model."""

from __future__ import annotations

import duckdb
import pytest

from tasks.warehouse import schema as s
from tasks.warehouse.models import marts, materialized
from tests.support.model_cases import assert_rows, case_id, cases, models

CASES = cases()


def test_every_mart_has_its_tests_and_every_test_a_mart():
    assert [m["name"] for m in models()] == list(marts())
    assert all(m["cases"] and m["unique"] and m["description"] for m in models())


def _given(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict]) -> None:
    """A table named as the warehouse's, with the warehouse's columns (types from the schema; lineage's load
    time as text), holding ``rows``; a column a row does not give is NULL."""
    table = s.metadata.tables[name]
    columns = {c.name: c for c in table.c}
    types = {c: "DATE" if str(t.type) == "DATE" else "BIGINT" if "INT" in str(t.type) else
             "BOOLEAN" if str(t.type) == "BOOLEAN" else "VARCHAR" for c, t in columns.items()}
    con.execute(f'CREATE TABLE "{name}" (' + ", ".join(f'"{c}" {t}' for c, t in types.items()) + ")")
    for row in rows:
        con.execute(f'INSERT INTO "{name}" ({", ".join(row)}) VALUES ({", ".join("?" for _ in row)})',
                    list(row.values()))


@pytest.mark.parametrize(("model", "case"), CASES, ids=[case_id(c) for c in CASES])
def test_a_mart_gives_what_its_case_expects(model, case):
    con = duckdb.connect()
    for table, rows in case["given"].items():
        _given(con, table, rows)
    for table in ("fct_payment", "fct_budget_line", "dim_department"):  # what a model reads but the case does not give
        if table not in case["given"]:
            _given(con, table, [])
    for name, select in marts().items():
        con.execute(f'CREATE VIEW "{name}" AS {select}')
        if name == model:
            break
    result = con.execute(f'SELECT * FROM "{model}"')
    assert_rows([d[0] for d in result.description], result.fetchall(), case["expect"])
    unique = next(m["unique"] for m in models() if m["name"] == model)
    assert not con.execute(f'SELECT {", ".join(unique)} FROM "{model}" GROUP BY ALL HAVING count(*) > 1').fetchall()


def test_a_materialized_mart_groups_its_rows_by_its_key():
    """Promotion does not check a materialized model's keys for repeats (tasks/warehouse/promote.py): each ends in
    a GROUP BY of exactly its key's columns, so no key can repeat whatever the rows. A model that did not (a
    join, a window) would need that check back."""
    kept = materialized()
    assert {t.name for t in kept} >= {"int_line_ledger"}
    for table in kept:
        last = " ".join(marts()[table.name].split()).rsplit("GROUP BY ", 1)
        assert len(last) == 2, table.name
        assert last[1] == ", ".join(c.name for c in table.primary_key.columns), table.name
