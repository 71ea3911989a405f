"""An open year on the bundled sample (2023, ledger to 30 June): it loads, each department's 支付进度 is
set against 序时进度, the department lagging by design is flagged, and alerts on lagging are opt-in and
separate from data-quality alerts. A fatal data rule on the open year still refuses and alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from flows.cli import main
from tasks import glossary as gl
from tests.conftest import LIWAN, SAMPLE

SWJ, WTJ = "440103-SWJ", "440103-WTJ"
YEAR = 2023


def expected_progress(root: Path, code: str, as_of: dt.date) -> Decimal:
    """支付进度 worked out from the files, independently of the warehouse: Σ payments to ``as_of`` / Σ budget."""
    folder = root / "finance" / str(YEAR) / code
    lines = pd.read_csv(folder / "budget_lines.csv", dtype=str)
    pay = pd.read_csv(folder / "payments.csv", dtype=str)
    paid = sum(Decimal(a) for a, d in zip(pay["支付金额"], pay["支付日期"], strict=True)
               if dt.date.fromisoformat(d) <= as_of)
    return paid / sum(Decimal(b) for b in lines["全年预算数"])


def test_the_open_year_loads_and_the_lagging_department_is_flagged(prefect_harness, tmp_path, warehouse_url,
                                                                    receiver, monkeypatch, capsys):
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)  # data-quality alerts on; lag alerts left off
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path(__file__).parents[1] / "support" / "report-light.yaml"))
    out = tmp_path / "out"
    code = main(["run", "--year", str(YEAR), "--source", str(SAMPLE), "--warehouse", warehouse_url, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    for dept in (LIWAN, SWJ, WTJ):
        assert f"{dept} {YEAR}: 草稿（draft）" in printed and "决算总表（年度未结束）" in printed
    as_of = dt.date(YEAR, 6, 30)
    assert "支付进度（截至 2023-06-30，序时进度 50.00%）" in printed
    lagging = [line for line in printed.splitlines() if ": 滞后（lagging）" in line]
    assert len(lagging) == 1 and lagging[0].startswith(f"{WTJ} {YEAR}: 滞后（lagging）  MON-001"), printed
    wtj = expected_progress(SAMPLE, WTJ, as_of) * 100
    assert f"支付进度{wtj.quantize(Decimal('0.01'))}%" in lagging[0]
    assert wtj < 40  # lagging by design: more than 10 points below 50 %
    assert not gl.english_words(printed), printed  # what the operator reads is Chinese first
    for dept in (LIWAN, SWJ):
        assert expected_progress(SAMPLE, dept, as_of) * 100 > 40  # and the others are not
    assert receiver.requests == []  # neither the drafts nor the lag alert a data-quality channel
    _monitoring_artifacts_speak_chinese()

    engine = sa.create_engine(warehouse_url)
    with engine.connect() as conn:
        ledger = dict(conn.execute(sa.text(
            "SELECT department_code, count(*) FROM fct_payment WHERE year = 2023 GROUP BY 1")).all())
        last = conn.execute(sa.text("SELECT max(pay_date) FROM fct_payment WHERE year = 2023")).scalar()
    engine.dispose()
    for dept in (LIWAN, SWJ, WTJ):  # the half-year ledger, whole
        rows = len(pd.read_csv(SAMPLE / "finance" / str(YEAR) / dept / "payments.csv", dtype=str))
        assert ledger[dept] == rows
    assert str(last)[:10] <= "2023-06-30"
    draft = (out / str(YEAR) / WTJ / "report.md").read_text(encoding="utf-8")
    assert "（草稿）" in draft and "本年度尚未结束：执行数为截至目前的累计支付" in draft
    assert "本年度尚未结束，暂不评定自评等级" in draft
    engine = sa.create_engine(warehouse_url)
    with engine.connect() as conn:  # the trend chart dates the open year by its ledger's last payment
        from tasks.warehouse.queries import open_years

        held = open_years(conn, [WTJ, LIWAN], YEAR)
        wtj_last = conn.execute(sa.text("SELECT max(pay_date) FROM fct_payment WHERE year = 2023 "
                                        "AND department_code = :d"), {"d": WTJ}).scalar()
    engine.dispose()
    assert set(held[WTJ]) == {YEAR} and str(held[WTJ][YEAR]) == str(wtj_last)[:10]  # 2022 has its 决算

    assert main(["rollup", "--year", str(YEAR), "--warehouse", warehouse_url, "--out", str(out)]) == 0
    rollup = (out / str(YEAR) / "rollup.md").read_text(encoding="utf-8")
    assert "## 预算执行进度监控（截至2023年6月30日）" in rollup
    row = next(line for line in rollup.splitlines() if line.startswith(f"| 预警 | {WTJ} |"))  # 预警 first
    assert "| 50.00% |" in row
    assert sum("| 预警 |" in line for line in rollup.splitlines()) == 1
    assert "### 按资金来源" in rollup and "### 按项目" in rollup
    assert "项目支出绩效自评情况" not in rollup  # an open year's projects have their 双监控, not year-end 自评表
    assert (out / str(YEAR) / "rollup-monitoring.png").stat().st_size > 5_000
    html = (out / str(YEAR) / "rollup.html").read_text(encoding="utf-8")
    assert "预算执行进度监控" in html and "MON-001" in html
    _the_dual_monitoring(out, rollup, libreoffice="duckdb" in warehouse_url, tmp_path=tmp_path)
    _time_travel(out, warehouse_url, libreoffice="duckdb" in warehouse_url, tmp_path=tmp_path)


def _form_rows(path: Path) -> list[list[str]]:
    import html as h
    import re

    text = path.read_text(encoding="utf-8")
    return [[h.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", text)]


def _the_dual_monitoring(out: Path, rollup: str, libreoffice: bool, tmp_path: Path) -> None:
    """The 双监控 of the sample's submission (tests/unit/test_lights.py works each light by hand): XM23001 red on
    spending, XM23004 yellow by the gap between targets and spending, XM23007 red for 不可能 with no reason; a
    project without a submission is a 草稿 lit by its spending alone; the roll-up counts the lights and ranks
    the candidates."""
    forms = out / str(YEAR) / SWJ / "monitoring"
    lit = {code: _form_rows(forms / f"{code}.html") for code in ("XM23001", "XM23004", "XM23007", "XM23003")}
    assert ["主管部门", "广州市荔湾区商务局（模拟）", "监控结果", "红灯"] in lit["XM23001"]
    assert ["资金", "—", "436.38", "106.64", "24.44%", "436.38", "213.27", "红灯"] in lit["XM23001"]
    assert any("LGT-001" in c and "48.87%" in c for r in lit["XM23001"] for c in r)
    assert ["主管部门", "广州市荔湾区商务局（模拟）", "监控结果", "黄灯"] in lit["XM23004"]
    assert any("LGT-003" in c and "14.91 个百分点" in c for r in lit["XM23004"] for c in r)
    assert ["主管部门", "广州市荔湾区商务局（模拟）", "监控结果", "红灯"] in lit["XM23007"]
    notes = [c for r in lit["XM23007"] for c in r]
    assert any("LGT-004" in c and "不可能" in c for c in notes) and any("LGT-006" in c for c in notes)
    assert lit["XM23003"][0] == ["项目支出绩效运行监控表（草稿）"]  # no submission: the spending half, lit
    assert ["资金", "—", "184.35", "65.01", "35.27%", "—", "130.03", "黄灯"] in lit["XM23003"]
    assert (out / str(YEAR) / LIWAN / "monitoring" / "部门整体.html").exists()
    assert "## 双监控（截至2023年6月30日）" in rollup and "重点监控候选" in rollup
    assert "| 促进外贸稳增长专项资金 | 红灯 | 红灯；落后序时进度 25.56 个百分点；预算 436.38 万元 |" in rollup
    assert f"| [XM23001]({SWJ}/monitoring/XM23001.html) |" in rollup  # each candidate opens its form
    page = (out / str(YEAR) / "rollup.html").read_text(encoding="utf-8")  # and so in the HTML roll-up
    assert "双监控（截至2023年6月30日）" in page and f'<a href="{SWJ}/monitoring/XM23001.html">XM23001</a>' in page
    assert "整改跟踪（截至" in page and "7月底前完成扶持资金拨付" in page
    assert (out / str(YEAR) / SWJ / "monitoring" / "XM23001.html").exists()
    if libreoffice:
        from openpyxl import load_workbook

        from tests.conftest import libreoffice_convert, xlsx_rows

        saved = libreoffice_convert(forms / "XM23001.xlsx", "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
        rows = xlsx_rows(saved)
        assert ["资金", "—", "436.38", "106.64", "24.44%", "436.38", "213.27", "红灯"] in rows
        rate = load_workbook(saved).worksheets[0]["F6"]  # 执行率: a number an office can compute with
        assert isinstance(rate.value, float) and rate.number_format == "0.00%"


def expected_light(root: Path, code: str, project: str, as_of: dt.date) -> str:
    """The spending light of a project as of ``as_of``, worked out from the files (schedule profile: 执行率 ÷ 序时进度
    under 60 % red, under 80 % yellow, else green)."""
    import calendar

    folder = root / "finance" / str(YEAR) / code
    lines = pd.read_csv(folder / "budget_lines.csv", dtype=str)
    pay = pd.read_csv(folder / "payments.csv", dtype=str)
    mine = lines[lines["项目编码"] == project]
    paid = sum(Decimal(a) for line, a, d in zip(pay["指标编号"], pay["支付金额"], pay["支付日期"], strict=True)
               if line in set(mine["指标编号"]) and dt.date.fromisoformat(d) <= as_of)
    time = (Decimal(as_of.month - 1) + Decimal(as_of.day) / calendar.monthrange(YEAR, as_of.month)[1]) / 12
    share = paid / sum(Decimal(b) for b in mine["全年预算数"]) / time
    return "红灯" if share < Decimal("0.6") else "黄灯" if share < Decimal("0.8") else "绿灯"


def _time_travel(out: Path, warehouse_url: str, libreoffice: bool, tmp_path: Path) -> None:
    """`selfeval monitor --as-of` rebuilds the 双监控 as of the months of the sample's open year from the warehouse:
    payments dated up to the day, the submission only from its 截至日期 (30 June), the 整改 given by the day and their
    state then (rectification.csv: XM23001's of 10 July due 31 August, never done; XM23007's of 12 July, done on
    20 July), into a dated folder that leaves the nightly's forms alone."""
    nightly = (out / str(YEAR) / SWJ / "monitoring" / "XM23001.html").read_bytes()
    args = ["--warehouse", warehouse_url, "--out", str(out)]
    seen: dict[str, dict[str, list[list[str]]]] = {}
    for day in ("2023-03-31", "2023-05-31", "2023-06-30", "2023-07-15", "2023-07-31", "2023-09-30"):
        assert main(["monitor", "--year", str(YEAR), "--as-of", day, "--department", SWJ, *args]) == 0
        folder = out / str(YEAR) / "monitoring" / day / SWJ
        seen[day] = {f.stem: _form_rows(f) for f in folder.glob("*.html")}
        for project in ("XM23001", "XM23003"):  # the spending half, month by month, against the files
            expected = expected_light(SAMPLE, SWJ, project, dt.date.fromisoformat(day))
            funds = next(r for r in seen[day][project] if r[0] == "资金")
            assert funds[-1] == expected, (day, project, funds)
    before = seen["2023-05-31"]
    assert before["XM23001"][0] == ["项目支出绩效运行监控表（草稿）"]  # the submission counts to 30 June: not yet
    assert ["说明", "部门报送的本表监控数据截至2023年6月30日，晚于本表日期，未采用。"] in before["XM23001"]
    assert not any("尚未报送" in c for r in before["XM23001"] for c in r)  # it was sent, for a later date
    assert not any("截至2023年6月30日" in c for r in before["部门整体"] for c in r)  # its own form sent nothing
    assert not any("整改跟踪" in c for r in before["XM23001"] for c in r)
    june = seen["2023-06-30"]
    assert june["XM23001"][0] == ["项目支出绩效运行监控表"] and any("LGT-003" in c for r in june["XM23004"] for c in r)

    def followup(day: str, project: str) -> list[str]:
        """The first 整改 row of a form: the row after the 整改跟踪 heading and its column heads."""
        rows = seen[day][project]
        start = next(i for i, r in enumerate(rows) if r and r[0].startswith("整改跟踪"))
        return rows[start + 2]

    assert not any("整改跟踪" in c for r in seen["2023-07-15"]["XM23004"] for c in r)
    assert followup("2023-07-15", "XM23001")[-1] == "未完成"
    assert followup("2023-07-15", "XM23007")[-1] == "未完成"  # requested on 12 July, answered on the 20th
    assert followup("2023-07-31", "XM23007")[-1] == "按期完成（2023-07-20）"  # due on the 20th, done that day
    july = seen["2023-07-31"]["XM23001"]
    assert "1-6月完成值" in july[next(i for i, r in enumerate(july) if r and r[0] == "三级指标")]  # as it was sent
    assert ["说明", "绩效指标完成值为部门报送的监控表数据，截至2023年6月30日。"] in july
    assert "已补报" in followup("2023-07-31", "XM23007")[4]
    assert followup("2023-09-30", "XM23001")[-1] == "逾期未完成"  # due 31 August
    summary = (out / str(YEAR) / "monitoring" / "2023-09-30" / "summary.md").read_text(encoding="utf-8")
    assert "已下达整改要求 2 项，已完成 1 项，未完成 1 项（其中逾期 1 项）" in summary
    assert "注：已载入的支付数据截至2023年6月30日，晚于该日的支付尚未载入" in summary  # the ledger ends in June
    assert "| 逾期未完成 | 广州市荔湾区商务局（模拟） | 促进外贸稳增长专项资金 | 资金执行 |" in summary
    assert (out / str(YEAR) / SWJ / "monitoring" / "XM23001.html").read_bytes() == nightly  # untouched
    # the nightly reads the 整改 as of its run: XM23001's is long overdue
    assert any(c == "逾期未完成" for r in _form_rows(out / str(YEAR) / SWJ / "monitoring" / "XM23001.html") for c in r)

    if libreoffice:  # the DOCX, as an office opens it
        import re
        import subprocess

        from tests.conftest import libreoffice_convert

        assert main(["monitor", "--year", str(YEAR), "--as-of", "2023-07-31", "--department", SWJ, "--format",
                     "docx", *args]) == 0
        docx = out / str(YEAR) / "monitoring" / "2023-07-31" / SWJ / "XM23001.docx"
        assert not docx.with_suffix(".html").exists()  # the folder holds what was asked for
        pdf = libreoffice_convert(docx, "pdf", tmp_path / "word-monitoring")
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                                                 text=True, check=True).stdout)
        for cell in ("项目支出绩效运行监控表", "促进外贸稳增长专项资金", "436.38", "24.44%", "红灯", "外贸企业扶持家数",
                     "整改跟踪", "7月底前完成扶持资金拨付"):
            assert cell in text, cell
    for wrong in (["--as-of", "2024-01-31"], ["--department", "440103-NONE"]):
        assert main(["monitor", "--year", str(YEAR), *wrong, *args]) == 2, wrong
    with pytest.raises(SystemExit) as usage:  # argparse's own usage error
        main(["monitor", "--year", str(YEAR), "--as-of", "2023-13-01", *args])
    assert usage.value.code == 2
    assert main(["monitor", "--year", "2022", *args]) == 2  # a closed year: nothing to monitor


