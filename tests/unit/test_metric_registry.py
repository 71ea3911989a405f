"""The metric registry: entries are checked when read, errors name the file and the entry, and the
shipped registry defines every figure the reports use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.domain import EXPENSE_TYPES, FUND_SOURCES
from tasks.settings import TEMPLATES_DIR
from tasks.warehouse.metrics import MetricError, load_registry, metric_sql, parameters

SHIPPED = TEMPLATES_DIR / "metrics.yaml"

# Every figure the reports and narratives used before the registry existed.
FIGURES_BEFORE = {
    "budget", "executed", "carryover", "execution_rate", "carryover_rate",
    *(f"{kind}_{code}" for kind in ("fund", "share_fund") for code, _ in FUND_SOURCES),
    *(f"{kind}_{code}" for kind in ("expense", "share_expense") for code, _ in EXPENSE_TYPES),
    "paid_q1", "paid_q2", "paid_q3", "paid_q4",
    "srdi_applicants", "hitech_first", "hitech_first_prev", "hitech_first_growth", "rd_growth",
    "signed_projects", "registered_projects", "agreed_investment", "agreed_output",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_registry_defines_every_figure_the_reports_use():
    registry = load_registry(SHIPPED)
    assert registry.names >= FIGURES_BEFORE
    assert registry.growth_of("hitech_first") == "hitech_first_growth"
    assert registry.growth_of("hitech_first_growth") == "hitech_first_growth"
    assert registry.growth_of("budget") is None
    assert registry.tables("execution_rate") == ("fct_budget_line", "fct_payment")
    assert registry.tables("rd_growth") == ("fct_indicator_value",)


def test_each_expands_over_the_vocabulary(tmp_path):
    registry = load_registry(write(tmp_path, """
metrics:
  - {name: "fund_{code}", each: fund_source, label: "{name}支出", kind: sum, table: mart_line_execution,
     column: executed_fen, filters: {fund_source_code: "{code}"}, format: wan}
"""))
    assert sorted(registry.names) == sorted(f"fund_{code}" for code, _ in FUND_SOURCES)
    assert registry["fund_GFB"].label == "政府性基金预算财政拨款支出"
    assert registry["fund_GFB"].filters == {"fund_source_code": "GFB"}


def test_a_new_programme_is_one_entry(tmp_path):
    registry = load_registry(write(tmp_path, """
metrics:
  - {name: tsme_evaluated, label: 科技型中小企业评价入库企业数, kind: count_distinct, table: fct_application,
     column: uscc, filters: {program: 科技型中小企业评价, result: 通过}, unit: 家, format: count}
"""))
    sql = metric_sql(registry, "tsme_evaluated")
    assert "count(DISTINCT fct_application.uscc)" in sql
    assert "fct_application.program = :program" in sql and "fct_application.result = :result" in sql
    params = parameters(registry["tsme_evaluated"], "D1", "440103", 2022)
    assert params == {"department": "D1", "year": 2022, "program": "科技型中小企业评价", "result": "通过"}


def test_dated_metrics_and_year_offsets(tmp_path):
    registry = load_registry(write(tmp_path, """
metrics:
  - {name: signed, label: 签约, kind: count, table: fct_investment_project, date_column: signed_date, year_offset: -1}
  - {name: paid_h1, label: 上半年支付, kind: sum, table: fct_payment, column: amount_fen, date_column: pay_date,
     to: "06-30"}
