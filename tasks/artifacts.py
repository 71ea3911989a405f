"""What a run shows in the Prefect UI: one artifact for the run, a row per department (status, warnings,
the rules that refused it, its report); an open year's monitoring; the run's review decisions."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.pipeline import RunSummary
from tasks.report.monitoring import Monitoring


def _key(*parts: object) -> str:
    text = "-".join(str(p) for p in parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in text)


def run_table(summary: RunSummary) -> list[dict[str, object]]:
    """The run as the artifact shows it: a row per department, refused first, then 草稿, then loaded and the
    rest, each with its status, warnings, the rules that refused it, what is still missing, and its report."""
    order = {"failed": 0, "refused": 0, "draft": 1, "loaded": 2}
    rows = []
    for o in sorted(summary.outcomes, key=lambda o: (order.get(o.status, 3), o.department_code)):
        rows.append({"department": o.department_code, "status": o.status, "warnings": o.warnings,
                     "rules": ", ".join(o.rules), "not yet submitted": "、".join(o.missing),
                     "report / reason": o.reports.get("html", "") if o.reports else "; ".join(o.reasons)[:300]})
    return rows


def publish_run(summary: RunSummary) -> None:
    """The run's one artifact: its departments (:func:`run_table`) and the seconds of each stage."""
    rows = run_table(summary)
    lines = [f"# 自评报告 {summary.year}", "",
             "| department | status | warnings | rules | not yet submitted | report / reason |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(str(r[k]).replace("|", "/") or "—" for k in (
            "department", "status", "warnings", "rules", "not yet submitted", "report / reason")) + " |")
    if summary.data_docs:
        lines += ["", f"Data Docs: {summary.data_docs}"]
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
