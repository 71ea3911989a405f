"""The warehouse schema, defined once in SQLAlchemy Core for every engine.

A star: dimensions (department, period, fund source, expense type, project, enterprise,
indicator) around facts (budget lines, reported totals, payments, applications,
investment projects, indicator values), plus operational tables (runs, partitions,
data-quality results, quarantine). Money is integer 分 (``*_fen``): exact on every engine.

Views (``mart_*``) are created by the migrations, as plain SQL both engines read alike.

Keys: each table declares its primary key. On DuckDB, the tables promotion writes (the department-year facts,
the project and registry dimensions, the statistics, the materialized ledger) hold theirs as NOT NULL columns
without the PRIMARY KEY index (migrations 0010 and 0015): DuckDB keeps an index in memory and cannot spill it,
and these grow with the warehouse's history. Promotion checks their keys over the rows it writes
(``tasks.warehouse.promote.repeated_keys``). PostgreSQL keeps every primary key but the payments' (migration
0016: the gate's FIN-004 checks it over the very rows promoted, and the unique index was about a fifth of the
COPY's time), and the payments are partitioned by year, then by department (0018: LIST (year), HASH
(department_code)), with no index: a department-year's payments are read and replaced in its partition.

Every fact row carries lineage: the run that loaded it, the source it came from (a file
path or URL or table, with the SHA-256 of its content), the row in that source, the load time. The
payments, millions of rows, carry it per file instead (migration 0017): each payment its row and the number
of its file (``source_file``), each file a row of ``fct_payment_source`` (path, hash, payments, run, load
time). Repeated on every payment, the four columns were about two thirds of each row's bytes, and most of
PostgreSQL's COPY.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def lineage() -> list[sa.Column]:
    """A row's lineage columns (every fact and loaded dimension but the payments: theirs is per file)."""
    return [
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    ]


# Dimensions -----------------------------------------------------------------------------------

dim_department = sa.Table(
    "dim_department", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("department_name", sa.String(200), nullable=False),
    sa.Column("region_code", sa.String(12), nullable=False),
    sa.Column("region_name", sa.String(100), nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False),
    *lineage(),
)

dim_period = sa.Table(
    "dim_period", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
)

dim_fund_source = sa.Table(
    "dim_fund_source", metadata,
    sa.Column("fund_source_code", sa.String(8), primary_key=True),
    sa.Column("fund_source_name", sa.String(50), nullable=False, unique=True),
    sa.Column("sort_order", sa.Integer, nullable=False),
)

dim_expense_type = sa.Table(
    "dim_expense_type", metadata,
    sa.Column("expense_type_code", sa.String(8), primary_key=True),
    sa.Column("expense_type_name", sa.String(50), nullable=False, unique=True),
    sa.Column("sort_order", sa.Integer, nullable=False),
)

dim_project = sa.Table(
    "dim_project", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("project_name", sa.String(200), nullable=False),
    sa.Column("expense_type_code", sa.String(8), nullable=False),
    *lineage(),
)