"""))
    import datetime as dt

    assert parameters(registry["signed"], "D1", "440103", 2022) == {
        "department": "D1", "date_from": dt.date(2021, 1, 1), "date_to": dt.date(2021, 12, 31)}
    assert parameters(registry["paid_h1"], "D1", "440103", 2022) == {
        "department": "D1", "year": 2022, "date_to": dt.date(2022, 6, 30)}
    assert "BETWEEN :date_from AND :date_to" in metric_sql(registry, "signed")


@pytest.mark.parametrize(("entry", "message"), [
    ("{name: x, label: X, kind: median, table: fct_payment, column: amount_fen}", "kind 'median'"),
    ("{name: x, label: X, kind: count, table: fct_nothing}", "table 'fct_nothing' is not a warehouse table"),
    ("{name: x, label: X, kind: sum, table: fct_payment, column: amount}", "column 'amount' is not a column"),
    ("{name: x, label: X, kind: count, table: fct_payment, filters: {programme: a}}", "filters 'programme'"),
    ("{name: x, label: X, kind: sum, table: fct_payment}", "needs a column"),
    ("{name: x, label: X, kind: count, table: fct_investment_project}", "name the date_column"),
    ("{name: x, label: X, kind: count, table: fct_indicator_value}", "no department_code"),
    ("{name: x, label: X, kind: ratio, numerator: a}", "needs a numerator and a denominator"),
    ("{name: x, label: X, kind: growth}", "needs the metric it is of"),
    ("{name: x, label: X, kind: ratio, numerator: a, denominator: b}", "names metric 'a'"),
    ("{name: x, kind: count, table: fct_payment}", "missing ['label']"),
    ("{name: x, label: X, kind: count, table: fct_payment, colour: red}", "unknown key(s) ['colour']"),
    ("{name: x, label: X, kind: count, table: fct_payment, each: district}", "each 'district'"),
    ("{name: x, label: X, kind: count, table: fct_payment, to: '13-01', date_column: pay_date}", "MM-DD"),
    ("{name: x, label: X, kind: count, table: fct_payment, format: stars}", "format 'stars'"),
])
def test_a_malformed_entry_is_refused_naming_the_file_and_entry(tmp_path, entry, message):
    path = write(tmp_path, f"metrics:\n  - {{name: ok, label: OK, kind: count, table: fct_payment}}\n  - {entry}\n")
    with pytest.raises(MetricError) as caught:
        load_registry(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    if "names metric" not in message:
        assert "entry 2" in str(caught.value)


def test_a_name_defined_twice_is_refused(tmp_path):
    with pytest.raises(MetricError, match="defined twice"):
        load_registry(write(tmp_path, "metrics:\n  - {name: a, label: A, kind: count, table: fct_payment}\n"
                                      "  - {name: a, label: B, kind: count, table: fct_application}\n"))


def test_a_registry_without_a_list_is_refused(tmp_path):
    with pytest.raises(MetricError, match="expected a 'metrics' list"):
        load_registry(write(tmp_path, "metric: []\n"))


@pytest.mark.parametrize(("registry", "profile", "words"), [
    ("metrics:\n  - {name: x, label: 甲, kind: count, table: nowhere}\n", None, ["metric registry", "nowhere"]),
    ("metrics:\n  - {name: x, kind: count, table: nowhere}\n", None, ["metric registry", "missing", "label"]),
    ("metrics: [unclosed\n", None, ["metric registry", "not valid YAML"]),
    (None, "grades: [1, 2\n", ["scoring profile", "not valid YAML"]),
    (None, "colour: blue\n", ["scoring profile", "unknown key", "colour"]),
    ("missing", None, ["metric registry", "no such file"]),
])
def test_a_bad_registry_or_profile_is_a_usage_error_before_anything_loads(tmp_path, registry, profile, words):
    from tasks.pipeline import UsageError, check_configuration
    from tasks.settings import Settings

    overrides = {}
    if registry is not None:
        overrides["metrics_registry"] = tmp_path / "metrics.yaml"
        if registry != "missing":
            overrides["metrics_registry"].write_text(registry, encoding="utf-8")
    if profile is not None:
        overrides["scoring_profile"] = tmp_path / "profile.yaml"
        overrides["scoring_profile"].write_text(profile, encoding="utf-8")
    settings = Settings().model_copy(update=overrides)
    with pytest.raises(UsageError) as err:
        check_configuration(settings)
    text = str(err.value)
    assert all(w in text for w in words) and str(tmp_path) in text and "\n" not in text
    check_configuration(Settings())  # the shipped ones are well formed
