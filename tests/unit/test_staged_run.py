"""Finance datasets staged department by department into the run database (no whole-ledger frame).

The flow appends each department's typed files to ``stg_<dataset>`` as it extracts them, checks them
there, and promotes them from there. Every result must be the one the frames path gives: the same gate
verdicts and failing rows, the same rows for the warehouse.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tasks.pipeline import assemble
from tasks.quality.gate import parameters_for, run_gate
from tasks.quality.rundb import model_graph, named_queries, run_database
from tasks.sources.base import make_source
from tasks.sources.contract import FINANCE_DATASETS, PAYMENTS
from tasks.sources.extract import extract_departments, extract_finance, extract_registry, extract_statistics
from tasks.sources.staging import conform, contract_dtypes, stage_empty
from tasks.sqlfile import is_materialized
from tasks.warehouse.promote import models, prepare

LIWAN, OTHER = "440103-KGXJ", "440103-SWJ"
PARAMS = parameters_for(2022, 10_000, 1.0)


def _extracts(sample_dir):
    finance = make_source("finance", sample_dir / "finance")
    deps, _ = extract_departments(finance)
    reg = extract_registry(make_source("registry", sample_dir / "registry"))
    sta = extract_statistics(make_source("statistics", sample_dir / "statistics"))
    return finance, deps, reg, sta


@pytest.fixture
def both(sample_dir):
    """The sample's 2022 run twice: as frames, and staged part by part in a run database."""
    finance, deps, reg, sta = _extracts(sample_dir)
    codes = list(deps["department_code"])
    framed = assemble(2022, deps, codes, extract_finance(finance, 2022, codes), reg, sta)
    with run_database() as db:
        fin = extract_finance(finance, 2022, codes, db.append)
        assert fin.frames == {}  # nothing of the finance datasets is held in memory
        yield framed, assemble(2022, deps, codes, fin, reg, sta, staged=db), codes


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    pd.testing.assert_frame_equal(a.astype("object").where(a.notna(), None),
                                  b.astype("object").where(b.notna(), None), check_dtype=False)


def test_the_run_database_holds_every_department_s_rows_as_staged(both):
    framed, staged, codes = both
    assert len(codes) >= 3
    assert staged.staged is not None
    for dataset in FINANCE_DATASETS:
        got = staged.staged.staged_frame(dataset.name)
        assert dict(got.dtypes.astype(str)) == contract_dtypes(dataset)
        _same(got, framed[dataset.name])
        assert set(got["department_code"]) <= set(codes)


# the sample's 2022 is closed: it has no 双监控 submission (monitoring.csv comes with an open year, 2023)
NONE_IN_A_CLOSED_YEAR = {"fct_monitoring_report"}


def test_promotion_reads_the_same_warehouse_rows_from_either(both):
    """The staging models (tasks/sql/models.sql) give the same rows over a run database the departments were
    appended to as over one built from whole frames."""
    framed, staged, codes = both
    at = dt.datetime(2023, 3, 1, tzinfo=dt.UTC)
    assert staged.staged is not None
    with run_database() as other:
        other.build(framed.year, framed.departments, framed.frames)
        staged.staged.build(staged.year, staged.departments, staged.frames)
        for db in (other, staged.staged):
            prepare(db, codes, "run", at, {})
        for name in models():
            a, b = (db.duckdb.execute(f'SELECT * FROM "{name}" ORDER BY ALL').df() for db in (other, staged.staged))
            assert len(a) > 0 or name in NONE_IN_A_CLOSED_YEAR, name
            _same(a, b)


