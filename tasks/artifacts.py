"""What a run shows in the Prefect UI: one artifact for the run, a row per department (status, warnings,
the rules that refused it, its report); an open year's monitoring; the run's review decisions."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks import glossary as gl
from tasks.pipeline import DepartmentOutcome, RunSummary
from tasks.quality.outputs import ERRORS_CSV
from tasks.report.formatting import markdown_table
from tasks.report.monitoring import Monitoring
from tasks.settings import Settings


def _key(*parts: object) -> str:
    text = "-".join(str(p) for p in parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in text)


ORDER = {"failed": 0, "refused": 0, "draft": 1, "loaded": 2}
LINKS = ("html", "pdf", "docx", "md", "provenance", "projects")


def run_table(summary: RunSummary, settings: Settings) -> list[dict[str, str]]:
    """The run as the artifact shows it: a row per department, refused first, then 草稿, then loaded and the
    rest, each with its status, links to its report's formats (or, refused, the reason and its error list, as
    :meth:`Settings.link` gives them), score, warnings, the rules that refused it and what is still missing."""
    rows = []
    for o in sorted(summary.outcomes, key=lambda o: (ORDER.get(o.status, 3), o.department_code)):
        if o.reports:
            links = [f"[{gl.FORMATS[k]}]({settings.link(o.reports[k])})" for k in LINKS if k in o.reports]
            what = " ".join(links)
        else:
            what = "；".join(o.reasons[:2]) + (f"；等 {len(o.reasons)} 项" if len(o.reasons) > 2 else "")
            errors = Path(settings.output_dir) / str(summary.year) / o.department_code / ERRORS_CSV
            if o.status == "refused" and errors.exists():
                what += f" [{gl.FORMATS['errors']}]({settings.link(errors)})"
        # the links (or the reason) next to the result: seen without scrolling the table sideways
        rows.append({gl.DEPARTMENT: o.department_code, gl.RESULT: gl.status(o.status),
                     f"{gl.REPORT} / {gl.REASON}": what, gl.SCORE: o.score or "—", gl.WARNINGS: _warnings(o),
                     gl.RULES: "、".join(o.rules), gl.MISSING: "、".join(o.missing), gl.PROJECTS: o.projects})
    return rows


def _warnings(outcome: DepartmentOutcome) -> str:
    """A department's 警告数: its rule warnings (the data-quality page lists them), its input files' notes apart (they
    are in its report's 数据质量说明 only): ``2（另有输入文件提示 1 条）``."""
    notes = f"（另有{gl.INPUT_NOTE} {outcome.input_warnings} 条）" if outcome.input_warnings else ""
    return f"{outcome.rule_warnings}{notes}"


def run_markdown(summary: RunSummary, settings: Settings) -> str:
    """The run's one artifact as Markdown: the departments (:func:`run_table`), the data-quality page, and
    the seconds of each stage."""
    rows = run_table(summary, settings)
    lines = [f"# {summary.year} 年{gl.RUN_TITLE}", ""]
    if rows:
        lines += markdown_table(rows, blank="—")
    if summary.quality_page:
        lines += ["", f"[{gl.DATA_QUALITY_PAGE}]({settings.link(summary.quality_page)})（未通过的规则排在最前）"]
    if summary.data_docs:
        lines += [f"{gl.DATA_DOCS}：{settings.link(summary.data_docs.removeprefix('file://'))}"]
    if summary.projects:
        lines += ["", *summary.projects]
    if summary.timings:
        lines += ["", f"| {gl.STAGE} | {gl.SECONDS} |", "|---|---:|"]
        lines += [f"| {gl.STAGES.get(stage, stage)} | {seconds:.1f} |" for stage, seconds in summary.timings.items()]
    return "\n".join(lines)


def publish_run(summary: RunSummary, settings: Settings) -> None:
    """The run's one artifact (:func:`run_markdown`)."""
    create_markdown_artifact(key=_key("run-summary", summary.year), markdown=run_markdown(summary, settings),
                             description=f"{summary.year} 年{gl.RUN_TITLE}")


def publish_monitoring(m: Monitoring, dual: list[str] | None = None) -> None:
    """An open year's 支付进度 against 序时进度: a table of the departments, and the full section (per
    资金来源 and project, and MON-001's findings) as Markdown, with the 双监控's lights (``dual``) first."""
    create_table_artifact(key=_key("monitoring", m.year), table=m.table("total"),
                          description=f"{m.year} 年支付进度与序时进度（截至 {m.as_of.isoformat()}）")
    create_markdown_artifact(key=_key("monitoring-detail", m.year), markdown="\n".join([*(dual or []),
                                                                                         *m.markdown("#")]),
                             description=f"预算执行进度监控 {m.year}")


def publish_review(year: int, decisions: list[dict[str, str]], settings: Settings) -> None:
    """The run's review decisions as a table: department, decision, reviewer, time, comment, content hash."""
    if not decisions:
        return
    rows = [{"部门编码": d["department"], "结论": gl.decision(d["decision"]), "审核人": d["reviewer"],
             "时间": d["decided_at"], "意见": d["comment"], "内容 SHA-256": d["report_sha256"][:12],
             "正式报告": settings.link(d["approved"]) if d.get("approved") else ""}
            for d in decisions]
    create_table_artifact(key=_key("review", year), table=rows, description=f"{year} 年本次运行的审核结论")
