"""What the warehouse records of loads and renders: the partitions loaded (``ops_partition``, written by
promotion: :mod:`tasks.warehouse.promote`), the fingerprints reruns compare, and the published scores
(``mart_score``), written for many department-years in one transaction."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from tasks.warehouse import dialect
from tasks.warehouse import schema as s


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
