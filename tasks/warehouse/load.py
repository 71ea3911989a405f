"""Replace one department-year partition in one transaction.

Either every table of the partition shows the new rows, or (on any error, or a process
killed half-way) the previous rows stay as they were. Bulk rows go through the engine's
fast path (:mod:`tasks.warehouse.dialect`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from tasks.warehouse import dialect
from tasks.warehouse import schema as s
from tasks.warehouse.transform import Partition


# Tables replaced wholesale for a partition, with the rows that make up the partition.
def _scopes(p: Partition) -> dict[sa.Table, sa.ColumnElement[bool]]:
    year_end = dt.date(p.year, 12, 31)
    dept_year = {
        t: sa.and_(t.c.department_code == p.department_code, t.c.year == p.year)
        for t in (s.dim_project, s.fct_budget_line, s.fct_reported_total, s.fct_payment,
                  s.fct_performance_target, s.fct_performance_actual)
    }
    return {
        **dept_year,
        s.fct_application: sa.and_(s.fct_application.c.department_code == p.department_code,
                                   s.fct_application.c.year <= p.year),
        s.fct_investment_project: sa.and_(s.fct_investment_project.c.department_code == p.department_code,
                                          s.fct_investment_project.c.signed_date <= year_end),
        s.fct_indicator_value: sa.and_(s.fct_indicator_value.c.region_code == p.region_code,
                                       s.fct_indicator_value.c.year <= p.year),
    }


# Dimensions shared between partitions: upserted by key.
UPSERTS: dict[sa.Table, list[str]] = {
    s.dim_department: ["department_code"],
    s.dim_period: ["year"],
    s.dim_enterprise: ["uscc"],
    s.dim_indicator: ["indicator_code"],
}


@contextmanager
def load_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    with dialect.write_turn(engine), engine.begin() as conn, dialect.load_lock(conn):
        yield conn


def load_partition(engine: sa.Engine, partition: Partition, run_id: str, code_version: str) -> dict[str, int]:
    """Replace ``partition`` in the warehouse; returns rows written per table."""
    written: dict[str, int] = {}
    with load_transaction(engine) as conn:
        for table, where in _scopes(partition).items():
            conn.execute(table.delete().where(where))
            written[table.name] = dialect.insert_frame(conn, table, partition.tables[table.name],
                                                       partition.constants)
        for table, key in UPSERTS.items():
            written[table.name] = dialect.upsert_frame(conn, table, partition.tables[table.name], key,
                                                       partition.constants)
        record_partition(conn, partition, run_id, code_version)
        clear_score(conn, partition.department_code, partition.year)
    return written


def clear_score(conn: sa.Connection, department: str, year: int) -> None:
    """The published score was of the data a load replaces: gone until the report is rendered again."""
    t = s.mart_score
    conn.execute(t.delete().where(sa.and_(t.c.department_code == department, t.c.year == year)))


@dataclass(frozen=True)
class Score:
    """A rendered report's 总分 and 等级 as ``mart_score`` keeps them.

    ``total`` is in points (0-100, 2 decimals); ``grade`` is the one published (the department's own
    when it overrode ``computed_grade``); ``report_sha256`` is the SHA-256 of its report.md, if any;
    ``missing`` names what the department has still to submit (its report is then a draft); ``notes`` are the
    data-quality notes it was rendered with (rule id, label, failing rows, example)."""

    department: str
    year: int
    total: Decimal
    grade: str
    computed_grade: str
    overridden: bool
    report_sha256: str | None
    missing: list[str] | None = None
    notes: list[tuple[str, str, int, str]] | None = None


def record_scores(engine: sa.Engine, scores: list[Score]) -> None:
    """Rendered reports' scores into ``mart_score``, replacing their department-years' rows, in one
    transaction for all of them."""
    if not scores:
        return
    t = s.mart_score
    now = dt.datetime.now(dt.UTC)
    rows = [{"department_code": c.department, "year": c.year, "total": c.total, "grade": c.grade,
             "computed_grade": c.computed_grade, "overridden": c.overridden, "report_sha256": c.report_sha256,
             "rendered_at": now, "missing": "、".join(c.missing) if c.missing else None,
             "quality_notes": json.dumps([list(n) for n in c.notes], ensure_ascii=False) if c.notes is not None
             else None} for c in scores]
    with dialect.write_turn(engine), engine.begin() as conn:
        for year in sorted({c.year for c in scores}):
            conn.execute(t.delete().where(t.c.year == year,
                                          t.c.department_code.in_([c.department for c in scores if c.year == year])))
        conn.execute(t.insert(), rows)


def record_partition(conn: sa.Connection, partition: Partition, run_id: str, code_version: str) -> None:
    t = s.ops_partition
    conn.execute(t.delete().where(sa.and_(t.c.department_code == partition.department_code,
                                          t.c.year == partition.year)))
    conn.execute(t.insert().values(
        department_code=partition.department_code, year=partition.year, run_id=run_id,
        inputs_sha256=partition.inputs_sha256, code_version=code_version,
        loaded_at=dt.datetime.now(dt.UTC), row_counts=json.dumps(partition.row_counts, sort_keys=True)))


def partition_states(engine: sa.Engine, year: int) -> dict[str, dict[str, str]]:
    """What the warehouse last loaded for each department of a year: input fingerprint, code version, run."""
    t = s.ops_partition
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.department_code, t.c.inputs_sha256, t.c.code_version, t.c.run_id)
                            .where(t.c.year == year)).mappings().all()
    return {str(r["department_code"]): {k: str(v) for k, v in r.items()} for r in rows}


def earlier_inputs(engine: sa.Engine, year: int) -> dict[str, dict[int, str]]:
    """Input fingerprints of each department's partitions of years before ``year``.

    A report reads those years too (the trend over the years the warehouse holds), so reloading one
    of them makes the later report stale.
    """
    t = s.ops_partition
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.department_code, t.c.year, t.c.inputs_sha256)
                            .where(t.c.year < year)).all()
    out: dict[str, dict[int, str]] = {}
    for code, earlier, digest in rows:
        out.setdefault(str(code), {})[int(earlier)] = str(digest)
    return out


def rendered_notes(conn: sa.Connection, department: str, year: int) -> list[tuple[str, str, int, str]] | None:
    """The data-quality notes the department-year's report was last rendered with (see :func:`record_score`);
    None when no report was rendered, or it was rendered before they were kept."""
    t = s.mart_score
    raw = conn.execute(sa.select(t.c.quality_notes).where(t.c.department_code == department,
                                                           t.c.year == year)).scalar()
    if raw is None:
        return None
    return [(str(r), str(label), int(n), str(example)) for r, label, n, example in json.loads(raw)]
