"""Review and sign-off through a real Prefect server: the run pauses per report, decisions come in as the UI
sends them (Prefect's resume with run input), and the warehouse, the files and the roll-up show them."""

from __future__ import annotations

import hashlib
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import LIWAN

SWJ = "440103-SWJ"


def paused_run(seconds: float = 240) -> tuple[Any, str]:
    """The paused flow run and the key of its pause (review-<department>-<year>-<hash>)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + seconds
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
            for run in runs:
                details = run.state.state_details if run.state else None
                if details is not None and details.pause_key and details.run_input_keyset:
                    return run, str(details.pause_key)
            time.sleep(0.5)
    raise TimeoutError("no run paused for review")


FORMS: list[str] = []  # what each review form showed the reviewer, in order


def decide(decision: str, reviewer: str, comment: str = "") -> str:
    from prefect.flow_runs import resume_flow_run
    from prefect.input.actions import read_flow_run_input

    run, key = paused_run()
    keyset = run.state.state_details.run_input_keyset
    FORMS.append(str(read_flow_run_input(keyset["description"], flow_run_id=run.id) or ""))
    for _ in range(60):  # the run pauses first, then saves its form's schema
        try:
            resume_flow_run(run.id, run_input={"decision": decision, "reviewer": reviewer, "comment": comment})
            break
        except RuntimeError as exc:
            if "schema not found" not in str(exc):
                raise
            time.sleep(0.5)
    time.sleep(1.0)  # the run leaves PAUSED before the next pause is looked for
    return key


class Run(threading.Thread):
    def __init__(self, **parameters: Any):
        super().__init__(daemon=True)
        self.parameters, self.state = parameters, None

    def run(self) -> None:
        from flows.self_evaluation import self_evaluation

        self.state = self_evaluation(year=2022, review=True, return_state=True, **self.parameters)


def rows(url: str, sql: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reviewed(prefect_harness, tmp_path_factory) -> dict[str, Any]:
    import os
    import shutil

    tmp = tmp_path_factory.mktemp("review")
    source = tmp / "sample"
    shutil.copytree(Path("data/sample"), source)
    os.environ["SELFEVAL_REVIEW_POLL_SECONDS"] = "1"
    # warnings in every report: the approved text must be drawn with the notes its draft was drawn with
    os.environ["SELFEVAL_YOY_WARNING_BOUND"] = "0.01"
    os.environ["SELFEVAL_REPORTS_BASE_URL"] = "http://127.0.0.1:4201/"  # as make serve sets it
    params = {"departments": [LIWAN, SWJ], "source": str(source), "warehouse_url": f"duckdb:///{tmp}/wh.duckdb",
              "output_dir": str(tmp / "out")}
    try:
        first = Run(**params)
        first.start()
        keys = [decide("批准 approve", "张审核"), decide("退回 return", "李审核", "请补充成效的数据来源")]
        first.join(240)
        assert first.state is not None and first.state.is_completed(), first.state
        yield {"tmp": tmp, "source": source, "params": params, "keys": keys, "out": tmp / "out" / "2022",
               "url": f"duckdb:///{tmp}/wh.duckdb", "summary": first.state.result()}
    finally:
        os.environ.pop("SELFEVAL_REVIEW_POLL_SECONDS", None)
        os.environ.pop("SELFEVAL_YOY_WARNING_BOUND", None)
        os.environ.pop("SELFEVAL_REPORTS_BASE_URL", None)


def test_the_run_pauses_once_per_report_in_department_order(reviewed):
    expected = [f"review-{LIWAN.lower()}-2022", f"review-{SWJ.lower()}-2022"]
    assert [k.rsplit("-", 1)[0] for k in reviewed["keys"]] == expected
    decisions = {d["department"]: d["decision"] for d in reviewed["summary"].reviews}
    assert decisions == {LIWAN: "approved", SWJ: "returned"}


def test_the_form_shows_what_is_approved(reviewed):
    """The reviewer sees the draft's key figures, warnings and 自评表, and a link that opens it."""
    form = FORMS[0]
    assert form.startswith(f"## 审核 {LIWAN} 2022 年部门整体支出绩效自评报告")
    assert "全年预算数 12103.34 万元" in form and "执行数 12103.27 万元" in form and "执行率 100%" in form
    assert "总分" in form and "自评等级" in form
    assert f"[网页](http://127.0.0.1:4201/2022/{LIWAN}/report.html)" in form
    assert "**数据质量提示**：STA-" in form or "**数据质量提示**：REC-" in form  # the planted warnings
    assert "| 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 |" in form and "| 企业服务满意度 |" in form


