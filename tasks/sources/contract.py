"""The data contract as data: every dataset, its columns, types, units and keys.

``docs/data-contract.md`` is the prose for people; this module is what the readers and
the staging step enforce, and a test keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from tasks.domain import (
    APPLICATION_RESULTS,
    EXPENSE_TYPE_NAMES,
    FUND_NATURES,
    FUND_SOURCE_NAMES,
    LIKELIHOODS,
    REASON_CATEGORIES,
    SUMMARY_ITEMS,
    TARGET_NATURES,
)

# A department code names folders and files: letters, digits, "-", "_" and "." only, so that no
# code can reach outside the landing zone or the output folder.
DEPARTMENT_CODE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def department_choice(code: str, name: str | None) -> str:
    """A department as the run form's picker offers it, 编码 then 名称:
    ``"440103-KGXJ 广州市荔湾区科技工业和信息化局"``; the code alone when its name is unknown.
    :func:`department_code` reads it back."""
    return f"{code} {name.strip()}" if name and name.strip() else code


def department_code(value: object) -> object:
    """The code of a department as a run's parameters give it: the picker's 编码 名称
    (``"440103-KGXJ 广州市荔湾区科技工业和信息化局"`` → ``"440103-KGXJ"``) or the code alone, as scripts pass it.
    Anything else is returned as given, for the code's own check to refuse: a code mistyped with a space
    (``"440103 KGXJ"``, whose second part reads as a code, not as a name) included."""
    if isinstance(value, str) and value.strip():
        parts = value.split(maxsplit=1)
        if len(parts) == 1 or not re.fullmatch(DEPARTMENT_CODE, parts[1]):
            return parts[0]
    return value

Kind = Literal["text", "code", "money", "integer", "decimal", "date", "year", "enum", "uscc", "bool"]
SourceName = Literal["finance", "statistics", "registry"]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    allow_negative: bool = False
    description: str = ""
    pattern: str | None = None  # a regular expression every value must match in full
    nfkc: bool = False  # text read as an IME may type it: full-width digits (９５％) become 95%
    # the longest text the warehouse stores for it (its column's length there); staging refuses longer,
    # naming the cell, so that no engine truncates or rejects it at the load
    max_length: int | None = None
    # a workbook cell formatted as a percentage is read as the text it shows (0.95 shown 95% → "95%")
    percent_cells: bool = False
    # a comparison in words is read as its sign: 不低于95% is ≥95%, 95%以上 is ≥95% (staging.comparison)
    comparison: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that maps to this column, canonical name first."""
        return (self.name, self.label, *self.aliases)


@dataclass(frozen=True)
class Dataset:
    name: str
    source: SourceName
    title: str
    path: str  # file path under the source's folder; {year} and {department} are filled in
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unit: str = "元"  # unit of money columns when the file does not declare one
    per_department: bool = False
    optional: bool = False  # the file may be absent: the department-year then has no rows of it
    # a malformed file of it is not used, with a warning naming its first problem (file, row, column): it never
    # refuses the department-year (the 双监控's submission and follow-up: monitoring warns, it does not block loads)
    lenient: bool = False
    # a header with no records is a valid export ("nothing yet": a ledger in January), not an error
    may_be_empty: bool = False
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def money_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "money")

    @property
    def label(self) -> str:
        """The dataset's Chinese name, as a Chinese sentence names it: ``"国库集中支付明细"``."""
        return self.title.split(" (", 1)[0]


DEPARTMENTS = Dataset(
    name="departments",
    source="finance",
    title="预算单位名录 (budget units)",
    path="departments.csv",
    key=("department_code",),
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码", "预算单位编码"), pattern=DEPARTMENT_CODE),
        Column("department_name", "部门名称", "text", aliases=("单位名称", "预算单位名称"), max_length=200),
        Column("region_code", "行政区划代码", "code", max_length=12),
        Column("region_name", "行政区划", "text", max_length=100),
        Column("synthetic", "模拟数据", "bool", required=False,
               description="是 when the department is invented for testing; 否 otherwise"),
    ),
)

