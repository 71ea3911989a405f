"""Operators' path through the Prefect UI, in a real browser, against a real server and served deployments."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import LIWAN
from tests.e2e.conftest import OUTPUT, Stack, final_state, open_custom_run, submit_custom_run

pytestmark = pytest.mark.e2e


def open_link(page: Any, link: Any) -> Any:
    """The page ``link`` opens, in a new tab or in the same one, loaded."""
    try:
        with page.context.expect_page(timeout=10_000) as opened:
            link.click()
        target = opened.value
    except PlaywrightTimeout:  # opened in the same tab
        target = page
    target.wait_for_load_state()
    return target


def test_custom_run_from_the_ui_form(stack, browser_page):
    page = browser_page
    open_custom_run(page, stack)
    page.get_by_role("spinbutton").fill("2022")  # the year
    select = page.get_by_role("button", name="No items selected")  # the departments' multi-select
    select.focus()
    page.keyboard.press("Space")
    picked = f"{LIWAN} 广州市荔湾区科技工业和信息化局"  # the picker shows 编码 and 名称
    page.get_by_role("option", name=picked).wait_for(timeout=10_000)
    assert [o.inner_text() for o in page.get_by_role("option").all()] == [
        picked, "440103-SWJ 广州市荔湾区商务局（模拟）", "440103-WTJ 广州市荔湾区文化广电旅游体育局（模拟）"]
    page.get_by_role("option", name=picked).click()
    page.get_by_text("Run Name", exact=True).click()  # closes the multi-select
    page.get_by_role("option", name=picked).wait_for(state="hidden", timeout=10_000)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "custom-run-form.png"), full_page=True)
    run_id = submit_custom_run(page)
    assert final_state(stack, run_id) == "COMPLETED"
    page.reload()
    page.get_by_text("Completed", exact=True).first.wait_for(timeout=30_000)  # the run's state badge

    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("run-summary-2022").first.wait_for(timeout=30_000)  # the run's one artifact
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "custom-run-completed.png"), full_page=True)
    assert (stack.out / "2022" / LIWAN / "report.md").exists()

    # the artifact's report link opens the HTML report, 自评表 included, from the served output folder
    page.get_by_text("run-summary-2022").first.click()
    link = page.get_by_role("link", name="网页").first
    link.wait_for(timeout=30_000)
    page.screenshot(path=str(OUTPUT / "run-artifact.png"), full_page=True)
    href = str(link.get_attribute("href"))
    assert href == f"{stack.reports}2022/{LIWAN}/report.html"
    report = open_link(page, link)
    assert report.url == href and "（三）绩效指标" in report.content() and "三级指标" in report.content()
    report.screenshot(path=str(OUTPUT / "report-from-artifact.png"))


def test_a_refused_run_fails_and_the_automation_alerts(stack, receiver, tmp_path):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.cli import main

    bad = stack.sample.parent / "bad-sample"
    import shutil

    shutil.copytree(stack.sample, bad)
    lines = bad / "finance" / "2022" / LIWAN / "budget_lines.csv"
    text = lines.read_text(encoding="utf-8").splitlines()
    cells = text[8].split(",")
    cells[7] = f"{float(cells[6]) + 1000:.2f}"  # 全年执行数 above 全年预算数
    text[8] = ",".join(cells)
    lines.write_text("\n".join(text) + "\n", encoding="utf-8")

    with temporary_settings(updates={PREFECT_API_URL: stack.api}):
        CustomWebhookNotificationBlock(name="selfeval-e2e", url=receiver.url,
                                       json_data={"text": "{{subject}}\n{{body}}"}).save("selfeval-e2e", overwrite=True)
        assert main(["automations", "--block", "custom-webhook/selfeval-e2e"]) == 0
        time.sleep(5)  # the server loads new automations on a short cycle
        with pytest.raises(Exception, match="Validation failed"):  # the server refuses a code it does not know
            run_deployment("self-evaluation/on-demand", timeout=0,
                           parameters={"year": 2022, "departments": ["440103-NONE"], "source": str(bad)})
        run = run_deployment("self-evaluation/on-demand", timeout=300,  # a script passes the code alone
                             parameters={"year": 2022, "departments": [LIWAN], "source": str(bad)})
    assert run.state is not None and run.state.is_failed(), run.state
    assert "FIN-001" in (run.state.message or "")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(LIWAN in r["body"].decode() for r in receiver.requests):
        time.sleep(1)
    texts = [r["json"]["text"] for r in receiver.requests if r["json"]]
    assert any(LIWAN in t and "2022" in t for t in texts), texts
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "automation-notifications.json").write_text(json.dumps(texts, ensure_ascii=False, indent=1))

    # the run's artifact links its data-quality page; in the browser the failing rule is the first row (the
    # browser starts only now: Playwright's event loop would make Prefect's block calls above asynchronous)
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        failing_rule_first(browser.new_page(viewport={"width": 1400, "height": 1200}), stack, str(run.id))
        browser.close()


def failing_rule_first(page: Any, stack: Stack, run_id: str) -> None:
    page.goto(f"{stack.ui}/runs/flow-run/{run_id}")
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("run-summary-2022").first.click()
    link = page.get_by_role("link", name="数据质量检查结果").first
    link.wait_for(timeout=30_000)
    assert str(link.get_attribute("href")).startswith(f"{stack.reports}2022/data-quality/")
    page.goto(str(link.get_attribute("href")))
    first = page.locator("tbody tr").first
    # execution above budget on one line trips FIN-001 and the reconciliations with the 决算总表 (REC-004, REC-010);
    # one of them, not a rule that passed, comes first
    assert first.locator("td").nth(0).inner_text() == LIWAN
    assert first.locator("td").nth(1).inner_text() in ("FIN-001", "REC-004", "REC-010")
    assert "未通过" in first.inner_text()
    page.screenshot(path=str(OUTPUT / "data-quality-page.png"), full_page=True)


WTJ = "440103-WTJ"


def _post(stack: Stack, path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(f"{stack.api}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return list(json.load(r))


@pytest.fixture(scope="module")
def night_2023(stack: Stack) -> Any:
    """The served nightly deployment run once, its clock set to a night in 2023 by the run's scheduled time
    (module-scoped: set up before any browser, whose event loop Prefect's client would otherwise join)."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    night = dt.datetime(2023, 7, 14, 18, 0, tzinfo=dt.UTC)  # 02:00 on 15 July 2023 in Shanghai
    with temporary_settings(updates={PREFECT_API_URL: stack.api}):
        return run_deployment("self-evaluation-nightly/nightly", scheduled_time=night, timeout=600)


def test_a_night_scheduled_in_2023_runs_both_seasons_and_completes(stack, night_2023):
    """The nightly processes 2023 for monitoring and 2022 for the reports, ends Completed, and the Prefect UI
    shows the monitoring table as an artifact of the 2023 run. Last in this module but the browser's look at
    it: it loads every department of the stack's warehouse, and the UI test above expects its department's
    first load."""
    run = night_2023
    assert run.state is not None and run.state.is_completed(), run.state
    done = "已完成（COMPLETED）"
    assert run.state.message == f"2023-07-15 夜间运行（nightly）：2022 年：{done}；2023 年：{done}"

    children = _post(stack, "/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [str(run.id)]}}})
    assert sorted(c["parameters"]["year"] for c in children) == [2022, 2023]
    assert all(c["state_type"] == "COMPLETED" for c in children)
    [artifact] = _post(stack, "/artifacts/filter", {"artifacts": {"key": {"any_": ["monitoring-2023"]}}})
    table = json.loads(artifact["data"]) if isinstance(artifact["data"], str) else artifact["data"]
    flagged = [row["部门编码"] for row in table if row["状态"] == "预警"]
    assert flagged == [WTJ]
    assert (stack.out / "2023" / WTJ / "report.md").exists() and (stack.out / "2022" / WTJ / "report.md").exists()


def test_the_red_project_is_found_in_the_ui(stack, night_2023, browser_page):
    """The 双监控 in the Prefect UI as a bureau's staff member finds it after the night: the monitoring artifact
    lists the 商务局's 促进外贸稳增长专项资金 (XM23001, red on spending) among the 重点监控 candidates, behind only
    red ones, and its code opens the project's 绩效运行监控表, lit red, from the served output folder."""
    assert night_2023.state is not None and night_2023.state.is_completed()
    page = browser_page
    import re

    page.goto(f"{stack.ui}/artifacts/key/monitoring-detail-2023")  # the key's timeline: its latest version first
    page.get_by_role("link", name=re.compile(r"^[0-9a-f]{8}$")).first.click()
    page.get_by_text("重点监控候选", exact=False).first.wait_for(timeout=60_000)
    row = page.locator("tr", has_text="促进外贸稳增长专项资金").first
    row.wait_for(timeout=30_000)
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1:3] == ["广州市荔湾区商务局（模拟）", "XM23001"] and cells[4] == "红灯", cells
    ranked = [[c.strip() for c in r.locator("td").all_inner_texts()] for r in page.locator("tr", has_text="灯").all()]
    before = [r for r in ranked if r and r[0].isdigit() and int(r[0]) < int(cells[0])]
    assert all(r[4] == "红灯" for r in before)  # red before yellow; among reds, the most behind first
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "monitoring-red-project.png"), full_page=True)
    link = row.get_by_role("link", name="XM23001")
    href = str(link.get_attribute("href"))
    assert href == f"{stack.reports}2023/440103-SWJ/monitoring/XM23001.html"
    form = open_link(page, link)
    assert form.url == href
    text = form.content()
    assert "项目支出绩效运行监控表" in text and "监控结果" in text and "红灯" in text and "LGT-001" in text
    form.screenshot(path=str(OUTPUT / "monitoring-form.png"), full_page=True)