def test_approval_renders_the_final_files_stamped(reviewed):
    approved = reviewed["out"] / LIWAN / "approved"
    assert "附件：数据质量说明" in (reviewed["out"] / LIWAN / "report.md").read_text(encoding="utf-8")
    assert {p.name for p in approved.iterdir()} >= {"report.md", "report.html", "report.docx", "report.pdf"}
    md = (approved / "report.md").read_text(encoding="utf-8")
    assert "经 张审核 审核批准" in md
    with zipfile.ZipFile(approved / "report.docx") as z:
        assert "PowerPlusWaterMarkObject" not in "".join(z.read(n).decode() for n in z.namelist() if "header" in n)
    assert 'class="watermark"' not in (approved / "report.html").read_text(encoding="utf-8")


def test_a_returned_report_stays_a_watermarked_draft(reviewed):
    folder = reviewed["out"] / SWJ
    assert not (folder / "approved").exists()
    with zipfile.ZipFile(folder / "report.docx") as z:
        headers = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/header"))
    assert "PowerPlusWaterMarkObject" in headers and 'string="草稿"' in headers
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert '<div class="watermark" aria-hidden="true">草稿</div>' in html


def test_the_decisions_are_in_the_warehouse_with_the_reports_content_hash(reviewed):
    found = rows(reviewed["url"], "select department_code, decision, reviewer, comment, report_sha256 from ops_review "
                                  "order by decided_at")
    scores = {r["department_code"]: r["report_sha256"] for r in rows(reviewed["url"],
                                                                      "select * from mart_score where year = 2022")}
    assert [(r["department_code"], r["decision"], r["reviewer"]) for r in found] == [
        (LIWAN, "approved", "张审核"), (SWJ, "returned", "李审核")]
    assert found[1]["comment"] == "请补充成效的数据来源"
    for r in found:
        assert r["report_sha256"] == scores[r["department_code"]]
    # the hash is the text's as drafted: the approved report.md without its stamp line
    md = (reviewed["out"] / LIWAN / "approved" / "report.md").read_text(encoding="utf-8")
    unstamped = "\n\n".join(p for p in md.split("\n\n") if "审核批准" not in p)
    assert hashlib.sha256(unstamped.encode()).hexdigest() == found[0]["report_sha256"]


def test_provenance_and_the_rollup_show_the_decisions(reviewed):
    from flows.cli import main

    provenance = (reviewed["out"] / SWJ / "provenance.html").read_text(encoding="utf-8")
    assert "已退回" in provenance and "李审核" in provenance and "请补充成效的数据来源" in provenance
    out = str(reviewed["tmp"] / "out")
    assert main(["rollup", "--year", "2022", "--warehouse", reviewed["url"], "--out", out]) == 0
    rollup = (reviewed["out"] / "rollup.md").read_text(encoding="utf-8")
    assert "| 审核 |" in rollup and "已批准（张审核，" in rollup and "已退回（李审核，" in rollup
    assert "## 审核记录" in rollup


def _settings(reviewed):
    from tasks.settings import Settings

    params = reviewed["params"]
    return Settings(source=params["source"], warehouse_url=params["warehouse_url"], output_dir=params["output_dir"])


def _approved_files(reviewed) -> dict[str, bytes]:
    folder = reviewed["out"] / LIWAN / "approved"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_approval_of_text_other_than_the_current_is_neither_stamped_nor_recorded(reviewed):
    """render_approved is given a decision on a text whose hash is not the current report's: it refuses
    (ReportChanged), writes no file and records nothing."""
    import datetime as dt

    from tasks.report.build import ReportChanged, render_approved
    from tasks.warehouse.reviews import APPROVED, Review

    settings, before = _settings(reviewed), _approved_files(reviewed)
    count = "select count(*) as n from ops_review"
    recorded = rows(reviewed["url"], count)[0]["n"]
    other = Review(LIWAN, 2022, "0" * 64, APPROVED, "王审核", "", dt.datetime.now(dt.UTC), "test-stale")
    engine = sa.create_engine(reviewed["url"])
    try:
        with pytest.raises(ReportChanged, match="changed since the draft was reviewed"):
            render_approved(engine, settings, other)
    finally:
        engine.dispose()
    assert _approved_files(reviewed) == before
    assert rows(reviewed["url"], count)[0]["n"] == recorded