BUDGET_LINES = Dataset(
    name="budget_lines",
    source="finance",
    title="预算指标明细 (budget and execution per budget line)",
    path="{year}/{department}/budget_lines.csv",
    key=("department_code", "line_id"),
    per_department=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("line_id", "指标编号", "code", aliases=("指标文号",), max_length=64),
        Column("project_code", "项目编码", "code", max_length=64),
        Column("project_name", "项目名称", "text", max_length=200),
        Column("fund_source", "资金来源", "enum", choices=FUND_SOURCE_NAMES),
        Column("expense_type", "支出性质", "enum", choices=EXPENSE_TYPE_NAMES, aliases=("支出类型",)),
        Column("budget", "全年预算数", "money", aliases=("预算数", "年度预算数")),
        Column("executed", "全年执行数", "money", aliases=("执行数", "支出数")),
        Column("carryover", "年末结转和结余", "money", aliases=("结转结余", "年末结转结余")),
        Column("initial_budget", "年初预算数", "money", required=False, nullable=True, aliases=("年初预算",),
               description="the budget as first approved; the 自评表's funds block shows it when given"),
        Column("fund_nature", "资金性质", "enum", choices=FUND_NATURES, required=False, nullable=True,
               description="当年财政拨款 or 上年结转; the 自评表's funds block splits by it when given"),
    ),
)

PAYMENTS = Dataset(
    name="payments",
    source="finance",
    title="国库集中支付明细 (treasury payment ledger, one row per payment)",
    path="{year}/{department}/payments.csv",
    key=("voucher_no",),
    per_department=True,
    may_be_empty=True,
    columns=(
        Column("voucher_no", "支付凭证号", "code", aliases=("凭证号",), max_length=64),
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("line_id", "指标编号", "code", aliases=("指标文号",), max_length=64),
        Column("pay_date", "支付日期", "date"),
        Column("payee", "收款人全称", "text", aliases=("收款人",), max_length=200),
        Column("economic_class", "支出经济分类", "code", aliases=("经济分类",), max_length=16),
        Column("amount", "支付金额", "money", aliases=("金额",)),
    ),
)

SUMMARY = Dataset(
    name="summary",
    source="finance",
    title="收支决算总表 (the department's own totals, as its 决算 states them)",
    path="{year}/{department}/summary.csv",
    key=("department_code", "item"),
    per_department=True,
    # comes with the 决算, after the year closes: a department-year without it is an open year (in-year
    # monitoring), unless SELFEVAL_CLOSED_YEARS says the year is closed, when it is required
    optional=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("item", "项目", "enum", choices=SUMMARY_ITEMS),
        Column("budget", "全年预算数", "money", aliases=("预算数", "年度预算数")),
        Column("executed", "全年执行数", "money", aliases=("执行数", "支出数")),
        Column("carryover", "年末结转和结余", "money", aliases=("结转结余", "年末结转结余")),
    ),
)

INDICATORS = Dataset(
    name="indicators",
    source="statistics",
    title="统计指标 (statistics indicators by region, year and industry)",
    path="indicators.csv",
    key=("region_code", "year", "indicator_code", "industry"),
    columns=(
        Column("region_code", "行政区划代码", "code", max_length=12),
        Column("region_name", "行政区划", "text", max_length=100),
        Column("year", "年份", "year", aliases=("统计年度",)),
        Column("indicator_code", "指标代码", "code", max_length=32),
        Column("indicator_name", "指标名称", "text", max_length=100),
        Column("industry", "行业", "text", aliases=("国民经济行业",), max_length=100),
        Column("value", "数值", "decimal", aliases=("指标值",)),
        Column("unit", "计量单位", "text", aliases=("单位",), max_length=20),
    ),
)

ENTERPRISES = Dataset(
    name="enterprises",
    source="registry",
    title="企业登记信息 (enterprise registry)",
    path="enterprises.csv",
    key=("uscc",),
    columns=(
        Column("uscc", "统一社会信用代码", "uscc"),
        Column("name", "企业名称", "text", max_length=200),
        Column("region_code", "注册地行政区划代码", "code", aliases=("行政区划代码",), max_length=12),
        Column("industry", "所属行业", "text", aliases=("行业",), max_length=100),
        Column("established", "成立日期", "date"),
        Column("status", "登记状态", "enum", choices=("存续", "在业", "注销", "吊销")),
    ),
)

