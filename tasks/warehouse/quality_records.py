"""The gate's results in the warehouse: every rule's outcome per department-year (``ops_dq_result``)
and the records of refused department-years (``ops_quarantine``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from tasks.quality.gate import QualityReport
from tasks.quality.outputs import quarantine_rows
from tasks.warehouse import schema as s
from tasks.warehouse.dialect import insert_frame

# ops_dq_result's columns that vary by result, as pandas holds them (run_id, year, checked_at are the run's)
RESULT_DTYPES = {"department_code": "str", "rule_id": "str", "suite": "str", "severity": "str", "category": "str",
                 "success": "bool", "failing_rows": "int64", "example": "object"}


def record_results(engine: sa.Engine, report: QualityReport, run_id: str) -> None:
    """Every rule's outcome per department into ``ops_dq_result``; refused rows into ``ops_quarantine``."""
    now = dt.datetime.now(dt.UTC)
    # one bulk insert (dialect.insert_frame): row by row, 24,000 results of 600 departments took 7 s
    results = pd.DataFrame(
        [(r.department_code, r.rule.rule_id, r.rule.suite, r.rule.severity, r.rule.category, r.success,
          r.failing_count, r.example()[:2000] or None) for r in report.results],
        columns=list(RESULT_DTYPES)).astype(RESULT_DTYPES)
    quarantined = []
    for code in report.departments:
        if not report.blocked(code):
            continue
        for row in quarantine_rows(report, code).to_dict("records"):
            quarantined.append({
                "run_id": run_id, "department_code": code, "year": report.year, "rule_id": row["rule"],
                "severity": "fatal", "dataset": next((r.rule.view for r in report.fatal(code)
                                                      if r.rule.rule_id == row["rule"]), ""),
                "source_uri": row.get("source_file") or None,
                "source_row": int(row["row_number"]) if str(row.get("row_number") or "").isdigit() else None,
                "field": row.get("field"), "value_provided": row.get("value_provided"),
                "value_expected": row.get("expected_value"), "difference": row.get("difference"),
                "reason": row["reason"], "record": row.get("record"), "quarantined_at": now,
            })
    with engine.begin() as conn:
        conn.execute(s.ops_dq_result.delete().where(s.ops_dq_result.c.run_id == run_id))
        conn.execute(s.ops_quarantine.delete().where(s.ops_quarantine.c.run_id == run_id))
        insert_frame(conn, s.ops_dq_result, results, {"run_id": run_id, "year": report.year, "checked_at": now})
        if quarantined:
            conn.execute(s.ops_quarantine.insert(), quarantined)
