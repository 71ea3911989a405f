"""The data-quality gate in a real run: refusal, quarantine, reports, alerts, warnings, artifacts."""

from __future__ import annotations

import csv
import json
import shutil

import pandas as pd
import sqlalchemy as sa

from flows.cli import main
from tasks.quality.outputs import read_report
from tests.conftest import LIWAN, SAMPLE

OTHERS = ["440103-SWJ", "440103-WTJ"]


def push_execution_above_budget(sample):
    """One project line executes 1,000.00 元 more than its budget (ledger and totals follow)."""
    path = sample / "finance" / "2022" / LIWAN / "budget_lines.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[8][7] = f"{float(rows[8][6]) + 1000:.2f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return rows[8][1]  # the line's 指标编号


def test_execution_above_budget_is_refused_quarantined_and_alerted(prefect_harness, sample_copy, tmp_path,
                                                                 receiver, monkeypatch, capsys):
    line = push_execution_above_budget(sample_copy)
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    out, wh = tmp_path / "out", f"duckdb:///{tmp_path}/wh.duckdb"
    code = main(["run", "--year", "2022", "--source", str(sample_copy), "--warehouse", wh, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 3
    assert "FIN-001" in err and LIWAN in err

    engine = sa.create_engine(wh)
    with engine.connect() as conn:
        loaded = dict(conn.execute(sa.text(
            "select department_code, count(*) from fct_budget_line group by department_code")).all())
        quarantine = pd.read_sql(sa.text("select * from ops_quarantine"), conn)
        results = pd.read_sql(sa.text("select * from ops_dq_result where department_code = :d"), conn,
                              params={"d": LIWAN})
    engine.dispose()
    assert LIWAN not in loaded and set(loaded) == set(OTHERS)  # the others went on
    assert set(quarantine["department_code"]) == {LIWAN}
    fin001 = quarantine[quarantine["rule_id"] == "FIN-001"].iloc[0]
    assert fin001["source_uri"].endswith("budget_lines.csv") and fin001["source_row"] == 9
    assert "执行数不超过预算数" in fin001["reason"] and json.loads(fin001["record"])["line_id"] == line
    assert not results[results["rule_id"] == "FIN-001"]["success"].iloc[0]

    folder = out / "2022" / LIWAN
    assert not (folder / "report.md").exists()
    errors = read_report(folder / "data-quality-errors.csv")
    assert list(errors.columns) == ["rule", "severity", "department", "year", "field", "value_provided",
                                    "expected_value", "difference", "source_file", "row_number", "detail", "message"]
    row = errors[errors["rule"] == "FIN-001"].iloc[0]
    # each row as the refusal says it, the one to send to the department: its key and the figure it is set against
    assert row["detail"].startswith(f"{row['source_file']} 第 9 行（指标编号 {line}）：全年执行数（executed）=")
    assert "，全年预算数 " in row["detail"]
    assert row["detail"].endswith("元，相差 1000.00 元")  # in 元: the files may be in 万元
    assert row["severity"] == "fatal" and row["message"].startswith("预算指标的执行数超过预算数")
    with (folder / "data-quality-errors.csv").open(encoding="utf-8-sig") as f:  # as staff read it in Excel
        header, first = f.readline(), f.readline()
    assert header.startswith("规则（rule）,严重程度（severity）,部门（department）")
    assert first.startswith(f"FIN-001,致命（fatal）,{LIWAN},2022,全年执行数（executed）,")
    assert (row["field"], row["difference"], row["row_number"]) == ("executed", "1000.00", "9")
    assert (folder / "quarantine.csv").exists()
    # sent to the department: its files named by their paths in the landing zone, never the server's
    assert row["source_file"] == f"finance/2022/{LIWAN}/budget_lines.csv"
    for name in ("data-quality-errors.csv", "quarantine.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        assert str(sample_copy) not in text and str(sample_copy.resolve()) not in text

    assert len(receiver.requests) == 1
    payload = receiver.requests[0]["json"]
    assert payload["department"] == LIWAN and payload["year"] == 2022
    assert "FIN-001" in payload["rule_ids"] and "FIN-001" in payload["text"]


def test_an_undeliverable_alert_does_not_hide_the_failure(prefect_harness, sample_copy, tmp_path, receiver,
                                                         monkeypatch, capsys, caplog):
    push_execution_above_budget(sample_copy)
    receiver.status = 500
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    code = main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 3 and "FIN-001" in captured.err
    assert len(receiver.requests) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "alert webhook answered HTTP 500" in logged
    assert receiver.url not in logged + captured.out + captured.err  # the webhook address is a secret


def test_notification_block_is_used_by_name(prefect_harness, sample_copy, tmp_path, receiver, monkeypatch):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="selfeval-test", url=receiver.url, json_data={"text": "{{subject}}: {{body}}"},
    ).save("selfeval-test-alerts", overwrite=True)
    push_execution_above_budget(sample_copy)
    monkeypatch.setenv("SELFEVAL_ALERT_BLOCK", "custom-webhook/selfeval-test-alerts")
    code = main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")])
    assert code == 3
    assert len(receiver.requests) == 1
    text = receiver.requests[0]["json"]["text"]
    assert LIWAN in text and "2022" in text and "FIN-001" in text


def test_a_warning_loads_and_annotates_the_report(prefect_harness, sample_copy, tmp_path):
    from flows.self_evaluation import self_evaluation

    path = sample_copy / "statistics" / "indicators.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    hit = (frame["行政区划代码"] == "440103") & (frame["年份"] == "2022") & (frame["行业"] == "工业")
    frame.loc[hit & (frame["指标代码"] == "RD_EXP"), "数值"] = "61566.54"  # three times 2021: beyond the bound
    frame.to_csv(path, index=False)
    state = self_evaluation(year=2022, departments=[LIWAN], source=str(sample_copy),
                            warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(tmp_path / "out"),
                            return_state=True)
    assert state.is_completed(), state.message
    folder = tmp_path / "out" / "2022" / LIWAN
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "附件：数据质量说明" in text and "STA-003" in text
    warnings = read_report(folder / "data-quality-warnings.csv")
    assert set(warnings["rule"]) == {"STA-003"} and not (folder / "data-quality-errors.csv").exists()


def test_a_run_shows_as_one_artifact(prefect_harness, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.self_evaluation import self_evaluation

    state = self_evaluation(year=2022, departments=[LIWAN], warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb",
                            output_dir=str(tmp_path / "out"), return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        run_filter = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=run_filter))
    keyed = [a for a in artifacts if a.key]  # (and the run's progress bar)
    assert [a.key for a in keyed] == ["run-summary-2022"]  # one artifact for the run, not five per department
    summary = str(keyed[0].data)
    assert f"| {LIWAN} | 已入库（loaded） |" in summary and "report.html" in summary
    assert "GX 数据文档（Data Docs）：/" in summary and "data-docs/index.html" in summary  # no base URL: a path
    run = state.state_details.flow_run_id
    assert f"data-quality/{run}.html" in summary
    assert (tmp_path / "out" / "2022" / "data-quality" / f"{run}.html").exists()
    assert (tmp_path / "out" / "2022" / "data-docs" / "index.html").exists()


def test_a_refusal_sets_the_last_report_aside_and_the_rollup_says_so(prefect_harness, sample_copy, tmp_path):
    out, wh = tmp_path / "out", f"duckdb:///{tmp_path}/wh.duckdb"
    args = ["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy), "--warehouse", wh,
            "--out", str(out)]
    assert main(args) == 0
    folder = out / "2022" / LIWAN
    first = (folder / "report.md").read_bytes()
    (folder / "approved").mkdir()
    (folder / "approved" / "report.pdf").write_bytes(b"signed")  # a reviewer's approved version
    push_execution_above_budget(sample_copy)
    assert main(args) == 3
    assert not (folder / "report.md").exists() and not (folder / "report.html").exists()
    assert not (folder / "projects").exists() and (folder / "stale" / "projects" / "index.html").exists()
    assert (folder / "approved" / "report.pdf").read_bytes() == b"signed"  # what was signed stays
    assert (folder / "stale" / "report.md").read_bytes() == first  # the last report, set aside and marked
    assert "数据未通过校验，本目录中的报告非最新" in (folder / "stale" / "说明.txt").read_text(encoding="utf-8")
    assert main(["rollup", "--year", "2022", "--warehouse", wh, "--out", str(out)]) == 0
    row = next(line for line in (out / "2022" / "rollup.md").read_text(encoding="utf-8").splitlines()
               if line.startswith(f"| {LIWAN} |"))
    assert "数据未通过校验，本行为" in row and "入库的数据" in row and "齐全" not in row.split("|")[-2].split("；")[0]

    shutil.copytree(SAMPLE / "finance", sample_copy / "finance", dirs_exist_ok=True)  # the data mended
    assert main(args) == 0
    assert (folder / "report.md").read_bytes() == first and not (folder / "stale").exists()
    assert (folder / "approved" / "report.pdf").read_bytes() == b"signed"


def test_a_malformed_shared_file_s_error_report_says_it_is_the_operator_s_to_mend(prefect_harness, sample_copy,
                                                                                   tmp_path, capsys):
    """A registry file every department reads, malformed, refuses them all; each department's 错误明细 names the file
    in the landing zone and says that the operator mends it, not the department (it read as the department's own)."""
    path = sample_copy / "registry" / "enterprises.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2017-02-28", "2017-02-30")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", "--year", "2022", "--department", LIWAN, "--department", OTHERS[0], "--source",
                 str(sample_copy), "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(out)])
    capsys.readouterr()
    assert code == 3
    for department in (LIWAN, OTHERS[0]):
        rows = read_report(out / "2022" / department / "data-quality-errors.csv")
        assert list(rows["rule"]) == ["INPUT"], rows
        detail = rows["detail"].iloc[0]
        assert detail.startswith("企业登记数据（registry）：registry/enterprises.csv，第 3 行"), detail
        assert rows["message"].iloc[0].startswith("全区共用的输入文件有误"), rows["message"]
        # the file, row and column in their own columns too, to sort and filter by, as a rule's rows have them
        assert (rows["source_file"].iloc[0], rows["row_number"].iloc[0]) == ("registry/enterprises.csv", "3"), rows
        assert rows["field"].iloc[0].startswith("成立日期"), rows["field"]
        assert "本部门无需修改文件" in rows["message"].iloc[0]


def test_statistics_in_another_unit_than_the_report_reads_refuse_its_region_s_departments(prefect_harness, sample_copy,
                                                                                          tmp_path, capsys):
    """社会消费品零售总额 written in 万元 (×10,000) where the report reads 亿元: the run's gate holds the statistics to
    the units of the report's metrics (STA-004), so the 商务局's report does not say 6,120,700.00 亿元."""
    path = sample_copy / "statistics" / "indicators.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    retail = (frame["指标代码"] == "RETAIL") & (frame["行政区划代码"] == "440103")
    frame.loc[retail, "数值"] = [f"{float(v) * 10000:.2f}" for v in frame.loc[retail, "数值"]]
    frame.loc[retail, "计量单位"] = "万元"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["run", "--year", "2022", "--department", OTHERS[0], "--source", str(sample_copy), "--warehouse",
                 f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(out)])
    capsys.readouterr()
    assert code == 3
    errors = read_report(out / "2022" / OTHERS[0] / "data-quality-errors.csv")
    assert set(errors["rule"]) == {"STA-004"}, errors
    assert set(errors["value_provided"]) == {"万元"} and set(errors["expected_value"]) == {"亿元"}
    assert not (out / "2022" / OTHERS[0] / "report.md").exists()


def test_the_rollup_names_a_department_refused_before_it_was_ever_loaded(prefect_harness, sample_copy, tmp_path,
                                                                         capsys):
    """A department refused at its first run is in no table of the warehouse, so the roll-up's table cannot list it:
    it was left out unsaid (3 departments of 5 listed, nothing of the other 2). A sentence under the table names it,
    in the Markdown and the page."""
    push_execution_above_budget(sample_copy)
    out, wh = tmp_path / "out", f"duckdb:///{tmp_path}/wh.duckdb"
    assert main(["run", "--year", "2022", "--department", LIWAN, "--department", OTHERS[0], "--source",
                 str(sample_copy), "--warehouse", wh, "--out", str(out)]) == 3
    capsys.readouterr()
    assert main(["rollup", "--year", "2022", "--warehouse", wh, "--out", str(out)]) == 0
    capsys.readouterr()
    said = f"另有 1 个部门的数据未通过校验、从未入库，不在上表中：{LIWAN}（"
    text = (out / "2022" / "rollup.md").read_text(encoding="utf-8")
    assert said in text and f"| {OTHERS[0]} |" in text and f"| {LIWAN} |" not in text, text
    assert said in (out / "2022" / "rollup.html").read_text(encoding="utf-8")
    # explain and projects say the same of it, not "run it first"; a mistyped code is said as one
    for argv in (["explain", "--year", "2022", "--department", LIWAN, "--figure", "executed"],
                 ["projects", "--year", "2022", "--department", LIWAN]):
        assert main([*argv, "--warehouse", wh]) == 2
        err = capsys.readouterr().err
        assert f"{LIWAN} 2022 年未入库" in err and "数据未通过校验" in err and "data-quality-errors.csv" in err, err
        assert "请先运行" not in err
    assert main(["explain", "--year", "2022", "--department", "440103-KGXI", "--figure", "executed",
                 "--warehouse", wh]) == 2
    assert "440103-KGXI" in capsys.readouterr().err
