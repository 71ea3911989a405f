"""What a run shows in the Prefect UI: per department-year, a data-quality table, a summary and a
link to the Data Docs; per run, a summary with links to the reports."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from tasks.pipeline import DepartmentOutcome, RunSummary
from tasks.quality.gate import QualityReport
from tasks.report.monitoring import Monitoring


def _key(*parts: object) -> str:
    text = "-".join(str(p) for p in parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in text)


def quality_table(report: QualityReport, code: str) -> list[dict[str, object]]:
    return [
        {"rule": r.rule.rule_id, "label": r.rule.label, "severity": r.rule.severity, "category": r.rule.category,
         "passed": r.success, "failing_rows": r.failing_count, "example": r.example()}
        for r in report.for_department(code)
    ]


def quality_markdown(report: QualityReport, code: str, files: dict[str, Path]) -> str:
    fatal, warnings = report.fatal(code), report.warnings(code)
    verdict = ("**Refused**: nothing of this department-year was loaded." if fatal
               else "**Passed**" + (f" with {len(warnings)} warning(s), shown in the report's 数据质量说明." if warnings
                                    else ": every rule holds."))
    lines = [f"# 数据质量 {code} {report.year}", "", verdict, ""]
    for title, results in (("Fatal", fatal), ("Warnings", warnings)):
        if results:
            lines += [f"## {title}", "", "| rule | label | failing rows | example |", "|---|---|---:|---|"]
            lines += [f"| {r.rule.rule_id} | {r.rule.label} | {r.failing_count} | "
                      f"{r.example().replace('|', '/')[:200]} |" for r in results]
            lines.append("")
    passed = sum(1 for r in report.for_department(code) if r.success)
    lines.append(f"{passed} of {len(report.for_department(code))} rules passed.")
    for label, path in files.items():
        lines.append(f"- {label}: `{path}`")
    return "\n".join(lines)


def publish_quality(report: QualityReport, code: str, files: dict[str, Path]) -> None:
    year = report.year
    create_table_artifact(key=_key("data-quality", code, year), table=quality_table(report, code),
                          description=f"Data-quality rules for {code} {year}")
    create_markdown_artifact(key=_key("data-quality-summary", code, year),
                             markdown=quality_markdown(report, code, files),
                             description=f"Data-quality summary for {code} {year}")
    if report.data_docs:
        create_link_artifact(key=_key("data-docs", code, year), link=report.data_docs,
                             link_text=f"Great Expectations Data Docs ({year})",
                             description="The Data Docs site built for this run")


def publish_reports(outcome: DepartmentOutcome, year: int) -> None:
    for fmt, path in outcome.reports.items():
        create_link_artifact(key=_key("report", outcome.department_code, year, fmt),
                             link=Path(path).resolve().as_uri(),
                             link_text=f"{outcome.department_code} {year} report.{fmt}",
                             description=f"{outcome.department_code} {year} report ({fmt})")


def publish_run(summary: RunSummary) -> None:
    lines = [f"# 自评报告 {summary.year}", "",
             "| department | status | warnings | not yet submitted | report / reason |", "|---|---|---|---|---|"]
    for o in summary.outcomes:
        detail = o.reports.get("html", "") if o.reports else "; ".join(o.reasons)[:300]
        lines.append(f"| {o.department_code} | {o.status} | {o.warnings} | {'、'.join(o.missing) or '—'} | "
                     f"{detail.replace('|', '/')} |")
    if summary.timings:
        lines += ["", "| stage | seconds |", "|---|---:|"]
        lines += [f"| {stage} | {seconds:.1f} |" for stage, seconds in summary.timings.items()]
    create_markdown_artifact(key=_key("run-summary", summary.year), markdown="\n".join(lines),
                             description=f"self-evaluation {summary.year}")


def publish_monitoring(m: Monitoring) -> None:
    """An open year's 支付进度 against 序时进度: a table of the departments, and the full section (per
    资金来源 and project, and MON-001's findings) as Markdown."""
    create_table_artifact(key=_key("monitoring", m.year), table=m.table("total"),
                          description=f"支付进度 / 序时进度 {m.year}, as of {m.as_of.isoformat()}")
    create_markdown_artifact(key=_key("monitoring-detail", m.year), markdown="\n".join(m.markdown("#")),
                             description=f"预算执行进度监控 {m.year}")


def publish_review(year: int, decisions: list[dict[str, str]]) -> None:
    """The run's review decisions as a table: department, decision, reviewer, time, comment, content hash."""
    if not decisions:
        return
    rows = [{"部门编码": d["department"], "结论": d["decision"], "审核人": d["reviewer"], "时间": d["decided_at"],
             "意见": d["comment"], "内容 SHA-256": d["report_sha256"][:12], "正式报告": d.get("approved", "")}
            for d in decisions]
    create_table_artifact(key=_key("review", year), table=rows, description=f"审核 {year}: decisions of this run")
