"""Loading the bundled sample straight into a warehouse, without Prefect, for warehouse tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from tasks.pipeline import assemble, file_hashes
from tasks.quality.views import RunData
from tasks.sources.base import make_source
from tasks.sources.extract import extract_departments, extract_finance, extract_registry, extract_statistics
from tasks.warehouse import schema as s
from tasks.warehouse.load import load_partition
from tasks.warehouse.transform import build_partition

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
DEPARTMENTS = ["440103-KGXJ", "440103-SWJ", "440103-WTJ"]
FACTS = [s.fct_budget_line, s.fct_reported_total, s.fct_payment, s.fct_application, s.fct_investment_project,
         s.fct_indicator_value, s.fct_performance_target, s.fct_performance_actual, s.dim_department, s.dim_project,
         s.dim_enterprise, s.dim_indicator, s.dim_period]


def sample_data(year: int = 2022, departments: list[str] | None = None, root: Path = SAMPLE):
    deps, dext = extract_departments(make_source("finance", root / "finance"))
    chosen = departments or DEPARTMENTS
    fin = extract_finance(make_source("finance", root / "finance"), year, chosen)
    reg = extract_registry(make_source("registry", root / "registry"))
    sta = extract_statistics(make_source("statistics", root / "statistics"))
    return assemble(year, deps, chosen, fin, reg, sta), file_hashes(dext, fin, reg, sta)


def load_sample(engine: sa.Engine, run_id: str, data: RunData | None = None, hashes=None) -> None:
    if data is None:
        data, hashes = sample_data()
    for code in data.codes:
        partition = build_partition(data, code, run_id, dt.datetime.now(dt.UTC), hashes or {})
        load_partition(engine, partition, run_id, "test")


def snapshot(engine: sa.Engine, ignore=("run_id", "loaded_at"), tables=None) -> dict[str, pd.DataFrame]:
    """Every fact and dimension table, sorted, without the per-run lineage columns."""
    out = {}
    with engine.connect() as conn:
        for table in tables or FACTS:
            cols = [c for c in table.c if c.name not in ignore]
            rows = conn.execute(sa.select(*cols)).all()
            frame = pd.DataFrame(rows, columns=[c.name for c in cols]).astype(str)
            out[table.name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def count(engine: sa.Engine, table: sa.Table, **where: object) -> int:
    with engine.connect() as conn:
        q = sa.select(sa.func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return int(conn.execute(q).scalar_one())
