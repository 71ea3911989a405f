"""Every rule of the registry, on the bundled sample (passing) and on a mutated copy (failing)."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest

from tasks.pipeline import assemble, indicator_units
from tasks.quality.gate import DIFFERENCE_WORDS, FAILING_COLUMNS, parameters_for, run_gate
from tasks.quality.rules import CATEGORIES, load_rules
from tasks.quality.views import RunData
from tasks.settings import TEMPLATES_DIR
from tasks.sources.base import make_source
from tasks.sources.extract import extract_departments, extract_finance, extract_registry, extract_statistics
from tasks.uscc import make_uscc
from tasks.warehouse.metrics import load_registry

LIWAN = "440103-KGXJ"
PARAMS = parameters_for(2022, 10_000, 1.0)
UNKNOWN = make_uscc("91", "440103", "ZZ000001".replace("Z", "W"))


@pytest.fixture(scope="module")
def base(sample_dir) -> RunData:
    deps, _ = extract_departments(make_source("finance", sample_dir / "finance"))
    fin = extract_finance(make_source("finance", sample_dir / "finance"), 2022, [LIWAN])
    reg = extract_registry(make_source("registry", sample_dir / "registry"))
    sta = extract_statistics(make_source("statistics", sample_dir / "statistics"))
    return assemble(2022, deps, [LIWAN], fin, reg, sta,
                    units=indicator_units(load_registry(TEMPLATES_DIR / "metrics.yaml")))


def mutated(base: RunData, name: str, change) -> RunData:
    frames = copy.deepcopy(base.frames)
    frames[name] = change(frames[name].copy())
    return RunData(base.year, base.departments, frames)


def dup(frame: pd.DataFrame, i: int = 0) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[i]]], ignore_index=True)


def at(frame: pd.DataFrame, mask, column: str, value) -> pd.DataFrame:
    frame.loc[mask, column] = value
    return frame


def unspent(frame):
    return frame["budget"].iloc[0] - frame["executed"].iloc[0]


def first(frame):
    return frame.index == frame.index[0]


def liwan_ind(f, year, industry="工业"):
    return (f["region_code"] == "440103") & (f["year"] == year) & (f["indicator_code"] == "RD_EXP") & (
        f["industry"] == industry)


def tripled(f):
    return f.loc[liwan_ind(f, 2021), "value"].iloc[0] * 3


def liwan_signed(f, year=2022):
    return (f["department_code"] == LIWAN) & (f["signed"].dt.year == year)


def in_yuan(f, mask):
    """Amounts of ``mask`` as if a file in 元 had been read as 万元: 10,000 times too large."""
    f.loc[mask, "agreed_investment"] = f.loc[mask, "agreed_investment"] * 10_000
    return f


MUTATIONS = {
    "FIN-001": ("budget_lines", lambda f: at(f, first(f), "executed", f["budget"].iloc[0] + 100)),
    "FIN-002": ("budget_lines", lambda f: at(f, first(f), "carryover", unspent(f) + 1)),
    "FIN-003": ("budget_lines", dup),
    "FIN-004": ("payments", dup),
    "FIN-005": ("payments", lambda f: at(f, first(f), "pay_date", pd.Timestamp("2021-12-31"))),
    "FIN-006": ("payments", lambda f: at(f, first(f), "amount", 0)),
    "FIN-007": ("summary", lambda f: f[f["item"] != "合计"]),
    "FIN-008": ("summary", dup),
    "REC-001": ("summary", lambda f: at(f, f["item"] == "其他资金", "executed", 1)),
    "REC-002": ("summary", lambda f: at(f, f["item"] == "基本支出", "budget", 1)),
    "REC-003": ("payments", lambda f: at(f, first(f), "amount", f["amount"].iloc[0] + 10_001)),
    "REC-004": ("budget_lines", lambda f: at(f, first(f), "budget", f["budget"].iloc[0] + 1)),
    # a 基本支出 line marked 项目支出: the 合计 still agrees, the breakdown does not
    "REC-010": ("budget_lines", lambda f: at(f, first(f), "expense_type", "项目支出")),
    "REC-005": ("payments", lambda f: at(f, first(f), "line_id", "NO-SUCH-LINE")),
    "REC-006": ("applications", lambda f: at(f, f.index == f[f["department_code"] == LIWAN].index[0], "uscc", UNKNOWN)),
    "REC-007": ("investment_projects", lambda f: at(f, f.index == f[f["uscc"].notna()].index[0], "uscc", UNKNOWN)),
    "REC-008": ("investment_projects", lambda f: in_yuan(f, f.index == f[liwan_signed(f)].index[0])),
    "REC-009": ("investment_projects", lambda f: in_yuan(f, f["department_code"] == LIWAN)),
    "REG-001": ("enterprises", None),  # needs two frames: below
    "REG-002": ("enterprises", None),
    "REG-003": ("applications", lambda f: at(f, f.index == f[f["department_code"] == LIWAN].index[0], "uscc",
                                             "91440103MA5C00000X")),
    "REG-004": ("applications", lambda f: dup(f, int(f[f["department_code"] == LIWAN].index[0]))),
    "REG-005": ("investment_projects", dup),
    "REG-006": ("investment_projects", lambda f: at(f, f.index == f[f["registered"].notna()].index[0], "registered",
                                                    pd.Timestamp("2000-01-01"))),
    "PRF-001": ("targets", dup),
    "PRF-002": ("targets", lambda f: at(f, first(f), "target", "六十")),
    "PRF-003": ("targets", lambda f: at(f, first(f), "weight", -5.0)),
    # the reported 满意度's row sent without its actual (a 绩效自评 not sent at all is a 草稿, not a fault)
    "PRF-004": ("self_assessment", lambda f: at(f, first(f), "actual", None)),
    "PRF-006": ("self_assessment", dup),
    "PRF-005": ("self_assessment", lambda f: at(f, first(f), "indicator", "没有这个指标")),
    "PRF-007": ("targets", lambda f: at(f, f["indicator"] == "四季度末支付进度", "target", "0.95")),
    "PRF-008": ("self_assessment", lambda f: at(f, f["indicator"] == "企业服务满意度", "actual", "0.96")),
    "PRF-009": ("self_assessment", lambda f: pd.concat(
        [f, f.iloc[[0]].assign(indicator="省级“专精特新”申报企业数", actual="70")], ignore_index=True)),
    # project rules: on the reference department with a 绩效目标 and 绩效自评 of each 项目支出 project (with_projects)
    "PRJ-001": ("project_targets", dup),
    "PRJ-002": ("project_targets", lambda f: at(f, first(f), "project_code", "NO-SUCH-PROJECT")),
    "PRJ-003": ("project_self_assessment", dup),
    "PRJ-004": ("project_self_assessment", lambda f: at(f, first(f), "indicator", "没有这个指标")),
    "PRJ-005": ("project_self_assessment", lambda f: at(f, first(f), "actual", None)),
    "PRJ-006": ("project_targets", lambda f: f[f["project_code"] != f["project_code"].iloc[0]]),
    # a percentage 指标值 and a percentage 实际完成值 written as fractions (95 % as 0.95, 93 % as 0.93)
    "PRJ-007": ("project_targets", lambda f: at(at(f, first(f), "unit", "%"), first(f), "target", "0.95")),
    "PRJ-008": ("project_self_assessment", lambda f: at(f, f["indicator"] == "服务对象满意度", "actual", "0.93")),
    # the first payment of each budget line 99.99 元 short: each line within REC-003's 100 元, the department beyond
    "REC-011": ("payments", lambda f: at(f, ~f["line_id"].duplicated(), "amount", f["amount"] - 9_999)),
    "STA-001": ("indicators", lambda f: dup(f, int(f[liwan_ind(f, 2022)].index[0]))),
    "STA-002": ("indicators", lambda f: at(f, liwan_ind(f, 2022), "value", 1e12)),
    "STA-003": ("indicators", lambda f: at(f, liwan_ind(f, 2022), "value", tripled(f))),
    # 社会消费品零售总额 written in 万元 (its value ×10,000), the report reading it in 亿元
    "STA-004": ("indicators", lambda f: at(f, (f["indicator_code"] == "RETAIL") & (f["year"] == 2021), "unit", "万元")),
}


def referenced_enterprise_changed(base: RunData, rule: str) -> RunData:
    """REG-001/002 need an enterprise that an application references: change or copy that one."""
    frames = copy.deepcopy(base.frames)
    apps, ent = frames["applications"], frames["enterprises"]
    code = apps[apps["department_code"] == LIWAN]["uscc"].iloc[0]
    i = ent.index[ent["uscc"] == code][0]
    if rule == "REG-001":
        broken = code[:17] + ("0" if code[17] != "0" else "1")
        ent.loc[i, "uscc"] = broken
        apps.loc[apps["uscc"] == code, "uscc"] = broken
    else:
        frames["enterprises"] = pd.concat([ent, ent.loc[[i]]], ignore_index=True)
    return RunData(base.year, base.departments, frames)


def with_projects(base: RunData) -> RunData:
    """The reference department with a 绩效目标 (two indicators, 分值 90) and a 绩效自评 for each of its 项目支出
    projects: every project rule passes on it."""
    lines = base.frames["budget_lines"]
    projects = sorted(set(lines.loc[lines["expense_type"] == "项目支出", "project_code"]))
    targets, actuals = [], []
    for project in projects:
        for name, nature, target, unit, weight, actual in (("服务企业数", "≥", "10", "家", 80.0, "12"),
                                                           ("服务对象满意度", "≥", "90", "%", 10.0, "95")):
            row = len(targets) + 2
            targets.append({"department_code": LIWAN, "project_code": project, "level1": "产出指标",
                            "level2": "数量指标", "indicator": name, "nature": nature, "target": target, "unit": unit,
                            "weight": weight, "_row": row, "_source": "project_targets.csv"})
            actuals.append({"department_code": LIWAN, "project_code": project, "indicator": name, "actual": actual,
                            "score": float("nan"), "deviation": None, "evidence": None, "_row": row,
                            "_source": "project_self_assessment.csv"})
    frames = copy.deepcopy(base.frames)
    for name, rows in (("project_targets", targets), ("project_self_assessment", actuals)):
        empty = frames[name]
        frames[name] = pd.DataFrame(rows, columns=list(empty.columns)).astype(empty.dtypes.to_dict())
    return RunData(base.year, base.departments, frames)


@pytest.fixture(scope="module")
def baseline(base):
    return run_gate(base, PARAMS)


def test_the_project_fixture_passes_every_rule(base):
    report = run_gate(with_projects(base), PARAMS)
    assert [(r.rule.rule_id, r.example()) for r in report.for_department(LIWAN) if not r.success] == []


def test_registry_is_well_formed():
    rules = load_rules()
    assert len(rules) >= 20
    assert {r.category for r in rules} <= set(CATEGORIES)
    assert {r.severity for r in rules} == {"fatal", "warning"}
    assert set(MUTATIONS) == {r.rule_id for r in rules}, "every rule needs a failing fixture here"


def test_sample_passes_every_rule(baseline):
    failed = [(r.rule.rule_id, r.example()) for r in baseline.for_department(LIWAN) if not r.success]
    assert failed == []
    assert not baseline.blocked(LIWAN)


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_each_rule_fails_on_its_fixture(base, rule_id):
    name, change = MUTATIONS[rule_id]
    start = with_projects(base) if rule_id.startswith("PRJ") else base
    data = referenced_enterprise_changed(base, rule_id) if change is None else mutated(start, name, change)
    report = run_gate(data, PARAMS)
    result = next(r for r in report.for_department(LIWAN) if r.rule.rule_id == rule_id)
    assert not result.success, f"{rule_id} did not fire"
    assert result.error is None
    rows = result.failing
    assert list(rows.columns) == FAILING_COLUMNS
    assert (rows["rule"] == rule_id).all() and (rows["department"] == LIWAN).all()
    assert rows["source_file"].str.endswith(".csv").all()
    # A missing row (completeness) has no row number; every other failing row has one.
    pattern = r"\d*" if result.rule.category == "completeness" else r"\d+"
    assert rows["row_number"].str.fullmatch(pattern).all()
    if result.rule.severity == "fatal":
        assert report.blocked(LIWAN)


def test_ledger_tolerance_is_a_parameter(base):
    data = mutated(base, "payments", lambda f: at(f, first(f), "amount", f["amount"].iloc[0] + 9_999))
    assert not run_gate(data, PARAMS).blocked(LIWAN)
    assert run_gate(data, parameters_for(2022, 5_000, 1.0)).blocked(LIWAN)


def test_failing_row_reports_provided_expected_and_difference(base):
    name, change = MUTATIONS["FIN-001"]
    report = run_gate(mutated(base, name, change), PARAMS)
    row = report.fatal(LIWAN)[0].failing.iloc[0]
    assert row["rule"] == "FIN-001" and row["field"] == "executed"
    assert row["difference"] == "1.00"  # 100 分 over budget, in 元
    assert row["row_number"] == "2" and row["source_file"].endswith("budget_lines.csv")


def test_the_jump_factor_is_a_parameter(base):
    data = mutated(base, "investment_projects", lambda f: in_yuan(f, f["department_code"] == LIWAN))
    warned = {r.rule.rule_id for r in run_gate(data, PARAMS).warnings(LIWAN)}
    assert "REC-009" in warned and "REC-008" not in warned  # the whole file scaled: only the budget sees it
    relaxed = parameters_for(2022, 10_000, 1.0, jump_factor=1e9)
    assert not run_gate(data, relaxed).warnings(LIWAN)
    strict = parameters_for(2022, 10_000, 1.0, jump_factor=2.0)  # the sample's own 3× growth then warns
    assert "REC-008" in {r.rule.rule_id for r in run_gate(base, strict).warnings(LIWAN)}


def test_rec_003_names_the_lines_figure_and_the_ledgers(base):
    """The error row reads as the budget line states it: executed = the line's 全年执行数, expected = the
    sum of its payments, difference = the first minus the second (in 元)."""
    name, change = MUTATIONS["REC-003"]
    data = mutated(base, name, change)
    row = run_gate(data, PARAMS).fatal(LIWAN)[0].failing.iloc[0]
    lines = data["budget_lines"]
    line = lines[(lines["department_code"] == LIWAN) & (lines["line_id"] == data["payments"]["line_id"].iloc[0])]
    executed = int(line["executed"].iloc[0])
    assert (row["rule"], row["field"]) == ("REC-003", "executed")
    assert row["value_provided"] == f"{executed // 100}.{executed % 100:02d}"
    assert row["difference"] == "-100.01"  # the ledger is 100.01 元 above the line's figure


def test_rec_003_refusal_names_both_sides_not_which_is_right(base):
    """A line's 全年执行数 against its payments: either may be wrong, so the refusal names the 指标编号, the compared
    figure as what it is (支付明细合计) with the payments' file, and says 相差, never 应为 (an operator following 应为
    edited the budget line when a payment was doubled)."""
    name, change = MUTATIONS["REC-003"]
    data = mutated(base, name, change)
    result = next(r for r in run_gate(data, PARAMS).fatal(LIWAN) if r.rule.rule_id == "REC-003")
    line_id = data["payments"]["line_id"].iloc[0]
    payments_file = data["payments"]["_source"].iloc[0]
    row = result.failing.iloc[0]
    text = result.example()
    assert text.startswith(f"{row['source_file']} 第 {row['row_number']} 行（指标编号 {line_id}）：")
    assert f"=4198450.03 元，支付明细合计 {row['expected_value']} 元（{payments_file}）" in text  # in 元: files in 万元
    assert text.endswith("，相差 -100.01 元") and "应为" not in text
    assert payments_file != row["source_file"]


def test_a_line_with_no_payment_names_its_departments_payment_files(base):
    """A line whose payments are all gone: no payment names it, so the files the payments should be in are the
    department's payment files."""
    line_id = base["payments"]["line_id"].iloc[0]
    data = mutated(base, "payments", lambda f: f[f["line_id"] != line_id])
    result = next(r for r in run_gate(data, PARAMS).fatal(LIWAN) if r.rule.rule_id == "REC-003")
    payments = data["payments"]
    files = "、".join(dict.fromkeys(payments.loc[payments["department_code"] == LIWAN, "_source"]))
    assert f"支付明细合计 0.00 元（{files}）" in result.example()


