"""The gate fails closed: a rule that cannot run, or fails with no row to show, refuses.

Each rule here is built from a suite entry as a reviewer would write it; the data is the bundled
sample for two departments, changed so that FIN-001 (execution within budget) refuses one of them.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pandas as pd
import pytest
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from tasks.pipeline import assemble, quality_outcome
from tasks.quality.gate import UNEVALUATED, parameters_for, run_gate
from tasks.quality.outputs import quarantine_rows
from tasks.quality.rules import Rule, load_rules, rules_of
from tasks.quality.views import RunData
from tasks.sources.base import make_source
from tasks.sources.extract import extract_departments, extract_finance, extract_registry, extract_statistics

LIWAN, OTHER = "440103-KGXJ", "440103-SWJ"
PARAMS = parameters_for(2022, 10_000, 1.0)


class ColumnValuesExplode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.selfeval_test_explode"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        raise RuntimeError("boom inside the metric")

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom inside the metric")


class ExpectColumnValuesToSelfevalTestExplode(ColumnMapExpectation):
    """A test-only expectation whose metric always raises."""

    map_metric: ClassVar[str] = "column_values.selfeval_test_explode"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


def rule(type_: str, kwargs: dict[str, Any], *, rule_id: str = "TST-001", view: str = "budget_lines",
         severity: str = "critical") -> Rule:
    return rules_of({"name": "finance", "expectations": [{
        "type": type_, "kwargs": kwargs, "severity": severity,
        "meta": {"rule_id": rule_id, "label": "测试规则", "message": "A test rule.", "category": "accuracy",
                 "view": view, "field": "executed", "provided": "executed", "expected": "budget"}}]})[0]


@pytest.fixture(scope="module")
def base(sample_dir) -> RunData:
    finance = make_source("finance", sample_dir / "finance")
    deps, _ = extract_departments(finance)
    fin = extract_finance(finance, 2022, [LIWAN, OTHER])
    reg = extract_registry(make_source("registry", sample_dir / "registry"))
    sta = extract_statistics(make_source("statistics", sample_dir / "statistics"))
    return assemble(2022, deps, [LIWAN, OTHER], fin, reg, sta)


@pytest.fixture(scope="module")
def over_budget(base) -> RunData:
    """LIWAN's first budget line executes 1.00 元 more than its budget: FIN-001 refuses it."""
    frames = copy.deepcopy(base.frames)
    lines = frames["budget_lines"]
    first = lines.index[lines["department_code"] == LIWAN][0]
    lines.loc[first, "executed"] = lines.loc[first, "budget"] + 100
    return RunData(base.year, base.departments, frames)


def outcome(report, rule_id: str, code: str):
    return next(r for r in report.for_department(code) if r.rule.rule_id == rule_id)


def test_fin_001_refuses_the_fixture(over_budget):
    report = run_gate(over_budget, PARAMS)
    assert report.blocked(LIWAN) and "FIN-001" in quality_outcome(report, LIWAN)[0]
    assert not report.blocked(OTHER)


def test_a_column_pair_rule_fires_on_data_that_breaks_it(base, over_budget):
    pair = rule("expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": "budget", "column_B": "executed", "or_equal": True})
    assert run_gate(base, PARAMS, rules=(pair,)).for_department(LIWAN)[0].success
    report = run_gate(over_budget, PARAMS, rules=(pair,))
    result = outcome(report, "TST-001", LIWAN)
    assert not result.success and result.error is None
    assert len(result.failing) == 1 and result.failing.iloc[0]["row_number"] == "2"
    assert report.blocked(LIWAN) and not report.blocked(OTHER)


def test_a_row_condition_reads_its_columns(over_budget):
    # Only rows with executed > 0 are checked (a condition on a column the expectation does not
    # check), and those must have over_budget <= 0: fails on the one line over budget.
    conditional = rule("expect_column_values_to_be_between",
                       {"column": "over_budget", "max_value": 0, "row_condition": {
                           "type": "comparison", "column": {"name": "executed"}, "operator": ">", "parameter": 0}})
    report = run_gate(over_budget, PARAMS, rules=(conditional,))
    result = outcome(report, "TST-001", LIWAN)
    assert result.error is None, result.error
    assert not result.success and len(result.failing) == 1


@pytest.mark.parametrize("broken", [
    ("expect_column_values_to_be_between", {"column": "bugdet", "max_value": 0}),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "budget", "column_B": "exectued"}),
    ("expect_column_values_to_selfeval_test_explode", {"column": "budget"}),
], ids=["misspelled-column", "misspelled-column-B", "metric-raises"])
def test_a_rule_that_cannot_be_evaluated_refuses_every_department(base, broken):
    report = run_gate(base, PARAMS, rules=(rule(*broken),))  # on data every real rule passes
    for code in (LIWAN, OTHER):
        result = outcome(report, "TST-001", code)
        assert not result.success and report.blocked(code)
        assert "could not be evaluated" in result.error
        rules, reasons = quality_outcome(report, code)
        assert rules == ["TST-001"] and reasons[0].startswith(f"TST-001 测试规则：{UNEVALUATED}")
        quarantined = quarantine_rows(report, code)
        assert list(quarantined["rule"]) == ["TST-001"] and "could not be evaluated" in quarantined["reason"][0]
        errors = report.failing_rows(code, "fatal")
        assert list(errors["rule"]) == ["TST-001"] and "could not be evaluated" in errors["message"][0]


def test_the_exception_is_named(base):
    report = run_gate(base, PARAMS, rules=(rule("expect_column_values_to_selfeval_test_explode",
                                                {"column": "budget"}),))
    assert "boom inside the metric" in outcome(report, "TST-001", LIWAN).error


