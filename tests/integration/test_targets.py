"""A department added with data files only: its 绩效目标 and 绩效自评 are checked, loaded and scored in
the 自评表, matching a table worked by hand; a bad target refuses only that department-year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from tasks.quality.outputs import read_report

FGJ = "440103-FGJ"
NAME = "广州市荔湾区发展和改革局（测试）"


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


TARGETS_HEADER = ["部门编码", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "计量单位", "分值",
                  "完成值来源"]
TARGETS = [
    [FGJ, "产出指标", "数量指标", "重点项目前期研究完成数", "≥", "8", "个", "20", "reported"],
    [FGJ, "产出指标", "时效指标", "二季度末支付进度", "≥", "60", "%", "15", "paid_q2"],
    [FGJ, "产出指标", "成本指标", "结转结余率", "≤", "10", "%", "15", "carryover_rate"],
    [FGJ, "效益指标", "社会效益指标", "价格监测报告按期发布", "定性", "按月发布", "", "15", "reported"],
    [FGJ, "效益指标", "经济效益指标", "重点项目投资完成率", "=", "100", "%", "15", "reported"],
    [FGJ, "满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", "10", "reported"],
]
ASSESSED_HEADER = ["部门编码", "三级指标", "实际完成值", "偏差原因分析及改进措施", "佐证材料"]
ASSESSED = [
    [FGJ, "重点项目前期研究完成数", "6", "两个项目因规划调整顺延至下年。", "项目前期研究验收清单"],
    [FGJ, "价格监测报告按期发布", "部分达成", "", "价格监测月报"],
    [FGJ, "重点项目投资完成率", "90", "", "重点项目投资统计表"],
    [FGJ, "服务对象满意度", "95", "", "满意度调查汇总表"],
]


def add_department(zone: Path, targets: list[list[str]] = TARGETS, assessed: list[list[str]] = ASSESSED) -> None:
    """发展和改革局 in 荔湾区: three budget lines (one of 上年结转), three payments, its 决算总表, its
    绩效目标 and 绩效自评, and a narrative; amounts in 元."""
    with (zone / "finance" / "departments.csv").open("a", encoding="utf-8") as f:
        f.write(f"{FGJ},{NAME},440103,荔湾区,是\n")
    folder = zone / "finance" / "2022" / FGJ
    gpb = "一般公共预算财政拨款"
    write(folder / "budget_lines.csv",
          ["部门编码", "指标编号", "项目编码", "项目名称", "资金来源", "支出性质", "全年预算数", "全年执行数",
           "年末结转和结余", "年初预算数", "资金性质"],
          [[FGJ, "FG-1", "JB01", "在职人员工资福利", gpb, "基本支出", "1000000.00", "1000000.00", "0.00",
            "1000000.00", "当年财政拨款"],
           [FGJ, "FG-2", "XM01", "价格监测经费", gpb, "项目支出", "600000.00", "450000.00", "150000.00",
            "500000.00", "当年财政拨款"],
           [FGJ, "FG-3", "XM02", "重点项目前期经费", gpb, "项目支出", "400000.00", "310000.00", "90000.00",
            "0.00", "上年结转"]])
    write(folder / "payments.csv",
          ["支付凭证号", "部门编码", "指标编号", "支付日期", "收款人全称", "支出经济分类", "支付金额"],
          [["FGP-1", FGJ, "FG-1", "2022-06-30", "本部门（工资统发）", "30101", "1000000.00"],
           ["FGP-2", FGJ, "FG-2", "2022-03-15", "广州某咨询有限公司", "30227", "450000.00"],
           ["FGP-3", FGJ, "FG-3", "2022-11-20", "广州某设计院有限公司", "30227", "310000.00"]])
    write(folder / "summary.csv", ["部门编码", "项目", "全年预算数", "全年执行数", "年末结转和结余"],
          [[FGJ, "合计", "2000000.00", "1760000.00", "240000.00"],
           [FGJ, "一般公共预算财政拨款", "2000000.00", "1760000.00", "240000.00"],
           [FGJ, "基本支出", "1000000.00", "1000000.00", "0.00"],
           [FGJ, "项目支出", "1000000.00", "760000.00", "240000.00"]])
    write(folder / "targets.csv", TARGETS_HEADER, targets)
    write(folder / "self_assessment.csv", ASSESSED_HEADER, assessed)
    (zone / "narrative" / "2022" / f"{FGJ}.yaml").write_text(f"""department: {FGJ}