dim_enterprise = sa.Table(
    "dim_enterprise", metadata,
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("enterprise_name", sa.String(200), nullable=False),
    sa.Column("region_code", sa.String(12), nullable=False),
    sa.Column("industry", sa.String(100), nullable=False),
    sa.Column("established", sa.Date, nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    *lineage(),
)

dim_indicator = sa.Table(
    "dim_indicator", metadata,
    sa.Column("indicator_code", sa.String(32), primary_key=True),
    sa.Column("indicator_name", sa.String(100), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    *lineage(),
)

# Facts ----------------------------------------------------------------------------------------

fct_budget_line = sa.Table(
    "fct_budget_line", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("project_code", sa.String(64), nullable=False),
    sa.Column("fund_source_code", sa.String(8), nullable=False),
    sa.Column("expense_type_code", sa.String(8), nullable=False),
    sa.Column("budget_fen", sa.BigInteger, nullable=False),
    sa.Column("reported_executed_fen", sa.BigInteger, nullable=False),
    sa.Column("carryover_fen", sa.BigInteger, nullable=False),
    sa.Column("initial_budget_fen", sa.BigInteger, nullable=True),  # 年初预算数, when the file gives it
    sa.Column("fund_nature", sa.String(20), nullable=True),  # 资金性质: 当年财政拨款 / 上年结转, when given
    *lineage(),
)

fct_reported_total = sa.Table(
    "fct_reported_total", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("item", sa.String(50), primary_key=True),
    sa.Column("budget_fen", sa.BigInteger, nullable=False),
    sa.Column("executed_fen", sa.BigInteger, nullable=False),
    sa.Column("carryover_fen", sa.BigInteger, nullable=False),
    *lineage(),
)

# On DuckDB the key is NOT NULL columns with no PRIMARY KEY index (migration 0010: DuckDB keeps an index in
# memory, and a 5M-line ledger's did not fit), as for the other tables promotion writes (0015; the module's doc).
# On PostgreSQL too (0016: the gate's FIN-004 checks the key; maintaining the unique index was about a fifth of the
# COPY's time), partitioned by year (2018-2032, and a DEFAULT) and within a year by HASH (department_code) into 8, with
# no index (0018: some departments of a year are read and replaced in their partitions; 0016's index on
# (department_code, year) was 40 % of the COPY's time).
fct_payment = sa.Table(
    "fct_payment", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("voucher_no", sa.String(64), primary_key=True),
    sa.Column("line_id", sa.String(64), nullable=False),
    sa.Column("pay_date", sa.Date, nullable=False),
    sa.Column("payee", sa.String(200), nullable=False),
    sa.Column("economic_class", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    # Lineage per file, not per row (migration 0017): the file (its path, hash, run and load time) is
    # fct_payment_source's row of the same department-year and source_file.
    sa.Column("source_file", sa.Integer, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=True),
)

# The files a department-year's payments came from: the payments' lineage, a row per file (migration 0017).
# source_file numbers a department-year's files in the order of their paths; a payment names its file by it.
# Written by promotion with the payments.
fct_payment_source = sa.Table(
    "fct_payment_source", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("source_file", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source_uri", sa.String(1024), nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("payments", sa.BigInteger, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)

fct_application = sa.Table(
    "fct_application", metadata,
    sa.Column("application_id", sa.String(64), primary_key=True),
    sa.Column("department_code", sa.String(64), nullable=False, index=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("program", sa.String(50), nullable=False),
    sa.Column("submitted", sa.Date, nullable=False),
    sa.Column("result", sa.String(10), nullable=False),
    sa.Column("first_application", sa.Boolean, nullable=False),
    *lineage(),
)

fct_investment_project = sa.Table(
    "fct_investment_project", metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("department_code", sa.String(64), nullable=False, index=True),
    sa.Column("project_name", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=True),
    sa.Column("signed_date", sa.Date, nullable=False),
    sa.Column("registered_date", sa.Date, nullable=True),
    sa.Column("agreed_investment_fen", sa.BigInteger, nullable=False),
    sa.Column("agreed_output_fen", sa.BigInteger, nullable=False),
    *lineage(),
)

fct_indicator_value = sa.Table(
    "fct_indicator_value", metadata,
    sa.Column("region_code", sa.String(12), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("indicator_code", sa.String(32), primary_key=True),
    sa.Column("industry", sa.String(100), primary_key=True),
    sa.Column("region_name", sa.String(100), nullable=False),
    sa.Column("value", sa.Numeric(20, 6), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    *lineage(),
)

# 绩效目标: the targets approved with the budget, one row per 三级指标, in the file's order (position).
fct_performance_target = sa.Table(
    "fct_performance_target", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("level1", sa.String(100), nullable=False),
    sa.Column("level2", sa.String(100), nullable=False),
    sa.Column("nature", sa.String(8), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(20), nullable=True),
    sa.Column("weight", sa.Numeric(6, 2), nullable=False),
    sa.Column("actual_source", sa.String(64), nullable=False),
    *lineage(),
)

# 绩效自评: what a department reports of its targets (实际完成值 where no data source holds it,
# 偏差原因, evidence).
fct_performance_actual = sa.Table(
    "fct_performance_actual", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("actual", sa.String(200), nullable=True),
    sa.Column("deviation", sa.Text, nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    *lineage(),
)

# 项目绩效目标: each project's targets, one row per 三级指标, in the file's order (position, per project).
fct_project_target = sa.Table(
    "fct_project_target", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("level1", sa.String(100), nullable=False),
    sa.Column("level2", sa.String(100), nullable=False),
    sa.Column("nature", sa.String(8), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(20), nullable=True),
    sa.Column("weight", sa.Numeric(6, 2), nullable=False),
    *lineage(),
)

# 项目绩效自评: what a department reports of each project's targets (实际完成值, a 定性 score, 偏差原因).
fct_project_actual = sa.Table(
    "fct_project_actual", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("actual", sa.String(200), nullable=True),
    sa.Column("score", sa.Numeric(6, 2), nullable=True),
    sa.Column("deviation", sa.Text, nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    *lineage(),
)

# 项目自评概况: a project's header (实施单位, 项目负责人), 年度总体目标 and conclusions, as the department writes them.
fct_project_summary = sa.Table(
    "fct_project_summary", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("implementer", sa.String(200), nullable=True),
    sa.Column("manager", sa.String(100), nullable=True),
    sa.Column("goal", sa.Text, nullable=True),
    sa.Column("achieved", sa.Text, nullable=True),
    sa.Column("execution_reason", sa.Text, nullable=True),
    sa.Column("conclusion", sa.Text, nullable=True),
    sa.Column("problems", sa.Text, nullable=True),
    sa.Column("measures", sa.Text, nullable=True),
    *lineage(),
)

# 绩效运行监控: the mid-year 双监控 submission, one row per indicator of a project ("" for the department's own).
fct_monitoring_report = sa.Table(
    "fct_monitoring_report", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("to_date", sa.String(200), nullable=True),
    sa.Column("forecast", sa.String(200), nullable=True),
    sa.Column("likelihood", sa.String(8), nullable=False),
    sa.Column("reason_category", sa.String(8), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("measures", sa.Text, nullable=True),
    sa.Column("forecast_spend_fen", sa.BigInteger, nullable=True),
    sa.Column("period_end", sa.Date, nullable=True),
    *lineage(),
)

# The bureau's 整改要求 on a lit item of the 双监控 and the department's 整改结果 (monitoring follow-up); project_code
# "" for the department's own form, indicator "" for the spending.
fct_rectification = sa.Table(
    "fct_rectification", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("project_code", sa.String(64), primary_key=True),
    sa.Column("indicator", sa.String(200), primary_key=True),
    sa.Column("requested_on", sa.Date, primary_key=True),
    sa.Column("requirement", sa.Text, nullable=False),
    sa.Column("deadline", sa.Date, nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("done_on", sa.Date, nullable=True),
    *lineage(),
)

# Operations -----------------------------------------------------------------------------------

ops_run = sa.Table(
    "ops_run", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("flow_run_id", sa.String(64), nullable=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("code_version", sa.String(64), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
)

ops_partition = sa.Table(
    "ops_partition", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("inputs_sha256", sa.String(64), nullable=False),
    sa.Column("code_version", sa.String(64), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("row_counts", sa.Text, nullable=False),
)

# The shared inputs the warehouse holds (the enterprise registry, the statistics): one snapshot per source,
# named by the content hash of its files, replaced as a whole when that changes (tasks/warehouse/promote.py).
ops_snapshot = sa.Table(
    "ops_snapshot", metadata,
    sa.Column("source", sa.String(20), primary_key=True),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("row_counts", sa.Text, nullable=False),
)

# The views the model graph's SQL made (tasks/warehouse/models.py): the hash of the text, to make them again
# when it changes.
ops_model = sa.Table(
    "ops_model", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
)

ops_dq_result = sa.Table(
    "ops_dq_result", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("rule_id", sa.String(32), primary_key=True),
    sa.Column("suite", sa.String(50), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("failing_rows", sa.Integer, nullable=False),
    sa.Column("example", sa.Text, nullable=True),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

ops_quarantine = sa.Table(
    "ops_quarantine", metadata,
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("rule_id", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("dataset", sa.String(50), nullable=False),
    sa.Column("source_uri", sa.String(1024), nullable=True),
    sa.Column("source_row", sa.Integer, nullable=True),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("value_provided", sa.Text, nullable=True),
    sa.Column("value_expected", sa.Text, nullable=True),
    sa.Column("difference", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("record", sa.Text, nullable=True),
    sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
)

# Scores and grades as published (the 自评表's 总分 and 等级), written when a report is rendered;
# the roll-up reads them rather than scoring again.
mart_score = sa.Table(
    "mart_score", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("total", sa.Numeric(6, 2), nullable=False),
    sa.Column("grade", sa.String(20), nullable=False),
    sa.Column("computed_grade", sa.String(20), nullable=False),
    sa.Column("overridden", sa.Boolean, nullable=False),
    sa.Column("report_sha256", sa.String(64), nullable=True),
    sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
    # a 草稿's inputs not yet submitted, joined by 、 (NULL: the report is final)
    sa.Column("missing", sa.String(200), nullable=True),
    # the data-quality notes the report was rendered with, as JSON [[rule_id, label, failing_rows, example]]:
    # an approval or a re-render draws the same text (the same content hash)
    sa.Column("quality_notes", sa.Text, nullable=True),
)

# Reviewers' decisions on rendered reports (review: true): one row per decision, never updated. The report
# is named by its content hash (the SHA-256 of its report.md as drafted, before any review mark), so a
# decision holds for that text only; a later draft with other content needs its own.
ops_review = sa.Table(
    "ops_review", metadata,
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("report_sha256", sa.String(64), primary_key=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("decision", sa.String(20), nullable=False),  # approved | returned
    sa.Column("reviewer", sa.String(100), nullable=False),
    sa.Column("comment", sa.String(2000), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
)

# Views ----------------------------------------------------------------------------------------
# The shapes of the model graph's views (tasks/sql/marts.sql, made by tasks/warehouse/models.py), for queries
# and the metric registry to read with SQLAlchemy Core. Their own MetaData: nothing creates them from here.
views = sa.MetaData()

int_line_ledger_by_day = sa.Table(  # materialized: a table, keyed by department-year, written by promotion
    "int_line_ledger_by_day", views,  # one row per budget line and 支付日期 (on DuckDB without the key's index)
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("pay_date", sa.Date, primary_key=True),
    sa.Column("paid_fen", sa.BigInteger, nullable=False),
    sa.Column("payments", sa.BigInteger, nullable=False),
)

int_line_ledger = sa.Table(  # materialized: a table, keyed by department-year, written by promotion
    "int_line_ledger", views,  # one row per budget line (on DuckDB without the key's index: the module's doc)
    sa.Column("department_code", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("executed_fen", sa.BigInteger, nullable=False),
    sa.Column("payments", sa.BigInteger, nullable=False),
)

mart_line_execution = sa.Table(
    "mart_line_execution", views,
    sa.Column("department_code", sa.String(64)),
    sa.Column("year", sa.Integer),
    sa.Column("line_id", sa.String(64)),
    sa.Column("project_code", sa.String(64)),
    sa.Column("fund_source_code", sa.String(8)),
    sa.Column("expense_type_code", sa.String(16)),
    sa.Column("budget_fen", sa.BigInteger),
    sa.Column("reported_executed_fen", sa.BigInteger),
    sa.Column("carryover_fen", sa.BigInteger),
    sa.Column("initial_budget_fen", sa.BigInteger),
    sa.Column("fund_nature", sa.String(20)),
    sa.Column("executed_fen", sa.BigInteger),
    sa.Column("payments", sa.BigInteger),
)

mart_project_funds = sa.Table(
    "mart_project_funds", views,
    sa.Column("department_code", sa.String(64)),
    sa.Column("year", sa.Integer),
    sa.Column("project_code", sa.String(64)),
    sa.Column("fund_part", sa.Integer),
    sa.Column("lines", sa.BigInteger),
    sa.Column("initial_lines", sa.BigInteger),
    sa.Column("initial_budget_fen", sa.BigInteger),
    sa.Column("budget_fen", sa.BigInteger),
    sa.Column("executed_fen", sa.BigInteger),
    sa.Column("natures", sa.BigInteger),
)
