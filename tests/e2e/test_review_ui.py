"""Review and sign-off in the Prefect UI, in a real browser: a custom run with review on, one department approved
and another returned in the run's Resume form. After tests/e2e/test_prefect_ui.py (the same stack)."""

from __future__ import annotations

import time

import duckdb
import pytest

from tests.conftest import LIWAN
from tests.e2e.conftest import OUTPUT, Stack, final_state, flow_run, open_custom_run, submit_custom_run

pytestmark = pytest.mark.e2e
SWJ = "440103-SWJ"


def wait_for_pause(stack: Stack, run_id: str, department: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = flow_run(stack, run_id)
        key = (run["state"] or {}).get("state_details", {}).get("pause_key") or ""
        if run["state_type"] == "PAUSED" and key.startswith(f"review-{department.lower()}-"):
            return
        assert run["state_type"] not in ("FAILED", "CRASHED", "COMPLETED"), run["state"]
        time.sleep(1)
    raise TimeoutError(f"the run did not pause for {department}")


def resume(page, stack: Stack, run_id: str, department: str, decision: str, reviewer: str, comment: str) -> None:
    """Open the paused run, press Resume and fill the review form; submit again if the server was busy."""
    wait_for_pause(stack, run_id, department)
    page.goto(f"{stack.ui}/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"审核 {department} 2022 年部门整体支出绩效自评报告").wait_for(timeout=30_000)
    draft = dialog.get_by_role("link", name="网页").first  # the form opens the draft it asks about
    href = str(draft.get_attribute("href"))
    assert href == f"{stack.reports}2022/{department}/report.html"
    opened = page.context.browser.new_page()
    opened.goto(href)
    assert '<div class="watermark" aria-hidden="true">草稿</div>' in opened.content()
    opened.close()
    dialog.locator(".p-select-button__control").focus()
    page.keyboard.press("Space")
    page.get_by_role("option", name=decision).click()
    fields = dialog.locator("textarea")
    fields.nth(0).fill(reviewer)
    fields.nth(1).fill(comment)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"review-form-{department}.png"))
    for _ in range(5):
        dialog.get_by_role("button", name="Submit").click()
        try:
            dialog.wait_for(state="hidden", timeout=10_000)
            return
        except Exception:  # "Failed to resume flow run": the server's SQLite was busy; the form stays open
            time.sleep(2)
    raise AssertionError(f"the review form for {department} was not accepted")


def test_a_reviewer_approves_one_report_and_returns_another_in_the_ui(stack, browser_page):
    page = browser_page
    open_custom_run(page, stack)
    page.get_by_role("spinbutton").fill("2022")
    select = page.get_by_role("button", name="No items selected")
    select.focus()
    page.keyboard.press("Space")
    for code in (LIWAN, SWJ):
        page.get_by_role("option", name=code).click()
    page.get_by_text("Run Name", exact=True).click()  # closes the multi-select
    page.get_by_role("option", name=LIWAN).wait_for(state="hidden", timeout=10_000)
    switch = page.locator(".schema-form-property").filter(has_text="审核（review） (Optional)").get_by_role("switch")
    for _ in range(5):  # a click while the form redraws (after the multi-select closes) can be lost: click again
        switch.click()
        try:
            switch.and_(page.locator('[aria-checked="true"]')).wait_for(timeout=2_000)
            break
        except Exception:
            continue
    assert switch.get_attribute("aria-checked") == "true"
    run_id = submit_custom_run(page)

    resume(page, stack, run_id, LIWAN, "批准 approve", "张审核", "")
    resume(page, stack, run_id, SWJ, "退回 return", "李审核", "请补充成效的数据来源")
    assert final_state(stack, run_id) == "COMPLETED"
    page.goto(f"{stack.ui}/runs/flow-run/{run_id}")
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("review-2022").first.wait_for(timeout=30_000)
    page.screenshot(path=str(OUTPUT / "review-completed.png"), full_page=True)

    kgxj, swj = stack.out / "2022" / LIWAN, stack.out / "2022" / SWJ
    assert "经 张审核 审核批准" in (kgxj / "approved" / "report.md").read_text(encoding="utf-8")
    assert 'class="watermark"' not in (kgxj / "approved" / "report.html").read_text(encoding="utf-8")
    assert not (swj / "approved").exists()
    assert '<div class="watermark" aria-hidden="true">草稿</div>' in (swj / "report.html").read_text(encoding="utf-8")
    with duckdb.connect(stack.warehouse.removeprefix("duckdb:///"), read_only=True) as conn:
        found = conn.execute("select r.department_code, r.decision, r.reviewer, r.comment, "
                             "r.report_sha256 = s.report_sha256 from ops_review r join mart_score s "
                             "using (department_code, year) where r.year = 2022 order by r.decided_at").fetchall()
    assert found == [(LIWAN, "approved", "张审核", "", True), (SWJ, "returned", "李审核", "请补充成效的数据来源", True)]
