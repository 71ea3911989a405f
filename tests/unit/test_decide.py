"""The per-department policy after the gate (tasks.pipeline.decide): refused on input, refused by a
fatal rule, or loaded with the warnings its report will note. A pure function: no flow, no database."""

from __future__ import annotations

import pandas as pd

from tasks.pipeline import decide
from tasks.quality.gate import FAILING_COLUMNS, QualityReport, RuleResult
from tasks.quality.rules import rules_of

CODE = "440103-KGXJ"
ROOTS = {"/srv/landing/finance": "finance"}


def rule(rule_id: str, severity: str) -> object:
    return rules_of({"name": "finance", "expectations": [{
        "type": "expect_column_values_to_be_between", "kwargs": {"column": "x"}, "severity": severity,
        "meta": {"rule_id": rule_id, "label": f"标签{rule_id}", "message": "m", "category": "accuracy",
                 "view": "budget_lines", "field": "executed"}}]})[0]


def failing(rule_id: str, where: str = "/srv/landing/finance/2022/budget_lines.csv") -> pd.DataFrame:
    return pd.DataFrame([{**dict.fromkeys(FAILING_COLUMNS, ""), "rule": rule_id, "department": CODE,
                          "field": "executed", "value_provided": "5.00", "source_file": where,
                          "row_number": "7"}], columns=FAILING_COLUMNS)


def report(*results: tuple[str, str, pd.DataFrame | None, str | None]) -> QualityReport:
    out = QualityReport(2022, [CODE])
    for rule_id, severity, rows, error in results:
        out.results.append(RuleResult(rule(rule_id, severity), CODE,  # type: ignore[arg-type]
                                      rows if rows is not None else pd.DataFrame(columns=FAILING_COLUMNS), error))
    return out


def test_an_input_problem_refuses_before_any_rule_is_read():
    decision = decide(CODE, 2022, ["budget_lines.csv row 3: 预算数 is not a number"],
                      report(("FIN-001", "critical", failing("FIN-001"), None)), [], ROOTS)
    assert decision.refused and decision.outcome.status == "refused"
    assert decision.outcome.reasons == ["budget_lines.csv row 3: 预算数 is not a number"]
    assert decision.outcome.rules == [] and decision.notes == []
    assert "refused" in decision.log


def test_a_fatal_rule_refuses_naming_the_rule_and_counting_warnings():
    decision = decide(CODE, 2022, [], report(("FIN-001", "critical", failing("FIN-001"), None),
                                             ("REC-008", "warning", failing("REC-008"), None)), [], ROOTS)
    assert decision.refused
    assert decision.outcome.rules == ["FIN-001"] and decision.outcome.warnings == 1
    assert decision.outcome.reasons[0].startswith("FIN-001 标签FIN-001：1 行不符")
    assert "FIN-001" in decision.log


def test_a_rule_that_could_not_be_evaluated_refuses():
    decision = decide(CODE, 2022, [], report(("FIN-001", "critical", None, "the rule could not be evaluated: x")),
                      [], ROOTS)
    assert decision.refused and decision.outcome.rules == ["FIN-001"]
    assert "could not be evaluated" in decision.outcome.reasons[0]


def test_warnings_load_with_notes_naming_files_in_the_landing_zone():
    decision = decide(CODE, 2022, [], report(("FIN-001", "critical", None, None),
                                             ("REC-008", "warning", failing("REC-008"), None)),
                      ["/srv/landing/finance/2022/payments.csv: column 备注 ignored",
                       "/srv/landing/finance/2022/payments.csv: column 备注 ignored"], ROOTS)
    assert not decision.refused and decision.outcome is None
    assert decision.notes == [
        ("INPUT", "输入文件提示", 1, "finance/2022/payments.csv: column 备注 ignored"),
        ("REC-008", "标签REC-008", 1, "finance/2022/budget_lines.csv 第 7 行：全年执行数（executed）=5.00"),
    ]


def test_a_clean_department_loads_with_no_notes():
    decision = decide(CODE, 2022, [], report(("FIN-001", "critical", None, None)), [], ROOTS)
    assert not decision.refused and decision.notes == []