APPLICATIONS = Dataset(
    name="applications",
    source="registry",
    title="企业申报与认定 (applications and certifications)",
    path="applications.csv",
    key=("application_id",),
    columns=(
        Column("application_id", "申报编号", "code", max_length=64),
        Column("uscc", "统一社会信用代码", "uscc"),
        Column("program", "申报类型", "text",
               description="any programme the registry carries (省级专精特新中小企业, 高新技术企业认定, …); "
                           "metrics filter on it", max_length=50),
        Column("year", "申报年度", "year"),
        Column("department_code", "受理部门编码", "code", aliases=("受理部门",), pattern=DEPARTMENT_CODE),
        Column("submitted", "申报日期", "date"),
        Column("result", "认定结果", "enum", choices=APPLICATION_RESULTS),
    ),
)

INVESTMENT_PROJECTS = Dataset(
    name="investment_projects",
    source="registry",
    title="招商引资项目 (investment projects, signed and registered)",
    path="investment_projects.csv",
    key=("project_id",),
    unit="万元",
    columns=(
        Column("project_id", "项目编号", "code", max_length=64),
        Column("department_code", "招商部门编码", "code", aliases=("招商部门",), pattern=DEPARTMENT_CODE),
        Column("project_name", "项目名称", "text", max_length=200),
        Column("uscc", "项目公司统一社会信用代码", "uscc", nullable=True,
               description="empty until the project company is registered"),
        Column("signed", "签约日期", "date"),
        Column("registered", "注册日期", "date", nullable=True),
        Column("agreed_investment", "协议投资额", "money"),
        Column("agreed_output", "协议达产年产值或营收", "money"),
    ),
)

TARGETS = Dataset(
    name="targets",
    source="finance",
    title="绩效目标 (the performance targets approved with the budget, one row per 三级指标)",
    path="{year}/{department}/targets.csv",
    key=("department_code", "indicator"),
    per_department=True,
    optional=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("level1", "一级指标", "text", max_length=100),
        Column("level2", "二级指标", "text", max_length=100),
        Column("indicator", "三级指标", "text", aliases=("指标名称",), max_length=200),
        Column("nature", "指标性质", "enum", choices=TARGET_NATURES,
               description="≥ (more is better), ≤ (less is better), = (exactly) or 定性 (qualitative)"),
        Column("target", "指标值", "text", aliases=("年度指标值",), nfkc=True, max_length=200, percent_cells=True,
               comparison=True,
               description="a number for ≥, ≤ and =, with its sign in symbols or words (≥95%, 不低于95%, "
                           "95%以上); the expected outcome in words for 定性"),
        Column("unit", "计量单位", "text", required=False, nullable=True, nfkc=True,
               description="家, 个, %, 万元, 亿元, …; a metric's value is converted to it", max_length=20),
        Column("weight", "分值", "decimal"),
        Column("actual_source", "完成值来源", "text", aliases=("取值方式",),
               description="the metric of templates/metrics.yaml that gives the 实际完成值, or reported "
                           "(the department's 绩效自评 states it)", max_length=64),
    ),
)

SELF_ASSESSMENT = Dataset(
    name="self_assessment",
    source="finance",
    title="绩效自评 (the department's reported 实际完成值 and 偏差原因, one row per 三级指标)",
    path="{year}/{department}/self_assessment.csv",
    key=("department_code", "indicator"),
    per_department=True,
    optional=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("indicator", "三级指标", "text", aliases=("指标名称",), max_length=200),
        Column("actual", "实际完成值", "text", nullable=True, nfkc=True, max_length=200, percent_cells=True,
               description="required for a target whose 完成值来源 is reported: a number, or 达成 / 部分达成 / "
                           "未达成 for 定性; empty for a computed one (the warehouse gives it)"),
        Column("deviation", "偏差原因分析及改进措施", "text", required=False, nullable=True, aliases=("偏差原因",)),
        Column("evidence", "佐证材料", "text", required=False, nullable=True,
               description="where the evidence is: a document number, a file, a link"),
    ),
)