@pytest.mark.parametrize("rule_id", ["FIN-001", "FIN-002", "REC-001", "REC-002", "REC-004", "REC-010", "REC-008",
                                     "REC-009", "STA-003", "REG-006"])
def test_a_figure_compared_with_another_figure_is_not_called_right(base, rule_id):
    """Every rule that sets a figure against another figure of the data names that figure and says 相差 (FIN-001's
    执行数 against its 预算数: either may be the wrong one); a rule that states what is right (FIN-006's 大于 0.00)
    still says 应为."""
    name, change = MUTATIONS[rule_id]
    result = next(r for r in run_gate(mutated(base, name, change), PARAMS).for_department(LIWAN)
                  if r.rule.rule_id == rule_id)
    text = result.example()
    assert result.rule.expected_label and f"，{result.rule.expected_label} " in text and "应为" not in text, text
    if result.rule.difference:
        assert "，相差 " in text
    if result.rule.counterpart:
        dataset = result.rule.counterpart[0]
        assert f"（{data_file(base, dataset)}" in text, text
    fin = next(r for r in run_gate(mutated(base, *MUTATIONS["FIN-006"]), PARAMS).fatal(LIWAN)
               if r.rule.rule_id == "FIN-006")
    assert "，应为 大于 0.00" in fin.example()