def test_a_materialized_block_is_a_table_of_every_staged_row_in_the_run_database(both):
    """A block marked "-- materialized: table" (the model graph's ledgers, the gate's int_repeated_vouchers)
    is made once as the run database is built: a table holding what its SELECT gives over the staged rows (the
    checks and promotion read it, not the payments again); the other models stay views. It must not depend on
    what promotion changes after the build (the run, its files, the accepted keys): after ``prepare`` it still
    holds what its SELECT gives."""
    _, staged, codes = both
    db = staged.staged
    assert db is not None
    db.build(staged.year, staged.departments, staged.frames)
    kinds = dict(db.duckdb.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    blocks = {**model_graph(), **named_queries("intermediate.sql")}
    marked = [name for name, select in blocks.items() if is_materialized(select)]
    assert marked == ["int_line_ledger_by_day", "int_line_ledger", "int_repeated_vouchers"]
    assert {kinds[name] for name in marked} == {"BASE TABLE"}
    assert kinds["mart_line_execution"] == kinds["fct_payment"] == "VIEW"
    assert kinds["fct_payment_source"] == "VIEW"  # over the run's files, which prepare gives below
    ledger = db.duckdb.execute("SELECT * FROM int_line_ledger ORDER BY ALL").df()
    paid = db.duckdb.execute("SELECT sum(amount) FROM stg_payments").fetchall()[0][0]
    assert len(ledger) > 0 and int(ledger["executed_fen"].sum()) == int(paid)  # every payment's, line by line
    prepare(db, codes[:1], "another-run", dt.datetime(2023, 3, 1, tzinfo=dt.UTC), {"payments.csv": "0" * 64})
    for name in marked:
        held = db.duckdb.execute(f'SELECT * FROM "{name}" ORDER BY ALL').df()
        again = db.duckdb.execute(f"SELECT * FROM ({blocks[name]}) ORDER BY ALL").df()
        assert held.equals(again), name


def test_the_gate_gives_the_same_verdicts_and_failing_rows(both):
    framed, staged, codes = both
    a, b = run_gate(framed, PARAMS), run_gate(staged, PARAMS)
    for code in codes:
        left = {r.rule.rule_id: (r.success, len(r.failing)) for r in a.for_department(code)}
        right = {r.rule.rule_id: (r.success, len(r.failing)) for r in b.for_department(code)}
        assert left == right


def test_a_fault_staged_part_by_part_is_found_in_its_row(sample_copy):
    """A budget line executing more than its budget, in the second department's file: FIN-001 refuses
    that department only, naming the file's own row, as it does from frames."""
    path = sample_copy / "finance" / "2022" / OTHER / "budget_lines.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    budget, executed = header.index("全年预算数"), header.index("全年执行数")
    cells = lines[1].split(",")
    cells[executed] = str(round(float(cells[budget]) + 1, 2))
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    finance, deps, reg, sta = _extracts(sample_copy)
    codes = list(deps["department_code"])
    with run_database() as db:
        data = assemble(2022, deps, codes, extract_finance(finance, 2022, codes, db.append), reg, sta, staged=db)
        report = run_gate(data, PARAMS)
    assert report.blocked(OTHER) and not report.blocked(LIWAN)
    (bad,) = [r for r in report.for_department(OTHER) if r.rule.rule_id == "FIN-001"]
    assert not bad.success and list(bad.failing["row_number"]) == ["2"]
    assert bad.failing["source_file"].iloc[0].endswith(f"{OTHER}/budget_lines.csv")


def test_parts_continue_the_sequence_and_must_have_the_same_columns():
    first = conform(stage_empty(PAYMENTS), PAYMENTS)
    row = {c: None for c in first.columns} | {
        "voucher_no": "V1", "department_code": "D1", "line_id": "L1", "pay_date": pd.Timestamp("2022-01-03"),
        "amount": 100, "_row": 2, "_source": "a.csv"}
    part = conform(pd.DataFrame([row]), PAYMENTS)
    with run_database() as db:
        db.append("payments", part)
        db.append("payments", part.assign(voucher_no="V2", department_code="D2", _row=5))
        db.flush()
        assert db.duckdb.execute("SELECT _seq, voucher_no FROM stg_payments ORDER BY _seq").fetchall() == [
            (0, "V1"), (1, "V2")]
        again = db.staged_frame("payments").query("department_code == 'D2'")
        assert list(again["voucher_no"]) == ["V2"] and list(again["_row"]) == [5]
        assert again["pay_date"].iloc[0] == pd.Timestamp("2022-01-03")
        assert db.staged_frame("payments").query("department_code == 'D3'").empty
        with pytest.raises(ValueError, match="stg_payments: a part with columns"):
            db.append("payments", part.drop(columns=["payee"]))


def test_parts_are_conformed_to_the_contract_and_other_dtypes_are_refused():
    """An optional column a file lacks comes out of staging untyped; conformed, it stacks. A part that
    was not conformed is refused, not cast (a cast could fail half-way through a run)."""
    row = {"voucher_no": "V1", "department_code": "D1", "line_id": "L1", "pay_date": pd.Timestamp("2022-01-03"),
           "amount": 100, "_row": 2, "_source": "a.csv"}
    lacking = pd.DataFrame([row]).assign(payee=pd.Series([pd.NA], dtype="object"),
                                         economic_class=pd.Series([pd.NA], dtype="object"))
    lacking = lacking[list(contract_dtypes(PAYMENTS))]
    part = conform(lacking, PAYMENTS)
    assert dict(part.dtypes.astype(str)) == contract_dtypes(PAYMENTS)
    with run_database() as db:
        db.append("payments", part)
        db.append("payments", conform(part.assign(payee="某公司"), PAYMENTS))
        assert db.staged_frame("payments").query("department_code == 'D1'")["payee"].tolist()[1] == "某公司"
        with pytest.raises(ValueError, match="stg_payments: a part with dtypes"):
            db.append("payments", lacking)


def test_a_department_whose_files_fail_is_not_staged(sample_copy):
    (sample_copy / "finance" / "2022" / OTHER / "payments.csv").write_text("not,a,ledger\n1,2,3\n", encoding="utf-8")
    finance, deps, _, _ = _extracts(sample_copy)
    parts: list[tuple[str, str]] = []
    out = extract_finance(finance, 2022, list(deps["department_code"]),
                          lambda name, part: parts.extend(
                              (name, c) for c in set(part.column("department_code").to_pylist())))
    assert [p.department for p in out.problems] == [OTHER]
    assert OTHER not in {c for _, c in parts} and LIWAN in {c for _, c in parts}


def test_with_no_department_left_each_dataset_is_staged_empty(sample_copy):
    """A department with no finance file for the year has no data yet (not a problem); the datasets are
    still staged, empty, so that the rule views build."""
    finance = make_source("finance", sample_copy / "finance")
    got: dict[str, int] = {}
    out = extract_finance(finance, 2022, ["440103-NONE"], lambda name, frame: got.update({name: len(frame)}))
    assert not out.problems and out.no_data == ["440103-NONE"]
    assert got == {d.name: 0 for d in FINANCE_DATASETS}


def test_a_closed_year_requires_its_summary_and_an_open_one_does_not(sample_copy):
    """Without its 决算总表 a department-year is open (its year's 决算 not due); with the year closed by
    setting, the same files refuse it, naming the file and why."""
    (sample_copy / "finance" / "2022" / "440103-SWJ" / "summary.csv").unlink()
    finance = make_source("finance", sample_copy / "finance")
    open_year = extract_finance(finance, 2022, ["440103-SWJ"])
    assert not open_year.problems and open_year.open_year("440103-SWJ")
    closed = extract_finance(finance, 2022, ["440103-SWJ"], closed=True)
    assert len(closed.problems) == 1
    text = str(closed.problems[0])
    assert "summary.csv" in text and "2022 is a closed year" in text and "决算总表 is required" in text

    (sample_copy / "finance" / "2022" / "440103-SWJ" / "payments.csv").unlink()  # a required file missing
    partial = extract_finance(finance, 2022, ["440103-SWJ"])
    assert partial.problems and "payments" in str(partial.problems[0]) and not partial.no_data


def test_a_duckdb_warehouse_keeps_to_its_memory_limit(tmp_path):
    """DuckDB's default is 80 % of the machine's memory, for the whole process: the factory sets the
    configured limit on every connection it opens, and none when the setting is empty."""
    from tasks.resources import engine_for
    from tasks.settings import Settings

    def limit(value: str | None) -> str:
        engine = engine_for(Settings(warehouse_url=f"duckdb:///{tmp_path}/{value or 'none'}.duckdb",
                                     warehouse_memory_limit=value))
        try:
            with engine.connect() as conn:
                return str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar())
        finally:
            engine.dispose()

    assert limit("300MB") == "286.1 MiB"
    assert limit("1GB") == "953.6 MiB"
    assert limit(None) not in ("286.1 MiB", "953.6 MiB")