def test_a_decision_on_a_report_no_longer_awaiting_one_is_not_recorded(reviewed, prefect_harness):
    """A decision that comes for a draft already decided (another run decided it), or for text that changed
    since it was put up, is not recorded and stamps nothing."""
    import dataclasses

    from prefect import flow

    from flows.steps.review import Awaiting, ReviewDecision, apply_decision
    from tasks.report.review import PENDING, ReviewStatus

    settings, before = _settings(reviewed), _approved_files(reviewed)
    current = {r["department_code"]: r["report_sha256"]
               for r in rows(reviewed["url"], "select * from mart_score where year = 2022")}
    decided = Awaiting(LIWAN, 2022, ReviewStatus(current[LIWAN], PENDING), "report.pdf")  # approved already
    changed = dataclasses.replace(decided, status=ReviewStatus("f" * 64, PENDING))  # text no longer current
    count = "select count(*) as n from ops_review"
    recorded = rows(reviewed["url"], count)[0]["n"]

    @flow
    def decide_late(item):
        return apply_decision(settings, item, ReviewDecision(decision="批准 approve", reviewer="王审核"), "late")

    for item in (decided, changed):
        result = decide_late(item)
        assert result["decision"] == "not recorded" and "no longer the draft" in result["comment"]
    assert rows(reviewed["url"], count)[0]["n"] == recorded
    assert _approved_files(reviewed) == before


def test_changed_data_makes_a_new_draft_and_keeps_the_approved_version(reviewed):
    """Last in the module: it changes the landing zone. The narrative of the approved department changes; the
    next run drafts it again, saying the approved version is superseded, and leaves the approved files."""
    approved = reviewed["out"] / LIWAN / "approved" / "report.md"
    before = approved.read_bytes()
    narrative = reviewed["source"] / "narrative" / "2022" / f"{LIWAN}.yaml"
    text = narrative.read_text(encoding="utf-8")
    narrative.write_text(text.replace("各重点工作任务完成较好", "各重点工作任务完成良好"), encoding="utf-8")
    second = Run(**reviewed["params"])
    second.start()
    key = decide("退回 return", "张审核", "等待决算")
    second.join(240)
    assert second.state is not None and second.state.is_completed(), second.state
    assert key.startswith(f"review-{LIWAN.lower()}-2022-")  # the returned SWJ, unchanged, is not asked again
    assert approved.read_bytes() == before
    draft = (reviewed["out"] / LIWAN / "report.md").read_text(encoding="utf-8")
    assert "各重点工作任务完成良好" in draft and "批准后将替代该版本" in draft
    rollup_row = rows(reviewed["url"], f"select count(*) as n from ops_review where department_code = '{LIWAN}'")
    assert rollup_row[0]["n"] == 2


def test_no_decision_in_time_leaves_the_drafts_and_the_run_completes(prefect_harness, tmp_path, monkeypatch):
    """A pause that times out is no failure: the run completes (no failure alert), the draft stays a draft and
    nothing is recorded; the next run asks again."""
    monkeypatch.setenv("SELFEVAL_REVIEW_TIMEOUT_HOURS", "0.0005")  # ~2 s
    monkeypatch.setenv("SELFEVAL_REVIEW_POLL_SECONDS", "1")
    run = Run(departments=["440103-WTJ"], warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(tmp_path))
    run.start()
    run.join(240)
    assert run.state is not None and run.state.is_completed(), run.state
    assert [(d["department"], d["decision"]) for d in run.state.result().reviews] == [("440103-WTJ", "awaiting")]
    assert rows(f"duckdb:///{tmp_path}/wh.duckdb", "select count(*) as n from ops_review")[0]["n"] == 0
    html = (tmp_path / "2022" / "440103-WTJ" / "report.html").read_text(encoding="utf-8")
    assert 'class="watermark"' in html and not (tmp_path / "2022" / "440103-WTJ" / "approved").exists()


def test_a_return_without_a_comment_is_asked_again(prefect_harness, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_REVIEW_POLL_SECONDS", "1")
    run = Run(departments=["440103-WTJ"], warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(tmp_path))
    run.start()
    first = decide("退回 return", "李审核", "")
    second = decide("退回 return", "李审核", "请补充成效")
    run.join(240)
    assert run.state is not None and run.state.is_completed(), run.state
    assert second == f"{first}-1"  # the same report, asked again
    found = rows(f"duckdb:///{tmp_path}/wh.duckdb", "select decision, comment from ops_review")
    assert found == [{"decision": "returned", "comment": "请补充成效"}]
