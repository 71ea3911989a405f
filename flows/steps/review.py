"""Review and sign-off in the Prefect UI (``review: true``): the flow pauses once per report awaiting a
decision; a reviewer opens the paused run, presses Resume, and fills the form (approve or return, name,
comment). The policy is :mod:`tasks.report.review`; the decisions live in the warehouse (``ops_review``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from tasks import glossary as gl
from tasks.artifacts import publish_review
from tasks.report.build import ReportChanged, notes_rendered, render_approved, render_department, review_brief
from tasks.report.render import report_dir
from tasks.report.review import PENDING, ReviewStatus, decision_problem, review_status, when
from tasks.resources import engine_for
from tasks.settings import Settings
from tasks.warehouse.reviews import APPROVED, RETURNED, Review, current_report, record_review, reviews


class ReviewDecision(RunInput):
    """The form a reviewer fills in the Prefect UI to resume a paused run."""

    decision: Literal["批准 approve", "退回 return"] = Field(
        title="审核结论 / Decision", description="批准：生成正式报告；退回：保留草稿并记录意见")
    reviewer: str = Field(min_length=1, max_length=100, pattern=r"\S", title="审核人 / Reviewer")
    comment: str = Field("", max_length=2000, title="意见 / Comment", description="退回时请写明原因")

    @property
    def outcome(self) -> str:
        return APPROVED if self.decision.startswith("批准") else RETURNED


@dataclass(frozen=True)
class Awaiting:
    """A report waiting for a decision: its department-year, content hash and status."""

    department: str
    year: int
    status: ReviewStatus
    report: str  # the draft's report.pdf (or .html), for the reviewer to open


@task(name="find-reports-to-review", cache_policy=NO_CACHE)
def awaiting_review(settings: Settings, year: int, departments: list[str]) -> list[Awaiting]:
    """The department-years of ``departments`` whose current report text has no decision yet. A 草稿 still
    lacking inputs (narrative, 绩效自评, 决算) is not ready for review: its department submits first."""
    engine = engine_for(settings)
    out = []
    try:
        with engine.connect() as conn:
            for code in dict.fromkeys(departments):
                current = current_report(conn, code, year)
                if current is None or current[1] is not None:
                    continue
                digest = current[0]
                status = review_status(digest, reviews(conn, year, code))
                if status.state == PENDING:
                    folder = report_dir(settings.output_dir, year, code)
                    shown = next((folder / f"report.{f}" for f in ("pdf", "html", "docx", "md")
                                  if (folder / f"report.{f}").exists()), folder)
                    out.append(Awaiting(code, year, status, str(shown)))
    finally:
        engine.dispose()
    return out


@task(name="review-brief", cache_policy=NO_CACHE)
def brief(settings: Settings, item: Awaiting) -> str:
    """The draft as the review form shows it (:func:`tasks.report.build.review_brief`), with links that open
    its watermarked files (http addresses when the output folder is served: ``Settings.link``)."""
    folder = report_dir(settings.output_dir, item.year, item.department)
    links = {gl.FORMATS[f]: settings.link(folder / name) for f, name in
             (("html", "report.html"), ("pdf", "report.pdf"), ("docx", "report.docx"), ("md", "report.md"))
             if (folder / name).exists()}
    engine = engine_for(settings)
    try:
        return review_brief(engine, settings, item.department, item.year, links)
    finally:
        engine.dispose()


@task(name="record-review", cache_policy=NO_CACHE)
def apply_decision(settings: Settings, item: Awaiting, decision: ReviewDecision, run_id: str) -> dict[str, str]:
    """Store the decision (with the report's content hash); on approval, render the final files, stamped,
    into ``approved/`` and re-render the working copy without its watermark; on return, re-render the draft
    so its provenance shows the comment. Both re-render with the notes the draft was drawn with, so the text
    (and its hash) stays the one decided on. A decision on a report no longer awaiting one (another run
    decided it, or its text changed) is not recorded. Returns what the run summary and the artifact say."""
    log = get_run_logger()
    reviewer = " ".join(decision.reviewer.split())  # one line: it is printed in the report's stamp
    review = Review(item.department, item.year, item.status.report_sha256, decision.outcome, reviewer,
                    decision.comment.strip(), dt.datetime.now(dt.UTC), run_id)
    result = {"department": item.department, "decision": review.decision, "reviewer": review.reviewer,
              "comment": review.comment, "decided_at": when(review.decided_at), "report_sha256": review.report_sha256}

    def not_recorded(why: str) -> dict[str, str]:
        log.error("%s %s：审核决定未记录（decision not recorded）：%s", item.department, item.year, why)
        return {**result, "decision": "not recorded", "comment": why}

    if not reviewer:
        return not_recorded("the reviewer's name is empty")
    engine = engine_for(settings)
    try:
        with engine.connect() as conn:
            current = current_report(conn, item.department, item.year)
            status = review_status(current[0], reviews(conn, item.year, item.department)) if current else None
            notes = notes_rendered(conn, item.department, item.year)
        if status is None or status.report_sha256 != item.status.report_sha256 or status.state != PENDING:
            return not_recorded("the report is no longer the draft put up for review (decided by another run, "
                                "or its text changed)")
        if review.decision == APPROVED:
            try:
                paths = render_approved(engine, settings, review)
            except ReportChanged as exc:  # nothing stamped, nothing recorded: the next run drafts again
                return not_recorded(str(exc))
            result["approved"] = str(paths.get("pdf") or paths.get("html") or paths.get("md"))
        else:
            record_review(engine, review)
        # the working copy: stamped (approved) or a draft whose provenance names the return
        render_department(engine, settings, item.department, item.year, notes)
        log.info("%s %s：%s，审核人 %s%s", item.department, item.year, gl.decision(review.decision),
                 review.reviewer, f"（{review.comment}）" if review.comment else "")
    finally:
        engine.dispose()
    return result


def _running_again(message: str) -> None:
    """Take the flow run out of PAUSED after a pause timed out: left paused, the server fails the run when it
    completes ("never resumed"), which would raise the failure alert for a wait that is no error."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext
    from prefect.states import Running

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(context.flow_run.id, Running(message=message), force=True)


def pause_key(department: str, year: int, report_sha256: str) -> str:
    """The pause's key: Prefect takes lowercase letters, digits and dashes only (a code may hold _ or .)."""
    raw = f"review-{department}-{year}-{report_sha256[:16]}".lower()
    return re.sub(r"[^a-z0-9-]", "-", raw)


def _ask(settings: Settings, description: str, key: str) -> ReviewDecision:
    """Pause for the reviewer's form until it holds a decision that can be taken; a form that cannot (a return
    without a comment, say) is asked again, saying why."""
    timeout = max(1, round(settings.review_timeout_hours * 3600))
    problem = None
    for attempt in range(20):
        shown = (f"**上次提交未被接受：{problem}。请重新填写。**\n\n" if problem else "") + description
        form = ReviewDecision.with_initial_data(description=shown)  # the fields keep their titles and checks
        decision = pause_flow_run(wait_for_input=form, timeout=timeout, poll_interval=settings.review_poll_seconds,
                                  key=key if attempt == 0 else f"{key}-{attempt}")
        problem = decision_problem(decision.outcome, decision.reviewer, decision.comment)
        if problem is None:
            return decision
        get_run_logger().warning("review form not taken (%s): asking again", problem)
    raise FlowPauseTimeout(f"no usable review decision after 20 forms: {problem}")


def review_reports(settings: Settings, year: int, departments: list[str], run_id: str) -> list[dict[str, str]]:
    """Ask for a decision on each report of ``departments`` awaiting one, pausing the run for each.

    Called from the flow (a pause belongs to the flow run, not a task). A pause that times out
    (``settings.review_timeout_hours``) leaves that draft, and the ones after it, awaiting: the next run asks
    again."""
    log = get_run_logger()
    decided: list[dict[str, str]] = []
    for item in awaiting_review(settings, year, departments):
        superseded = (f"\n\n本稿将替代 {when(item.status.superseded.decided_at)} 经 "
                      f"{item.status.superseded.reviewer} 批准的版本。" if item.status.superseded else "")
        description = (f"## 审核 {item.department} {year} 年部门整体支出绩效自评报告\n\n"
                       f"{brief(settings, item)}\n\n"
                       f"草稿内容 SHA-256 `{item.status.report_sha256[:12]}`{superseded}\n\n"
                       "批准：生成加盖审核信息的正式报告；退回：保留草稿，记录意见。")
        key = pause_key(item.department, year, item.status.report_sha256)
        try:
            decision = _ask(settings, description, key)
        except FlowPauseTimeout:
            log.warning("%s 小时内没有审核决定（no review decision in time）：%s 及其后的部门仍为草稿，待审核",
                        settings.review_timeout_hours, item.department)
            _running_again("审核：未按时作出决定，草稿保留，下次运行再次请审核（review: no decision in time）")
            decided.append({"department": item.department, "decision": "awaiting", "reviewer": "", "comment": "",
                            "decided_at": "", "report_sha256": item.status.report_sha256})
            break
        decided.append(apply_decision(settings, item, decision, run_id))
    publish_review(year, decided, settings)
    return decided