def test_waiting_parts_are_written_before_the_database_is_read():
    row = {"voucher_no": "V1", "department_code": "D1", "line_id": "L1", "pay_date": pd.Timestamp("2022-01-03"),
           "amount": 100, "_row": 2, "_source": "a.csv", "payee": None, "economic_class": None}
    part = conform(pd.DataFrame([row]), PAYMENTS)
    with run_database() as db:
        db.batch_rows = 3
        db.append("payments", part)
        db.append("payments", part.assign(voucher_no="V2"))
        assert "stg_payments" not in {r[0] for r in db.duckdb.execute("SHOW TABLES").fetchall()}  # waiting
        db.append("payments", part.assign(voucher_no="V3"))  # the third row: written
        db.append("payments", part.assign(voucher_no="V4"))  # waiting again
        assert db.duckdb.execute("SELECT count(*) FROM stg_payments").fetchall() == [(3,)]
        assert list(db.staged_frame("payments").query("department_code == 'D1'")["voucher_no"]) == [
            "V1", "V2", "V3", "V4"]
        assert db.duckdb.execute("SELECT max(_seq) FROM stg_payments").fetchall() == [(3,)]


def test_a_scratch_folder_that_does_not_exist_yet_is_made_and_left_empty(tmp_path):
    scratch = tmp_path / "var" / "tmp" / "selfeval"
    with run_database(scratch, "64MB") as db:
        db.append("payments", conform(stage_empty(PAYMENTS), PAYMENTS))
        db.flush()
    assert scratch.is_dir() and list(scratch.iterdir()) == []