def test_a_misspelled_column_names_the_column(base):
    report = run_gate(base, PARAMS, rules=(rule("expect_column_values_to_be_between",
                                                {"column": "bugdet", "max_value": 0}),))
    assert "bugdet" in outcome(report, "TST-001", LIWAN).error


def test_a_warning_that_cannot_run_warns_without_refusing(base):
    report = run_gate(base, PARAMS, rules=(rule("expect_column_values_to_be_between",
                                                {"column": "bugdet", "max_value": 0}, severity="warning"),))
    assert not report.blocked(LIWAN)
    assert "could not be evaluated" in report.warnings(LIWAN)[0].error


def test_a_table_level_failure_refuses_every_department(base):
    count = rule("expect_table_row_count_to_equal", {"value": 1})
    report = run_gate(base, PARAMS, rules=(count,))
    for code in (LIWAN, OTHER):
        result = outcome(report, "TST-001", code)
        assert report.blocked(code) and "as a whole" in result.error


def test_a_rule_on_an_unknown_view_refuses(base):
    report = run_gate(base, PARAMS, rules=(rule("expect_column_values_to_be_between",
                                                {"column": "x", "max_value": 0}, view="no_such_view"),))
    assert report.blocked(LIWAN) and report.blocked(OTHER)
    assert "could not be evaluated" in outcome(report, "TST-001", LIWAN).error


def test_one_malformed_rule_fails_alone_at_its_own_severity(over_budget):
    broken = rule("expect_column_values_to_be_between", {"column": "budget"}, rule_id="TST-002",
                  severity="warning")  # no bounds: GX refuses the whole suite
    fin_001 = next(r for r in load_rules() if r.rule_id == "FIN-001")
    report = run_gate(over_budget, PARAMS, rules=(fin_001, broken))
    assert outcome(report, "FIN-001", LIWAN).error is None and not outcome(report, "FIN-001", LIWAN).success
    assert outcome(report, "FIN-001", OTHER).success and not report.blocked(OTHER)
    assert "could not be evaluated" in outcome(report, "TST-002", OTHER).error
    assert [r.rule.rule_id for r in report.warnings(OTHER)] == ["TST-002"]


def test_a_rule_on_the_table_shape_sees_the_whole_view(base):
    shape = rule("expect_table_column_count_to_be_between", {"max_value": 3})
    report = run_gate(base, PARAMS, rules=(shape,))
    assert report.blocked(LIWAN), "the budget_lines view has more than 3 columns"


def test_a_department_with_no_summary_rows_is_refused(base):
    """FIN-007 lists the run's departments, not those the 决算总表 happens to hold: a department whose
    summary rows are all missing (an API that returned none, say) is refused, not passed."""
    frames = copy.deepcopy(base.frames)
    frames["summary"] = frames["summary"][frames["summary"]["department_code"] != LIWAN]
    report = run_gate(RunData(base.year, base.departments, frames), PARAMS, rules=tuple(
        r for r in load_rules() if r.rule_id == "FIN-007"))
    assert report.blocked(LIWAN) and not report.blocked(OTHER)
    (row,) = outcome(report, "FIN-007", LIWAN).failing.to_dict("records")
    assert row["row_number"] == "" and row["value_provided"] == "合计"  # the item it does not state


def test_a_bad_memory_limit_leaves_nothing_behind(tmp_path):
    from tasks.quality.rundb import run_database

    with pytest.raises(ValueError, match="memory limit 'lots'"), run_database(tmp_path, "lots"):
        pass
    assert list(tmp_path.iterdir()) == []
    with run_database(tmp_path, "256MB") as db:
        assert db.duckdb.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("2")
    assert list(tmp_path.iterdir()) == []


# --- guards with teeth (issue 26): each test fails when its guard is taken out of tasks/quality/gate.py


def test_every_rule_on_a_view_that_could_not_be_built_refuses(base):
    """A staged dataset without a column its rule view reads: the view is not built, and each rule on it
    refuses every department, naming why; none is skipped as if it had passed."""
    frames = copy.deepcopy(base.frames)
    frames["targets"] = frames["targets"].drop(columns=["nature"])
    broken = RunData(base.year, base.departments, frames)
    on_targets = [r for r in load_rules() if r.view == "targets"]
    assert len(on_targets) >= 3
    report = run_gate(broken, PARAMS, rules=tuple(on_targets))
    for code in (LIWAN, OTHER):
        for r in on_targets:
            result = outcome(report, r.rule_id, code)
            assert not result.success and "视图 'targets' 无法生成" in result.error, r.rule_id
        assert report.blocked(code)


@pytest.mark.parametrize("dropped_in", ["verdicts", "detail"])
def test_a_rule_great_expectations_returns_no_result_for_refuses(over_budget, monkeypatch, dropped_in):
    """GX's result of a validation without one rule's result (first pass or detail pass): that rule was not
    checked, so it refuses every department; a clean-looking result is not a pass."""
    import tasks.quality.gate as gate

    fin_001 = next(r for r in load_rules() if r.rule_id == "FIN-001")
    fin_002 = next(r for r in load_rules() if r.rule_id == "FIN-002")
    real = gate._validate_view

    def without_fin_001(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if (dropped_in == "detail") == bool(kwargs.get("complete")):
            result.results = [r for r in result.results if r.expectation_config.meta["rule_id"] != "FIN-001"]
        return result

    monkeypatch.setattr(gate, "_validate_view", without_fin_001)
    report = run_gate(over_budget, PARAMS, rules=(fin_001, fin_002))
    for code in (LIWAN, OTHER):
        result = outcome(report, "FIN-001", code)
        assert not result.success and result.error == gate.NO_RESULT and report.blocked(code)
    assert outcome(report, "FIN-002", OTHER).success
