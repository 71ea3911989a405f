"""What the gate leaves behind: CSV reports, the quarantine, and the results in the warehouse.

CSV columns follow the DATA Act Broker's error and warning reports: rule, field, value provided,
expected value, difference, source file, row number (plus severity, department, year, message).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from tasks.quality.gate import FAILING_COLUMNS, QualityReport
from tasks.warehouse import schema as s

REPORT_COLUMNS = [c for c in FAILING_COLUMNS if c != "record"]
ERRORS_CSV = "data-quality-errors.csv"
WARNINGS_CSV = "data-quality-warnings.csv"
QUARANTINE_CSV = "quarantine.csv"


def write_csv_reports(folder: Path, report: QualityReport, code: str) -> dict[str, Path]:
    """Error and warning reports for a department-year; the quarantine when it was refused."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, severity in ((ERRORS_CSV, "fatal"), (WARNINGS_CSV, "warning")):
        rows = report.failing_rows(code, severity)
        path = folder / name
        if len(rows):
            rows[REPORT_COLUMNS].to_csv(path, index=False, encoding="utf-8-sig")
            written[severity] = path
        elif path.exists():
            path.unlink()  # a stale report from an earlier run would mislead
    quarantine = folder / QUARANTINE_CSV
    if report.blocked(code):
        quarantine_rows(report, code).to_csv(quarantine, index=False, encoding="utf-8-sig")
        written["quarantine"] = quarantine
    elif quarantine.exists():
        quarantine.unlink()
    return written


def quarantine_rows(report: QualityReport, code: str) -> pd.DataFrame:
    """The failing records of a refused department-year, each with its rule and reason.

    A rule that could not be evaluated refuses the data too: it has a row with no record, whose
    reason says why the rule could not run.
    """
    rows = report.failing_rows(code, "fatal").copy()
    reasons = {r.rule.rule_id: f"{r.rule.rule_id} {r.rule.label}: {r.rule.message}" for r in report.fatal(code)}
    errors = {r.rule.rule_id: r.reason() for r in report.fatal(code) if r.error}
    rows["reason"] = [errors.get(rule) if record == "" and rule in errors else reasons.get(rule)
                      for rule, record in zip(rows["rule"], rows["record"], strict=True)]
    return rows


def record_results(engine: sa.Engine, report: QualityReport, run_id: str) -> None:
    """Every rule's outcome per department into ``ops_dq_result``; refused rows into ``ops_quarantine``."""
    now = dt.datetime.now(dt.UTC)
    results = [{
        "run_id": run_id, "department_code": r.department_code, "year": report.year, "rule_id": r.rule.rule_id,
        "suite": r.rule.suite, "severity": r.rule.severity, "category": r.rule.category, "success": r.success,
        "failing_rows": r.failing_count, "example": r.example()[:2000] or None, "checked_at": now,
    } for r in report.results]
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
        if results:
            conn.execute(s.ops_dq_result.insert(), results)
        if quarantined:
            conn.execute(s.ops_quarantine.insert(), quarantined)
