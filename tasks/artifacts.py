"""What a run shows in the Prefect UI: a summary, a data-quality table, links to the reports."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from tasks.pipeline import DepartmentOutcome, RunSummary
from tasks.quality.gate import QualityReport
from tasks.settings import Settings


def _key(*parts: object) -> str:
    text = "-".join(str(p) for p in parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in text)


def quality_table(report: QualityReport, code: str) -> list[dict[str, object]]:
    return [
        {"rule": r.rule.rule_id, "label": r.rule.label, "severity": r.rule.severity, "category": r.rule.category,
         "passed": r.success, "failing_rows": r.failing_count, "example": r.example()}
        for r in report.for_department(code)
    ]


def publish_department(report: QualityReport, outcome: DepartmentOutcome, year: int, settings: Settings) -> None:
    code = outcome.department_code
    if report.for_department(code):
        create_table_artifact(
            key=_key("data-quality", code, year), table=quality_table(report, code),
            description=f"Data-quality rules for {code} {year}: {outcome.status}")
    for fmt, path in outcome.reports.items():
        create_link_artifact(key=_key("report", code, year, fmt), link=Path(path).resolve().as_uri(),
                             link_text=f"{code} {year} report.{fmt}",
                             description=f"{code} {year} report ({fmt})")


def publish_run(summary: RunSummary) -> None:
    lines = [f"# 自评报告 {summary.year}", "", "| department | status | warnings | report / reason |",
             "|---|---|---|---|"]
    for o in summary.outcomes:
        detail = o.reports.get("html", "") if o.status == "loaded" else "; ".join(o.reasons)[:300]
        lines.append(f"| {o.department_code} | {o.status} | {o.warnings} | {detail.replace('|', '/')} |")
    create_markdown_artifact(key=_key("run-summary", summary.year), markdown="\n".join(lines),
                             description=f"self-evaluation {summary.year}")
