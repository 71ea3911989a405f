"""Reviewers' decisions on reports, kept in ``ops_review``: written once each, read by the report, the
provenance page, the roll-up and the flow that asks for them.

A decision names the report by its content hash (``report_sha256``: the SHA-256 of report.md as drafted),
the same hash ``mart_score`` holds for the report last rendered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from tasks.warehouse import dialect
from tasks.warehouse import schema as s

APPROVED, RETURNED = "approved", "returned"
DECISIONS = (APPROVED, RETURNED)


@dataclass(frozen=True)
class Review:
    """One decision: ``decision`` is approved or returned; ``decided_at`` is timezone-aware (UTC)."""

    department_code: str
    year: int
    report_sha256: str
    decision: str
    reviewer: str
    comment: str
    decided_at: dt.datetime
    run_id: str


def record_review(engine: sa.Engine, review: Review) -> None:
    """Append a decision. Raises ValueError for a decision other than approved or returned, or an empty
    reviewer (a decision names who took it)."""
    if review.decision not in DECISIONS:
        raise ValueError(f"review decision {review.decision!r}: expected one of {', '.join(DECISIONS)}")
    if not review.reviewer.strip():
        raise ValueError("review: the reviewer's name is empty")
    t = s.ops_review
    with dialect.write_turn(engine), engine.begin() as conn:
        conn.execute(t.insert().values(
            department_code=review.department_code, year=review.year, report_sha256=review.report_sha256,
            decided_at=review.decided_at, decision=review.decision, reviewer=review.reviewer.strip(),
            comment=review.comment.strip(), run_id=review.run_id))


def _review(row: sa.RowMapping) -> Review:
    decided = row["decided_at"]
    if decided.tzinfo is None:  # DuckDB gives TIMESTAMPTZ back naive, in UTC
        decided = decided.replace(tzinfo=dt.UTC)
    return Review(str(row["department_code"]), int(row["year"]), str(row["report_sha256"]), str(row["decision"]),
                  str(row["reviewer"]), str(row["comment"]), decided.astimezone(dt.UTC), str(row["run_id"]))


def reviews(conn: sa.Connection, year: int, department: str | None = None) -> list[Review]:
    """Every decision on the year's reports (one department's, if named), oldest first."""
    t = s.ops_review
    query = sa.select(t).where(t.c.year == year)
    if department is not None:
        query = query.where(t.c.department_code == department)
    rows = conn.execute(query.order_by(t.c.department_code, t.c.decided_at)).mappings().all()
    return [_review(r) for r in rows]


def current_report(conn: sa.Connection, department: str, year: int) -> tuple[str, str | None] | None:
    """The department-year's report as last rendered (``mart_score``): its content hash, and what it still
    lacks (a 草稿's missing inputs, joined by 、; None when none). None when no report was rendered."""
    t = s.mart_score
    row = conn.execute(sa.select(t.c.report_sha256, t.c.missing).where(
        t.c.department_code == department, t.c.year == year)).first()
    if row is None or row[0] is None:
        return None
    return str(row[0]), (str(row[1]) if row[1] else None)
