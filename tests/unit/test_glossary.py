"""Words staff read (tasks.glossary), the links artifacts give (Settings.link), and the order failures show in."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from tasks import glossary as gl
from tasks.artifacts import run_markdown, run_table
from tasks.pipeline import DepartmentOutcome, RunSummary
from tasks.quality.gate import FAILING_COLUMNS, QualityReport, RuleResult
from tasks.quality.page import rule_rows, write_quality_page
from tasks.quality.rules import Rule
from tasks.settings import Settings


def test_english_words_outside_the_glossary_are_found():
    assert gl.english_words("selfeval：440103 2022 data refused, nothing loaded") == {"data", "refused", "nothing",
                                                                                    "loaded"} - gl.ALLOWED_ENGLISH
    assert gl.english_words("FIN-001 执行数：budget_lines.csv 第 9 行，见 http://127.0.0.1:4201/2022/a b/report.html "
                            "或设置 SELFEVAL_REPORTS_PORT；草稿（draft）") == set()
    assert gl.english_words("1 row(s)") == {"row"}
    # a column's code in ASCII brackets is not prose; an English phrase in them is
    assert gl.english_words("「支付金额 (amount)」列") == set()
    assert gl.english_words("国库集中支付明细 (treasury payment ledger)有 2 个文件") == {"treasury", "payment",
                                                                                 "ledger"}


def test_statuses_are_chinese_first():
    assert gl.status("draft") == "草稿（draft）" and gl.status("refused").startswith("未通过校验")
    assert gl.severity("fatal") == "致命（fatal）" and gl.status("odd") == "odd"


def test_links_open_under_the_base_url(tmp_path):
    out = tmp_path / "out"
    plain = Settings(output_dir=out)
    assert plain.link(out / "2022" / "x.html") == str(out / "2022" / "x.html")
    served = Settings(output_dir=out, reports_base_url="http://127.0.0.1:4201/")
    assert served.link(out / "2022" / "440103-KGXJ" / "报告 1.html") == \
        "http://127.0.0.1:4201/2022/440103-KGXJ/%E6%8A%A5%E5%91%8A%201.html"
    assert served.link(tmp_path / "elsewhere.html") == str(tmp_path / "elsewhere.html")  # not served: a path
    with pytest.raises(ValidationError, match="http"):
        Settings(reports_base_url="file:///srv/out")


def _rule(rule_id: str, severity: str) -> Rule:
    return Rule(rule_id, f"标签{rule_id}", "", severity, "c", "s", "v", "executed", {})  # type: ignore[arg-type]


def _result(rule_id: str, severity: str, failing: int, code: str = "440103-A") -> RuleResult:
    rows = [{c: "" for c in FAILING_COLUMNS} | {"rule": rule_id, "field": "executed", "value_provided": "5",
                                                 "source_file": "budget_lines.csv", "row_number": str(i + 2)}
            for i in range(failing)]
    return RuleResult(_rule(rule_id, severity), code, pd.DataFrame(rows, columns=FAILING_COLUMNS))


def test_the_data_quality_page_puts_failing_rules_first(tmp_path):
    report = QualityReport(2022, ["440103-A"], [_result("FIN-001", "fatal", 0), _result("STA-003", "warning", 2),
                                                _result("FIN-009", "fatal", 0), _result("FIN-002", "fatal", 1)])
    rows = rule_rows(report, {"440103-A": "440103-A/data-quality-errors.csv"})
    assert [(r.rule, r.passed) for r in rows] == [("FIN-002", False), ("STA-003", False), ("FIN-001", True),
                                                  ("FIN-009", True)]
    assert rows[0].example == "budget_lines.csv 第 2 行：全年执行数（executed）=5"
    assert rows[0].severity == "致命（fatal）"
    html = write_quality_page(tmp_path, report, run_id="r").read_text(encoding="utf-8")
    assert html.index("FIN-002") < html.index("STA-003") < html.index("FIN-001")
    assert "2 项未通过" in html
    assert "<script" not in html and "http" not in html  # nothing loads from elsewhere: it reads offline


def test_a_failing_rule_links_the_csv_that_lists_its_rows(tmp_path):
    """A warning's rows are in the warnings CSV, not the errors CSV (the link pointed there when the department had
    errors too)."""
    report = QualityReport(2022, ["440103-A"], [_result("STA-003", "warning", 2), _result("FIN-002", "fatal", 1)])
    errors, warnings = "440103-A/data-quality-errors.csv", "440103-A/data-quality-warnings.csv"
    rows = {r.rule: r.errors_csv for r in rule_rows(report, {"440103-A": errors}, None, {"440103-A": warnings})}
    assert rows == {"FIN-002": errors, "STA-003": warnings}
    html = write_quality_page(tmp_path, report, {"440103-A": errors}, run_id="r",
                              warnings_csv={"440103-A": warnings}).read_text(encoding="utf-8")
    assert f'<a href="../{errors}">错误明细</a>' in html and f'<a href="../{warnings}">警告明细</a>' in html


def test_the_run_artifact_lists_refused_then_drafts_then_loaded_with_links(tmp_path):
    out = tmp_path / "out"
    folder = out / "2022" / "B"
    summary = RunSummary(2022, "r", [
        DepartmentOutcome("A", "loaded", reports={"html": str(folder / "report.html"), "pdf": str(folder / "r.pdf")},
                          score="93.50 优秀", warnings=3, input_warnings=1),
        DepartmentOutcome("C", "draft", reports={"html": str(folder / "d.html")}, missing=["绩效自评"]),
        DepartmentOutcome("B", "refused", ["FIN-001 执行数不超过预算数：1 行不符"], rules=["FIN-001"]),
    ], quality_page=str(out / "2022" / "data-quality" / "r.html"))
    settings = Settings(output_dir=out, reports_base_url="http://h:4201")
    rows = run_table(summary, settings)
    assert [r[gl.DEPARTMENT] for r in rows] == ["B", "C", "A"]
    assert rows[2][gl.SCORE] == "93.50 优秀" and rows[1][gl.SCORE] == "—"
    # the rules' warnings (the data-quality page's), the input files' notes apart, as the command line says them
    assert rows[2][gl.WARNINGS] == "2（另有输入文件提示 1 条）" and rows[1][gl.WARNINGS] == "0"
    assert "[网页](http://h:4201/2022/B/report.html)" in rows[2]["报告 / 原因"]
    assert list(rows[0])[:3] == [gl.DEPARTMENT, gl.RESULT, "报告 / 原因"]  # the links seen without scrolling
    text = run_markdown(summary, settings)
    assert "(http://h:4201/2022/data-quality/r.html)" in text and gl.english_words(text) == set()


def test_a_refusal_ends_a_deployment_run_without_the_engines_traceback():
    import logging
    import sys

    import flows.self_evaluation  # noqa: F401 (installs the filter, as the engine's import of the flow does)
    from flows.steps.run import ExpectedEnd
    from tasks.pipeline import DataRefused

    def record(exc: BaseException) -> logging.LogRecord:
        try:
            raise exc
        except BaseException:
            return logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1,
                                     "Engine execution exited with unexpected exception", None, sys.exc_info())

    assert any(isinstance(f, ExpectedEnd) for f in logging.getLogger("prefect.flow_runs").filters)
    refused = DataRefused(RunSummary(2022, "r", [DepartmentOutcome("A", "refused", ["x"], rules=["FIN-001"])]))
    assert ExpectedEnd().filter(record(refused)) is False
    assert ExpectedEnd().filter(record(RuntimeError("a bug"))) is True  # a real failure keeps its traceback


def test_the_failure_line_says_which_departments_were_not_loaded_and_how_many_were():
    """The run's last line names the refused department-years; when others loaded, it says so (it read as if
    nothing at all was loaded)."""
    refused = DepartmentOutcome("B", "refused", rules=["FIN-001"])
    some = RunSummary(2022, "r", [DepartmentOutcome("A", "loaded"), refused, DepartmentOutcome("C", "draft")])
    assert some.failure_message() == ("数据未通过校验，未入库（data refused, not loaded）：B 2022: FIN-001；"
                                      "其余 2 个部门已入库（2 others loaded）")
    assert RunSummary(2022, "r", [refused]).failure_message() == \
        "数据未通过校验，未入库（data refused, not loaded）：B 2022: FIN-001"


def test_the_failure_line_says_a_reason_shared_by_many_departments_once():
    """A broken shared source refuses every department for the same reason: the line says it once, with the
    departments' codes (at most ten, then how many), not once per department (~4 KB for 8 departments)."""
    from tasks.pipeline import LISTED_CODES

    problem = "registry/enterprises.csv 第 3 行 成立日期：不是日期（not a date）"
    outcomes = [DepartmentOutcome(f"D{i:02d}", "refused", [problem, "其他"]) for i in range(12)]
    outcomes.insert(5, DepartmentOutcome("X", "refused", ["x"], rules=["FIN-001"]))
    message = RunSummary(2022, "r", [*outcomes, DepartmentOutcome("A", "loaded")]).failure_message()
    assert message.count(problem) == 1 and "其他" not in message
    listed = "、".join(f"D{i:02d}" for i in range(LISTED_CODES))
    assert message == (f"数据未通过校验，未入库（data refused, not loaded）：{listed} 等 12 个部门（12 departments）"
                       f" 2022: {problem}；X 2022: FIN-001；其余 1 个部门已入库（1 others loaded）")
    few = RunSummary(2022, "r", outcomes[:3]).failure_message()
    assert few == f"数据未通过校验，未入库（data refused, not loaded）：D00、D01、D02 2022: {problem}"