def test_every_rule_that_compares_two_figures_names_the_other():
    """The kind, for rules to come: a rule whose compared value is a column of its view (a figure of the data, not a
    value the rule states) names that figure, so that its refusal never says 应为 of it."""
    unnamed = [r.rule_id for r in load_rules() if r.expected and not r.expected_label]
    assert unnamed == []


def test_a_rules_key_and_counterpart_are_columns_of_its_view(base):
    """A mistyped ``key`` would be dropped from the refusal unseen, a mistyped ``counterpart`` column would stop the
    lookup: each is checked against the view the rule reads, built from the sample; a ``key_labels`` entry names one
    of the keys, and a ``unit`` is one the refusal knows how to say."""
    from tasks.quality.rundb import run_database

    with run_database() as db:
        db.build(base.year, base.departments, base.frames)
        for rule in load_rules():
            named = set(rule.key) | set(rule.counterpart[1] if rule.counterpart else ())
            if named:
                columns = set(db.duckdb.execute(f'SELECT * FROM "chk_{rule.view}" LIMIT 0').df().columns)
                assert named <= columns, (rule.rule_id, named - columns)
                staged = set(db.duckdb.execute(f'SELECT * FROM "stg_{rule.counterpart[0]}" LIMIT 0').df().columns) \
                    if rule.counterpart else named
                assert set(rule.counterpart[1] if rule.counterpart else ()) <= staged, rule.rule_id
            assert set(dict(rule.key_labels)) <= set(rule.key), rule.rule_id  # a label of no key would be lost unseen
            assert rule.unit in (None, "fen", *DIFFERENCE_WORDS), rule.rule_id