year: 2022
functions: ["负责全区发展改革工作。"]
goals: ["完成重点项目前期研究。", "按月发布价格监测报告。"]
key_tasks: ["推进重点项目前期工作。"]
conclusion: {{summary: 各项工作基本完成}}
task_analysis: "全年完成重点项目前期研究，按月发布价格监测报告。"
achievements: "全年预算执行率 {{{{ execution_rate }}}}%。"
""", encoding="utf-8")


@pytest.fixture
def light_report(tmp_path, monkeypatch) -> None:
    config = tmp_path / "report.yaml"
    config.write_text("formats: [md]\nappendices: true\ncharts: false\nappendices_in_markdown: true\n",
                      encoding="utf-8")
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(config))


def run(zone: Path, out: Path):
    from flows.self_evaluation import self_evaluation

    return self_evaluation(year=2022, departments=[FGJ], source=str(zone), warehouse_url=f"duckdb:///{out}/wh.duckdb",
                           output_dir=str(out / "out"), return_state=True)


def table_rows(md: str, first_cell: str) -> list[str]:
    """The lines of the Markdown table whose header starts with ``first_cell``, header and rule skipped."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_cell} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_a_department_added_with_data_files_only_is_scored_as_worked_by_hand(
        prefect_harness, sample_copy, tmp_path, light_report):
    add_department(sample_copy)
    state = run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    md = (tmp_path / "out" / "2022" / FGJ / "report.md").read_text(encoding="utf-8")

    # Funds (元 → 万元): 200.00 budgeted, 176.00 executed: 88 % × 10 = 8.80. 当年财政拨款 lines FG-1 and FG-2:
    # 年初 150.00, 全年 160.00, 执行 145.00 (90.625 % → 90.63 %); 上年结转 FG-3: 0.00 / 40.00 / 31.00 (77.50 %).
    assert table_rows(md, "（一）年度资金") == [
        "| 年度资金总额 | 150.00 | 200.00 | 176.00 | 10 | 88.00% | 8.80 |",
        "| 其中：当年财政拨款 | 150.00 | 160.00 | 145.00 | — | 90.63% | — |",
        "| 　　　上年结转资金 | 0.00 | 40.00 | 31.00 | — | 77.50% | — |",
        "| 　　　其他资金 | — | 0.00 | 0.00 | — | — | — |",
    ]
    # 6 of 8 → 6/8 × 20 = 15.00; 72.5 % ≥ 60 % → 15.00; 结转结余率 24/176 = 13.64 % > 10 %: 15 × 10/13.636 = 11.00;
    # 部分达成 → 15 × 0.5 = 7.50; 90 against = 100: 15 × (1 − 10/100) = 13.50; 95 % ≥ 90 % → 10.00.
    # Σ 72.00 of 90; 总分 8.80 + 72.00 = 80.80 → 良好.
    assert table_rows(md, "一级指标") == [
        "| 产出指标 | 数量指标 | 重点项目前期研究完成数 | ≥8个 | 6个（自报） | 20 | 15.00 | "
        "两个项目因规划调整顺延至下年。 |",
        "| 产出指标 | 时效指标 | 二季度末支付进度 | ≥60% | 72.50% | 15 | 15.00 |  |",
        "| 产出指标 | 成本指标 | 结转结余率 | ≤10% | 13.64% | 15 | 11.00 | 未说明偏差原因 |",
        "| 效益指标 | 社会效益指标 | 价格监测报告按期发布 | 按月发布 | 部分达成（自报） | 15 | 7.50 | 未说明偏差原因 |",
        "| 效益指标 | 经济效益指标 | 重点项目投资完成率 | =100% | 90.00%（自报） | 15 | 13.50 | 未说明偏差原因 |",
        "| 满意度指标 | 服务对象满意度指标 | 服务对象满意度 | ≥90% | 95.00%（自报） | 10 | 10.00 |  |",
        "| 合计 |  |  |  |  | 90 | 72.00 |  |",
        "| 总分 |  |  |  |  | 100 | 80.80 | 自评等级：良好 |",
    ]
    assert "部门整体支出绩效自评良好。" in md

    engine = sa.create_engine(f"duckdb:///{tmp_path}/wh.duckdb")
    with engine.connect() as conn:
        published = conn.execute(sa.text("SELECT total, grade FROM mart_score WHERE department_code = :d"),
                                 {"d": FGJ}).one()
        reported = conn.execute(sa.text("SELECT count(*) FROM fct_performance_actual WHERE department_code = :d"),
                                {"d": FGJ}).scalar_one()
    engine.dispose()
    assert (str(published[0]), published[1]) == ("80.80", "良好")
    assert reported == 4


def test_a_target_written_with_its_sign_and_unit_scores_as_the_bare_number(
        prefect_harness, sample_copy, tmp_path, light_report):
    """Published tables write ≥8个, ≤10%, =100%; the 指标值 may carry its own 指标性质's sign and its
    计量单位, and an actual its unit: the 自评表 is the same as for the bare numbers."""
    signed = [list(r) for r in TARGETS]
    signed[0][5], signed[1][5], signed[2][5], signed[4][5], signed[5][5] = "≥8个", ">=60%", "≤10%", "=100", "≧90％"
    assessed = [list(r) for r in ASSESSED]
    assessed[0][2] = "6个"
    add_department(sample_copy, signed, assessed)
    state = run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    md = (tmp_path / "out" / "2022" / FGJ / "report.md").read_text(encoding="utf-8")
    rows = table_rows(md, "一级指标")
    assert rows[0].startswith("| 产出指标 | 数量指标 | 重点项目前期研究完成数 | ≥8个 | 6个（自报） | 20 | 15.00 |")
    assert [r.split(" | ")[3] for r in rows[:6]] == ["≥8个", "≥60%", "≤10%", "按月发布", "=100%", "≥90%"]
    assert rows[-1] == "| 总分 |  |  |  |  | 100 | 80.80 | 自评等级：良好 |"


