"""The DuckDB connection fix (tasks/quality/gx_duckdb.py) is needed, and it works.

``test_upstream_still_needs_the_fix`` runs a GX SQL validation on DuckDB in a fresh interpreter
without the fix. While great_expectations issue 11579 is open, every metric fails there. When this
test fails, upstream keeps DuckDB connections open itself: delete tasks/quality/gx_duckdb.py, its
two calls in tasks/quality/gate.py, and this test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

VALIDATE = textwrap.dedent('''
    import sys, tempfile, os
    import sqlalchemy as sa
    import great_expectations as gx
    if sys.argv[1] == "fixed":
        from tasks.quality.gx_duckdb import keep_duckdb_connections_open
        keep_duckdb_connections_open()
    path = os.path.join(tempfile.mkdtemp(), "t.duckdb")
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql("s", connection_string=f"duckdb:///{path}")
    asset = source.add_table_asset("t", table_name="t")
    suite = context.suites.add(gx.ExpectationSuite(name="s", expectations=[
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "max_value": 997}}]))
    run = context.validation_definitions.add(gx.ValidationDefinition(
        name="v", data=asset.add_batch_definition_whole_table("w"), suite=suite)).run(
        result_format={"result_format": "COMPLETE"})
    result = run.results[0]
    failed = bool((result.exception_info or {}).get("raised_exception")) or any(
        isinstance(v, dict) and v.get("exception_traceback") for v in (result.exception_info or {}).values())
    print("ERROR" if failed else sorted(result.result["unexpected_list"]))
''')


def validate(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", VALIDATE, mode], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_upstream_still_needs_the_fix():
    assert validate("plain") == "ERROR", (
        "Great Expectations now validates on DuckDB without tasks/quality/gx_duckdb.py: "
        "upstream fixed issue 11579, so remove that module and its calls")


def test_with_the_fix_duckdb_validates_and_names_the_failing_values():
    assert validate("fixed") == "[998, 999]"


def test_the_fix_is_idempotent():
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    from tasks.quality.gx_duckdb import keep_duckdb_connections_open

    keep_duckdb_connections_open()
    keep_duckdb_connections_open()
    assert sum(d == "duckdb" for d in engine._PERSISTED_CONNECTION_DIALECTS) == 1
