"""Data does not wait for prose: a department-year without its narrative or 绩效自评 loads, is checked
and gets a 草稿 with every figure and table, each missing section marked 待填写; no failure, no alert."""

from __future__ import annotations

import csv

import sqlalchemy as sa

from flows.cli import main
from tasks import glossary as gl
from tests.conftest import LIWAN

SWJ, WTJ = "440103-SWJ", "440103-WTJ"


def test_a_department_without_its_narrative_loads_and_gets_a_draft(prefect_harness, sample_copy, tmp_path, receiver,
                                                                   monkeypatch, capsys):
    (sample_copy / "narrative" / "2022" / f"{SWJ}.yaml").unlink()
    (sample_copy / "finance" / "2022" / WTJ / "self_assessment.csv").unlink()  # 绩效自评 not sent yet
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    config = tmp_path / "report.yaml"
    config.write_text("formats: [md]\nappendices: true\ncharts: false\nappendices_in_markdown: true\n",
                      encoding="utf-8")
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(config))
    out, wh = tmp_path / "out", f"duckdb:///{tmp_path}/wh.duckdb"
    code = main(["run", "--year", "2022", "--source", str(sample_copy), "--warehouse", wh, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"{SWJ} 2022: 草稿（draft）" in printed and "尚未提交：自评材料（文字）" in printed
    assert f"{WTJ} 2022: 草稿（draft）" in printed and "尚未提交：绩效自评" in printed
    assert f"{LIWAN} 2022: 已入库（loaded）" in printed
    assert not gl.english_words(printed), printed  # what the operator reads is Chinese first
    assert receiver.requests == []  # a draft is not a data-quality failure

    md = (out / "2022" / SWJ / "report.md").read_text(encoding="utf-8")
    assert "2022 年部门整体支出绩效自评报告（草稿）" in md
    assert "草稿：尚未报送自评材料（文字）" in md
    assert md.count("【待填写】") >= 7  # 职能, 目标, 任务, 结论, 分析, 成效, 问题, 措施
    assert "全年预算数" in md and "执行数" in md  # the figures are all there
    assert "| 年度资金总额 |" in md  # and the 自评表

    wtj = (out / "2022" / WTJ / "report.md").read_text(encoding="utf-8")
    assert "（草稿）" in wtj and "尚未报送绩效自评" in wtj
    pending = [line for line in wtj.splitlines() if "【待填写】" in line and line.startswith("|")]
    assert pending and all(line.startswith("| ") and "| — |" in line for line in pending)  # no 得分 yet
    assert "自评等级：待定" in wtj

    engine = sa.create_engine(wh)
    with engine.connect() as conn:
        loaded = dict(conn.execute(sa.text("SELECT department_code, count(*) FROM fct_payment GROUP BY 1")).all())
        missing = dict(conn.execute(sa.text("SELECT department_code, missing FROM mart_score")).all())
    engine.dispose()
    assert set(loaded) == {LIWAN, SWJ, WTJ}
    assert missing == {LIWAN: None, SWJ: "自评材料（文字）", WTJ: "绩效自评"}

    assert main(["rollup", "--year", "2022", "--warehouse", wh, "--out", str(out)]) == 0
    rollup = (out / "2022" / "rollup.md").read_text(encoding="utf-8")
    assert "| 未报送自评材料（文字） |" in rollup and "| 未报送绩效自评 |" in rollup and "| 齐全 |" in rollup
    assert "2 个部门的报告为草稿" in rollup


def test_a_sent_but_incomplete_self_assessment_still_refuses(prefect_harness, sample_copy, tmp_path):
    """Only a 绩效自评 not sent at all makes a 草稿: one that leaves out a reported target is refused (PRF-004)."""
    path = sample_copy / "finance" / "2022" / WTJ / "self_assessment.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    reported = [r for r in rows[1:] if r[2]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([rows[0], *[r for r in rows[1:] if r != reported[0]]])
    code = main(["run", "--year", "2022", "--department", WTJ, "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")])
    assert code == 3


def test_a_draft_stands_until_its_narrative_comes_then_the_report_is_final(prefect_harness, sample_copy, tmp_path,
                                                                          capsys):
    narrative = sample_copy / "narrative" / "2022" / f"{SWJ}.yaml"
    kept = narrative.read_text(encoding="utf-8")
    narrative.unlink()
    args = ["run", "--year", "2022", "--department", SWJ, "--source", str(sample_copy),
            "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    assert f"{SWJ} 2022: 草稿（draft）" in capsys.readouterr().out
    assert main(args) == 0
    assert f"{SWJ} 2022: 未变化，未重算（skipped）" in capsys.readouterr().out  # the 草稿 is not redone nightly
    narrative.write_text(kept, encoding="utf-8")
    assert main(args) == 0
    assert f"{SWJ} 2022: 已入库（loaded）" in capsys.readouterr().out
    md = (tmp_path / "out" / "2022" / SWJ / "report.md").read_text(encoding="utf-8")
    assert "草稿" not in md and "【待填写】" not in md