PROJECT_TARGETS = Dataset(
    name="project_targets",
    source="finance",
    title="项目绩效目标 (each project's performance targets, one row per project and 三级指标)",
    path="{year}/{department}/project_targets.csv",
    key=("department_code", "project_code", "indicator"),
    per_department=True,
    optional=True,
    description="the 项目支出绩效目标表 of each project the department spent on; the project is a 项目编码 of "
                "its budget lines",
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("project_code", "项目编码", "code", max_length=64),
        Column("level1", "一级指标", "text", max_length=100),
        Column("level2", "二级指标", "text", max_length=100),
        Column("indicator", "三级指标", "text", aliases=("指标名称",), max_length=200),
        Column("nature", "指标性质", "enum", choices=TARGET_NATURES,
               description="≥ (正向), ≤ (反向), = (等于) or 定性"),
        Column("target", "指标值", "text", aliases=("年度指标值",), nfkc=True, max_length=200, percent_cells=True,
               comparison=True,
               description="a number for ≥, ≤ and =, with its sign in symbols or words; the expected outcome in "
                           "words for 定性"),
        Column("unit", "计量单位", "text", aliases=("度量单位",), required=False, nullable=True, nfkc=True,
               max_length=20),
        Column("weight", "分值", "decimal"),
    ),
)

PROJECT_SELF_ASSESSMENT = Dataset(
    name="project_self_assessment",
    source="finance",
    title="项目绩效自评 (each project's 实际完成值, one row per project and 三级指标)",
    path="{year}/{department}/project_self_assessment.csv",
    key=("department_code", "project_code", "indicator"),
    per_department=True,
    optional=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("project_code", "项目编码", "code", max_length=64),
        Column("indicator", "三级指标", "text", aliases=("指标名称",), max_length=200),
        Column("actual", "实际完成值", "text", nullable=True, nfkc=True, max_length=200, percent_cells=True,
               description="a number for ≥, ≤ and =; 达成 / 部分达成 / 未达成 for 定性"),
        Column("score", "自评得分", "decimal", required=False, nullable=True,
               description="a 定性 indicator's score, when the profile lets the department give one within the "
                           "band of its grade (达成 80-100 %, 部分达成 60-80 %, 未达成 0-60 % of the 分值)"),
        Column("deviation", "偏差原因分析及改进措施", "text", required=False, nullable=True, aliases=("偏差原因",)),
        Column("evidence", "佐证材料", "text", required=False, nullable=True),
    ),
)

PROJECT_SUMMARIES = Dataset(
    name="project_summaries",
    source="finance",
    title="项目自评概况 (each project's header, 年度总体目标 and conclusions, one row per project)",
    path="{year}/{department}/project_summaries.csv",
    key=("department_code", "project_code"),
    per_department=True,
    optional=True,
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("project_code", "项目编码", "code", max_length=64),
        Column("implementer", "实施单位", "text", required=False, nullable=True, max_length=200),
        Column("manager", "项目负责人", "text", required=False, nullable=True, max_length=100),
        Column("goal", "预期目标", "text", required=False, nullable=True, aliases=("年度总体目标",)),
        Column("achieved", "实际完成情况", "text", required=False, nullable=True),
        Column("execution_reason", "执行偏差原因", "text", required=False, nullable=True,
               aliases=("预算执行偏差原因",),
               description="why the 执行率 is under 90 %, when it is"),
        Column("conclusion", "评价结论", "text", required=False, nullable=True),
        Column("problems", "存在问题", "text", required=False, nullable=True),
        Column("measures", "改进措施", "text", required=False, nullable=True),
    ),
)