def test_a_lag_alert_waits_for_alerts_to_be_on_and_for_its_channel_to_answer(prefect_harness, tmp_path, receiver,
                                                                            monkeypatch):
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path(__file__).parents[1] / "support" / "report-light.yaml"))
    args = ["run", "--year", str(YEAR), "--source", str(SAMPLE), "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb",
            "--out", str(tmp_path / "out"), "--force"]
    assert main(args) == 0  # alerts off: WTJ lags, nobody is told
    monkeypatch.setenv("SELFEVAL_LAG_ALERTS", "true")
    monkeypatch.setenv("SELFEVAL_LAG_ALERT_WEBHOOK", "http://127.0.0.1:9/down")  # nothing listens there
    assert main(args) == 0
    monkeypatch.setenv("SELFEVAL_LAG_ALERT_WEBHOOK", receiver.url)
    assert main(args) == 0
    assert [r["json"]["department"] for r in receiver.requests] == [WTJ]  # told once it could be
    assert main(args) == 0
    assert len(receiver.requests) == 1


def test_lag_alerts_are_opt_in_and_go_to_their_own_channel(prefect_harness, tmp_path, receiver, monkeypatch):
    from tests.conftest import Receiver

    quality = Receiver()
    try:
        monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", quality.url)
        monkeypatch.setenv("SELFEVAL_LAG_ALERTS", "true")
        monkeypatch.setenv("SELFEVAL_LAG_ALERT_WEBHOOK", receiver.url)
        monkeypatch.setenv("SELFEVAL_LAG_WARNING_POINTS", "1.5")  # KGXJ trails by 1.53 points, SWJ by 2.59
        monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path(__file__).parents[1] / "support" / "report-light.yaml"))
        code = main(["run", "--year", str(YEAR), "--source", str(SAMPLE), "--warehouse",
                     f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")])
        assert code == 0
        events = [r["json"] for r in receiver.requests]
        assert {e["department"] for e in events} == {LIWAN, SWJ, WTJ}
        assert all(e["event"] == "selfeval.monitoring.lagging" and e["findings"][0].startswith("MON-001")
                   for e in events)
        assert quality.requests == []  # lagging is not a data-quality failure

        monkeypatch.setenv("SELFEVAL_LIGHT_ALERTS", "true")  # red lights: on the same channel, once per data date
        for _ in range(2):
            assert main(["run", "--year", str(YEAR), "--source", str(SAMPLE), "--warehouse",
                         f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out"), "--force"]) == 0
        lights = [r["json"] for r in receiver.requests if r["json"]["event"] == "selfeval.monitoring.red-light"]
        assert len(receiver.requests) == len(events) + len(lights)  # the lags were told already at 30 June
        assert len({e["department"] for e in lights}) == len(lights)  # each department once over the two runs
        swj = next(e for e in lights if e["department"] == SWJ)
        assert swj["text"].startswith(f"selfeval: {SWJ} {YEAR} 绩效运行监控亮红灯")
        assert any(f.startswith("XM23001 促进外贸稳增长专项资金「资金执行」红灯 LGT-001") for f in swj["findings"])
        assert any("XM23007" in f and "LGT-004" in f and "不可能" in f for f in swj["findings"])
        assert not any("XM23004" in f for f in swj["findings"])  # yellow is not alerted
        assert quality.requests == []
    finally:
        quality.close()


def test_a_fatal_rule_on_the_open_year_still_refuses_and_alerts(prefect_harness, sample_copy, tmp_path, receiver,
                                                                monkeypatch, capsys):
    path = sample_copy / "finance" / str(YEAR) / WTJ / "budget_lines.csv"
    lines = pd.read_csv(path, dtype=str)
    lines.loc[8, "全年执行数"] = f"{Decimal(lines.loc[8, '全年预算数']) + 1000:.2f}"  # executed above budget
    lines.to_csv(path, index=False)
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    code = main(["run", "--year", str(YEAR), "--source", str(sample_copy), "--warehouse",
                 f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 3, printed
    assert f"{WTJ} {YEAR}: 未通过校验（refused）" in printed and f"{LIWAN} {YEAR}: 草稿（draft）" in printed
    texts = [r["json"]["text"] for r in receiver.requests]
    assert len(texts) == 1 and WTJ in texts[0] and "数据未通过校验，未入库" in texts[0]
    # on a new warehouse the refused department is not monitored (nothing of it loaded); the others are
    assert "支付进度（截至 2023-06-30" in printed and WTJ not in printed.split("支付进度（截至")[1].split("\n")[0]


def test_an_empty_ledger_loads_a_stray_date_does_not_move_the_data_date_and_a_lag_is_told_once(
        prefect_harness, sample_copy, tmp_path, receiver, monkeypatch, capsys):
    swj = sample_copy / "finance" / str(YEAR) / SWJ
    header = (swj / "payments.csv").read_text(encoding="utf-8").splitlines()[0]
    (swj / "payments.csv").write_text(header + "\n", encoding="utf-8")  # budgeted, nothing paid yet
    lines = pd.read_csv(swj / "budget_lines.csv", dtype=str)
    lines["全年执行数"] = "0.00"
    lines.to_csv(swj / "budget_lines.csv", index=False)
    wtj = sample_copy / "finance" / str(YEAR) / WTJ / "payments.csv"
    pay = pd.read_csv(wtj, dtype=str)
    pay.loc[len(pay) - 1, "支付日期"] = "2023-11-20"  # a date typed months ahead
    pay.to_csv(wtj, index=False)
    monkeypatch.setenv("SELFEVAL_LAG_ALERTS", "true")
    monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path(__file__).parents[1] / "support" / "report-light.yaml"))
    args = ["run", "--year", str(YEAR), "--source", str(sample_copy), "--warehouse",
            f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"{SWJ} {YEAR}: 草稿（draft）" in printed and f"{SWJ} 0.00%，" in printed
    assert "支付进度（截至 2023-06-30，序时进度 50.00%）" in printed  # not 30 November
    assert "有 1 笔支付日期晚于截至日期，未计入支付进度" in printed
    told = sorted(r["json"]["department"] for r in receiver.requests)
    assert told == [SWJ, WTJ]

    assert main([*args, "--force"]) == 0  # the next night, the same data date: nothing new to tell
    capsys.readouterr()
    assert len(receiver.requests) == 2

    rollup = tmp_path / "out"
    assert main(["rollup", "--year", str(YEAR), "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb",
                 "--out", str(rollup)]) == 0
    html = (rollup / str(YEAR) / "rollup.html").read_text(encoding="utf-8")
    assert "超过 10 个百分点" in html and "有 1 笔支付日期晚于截至日期" in html  # as the Markdown says
    md = (rollup / str(YEAR) / "rollup.md").read_text(encoding="utf-8")
    assert "年度未结束，待报送自评材料（文字）、绩效目标" in md and "未报送决算总表" not in md  # nothing is late yet

    bad = tmp_path / "monitoring.yaml"
    bad.write_text("rules:\n  - {rule_id: MON-001, label: l, severity: fatal, level: total, message: m}\n",
                   encoding="utf-8")
    monkeypatch.setenv("SELFEVAL_MONITORING_RULES", str(bad))
    assert main([*args, "--force"]) == 2  # refused before anything loads, naming the file
    assert str(bad) in capsys.readouterr().err


def test_the_open_years_self_assessment_table_gives_no_total(prefect_harness, tmp_path):
    config = tmp_path / "report.yaml"
    config.write_text("formats: [md, html]\nappendices: true\ncharts: false\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SELFEVAL_REPORT_CONFIG", str(config))
        assert main(["run", "--year", str(YEAR), "--department", LIWAN, "--warehouse",
                     f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / str(YEAR) / LIWAN / "report.html").read_text(encoding="utf-8")
    assert "年度未结束，不计总分、不评等级" in html and "自评等级：" not in html  # no 总分 for half a year
    assert "（三）绩效指标" in html
    # half a year's payments are headed by their date, in the 自评表 and in 附表2, never as the whole year's
    assert html.count("截至6月30日执行数（万元）") == 2 and "全年执行数" not in html


def _monitoring_artifacts_speak_chinese() -> None:
    """The open year's monitoring artifacts (table and detail), as staff read them: no English outside the
    glossary, in their text or their descriptions."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from tasks import glossary as gl

    keys = [f"monitoring-{YEAR}", f"monitoring-detail-{YEAR}", f"run-summary-{YEAR}"]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)))
    assert {a.key for a in found} == set(keys)
    for artifact in found:
        for text in (str(artifact.data), str(artifact.description)):
            assert gl.english_words(text) == set(), (artifact.key, text)
