"""The review policy (tasks.report.review): which text a decision holds for, what supersedes what."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.cli import main
from tasks.report.review import decision_problem, decision_text, draft_mark, review_status, stamp, when
from tasks.warehouse.reviews import Review

T0 = dt.datetime(2026, 12, 2, 2, 20, tzinfo=dt.UTC)  # 10:20 in Shanghai


def decision(sha: str, what: str, minutes: int = 0, reviewer: str = "张审核", comment: str = "") -> Review:
    return Review("440103-KGXJ", 2022, sha, what, reviewer, comment, T0 + dt.timedelta(minutes=minutes), "run")


def test_a_text_without_a_decision_is_pending():
    status = review_status("a" * 64, [])
    assert status.state == "pending" and status.decision is None and status.superseded is None
    assert draft_mark(status).draft and draft_mark(status).lines == ()


def test_the_latest_decision_on_the_same_text_decides():
    returned, approved = decision("a", "returned", 0, comment="补充"), decision("a", "approved", 5)
    assert review_status("a", [approved, returned]).state == "approved"
    assert review_status("a", [returned]).state == "returned"
    assert decision_text(review_status("a", [returned])) == "已退回（张审核，2026年12月2日 10:20：补充）"


def test_an_approval_of_other_text_is_superseded_not_kept():
    old = decision("old", "approved")
    status = review_status("new", [old])
    assert status.state == "pending" and status.superseded == old
    assert "2026年12月2日 10:20 经 张审核 批准的版本内容不同" in draft_mark(status).lines[0]
    assert decision_text(status) == "待审核；2026年12月2日 10:20 批准的版本待替代"
    assert review_status("old", [old, decision("new", "returned", 5)]).superseded is None  # old is current


def test_the_stamp_names_who_and_when_in_the_bureaus_time():
    assert stamp(decision("a", "approved")) == "本报告已于 2026年12月2日 10:20 经 张审核 审核批准。"
    assert when(dt.datetime(2026, 12, 31, 17, 5, tzinfo=dt.UTC)) == "2027年1月1日 01:05"


def test_a_cli_run_with_review_needs_a_server_reviewers_can_open(monkeypatch, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert main(["run", "--year", "2022", "--review"]) == 2
    assert "review needs a Prefect server" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["maybe", ""])
def test_a_decision_is_approved_or_returned(what):
    from tasks.warehouse.reviews import record_review

    with pytest.raises(ValueError, match="expected one of approved, returned"):
        record_review(None, decision("a", what))  # type: ignore[arg-type]  # refused before any connection


def test_a_decision_names_its_reviewer_and_a_return_says_why():
    assert decision_problem("approved", "张审核", "") is None
    assert decision_problem("returned", "张审核", "请补充") is None
    assert "审核人" in str(decision_problem("approved", "  \n ", ""))
    assert "退回须写明意见" in str(decision_problem("returned", "张审核", "   "))


def test_a_pause_key_is_what_prefect_takes_whatever_the_department_code():
    from flows.steps.review import pause_key

    key = pause_key("440103_KG.X", 2022, "ab" * 32)
    assert key == "review-440103-kg-x-2022-abababababababab"
    assert all(c.islower() or c.isdigit() or c == "-" for c in key)