MONITORING = Dataset(
    name="monitoring",
    source="finance",
    title="绩效运行监控 (the mid-year 双监控 submission: one row per indicator of a project or of the department)",
    path="{year}/{department}/monitoring.csv",
    key=("department_code", "project_code", "indicator"),
    per_department=True,
    optional=True,
    lenient=True,
    description="a project's rows name its 项目编码; the department's own rows leave it empty",
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("project_code", "项目编码", "code", nullable=True, max_length=64,
               description="empty for the department's own indicators (its 绩效目标)"),
        Column("indicator", "三级指标", "text", aliases=("指标名称",), max_length=200),
        Column("to_date", "1-X月完成值", "text", aliases=("截至目前完成值", "累计完成值"), nullable=True, nfkc=True,
               max_length=200, percent_cells=True,
               description="a number for ≥, ≤ and =; 达成 / 部分达成 / 未达成 for 定性"),
        Column("forecast", "全年预计完成值", "text", nullable=True, nfkc=True, max_length=200,
               percent_cells=True),
        Column("likelihood", "完成目标可能性", "enum", choices=LIKELIHOODS),
        Column("reason_category", "偏差原因类别", "enum", choices=REASON_CATEGORIES, required=False, nullable=True),
        Column("reason", "偏差原因说明", "text", aliases=("偏差原因",), required=False, nullable=True),
        Column("measures", "整改措施", "text", aliases=("改进措施",), required=False, nullable=True),
        Column("forecast_spend", "全年预计执行数", "money", required=False, nullable=True,
               description="the department's own forecast of the project's (or its own) spending for the year; "
                           "shown beside the ledger's projection"),
        Column("period_end", "截至日期", "date", required=False, nullable=True,
               aliases=("监控截止日期", "数据截止日期"),
               description="the date the submission's 1-X月完成值 are counted to (30 June for 1-6月); forms as of "
                           "an earlier date do not use it. Empty: it applies at any date"),
    ),
)

RECTIFICATION = Dataset(
    name="rectification",
    source="finance",
    title="监控整改跟踪 (the finance bureau's 整改要求 on a lit item of the 双监控, and the department's 整改结果)",
    path="{year}/{department}/rectification.csv",
    key=("department_code", "project_code", "indicator", "requested_on"),
    per_department=True,
    optional=True,
    lenient=True,
    description="one row per 整改要求; a project's rows name its 项目编码, the department's own leave it empty; an "
                "empty 三级指标 is about the spending (资金执行)",
    columns=(
        Column("department_code", "部门编码", "code", aliases=("单位编码",), pattern=DEPARTMENT_CODE),
        Column("project_code", "项目编码", "code", nullable=True, max_length=64,
               description="empty for the department's own form"),
        Column("indicator", "三级指标", "text", nullable=True, aliases=("指标名称",), max_length=200,
               description="empty: the item is the spending (资金执行)"),
        Column("requested_on", "下达日期", "date", aliases=("提出日期", "整改要求日期")),
        Column("requirement", "整改要求", "text"),
        Column("deadline", "整改期限", "date", required=False, nullable=True, aliases=("整改时限",)),
        Column("outcome", "整改结果", "text", required=False, nullable=True, aliases=("整改情况",)),
        Column("done_on", "整改完成日期", "date", required=False, nullable=True, aliases=("完成日期",),
               description="with 整改结果, the 整改 is closed as of this date; without it, still open"),
    ),
)

FINANCE_DATASETS = (BUDGET_LINES, PAYMENTS, SUMMARY, TARGETS, SELF_ASSESSMENT, PROJECT_TARGETS,
                    PROJECT_SELF_ASSESSMENT, PROJECT_SUMMARIES, MONITORING, RECTIFICATION)
REGISTRY_DATASETS = (ENTERPRISES, APPLICATIONS, INVESTMENT_PROJECTS)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (DEPARTMENTS, *FINANCE_DATASETS, INDICATORS, ENTERPRISES,
              APPLICATIONS, INVESTMENT_PROJECTS)
}


def field_label(name: str) -> str:
    """The Chinese header of the column ``name`` (``"executed"`` → ``"全年执行数"``) in the first dataset that has
    it; ``name`` itself when no dataset does."""
    for dataset in DATASETS.values():
        for column in dataset.columns:
            if column.name == name:
                return column.label
    return name