def test_a_large_figure_is_written_in_full(base):
    """A statistic of seven digits was shown as 1.31524e+06 in the refusal, the CSVs and the report's 数据质量说明:
    a figure in full, never with an exponent."""
    data = mutated(base, "indicators", lambda f: at(f, liwan_ind(f, 2022), "value", 1315243.3))
    result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "STA-003")
    text = result.example()
    assert "数值（value）=1315243.3，上年值 18640.35，相差 1296602.95" in text, text  # 6 digits said 18640.3
    assert "e+" not in "".join(result.failing["record"]) + "".join(result.failing["value_provided"])


def data_file(data: RunData, dataset: str) -> str:
    frame = data[dataset]
    return str(frame.loc[frame["department_code"] == LIWAN, "_source"].iloc[0])


def test_fin_002_never_expects_a_negative_carryover(base):
    """Over budget (FIN-001's failure), nothing is left to carry over: a carryover of 0 passes FIN-002, and a
    positive one fails it against 0.00, not against the negative unspent amount."""
    def overspent(carryover: int):
        return lambda f: at(at(f, first(f), "executed", f["budget"].iloc[0] + 100), first(f), "carryover", carryover)

    report = run_gate(mutated(base, "budget_lines", overspent(0)), PARAMS)
    outcome = {r.rule.rule_id: r.success for r in report.for_department(LIWAN)}
    assert outcome["FIN-001"] is False and outcome["FIN-002"] is True
    report = run_gate(mutated(base, "budget_lines", overspent(500)), PARAMS)
    row = next(r for r in report.fatal(LIWAN) if r.rule.rule_id == "FIN-002").failing.iloc[0]
    assert (row["value_provided"], row["expected_value"], row["difference"]) == ("5.00", "0.00", "5.00")


