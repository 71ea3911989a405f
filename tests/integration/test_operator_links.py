"""What an operator opens from the UI: the output folder served read-only on loopback, every link of a run's
artifact an http address that opens, and every artifact and alert text in Chinese (English only from the
glossary's list)."""

from __future__ import annotations

import html as html_module
import re
import urllib.error
import urllib.request
from urllib.parse import urljoin

import pytest

from flows.serve import serve_reports
from tasks import glossary as gl
from tasks.quality.outputs import read_report
from tests.conftest import LIWAN
from tests.integration.test_quality_gate import push_execution_above_budget


@pytest.fixture
def served(tmp_path):
    out = tmp_path / "out"
    server = serve_reports(out, "127.0.0.1", 0)
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def _get(url: str, method: str = "GET") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, method=method, data=b"x" if method in ("PUT", "POST") else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def test_the_output_folder_is_served_read_only(served):
    out, base = served
    (out / "2022").mkdir(parents=True)
    (out / "2022" / "report.md").write_text("# 自评报告", encoding="utf-8")
    status, kind, body = _get(base + "2022/report.md")
    assert status == 200 and kind == "text/plain; charset=utf-8" and body.decode("utf-8") == "# 自评报告"
    assert _get(base + "2022/report.md", "PUT")[0] == 501 and _get(base + "2022/x.md", "POST")[0] == 501
    assert _get(base + "2022/../../../etc/passwd")[0] == 404
    (out / "etc-link").symlink_to("/etc")
    (out / "2022" / ".secret").write_text("x", encoding="utf-8")
    assert _get(base + "etc-link/hostname")[0] == 404  # a link out of the folder is not followed
    assert _get(base + "2022/.secret")[0] == 404 and _get(base + "2022/")[0] == 404  # no hidden files, no listings
    assert (out / "2022" / "report.md").read_text(encoding="utf-8") == "# 自评报告"


def _texts_in_chinese(state, receiver) -> str:
    """Reads the run's artifact, its message and the alerts it sent for English outside the glossary; returns
    the artifact's text."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    [summary] = [str(a.data) for a in artifacts if a.key == "run-summary-2022"]
    texts = {"artifact": summary, "message": str(state.message),
             **{f"alert {i}": r["json"]["text"] for i, r in enumerate(receiver.requests)}}
    assert receiver.requests
    for where, text in texts.items():
        assert gl.english_words(text) == set(), (where, text)
    return summary


def test_a_refused_run_speaks_chinese_and_links_over_http(prefect_harness, served, sample_copy, tmp_path,
                                                          receiver, monkeypatch):
    from flows.self_evaluation import self_evaluation

    out, base = served
    push_execution_above_budget(sample_copy)
    monkeypatch.setenv("SELFEVAL_REPORTS_BASE_URL", base)
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    state = self_evaluation(year=2022, source=str(sample_copy), warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb",
                            output_dir=str(out), return_state=True)
    assert state.is_failed() and LIWAN in str(state.message)
    summary = _texts_in_chinese(state, receiver)

    rows = [line for line in summary.splitlines() if line.startswith("| 440103")]
    assert rows[0].startswith(f"| {LIWAN} | 未通过校验（refused） |")  # refused first
    links = re.findall(r"\]\(([^)]+)\)", summary)
    assert links and all(link.startswith(base) for link in links)
    for link in links:
        assert _get(link)[0] == 200, link
    page = next(link for link in links if "/data-quality/" in link)
    html = _get(page)[2].decode("utf-8")
    first = re.search(r"<tbody>\s*<tr class=\"(\w+)\"><td>([^<]+)</td><td>([^<]+)</td>", html)
    # a rule that refused the department comes first (the run's message names the rules that refused it)
    assert first is not None and first.groups()[:2] == ("fatal", LIWAN) and first.group(3) in str(state.message)
    assert "FIN-001" in str(state.message)
    assert "cdn" not in html.lower() and "<script" not in html
    errors = re.search(r'<a href="([^"]+)">错误明细</a>', html)
    assert errors is not None and _get(urljoin(page, errors.group(1)))[0] == 200  # its error list opens

    # a later run of another department alone does not change what this run's link shows
    again = self_evaluation(year=2022, departments=["440103-SWJ"], source=str(sample_copy),
                            warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(out), return_state=True)
    assert again.is_completed()
    assert _get(page)[2].decode("utf-8") == html


def test_an_input_refusal_is_on_the_data_quality_page_and_speaks_chinese(prefect_harness, served, sample_copy,
                                                                         tmp_path, receiver, monkeypatch):
    from flows.self_evaluation import self_evaluation

    out, _ = served
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    path = sample_copy / "finance" / "2022" / LIWAN / "payments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split(",")
    cells[-1] = "144O1.45"  # a letter O for a zero
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    state = self_evaluation(year=2022, departments=[LIWAN], source=str(sample_copy),
                            warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(out), return_state=True)
    assert state.is_failed()
    _texts_in_chinese(state, receiver)  # the reader's message, in the artifact and the alert
    assert "「144O1.45」不是金额" in receiver.requests[0]["json"]["text"]
    page = out / "2022" / "data-quality" / f"{state.state_details.flow_run_id}.html"
    html = page.read_text(encoding="utf-8")
    assert gl.english_words(html_module.unescape(re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1]))) == set()
    assert "全部规则通过" not in html and "1 项未通过" in html
    assert "<td>INPUT</td><td>输入文件有误</td>" in html and "payments.csv" in html
    # the file to send to the department, as for a rule's refusal, linked from the page
    errors = read_report(out / "2022" / LIWAN / "data-quality-errors.csv")
    assert list(errors["rule"]) == ["INPUT"] and "「144O1.45」不是金额" in errors["detail"].iloc[0], errors
    assert "payments.csv" in errors["detail"].iloc[0] and errors["severity"].iloc[0] == "fatal"
    assert f'href="../{LIWAN}/data-quality-errors.csv"' in html
