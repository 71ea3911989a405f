"""Review and sign-off (``review: true``): the policy, as pure functions.

A report rendered under review is a 草稿 until a reviewer approves it. A decision is about one text: the
report's content hash (:func:`tasks.report.render.content_hash`). So:

- a report whose current text has no decision is **pending**: the flow asks a reviewer;
- its latest decision decides it: **approved** (the final files are rendered, stamped) or **returned**
  (the comment is kept, the draft stays; the department changes its inputs and a new draft follows);
- an approval of *other* text is **superseded** by a new draft: the new draft says so, and the approved
  files stay where they are until the new text is approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tasks.domain import TIMEZONE
from tasks.report.render import ReviewMark
from tasks.warehouse.reviews import APPROVED, RETURNED, Review

PENDING = "pending"
LABELS = {PENDING: "待审核", APPROVED: "已批准", RETURNED: "已退回"}
APPROVED_FOLDER = "approved"  # <out>/<year>/<department>/approved/: the approved version's files


@dataclass(frozen=True)
class ReviewStatus:
    """Where a department-year's report stands: ``state`` is pending, approved or returned; ``decision`` the
    latest decision on the current text; ``superseded`` the latest approval of other text (an approved
    version this text replaces once approved), when the current text is not approved."""

    report_sha256: str
    state: str
    decision: Review | None = None
    superseded: Review | None = None

    @property
    def label(self) -> str:
        text = LABELS[self.state]
        if self.superseded is not None:
            text += f"（替代 {when(self.superseded.decided_at)} 批准的版本）"
        return text


def review_status(report_sha256: str, decisions: list[Review]) -> ReviewStatus:
    """The status of the report whose text hashes to ``report_sha256``, from the department-year's
    decisions (any order)."""
    ordered = sorted(decisions, key=lambda r: r.decided_at)
    own = [r for r in ordered if r.report_sha256 == report_sha256]
    latest = own[-1] if own else None
    superseded = None
    if latest is None or latest.decision != APPROVED:
        earlier = [r for r in ordered if r.report_sha256 != report_sha256 and r.decision == APPROVED]
        superseded = earlier[-1] if earlier else None
    return ReviewStatus(report_sha256, latest.decision if latest else PENDING, latest, superseded)


def when(moment: dt.datetime) -> str:
    """A decision's time as the bureau reads it: 2026年12月2日 10:20 (Asia/Shanghai)."""
    local = moment.astimezone(TIMEZONE)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def stamp(review: Review) -> str:
    """The line an approved report carries under its title."""
    return f"本报告已于 {when(review.decided_at)} 经 {review.reviewer} 审核批准。"


def history(decisions: list[Review]) -> tuple[tuple[str, ...], ...]:
    """The department-year's decisions as provenance lists them, oldest first."""
    return tuple((LABELS[d.decision], d.reviewer, when(d.decided_at), d.comment or "—", d.report_sha256)
                 for d in sorted(decisions, key=lambda r: r.decided_at))


def draft_mark(status: ReviewStatus) -> ReviewMark:
    """How a report awaiting review (or returned) is drawn: a 草稿 watermark, and a line when it replaces
    an approved version."""
    lines: tuple[str, ...] = ()
    if status.superseded is not None:
        s = status.superseded
        lines = (f"审核：本稿与 {when(s.decided_at)} 经 {s.reviewer} 批准的版本内容不同，批准后将替代该版本；"
                 "在此之前，批准的版本仍然有效。",)
    return ReviewMark(draft=True, lines=lines)


def approved_mark(review: Review) -> ReviewMark:
    return ReviewMark(draft=False, lines=(stamp(review),))


def decision_text(status: ReviewStatus) -> str:
    """The roll-up's 审核 cell: 待审核; 已批准（张三，2026年12月2日 10:20）; 已退回（李四：意见）; and when an approved
    version is being replaced, which."""
    d = status.decision
    if status.state == APPROVED and d is not None:
        return f"已批准（{d.reviewer}，{when(d.decided_at)}）"
    text = LABELS[status.state]
    if status.state == RETURNED and d is not None:
        text += f"（{d.reviewer}，{when(d.decided_at)}{'：' + d.comment if d.comment else ''}）"
    if status.superseded is not None:
        text += f"；{when(status.superseded.decided_at)} 批准的版本待替代"
    return text


def decision_problem(decision: str, reviewer: str, comment: str) -> str | None:
    """Why a submitted decision cannot be taken (the form asks again), or None: a decision names its
    reviewer, and a return says why."""
    if not reviewer.split():
        return "请填写审核人 (the reviewer's name is empty)"
    if decision == RETURNED and not comment.strip():
        return "退回须写明意见 (a return needs a comment saying why)"
    return None