@pytest.mark.parametrize(("rule_id", "field"), [("REC-001", "executed"), ("REC-002", "budget"), ("REC-004", "budget")])
def test_a_total_rule_shows_the_figure_of_the_row_it_names(base, rule_id, field):
    """The error row names the 决算总表's 合计 row, so its value is that row's figure; 应为 is what its parts (or
    the budget lines) add up to."""
    name, change = MUTATIONS[rule_id]
    row = next(r for r in run_gate(mutated(base, name, change), PARAMS).fatal(LIWAN)
               if r.rule.rule_id == rule_id).failing.iloc[0]
    summary = base.frames["summary"]
    total = summary[(summary["department_code"] == LIWAN) & (summary["item"] == "合计")][field].iloc[0]
    assert row["source_file"].endswith("summary.csv") and row["field"] == field
    assert row["value_provided"] == f"{total / 100:.2f}" and row["value_provided"] != row["expected_value"]


def test_a_rule_failing_on_more_than_twenty_rows_counts_and_lists_them_all(base):
    """GX's SQL engine lists 20 failing rows unless told otherwise: 30 zero payments are 30 rows, not 20."""
    data = mutated(base, "payments", lambda f: at(f, f.index < 30, "amount", 0))
    result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "FIN-006")
    assert result.failing_count == 30 and len(result.failing) == 30