def test_a_rendered_department_counts_its_input_notes_apart_from_its_rule_warnings():
    """The outcome of a loaded department counts its notes (the report's 数据质量说明) and, of them, those of its input
    files (rule INPUT: a narrative read as GBK under a BOM), which the data-quality page does not list: the CLI says
    the two apart and names the page only for rule warnings."""
    from pathlib import Path

    from tasks.pipeline import Decision, Plan, rendered_outcomes
    from tasks.quality.rules import INPUT_RULE
    from tasks.report.build import Rendered

    notes = [(INPUT_RULE, "输入文件提示", 1, "narrative.yaml 以 UTF-8 字节顺序标记开头"),
             ("REG-006", "注册日期不早于签约日期", 1, "…相差 -12 天"), ("STA-003", "统计指标同比变化在界限内", 2, "…")]
    plan = Plan(2022, "r", "v", ["A", "B"])
    done = [Rendered("A", {"md": Path("/out/a.md")}, [], None), Rendered("B", {"md": Path("/out/b.md")}, [], None)]
    out = rendered_outcomes(plan, done, {"A": Decision("A", notes=notes), "B": Decision("B")}, {})
    assert (out["A"].warnings, out["A"].input_warnings, out["A"].rule_warnings) == (3, 1, 2)
    assert (out["B"].warnings, out["B"].input_warnings, out["B"].rule_warnings) == (0, 0, 0)


def test_an_input_refusal_s_errors_replace_an_earlier_run_s_reports(tmp_path):
    """A department refused by a rule in one run and for a malformed file in the next: its 错误明细 lists the input's
    problem, and the earlier run's warnings and quarantine go (they list records of files since replaced)."""
    from tasks.quality.outputs import ERRORS_CSV, QUARANTINE_CSV, WARNINGS_CSV, read_report, write_input_errors

    for name in (ERRORS_CSV, WARNINGS_CSV, QUARANTINE_CSV):
        (tmp_path / name).write_text("规则（rule）\nREC-003\n", encoding="utf-8-sig")
    path = write_input_errors(tmp_path, "440103-KGXJ", 2022, ["…/payments.csv，第 4 行：「144O1.45」不是金额"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [ERRORS_CSV]
    rows = read_report(path)
    assert list(rows["rule"]) == ["INPUT"] and list(rows["detail"]) == ["…/payments.csv，第 4 行：「144O1.45」不是金额"]


def test_the_error_report_sent_to_a_department_names_its_files_in_the_landing_zone(tmp_path):
    """The 错误明细 goes to the department: a file of a folder source is named by its path in the landing zone, as the
    report names it, not by the server's (a source outside the landing zone: by the source's name)."""
    from tasks.addresses import landing_roots
    from tasks.quality.outputs import read_report, write_input_errors

    zone = tmp_path / "landing"
    roots = landing_roots({"finance": str(zone / "finance"), "registry": str(tmp_path / "elsewhere")}, str(zone))
    problems = [f"{zone}/finance/2022/440103-KGXJ/payments.csv，第 4 行：「144O1.45」不是金额",
                f"{tmp_path}/elsewhere/firms.csv，第 2 行：统一社会信用代码无效"]
    rows = read_report(write_input_errors(tmp_path / "out", "440103-KGXJ", 2022, problems, roots))
    assert list(rows["detail"]) == ["finance/2022/440103-KGXJ/payments.csv，第 4 行：「144O1.45」不是金额",
                                    "registry/firms.csv，第 2 行：统一社会信用代码无效"]
    assert str(tmp_path) not in (tmp_path / "out" / "data-quality-errors.csv").read_text(encoding="utf-8-sig")


def test_each_department_done_again_says_why():
    """After an upgrade every department was loaded again with no word why (a newcomer's trial): the run's log says,
    per department not skipped, whether it is new, the code changed, its inputs or settings changed, its reports are
    not all there, or --force. (A fingerprint covers the code version, so an upgrade changes every fingerprint.)"""
    from tasks.pipeline import redo_reasons, unchanged

    previous = {c: {"inputs_sha256": "same", "code_version": "v1", "run_id": "r1"} for c in ("A", "B", "C", "D")}
    fingerprints = {"A": "same", "B": "same", "C": "other", "D": "same", "E": "new"}
    rendered = {"A": True, "B": False, "C": True, "D": True, "E": False}
    reasons = redo_reasons(fingerprints, previous, unchanged(fingerprints, previous, rendered), "v1")
    assert set(reasons) == {"B", "C", "E"}  # A and D skipped
    assert reasons["B"].startswith("报告文件不全")
    assert reasons["C"].startswith("输入文件、文字材料或结果相关的设置已变化")
    assert reasons["E"] == "尚未入库（not loaded yet）"
    unfingerprinted = redo_reasons({"A": None, "F": None}, previous, {}, "v1")
    assert unfingerprinted["A"].startswith("输入无法预先比对") and unfingerprinted["F"] == "尚未入库（not loaded yet）"
    moved = {c: f"{d}-v2" for c, d in fingerprints.items()}
    upgraded = redo_reasons(moved, previous, unchanged(moved, previous, rendered), "v2")
    assert upgraded["A"] == "程序已更新，自运行 r1 以来（the code changed since that run）" and len(upgraded) == 5
    forced = redo_reasons(fingerprints, previous, {}, "v1", force=True)
    assert set(forced) == set(fingerprints) and set(forced.values()) == {"按 --force 全部重算（forced）"}
