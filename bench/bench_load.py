"""Load a 1,000,000-row payment ledger into each warehouse engine: selfeval's bulk path
against a plain ``pandas.DataFrame.to_sql`` of the same frame.

    .venv/bin/python -m bench.bench_load [--rows 1000000] [--pg URL]
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bench.common import payment_ledger, timer, write_section
from tasks.warehouse import dialect
from tasks.warehouse import schema as s
from tasks.warehouse.engine import make_engine


def warehouse_frame(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger as fct_payment rows, with their lineage (a file's number, the row), as promotion writes them."""
    out = ledger.rename(columns={"amount": "amount_fen"}).assign(year=2022, source_file=1)
    out["source_row"] = range(2, len(out) + 2)
    return out


def bulk(engine: sa.Engine, frame: pd.DataFrame) -> float:
    with timer() as t, engine.begin() as conn:
        dialect.insert_frame(conn, s.fct_payment, frame)
    return t["seconds"]


def to_sql(engine: sa.Engine, frame: pd.DataFrame, into_warehouse_table: bool) -> float:
    """Plain ``to_sql``: into a new table it creates, or appended to ``fct_payment`` itself."""
    with engine.begin() as conn:
        conn.execute(s.fct_payment.delete())
    with timer() as t:
        if into_warehouse_table:
            frame.to_sql("fct_payment", engine, if_exists="append", index=False)
        else:
            frame.to_sql("bench_to_sql", engine, if_exists="replace", index=False)
    return t["seconds"]


def pg_schema_url(base: str) -> tuple[str, sa.Engine, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", admin, schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    frame = warehouse_frame(payment_ledger(args.rows))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"duckdb:///{Path(tmp) / 'bench.duckdb'}")
        fast = bulk(engine, frame)
        rows.append(("DuckDB (file)", "register + INSERT … SELECT", fast, to_sql(engine, frame, False),
                     to_sql(engine, frame, True)))
        engine.dispose()
    url, admin, schema = pg_schema_url(args.pg)
    try:
        engine = make_engine(url)
        fast = bulk(engine, frame)
        rows.append(("PostgreSQL 15 (loopback)", "COPY to a temp table + INSERT … SELECT", fast,
                     to_sql(engine, frame, False), to_sql(engine, frame, True)))
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    lines = [
        "## Warehouse load: a payment ledger into each engine",
        "",
        "Command: `.venv/bin/python -m bench.bench_load --rows " + str(args.rows) + "`",
        "",
        f"{args.rows:,} rows into `fct_payment` (10 columns: its lineage a file's number and a row, 0017; its key "
        "not indexed on either engine, 0010 and 0016; PostgreSQL's partitioned by year and department, 0018), in one "
        "transaction.",
        "`to_sql` is timed twice: into a new table it creates (no key), and appended to `fct_payment`.",
        "",
        "| engine | selfeval path | selfeval s | rows/s | `to_sql` new table s | speed-up | "
        "`to_sql` into fct_payment s | speed-up |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, path, fast, bare, same in rows:
        lines.append(f"| {name} | {path} | {fast:.2f} | {args.rows / fast:,.0f} | {bare:.2f} | {bare / fast:.1f}× "
                     f"| {same:.2f} | {same / fast:.1f}× |")
    write_section("load", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