def test_fin_004_fails_every_payment_of_a_repeated_voucher_in_any_department(sample_dir):
    """A 支付凭证号 carried by two payments fails both, the first included, whichever departments they belong to
    (int_repeated_vouchers counts over the run); payments with no voucher are not repeats of each other."""
    other = "440103-SWJ"
    finance = make_source("finance", sample_dir / "finance")
    deps, _ = extract_departments(finance)
    data = assemble(2022, deps, [LIWAN, other], extract_finance(finance, 2022, [LIWAN, other]),
                    extract_registry(make_source("registry", sample_dir / "registry")),
                    extract_statistics(make_source("statistics", sample_dir / "statistics")))
    frames = copy.deepcopy(data.frames)
    pay = frames["payments"]
    mine, theirs = pay.index[pay["department_code"] == LIWAN], pay.index[pay["department_code"] == other]
    voucher = pay.loc[mine[0], "voucher_no"]
    pay.loc[theirs[1], "voucher_no"] = voucher  # another department's payment, the same voucher
    pay.loc[[mine[2], mine[3]], "voucher_no"] = None  # two payments with no voucher: not one voucher twice
    report = run_gate(RunData(data.year, data.departments, frames), PARAMS)
    failing = {code: next(r for r in report.for_department(code) if r.rule.rule_id == "FIN-004").failing
               for code in (LIWAN, other)}
    for code, at in ((LIWAN, mine[0]), (other, theirs[1])):
        rows = failing[code]
        assert rows["value_provided"].tolist() == [voucher], code  # the voucher named, not the flag
        assert rows["field"].tolist() == ["voucher_no"]
        assert rows["row_number"].tolist() == [str(int(pay.loc[at, "_row"]))]


@pytest.mark.parametrize("limit", ["8MB", "12MB"])
def test_the_gate_out_of_memory_stops_the_run_instead_of_refusing_the_data(base, limit):
    """DuckDB out of memory while GX checks the views is no verdict on the data: the gate raises DuckDB's error
    (the flow then ends in one line naming SELFEVAL_RUN_MEMORY_LIMIT) instead of GX's "test query failed" (as
    at 8MB, trying a view), or of every department refused on rules that "could not be evaluated" (as at 12MB,
    evaluating them). Either limit stages the sample, not all its checks."""
    import duckdb

    with pytest.raises(duckdb.OutOfMemoryException, match=r"^Out of Memory Error"):
        run_gate(base, PARAMS, memory_limit=limit)


@pytest.mark.parametrize("found", [
    "Out of Memory Error: failed to pin block of size 256.0 KiB (61.0 MiB/61.0 MiB used)",
    "(_duckdb.OutOfMemoryException) Out of Memory Error: failed to pin block of size 256.0 KiB",
])
def test_an_out_of_memory_message_gx_kept_is_raised_as_duckdbs_error(found):
    import duckdb

    from tasks.quality.gate import stop_if_out_of_memory

    with pytest.raises(duckdb.OutOfMemoryException) as raised:
        stop_if_out_of_memory(found)
    assert str(raised.value).startswith("Out of Memory Error: failed to pin block")


