"""In-year monitoring on a city's open year: the time of ``tasks.report.monitoring.monitor`` (data date,
支付进度 per department, 资金来源 and project, later payments, departments without data) on a DuckDB
warehouse holding the ledger.

    .venv/bin/python -m bench.bench_monitoring [--rows 1000000 5000000] [--departments 60]

The warehouse is filled with SQL (no flow): ``departments`` departments of 40 budget lines each and a
payment ledger of ``rows`` rows over the year's first half.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench.common import best_of, peak_rss_mb, write_section
from tasks.report.monitoring import monitor
from tasks.settings import Settings
from tasks.warehouse.engine import make_engine

YEAR = 2023
LINEAGE = "'bench', 'bench', 'bench', now()"
COLUMNS = "run_id, source_uri, source_sha256, loaded_at"


def fill(engine: sa.Engine, rows: int, departments: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(
            f"INSERT INTO dim_department (department_code, department_name, region_code, region_name, synthetic, "
            f"{COLUMNS}) SELECT 'D' || lpad(i::VARCHAR, 3, '0'), '部门' || i, '440103', '荔湾区', true, "
            f"{LINEAGE} FROM range({departments}) t(i)"))
        conn.execute(sa.text(
            f"INSERT INTO dim_project (department_code, year, project_code, project_name, expense_type_code, "
            f"{COLUMNS}) SELECT 'D' || lpad(d::VARCHAR, 3, '0'), {YEAR}, 'XM' || l, '项目' || l, "
            f"'PROJECT', {LINEAGE} FROM range({departments}) a(d), range(40) b(l)"))
        conn.execute(sa.text(
            f"INSERT INTO fct_budget_line (department_code, year, line_id, project_code, fund_source_code, "
            f"expense_type_code, budget_fen, reported_executed_fen, carryover_fen, {COLUMNS}) "
            f"SELECT 'D' || lpad(d::VARCHAR, 3, '0'), {YEAR}, 'L' || l, 'XM' || l, "
            f"CASE WHEN l % 4 = 0 THEN 'OTH' ELSE 'GPB' END, 'PROJECT', 100000000, 0, 0, {LINEAGE} "
            f"FROM range({departments}) a(d), range(40) b(l)"))
        conn.execute(sa.text(
            f"INSERT INTO fct_payment (department_code, year, voucher_no, line_id, pay_date, payee, economic_class, "
            f"amount_fen, {COLUMNS}) SELECT 'D' || lpad((i % {departments})::VARCHAR, 3, '0'), {YEAR}, 'V' || i, "
            f"'L' || (i % 40), DATE '{YEAR}-01-02' + ((i // {departments}) % 180)::INTEGER, '收款人', '30227', "
            f"1000 + i % 997, "
            f"{LINEAGE} FROM range({rows}) t(i)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--departments", type=int, default=60)
    args = parser.parse_args()
    settings = Settings()
    lines = ["## In-year monitoring (`bench/bench_monitoring.py`)", "",
             f"`monitor()` on a DuckDB warehouse: {args.departments} departments × 40 budget lines, the ledger "
             "over the first half of the year. Best of 3.", "",
             "| payment rows | monitoring rows | seconds | peak RSS MB (filling included) |", "|---:|---:|---:|---:|"]
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"duckdb:///{Path(tmp) / 'wh.duckdb'}")
            fill(engine, rows, args.departments)
            found: list = []

            def once(engine: sa.Engine = engine, found: list = found) -> None:
                with engine.connect() as conn:
                    found[:] = [monitor(conn, settings, YEAR, dt.date(2026, 1, 1))]

            seconds = best_of(3, once)
            engine.dispose()
        m = found[0]
        assert m is not None and m.as_of == dt.date(YEAR, 6, 30), m and m.as_of
        lines.append(f"| {rows:,} | {len(m.rows):,} | {seconds:.3f} | {peak_rss_mb():.0f} |")
        print(lines[-1], flush=True)
    write_section("monitoring", "\n".join(lines))


if __name__ == "__main__":
    main()