def refused(state) -> str:
    assert not state.is_completed()
    return str(state.message)


def errors(out: Path) -> list[dict[str, str]]:
    """The gate's error report of the department-year (rule, field, source file, row, …)."""
    return read_report(out / "out" / "2022" / FGJ / "data-quality-errors.csv").to_dict("records")


def nothing_loaded(out: Path) -> bool:
    engine = sa.create_engine(f"duckdb:///{out}/wh.duckdb")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM fct_budget_line WHERE department_code = :d"),
                            {"d": FGJ}).scalar_one()
    engine.dispose()
    return rows == 0


@pytest.mark.parametrize(("row", "column", "value", "named"), [
    # a metric the registry does not have: refused before anything loads
    (1, 8, "paid_q9", ["targets.csv，第 3 行，「完成值来源 (actual_source)", "'paid_q9' is not a metric"]),
    # a metric with one value per industry (a growth of one) cannot be one figure
    (1, 8, "rd_growth", ["targets.csv，第 3 行，「完成值来源", "one value per industry"]),
    # a 指标性质 the contract does not know
    (0, 4, ">=", ["targets.csv，第 2 行，「指标性质", "'>=' is not a known value"]),
    # a percentage metric against a count's unit, a count against %: the values cannot be compared
    (1, 6, "个", ["targets.csv，第 3 行，「计量单位 (unit)", "'paid_q2' is a percentage, but the 计量单位 is 个"]),
    (1, 6, "", ["targets.csv，第 3 行，「计量单位 (unit)", "'paid_q2' is a percentage, but the 计量单位 is empty"]),
    # 分值 that do not make 100 with the funds block's 10: the 总分 would not be out of 100
    (0, 7, "30", ["targets.csv，「分值 (weight)」列", "the 分值 add up to 110 with the 10 of the profile's own",
                  "分值 adding up to 90"]),
])
def test_a_target_the_registry_or_contract_cannot_use_refuses_before_loading(
        prefect_harness, sample_copy, tmp_path, light_report, row, column, value, named):
    targets = [list(r) for r in TARGETS]
    targets[row][column] = value
    add_department(sample_copy, targets)
    message = refused(run(sample_copy, tmp_path))
    for text in named:
        assert text in message, message
    assert nothing_loaded(tmp_path)


@pytest.mark.parametrize(("rule", "targets", "assessed", "file", "row", "field"), [
    # a quantitative target that is not a number
    ("PRF-002", [[*TARGETS[0][:5], "八个", *TARGETS[0][6:]], *TARGETS[1:]], ASSESSED, "targets.csv", "2", "target"),
    # a sign that contradicts the 指标性质 (≤ written for a ≥ target), and a unit not the row's own
    ("PRF-002", [[*TARGETS[0][:5], "≤8", *TARGETS[0][6:]], *TARGETS[1:]], ASSESSED, "targets.csv", "2", "target"),
    ("PRF-002", [[*TARGETS[0][:5], "8家", *TARGETS[0][6:]], *TARGETS[1:]], ASSESSED, "targets.csv", "2", "target"),
    # a qualitative actual that is not 达成 / 部分达成 / 未达成: the 绩效自评's row
    ("PRF-004", TARGETS, [ASSESSED[0], [*ASSESSED[1][:2], "基本完成", *ASSESSED[1][3:]], *ASSESSED[2:]],
     "self_assessment.csv", "3", "actual"),
    # a reported target with no 实际完成值: the target's row
    ("PRF-004", TARGETS, ASSESSED[:-1], "targets.csv", "7", "actual"),
    # the same 三级指标 twice
    ("PRF-001", [*TARGETS, [*TARGETS[0][:7], "0", TARGETS[0][8]]], ASSESSED, "targets.csv", "8", "indicator"),
])
def test_a_bad_target_or_actual_is_refused_by_the_gate_naming_file_row_and_field(
        prefect_harness, sample_copy, tmp_path, light_report, rule, targets, assessed, file, row, field):
    add_department(sample_copy, targets, assessed)
    assert rule in refused(run(sample_copy, tmp_path))
    hits = [e for e in errors(tmp_path) if e["rule"] == rule]
    assert hits, errors(tmp_path)
    assert row in {h["row_number"] for h in hits}  # a duplicate names both rows
    assert all(h["source_file"].endswith(f"{FGJ}/{file}") and h["field"] == field for h in hits)
    assert nothing_loaded(tmp_path)