def test_an_out_of_memory_error_behind_gxs_own_is_raised_and_others_are_not():
    import duckdb

    from tasks.quality.gate import stop_if_out_of_memory

    cause = duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
    try:
        try:
            raise cause
        except duckdb.OutOfMemoryException as exc:
            raise RuntimeError("Attempt to connect to table: chk_x failed because the test query failed.") from exc
    except RuntimeError as wrapped:
        with pytest.raises(duckdb.OutOfMemoryException) as raised:
            stop_if_out_of_memory(wrapped)
    assert raised.value is cause
    stop_if_out_of_memory(ValueError("No value found for $PARAMETER year"))  # not memory: nothing raised
    stop_if_out_of_memory("a column does not exist")


def test_a_counterpart_is_selected_within_its_department():
    """A compared figure's files are looked up by department first; an entry that does not say so is refused as
    the registry is read, not at the first failing row."""
    from tasks.quality.rules import _counterpart

    assert _counterpart({"dataset": "payments", "on": ["department_code", "line_id"]}) == (
        "payments", ("department_code", "line_id"))
    assert _counterpart(None) is None
    with pytest.raises(ValueError, match="department_code"):
        _counterpart({"dataset": "payments", "on": ["line_id"]})


def test_a_difference_of_days_and_a_summary_s_row_say_what_they_are(base):
    """REG-006 sets two dates against each other: its 相差 is a count of days and says so (``相差 -8035 天``), not a
    bare number read as 元 beside the money rules'; REC-010's key is the 决算总表's row, which the contract calls 项目,
    and its refusal calls it 决算总表项目, not a 项目 (a project) the operator would look for among the projects; a date
    outside the year names the year (``应为 2022 年内的日期``), not "the report's year"."""
    def example(rule_id: str) -> str:
        name, change = MUTATIONS[rule_id]
        return next(r for r in run_gate(mutated(base, name, change), PARAMS).for_department(LIWAN)
                    if r.rule.rule_id == rule_id).example()

    days = example("REG-006")
    assert re.search(r"，相差 -\d+ 天$", days), days
    outside = example("FIN-005")  # a payment of 2021 in the 2022 ledger: the year it should be in, named
    assert outside.endswith("支付日期（pay_date）=2021-12-31，应为 2022 年内的日期（a date in 2022）"), outside
    row = example("REC-010")
    assert "（决算总表项目 " in row and "（项目 " not in row, row


def test_the_units_the_report_reads_the_statistics_in_come_from_its_metrics():
    """STA-004's reference: each 指标代码 a metric sums over the statistics, with the metric's unit."""
    units = indicator_units(load_registry(TEMPLATES_DIR / "metrics.yaml"))
    rows = set(zip(units["indicator_code"], units["industry"].fillna(""), units["unit"], strict=True))
    assert {("RETAIL", "全部行业", "亿元"), ("TOURISTS", "全部行业", "万人次"), ("RD_EXP", "", "万元")} <= rows
    assert len(rows) == len(units)


def test_an_indicator_in_another_unit_is_refused_naming_its_unit_and_the_report_s(base):
    """RETAIL's 2021 value written in 万元 (so ×10,000): refused, naming the row's unit and the one the report reads
    it in, for each year the report reads (growth reads the year before); a 计量单位 the report does not read is left
    alone (GIOV's)."""
    data = mutated(base, "indicators", lambda f: at(at(f, (f["indicator_code"] == "RETAIL") & (f["year"] == 2021),
                                                       "unit", "万元"), f["indicator_code"] == "GIOV", "unit", "万元"))
    result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "STA-004")
    rows = result.failing
    assert len(rows) == 1 and rows["value_provided"].tolist() == ["万元"], rows
    assert rows["expected_value"].tolist() == ["亿元"]
    said = "第 24 行（指标代码 RETAIL，年份 2021）：计量单位（unit）=万元，报告口径单位 亿元"
    assert result.example().endswith(said), result.example()


