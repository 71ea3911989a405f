"""Loading the bundled sample straight into a warehouse, without Prefect, for warehouse tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from tasks.pipeline import assemble, file_hashes
from tasks.quality.rundb import RunDatabase, run_database
from tasks.quality.views import RunData
from tasks.sources.base import make_source
from tasks.sources.extract import extract_departments, extract_finance, extract_registry, extract_statistics
from tasks.warehouse import schema as s
from tasks.warehouse.models import materialized
from tasks.warehouse.promote import promote

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
DEPARTMENTS = ["440103-KGXJ", "440103-SWJ", "440103-WTJ"]
FACTS = [s.fct_budget_line, s.fct_reported_total, s.fct_payment, s.fct_payment_source, s.fct_application,
         s.fct_investment_project, s.fct_indicator_value, s.fct_performance_target, s.fct_performance_actual,
         s.dim_department, s.dim_project, s.dim_enterprise, s.dim_indicator, s.dim_period]
# What a promotion writes: the facts and dimensions, and the materialized marts promotion keeps with them.
WRITTEN = [*FACTS, *materialized()]


def sample_data(year: int = 2022, departments: list[str] | None = None, root: Path = SAMPLE):
    deps, dext = extract_departments(make_source("finance", root / "finance"))
    chosen = departments or DEPARTMENTS
    fin = extract_finance(make_source("finance", root / "finance"), year, chosen)
    reg = extract_registry(make_source("registry", root / "registry"))
    sta = extract_statistics(make_source("statistics", root / "statistics"))
    return assemble(year, deps, chosen, fin, reg, sta), file_hashes(dext, fin, reg, sta)


def shared_files(hashes: dict[str, str]) -> dict[str, dict[str, str]]:
    """The shared sources' files of a run's file hashes, as promotion keys their snapshots."""
    return {name: {uri: sha for uri, sha in hashes.items() if f"/{name}/" in uri}
            for name in ("statistics", "registry")}


def load_sample(engine: sa.Engine, run_id: str, data: RunData | None = None, hashes=None,
                hook: Callable[[RunDatabase], None] | None = None) -> None:
    """Promote the sample's department-years (or ``data``'s) into the warehouse, as a run does after its gate;
    ``hook`` sees the run database first (a test's stall or fault)."""
    if data is None:
        data, hashes = sample_data()
    with run_database() as db:
        db.build(data.year, data.departments, data.frames)
        if hook is not None:
            hook(db)
        promote(db, engine, data.year, data.codes, run_id, "test", {}, hashes or {}, shared_files(hashes or {}))


def snapshot(engine: sa.Engine, ignore=("run_id", "loaded_at"), tables=None) -> dict[str, pd.DataFrame]:
    """Every fact and dimension table and materialized mart, sorted, without the per-run lineage columns."""
    out = {}
    with engine.connect() as conn:
        for table in tables or WRITTEN:
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


def payment_lineage(engine: sa.Engine) -> list[tuple]:
    """Each payment with its file's path and hash, its row and its run, sorted, whichever shape the warehouse's
    payments have: the lineage on each row (before migration 0017) or per file (fct_payment_source)."""
    with engine.connect() as conn:
        held = set(conn.execute(sa.text("SELECT * FROM fct_payment LIMIT 0")).keys())
        cols = "p.department_code, p.year, p.voucher_no, p.amount_fen, source_uri, source_sha256, p.source_row, run_id"
        if "source_uri" in held:
            query = f"SELECT {cols} FROM fct_payment p"
        else:
            query = (f"SELECT {cols} FROM fct_payment p JOIN fct_payment_source f ON f.department_code = "
                     "p.department_code AND f.year = p.year AND f.source_file = p.source_file")
        return sorted(tuple(str(v) for v in r) for r in conn.execute(sa.text(query)))


def payments_of_run(engine: sa.Engine, run_id: str) -> int:
    """The payments the warehouse holds from run ``run_id`` (their files' rows of fct_payment_source say the run)."""
    f = s.fct_payment_source
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(f.c.payments), 0))
                                .where(f.c.run_id == run_id)).scalar_one())
