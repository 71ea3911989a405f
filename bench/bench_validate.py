"""Validation time of the data-quality gate on a 1,000,000-row payment ledger.

    .venv/bin/python -m bench.bench_validate [--rows 1000000]

The ledger belongs to one department whose budget lines and 决算总表 are built to reconcile
with it, so every rule runs over every row and passes (the usual nightly case).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from bench.common import best_of, payment_ledger, peak_rss_mb, write_section
from tasks.domain import EXPENSE_TYPE_NAMES, FUND_SOURCE_NAMES, SUMMARY_TOTAL
from tasks.quality.gate import parameters_for, run_gate
from tasks.quality.rules import load_rules
from tasks.quality.views import RunData
from tasks.settings import SAMPLE_DIR
from tasks.sources.base import make_source
from tasks.sources.extract import extract_registry, extract_statistics

DEPT = "440103-D000"


def run_data(rows: int) -> RunData:
    pay = payment_ledger(rows)
    pay["_row"] = range(2, rows + 2)
    pay["_source"] = "bench/payments.csv"
    ledger = pay.groupby("line_id")["amount"].sum()
    lines = pd.DataFrame({
        "department_code": DEPT, "line_id": ledger.index, "project_code": ledger.index, "project_name": "项目",
        "fund_source": FUND_SOURCE_NAMES[0], "expense_type": EXPENSE_TYPE_NAMES[1],
        "budget": ledger.to_numpy() + 100, "executed": ledger.to_numpy(), "carryover": 0,
        "_row": range(2, len(ledger) + 2), "_source": "bench/budget_lines.csv"})
    total = (int(lines["budget"].sum()), int(lines["executed"].sum()))
    items = [SUMMARY_TOTAL, *FUND_SOURCE_NAMES, *EXPENSE_TYPE_NAMES]
    values = {SUMMARY_TOTAL: total, FUND_SOURCE_NAMES[0]: total, EXPENSE_TYPE_NAMES[1]: total}
    summary = pd.DataFrame({
        "department_code": DEPT, "item": items, "budget": [values.get(i, (0, 0))[0] for i in items],
        "executed": [values.get(i, (0, 0))[1] for i in items], "carryover": 0,
        "_row": range(2, len(items) + 2), "_source": "bench/summary.csv"})
    registry = extract_registry(make_source("registry", SAMPLE_DIR / "registry")).frames
    statistics = extract_statistics(make_source("statistics", SAMPLE_DIR / "statistics")).frames
    departments = pd.DataFrame({"department_code": [DEPT], "department_name": ["基准部门"], "region_code": ["440103"],
                                "region_name": ["荔湾区"], "synthetic": [True]})
    return RunData(2022, departments, {"budget_lines": lines, "payments": pay, "summary": summary,
                                       **registry, **statistics})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    data = run_data(args.rows)
    params = parameters_for(2022, 10_000, 1.0)
    run_gate(data, params)  # warm up: GX's import and first context
    report = run_gate(data, params)
    assert not report.blocked(DEPT), [r.rule.rule_id for r in report.fatal(DEPT)]
    plain = best_of(3, lambda: run_gate(data, params))
    with tempfile.TemporaryDirectory() as tmp:
        docs = best_of(3, lambda: run_gate(data, params, docs_dir=Path(tmp)))
    rules = len(load_rules())
    lines = [
        "## Data-quality gate: validation of a payment ledger",
        "",
        f"Command: `.venv/bin/python -m bench.bench_validate --rows {args.rows}`",
        "",
        f"{args.rows:,} payments of one department through all {rules} rules: staged in the DuckDB run "
        "database, every rule view checked by Great Expectations on SQL (one validation per view, verdicts "
        "only; every rule passes, so no second pass); best of 3 after a warm-up.",
        "",
        "| what | seconds | rows/s |",
        "|---|---:|---:|",
        f"| gate | {plain:.2f} | {args.rows / plain:,.0f} |",
        f"| gate + Data Docs site | {docs:.2f} | {args.rows / docs:,.0f} |",
        "",
        f"Peak RSS of the benchmark process: {peak_rss_mb():,.0f} MB.",
    ]
    write_section("validate", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