def test_lines_each_within_the_tolerance_that_add_up_beyond_it_are_said(base):
    """Each budget line's payments 99.99 元 short of its 执行数, within REC-003's 100 元 a line: the report's 执行数
    (the payments') was 0.16 万元 below the 决算总表's with no word. REC-011 warns, naming the 决算总表's 合计 row and
    the department's difference."""
    data = mutated(base, "payments", lambda f: at(f, ~f["line_id"].duplicated(), "amount", f["amount"] - 9_999))
    results = {r.rule.rule_id: r for r in run_gate(data, PARAMS).for_department(LIWAN)}
    assert results["REC-003"].success and not results["REC-011"].success
    lines = int(base.frames["payments"]["line_id"].nunique())
    said = results["REC-011"].example()
    assert "summary.csv 第 " in said and "：全年执行数（executed）=" in said, said
    assert said.endswith(f"payments.csv），相差 {lines * 99.99:.2f} 元"), said


def test_a_blank_project_actual_is_named_at_the_self_assessment_row_the_department_mends(base):
    """PRJ-005 named the 绩效目标's row (project_targets.csv) with the 三级指标's name as the 实际完成值: the department
    went to the wrong file. It names the 绩效自评's row, the project and the 三级指标, and the blank value."""
    data = mutated(with_projects(base), "project_self_assessment", lambda f: at(f, first(f), "actual", None))
    result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "PRJ-005")
    row = result.failing.iloc[0]
    assert (row["source_file"], row["row_number"], row["value_provided"]) == (
        "project_self_assessment.csv", "2", ""), row
    project = data.frames["project_self_assessment"]["project_code"].iloc[0]
    said = (f"project_self_assessment.csv 第 2 行（项目编码 {project}，三级指标 服务企业数）："
            "实际完成值（actual）=，应为 ")
    assert result.example().startswith(said), result.example()



def spelled(n: int) -> list[str]:
    """``n`` ways of writing 亿元 as offices do."""
    return (["亿 元", "人民币亿元", "亿元（人民币）", "(亿元)"] * n)[:n]


@pytest.mark.parametrize("change", [
    # a year the report does not read (it reads its year and the one before)
    lambda f: at(f, (f["indicator_code"] == "RETAIL") & (f["year"] == 2019), "unit", "万元"),
    # an industry the metric does not read (retail_sales reads 全部行业)
    lambda f: pd.concat([f, f[f["indicator_code"] == "RETAIL"].iloc[[0]].assign(industry="批发业", unit="万元")],
                        ignore_index=True),
    # the report's unit written another way
    lambda f: at(f, f["indicator_code"] == "RETAIL", "unit", spelled((f["indicator_code"] == "RETAIL").sum())),
])
def test_statistics_the_report_does_not_read_or_read_in_its_unit_pass_sta_004(base, change):
    """STA-004 refused a RETAIL row of 2019, of 批发业, or written 亿 元 (the review): none is read in another unit."""
    result = next(r for r in run_gate(mutated(base, "indicators", change), PARAMS).for_department(LIWAN)
                  if r.rule.rule_id == "STA-004")
    assert result.success, result.example()


def test_a_project_actual_written_as_a_fraction_is_warned_of_with_both_readings(base):
    """老字号企业满意度 93 written 0.93 against ≥90 %: the project form scored 0.93 % (总分 77.75 中 for 87.65 良) with
    no warning, where the department's own 绩效自评 warns (PRF-008): PRJ-008 warns with both readings."""
    data = mutated(with_projects(base), "project_self_assessment",
                   lambda f: at(f, f["indicator"] == "服务对象满意度", "actual", "0.93"))
    result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "PRJ-008")
    assert not result.success and "0.93（按 0.93% 计分；若指 93%，请填写 93）" in result.example(), result.example()
    for target, unit in (("≥90%", "%"), ("90%", ""), ("90%", None)):  # as a cell formatted as a percentage reads
        data = mutated(data, "project_targets", lambda f, t=target, u=unit: at(
            at(f, f["indicator"] == "服务对象满意度", "target", t), f["indicator"] == "服务对象满意度", "unit", u))
        result = next(r for r in run_gate(data, PARAMS).for_department(LIWAN) if r.rule.rule_id == "PRJ-008")
        assert not result.success, (target, unit)
