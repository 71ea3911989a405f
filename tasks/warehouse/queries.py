"""Named report queries: every figure of the report comes from one of these.

Each is SQLAlchemy Core, so the same query runs on DuckDB and PostgreSQL and returns the
same integers (money in 分) on both; formatting happens later, in :mod:`tasks.report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa

from tasks import glossary as gl
from tasks.warehouse import schema as s

QUERIES: dict[str, str] = {}
F = TypeVar("F", bound=Callable[..., object])


def named(description: str) -> Callable[[F], F]:
    """Register a query function under its name, with what it answers (for ``selfeval explain``)."""

    def register(fn: F) -> F:
        QUERIES[fn.__name__] = description
        return fn

    return register


@dataclass(frozen=True)
class Split:
    """Budget, execution (from the payment ledger) and carryover of one part of the spending."""

    code: str
    name: str
    lines: int
    budget_fen: int
    executed_fen: int
    carryover_fen: int


def _split(conn: sa.Connection, departments: list[str], year: int, dim: sa.Table, code_col: str, name_col: str,
           line_col: str) -> dict[str, list[Split]]:
    """Every part of ``dim`` (in its order) for each department, with the lines of that part summed
    (mart_line_execution: execution is the ledger's); a part with no line is there with zeros."""
    m = s.mart_line_execution
    q = (
        sa.select(
            m.c.department_code, m.c[line_col], sa.func.count(m.c.line_id),
            sa.func.coalesce(sa.func.sum(m.c.budget_fen), 0), sa.func.coalesce(sa.func.sum(m.c.executed_fen), 0),
            sa.func.coalesce(sa.func.sum(m.c.carryover_fen), 0))
        .where(m.c.department_code.in_(departments), m.c.year == year)
        .group_by(m.c.department_code, m.c[line_col])
    )
    sums = {(str(r[0]), str(r[1])): (int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in conn.execute(q)}
    parts = conn.execute(sa.select(dim.c[code_col], dim.c[name_col]).order_by(dim.c.sort_order)).all()
    return {code: [Split(str(c), str(n), *sums.get((code, str(c)), (0, 0, 0, 0))) for c, n in parts]
            for code in departments}


@named("Budget, ledger execution and carryover by 资金来源 (mart_line_execution)")
def spending_by_fund_source(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[Split]]:
    return _split(conn, departments, year, s.dim_fund_source, "fund_source_code", "fund_source_name",
                  "fund_source_code")


@named("Budget, ledger execution and carryover by 支出性质 (mart_line_execution)")
def spending_by_expense_type(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[Split]]:
    return _split(conn, departments, year, s.dim_expense_type, "expense_type_code", "expense_type_name",
                  "expense_type_code")


@named("Departments' names and regions (dim_department)")
def departments_of(conn: sa.Connection, departments: list[str]) -> dict[str, dict[str, object]]:
    d = s.dim_department
    return {str(r["department_code"]): dict(r)
            for r in conn.execute(sa.select(d).where(d.c.department_code.in_(departments))).mappings()}


def department(conn: sa.Connection, department: str) -> dict[str, object]:
    """One department's row of dim_department. Raises LookupError when the warehouse does not hold it."""
    found = departments_of(conn, [department]).get(department)
    if found is None:
        raise LookupError(gl.NOT_IN_WAREHOUSE.format(code=department))
    return found


@dataclass(frozen=True)
class YearTotals:
    year: int
    budget_fen: int
    executed_fen: int
    carryover_fen: int


@named("Budget, ledger execution and carryover of every year the warehouse holds for departments "
       "(mart_department_year)")
def department_years(conn: sa.Connection, departments: list[str], up_to: int) -> dict[str, list[YearTotals]]:
    rows = conn.execute(sa.text(
        "SELECT department_code, year, budget_fen, executed_fen, carryover_fen FROM mart_department_year "
        "WHERE department_code IN :d AND year <= :y ORDER BY department_code, year").bindparams(
        sa.bindparam("d", expanding=True)), {"d": list(departments), "y": up_to}).all()
    out: dict[str, list[YearTotals]] = {code: [] for code in departments}
    for r in rows:
        out[str(r[0])].append(YearTotals(int(r[1]), int(r[2]), int(r[3]), int(r[4])))
    return out


@dataclass(frozen=True)
class DepartmentYear:
    department_code: str
    department_name: str
    synthetic: bool
    region_code: str
    region_name: str
    budget_fen: int
    executed_fen: int
    carryover_fen: int


@named("Every department of a year with its 行政区划, budget, ledger execution and carryover "
       "(mart_department_year ⋈ dim_department)")
def district_year(conn: sa.Connection, year: int) -> list[DepartmentYear]:
    rows = conn.execute(sa.text(
        "SELECT m.department_code, m.department_name, m.synthetic, m.region_code, d.region_name, m.budget_fen, "
        "m.executed_fen, m.carryover_fen FROM mart_department_year m "
        "JOIN dim_department d ON d.department_code = m.department_code WHERE m.year = :y"), {"y": year}).all()
    out = [DepartmentYear(str(r[0]), str(r[1]), bool(r[2]), str(r[3]), str(r[4]), int(r[5]), int(r[6]), int(r[7]))
           for r in rows]
    return sorted(out, key=lambda d: d.department_code)


@dataclass
class PublishedScore:
    total: Decimal
    grade: str
    overridden: bool
    missing: list[str] = field(default_factory=list)  # not submitted yet: the report is a 草稿

    @property
    def draft(self) -> bool:
        return bool(self.missing)


@named("Each department-year's 总分 and 等级 as its rendered report published them, and what a 草稿 "
       "still lacks (mart_score)")
def published_scores(conn: sa.Connection, year: int) -> dict[str, PublishedScore]:
    t = s.mart_score
    rows = conn.execute(sa.select(t.c.department_code, t.c.total, t.c.grade, t.c.overridden, t.c.missing)
                        .where(t.c.year == year))
    return {str(r[0]): PublishedScore(Decimal(str(r[1])), str(r[2]), bool(r[3]), str(r[4]).split("、") if r[4] else [])
            for r in rows}


@named("Whether departments' 决算总表 of a year is loaded: without it the year is open (fct_reported_total)")
def years_closed(conn: sa.Connection, departments: list[str], year: int) -> dict[str, bool]:
    t = s.fct_reported_total
    found = {str(r[0]) for r in conn.execute(sa.select(t.c.department_code).distinct().where(
        t.c.department_code.in_(departments), t.c.year == year))}
    return {code: code in found for code in departments}


@named("The years of departments whose 决算总表 has not come, with the last 支付日期 their ledger holds "
       "(int_line_ledger_by_day, fct_reported_total)")
def open_years(conn: sa.Connection, departments: list[str], up_to: int) -> dict[str, dict[int, dt.date]]:
    """For each of ``departments``: its open years up to ``up_to`` (no 决算总表 loaded), each with the date
    of its ledger's last payment (the figures are "as of" it); a year without payments is left out."""
    rows = conn.execute(sa.text(
        "SELECT l.department_code, l.year, MAX(l.pay_date) FROM int_line_ledger_by_day l "
        "WHERE l.department_code IN :d AND l.year <= :y AND NOT EXISTS (SELECT 1 FROM fct_reported_total t "
        "WHERE t.department_code = l.department_code AND t.year = l.year) "
        "GROUP BY l.department_code, l.year").bindparams(sa.bindparam("d", expanding=True)),
        {"d": list(departments), "y": up_to}).all()
    out: dict[str, dict[int, dt.date]] = {code: {} for code in departments}
    for code, year, last in rows:
        out[str(code)][int(year)] = _date(last) or dt.date.min  # MAX of a group's rows: never NULL
    return out


# Tables whose lineage is kept per file, in a table of its own (schema.py, migration 0017): the table → that
# table, and its column that counts the table's rows from each file.
SOURCES_MODELS = {s.fct_payment.name: (s.fct_payment_source, "payments")}


@named("The files or URLs (with content hashes) that rows of a table came from, by the value of a key column "
       "(lineage columns; the payments' from fct_payment_source, a row per file)")
def sources_of(conn: sa.Connection, table: str, key: str, values: Sequence[object],
               where: Mapping[str, object]) -> dict[object, list[tuple[str, str, int]]]:
    """For each of ``values`` of column ``key`` (the department code, or the region code): the files its
    rows of ``table`` came from, with their hashes and row counts, sorted; ``where`` narrows the rows (a column
    the rows' table or model lacks: ValueError). A table of ``SOURCES_MODELS`` is answered from its model, a row
    per file, with the same counts."""
    if table in SOURCES_MODELS:
        t, counted = SOURCES_MODELS[table]
        rows: sa.ColumnElement[Any] = sa.func.sum(t.c[counted])
    else:
        t, rows = s.metadata.tables[table], sa.func.count()
    q = (sa.select(t.c[key], t.c.source_uri, t.c.source_sha256, rows)
         .where(t.c[key].in_(values)).group_by(t.c[key], t.c.source_uri, t.c.source_sha256))
    for column, value in where.items():
        if column not in t.c:
            raise ValueError(f"sources_of: {t.name} has no column {column!r} to narrow {table}'s rows by")
        q = q.where(t.c[column] == value)
    out: dict[object, list[tuple[str, str, int]]] = {v: [] for v in values}
    for k, u, h, n in conn.execute(q):
        out.setdefault(k, []).append((str(u), str(h), int(n)))
    return {k: sorted(v) for k, v in out.items()}


@named("Each data-quality rule's outcome for the run that loaded each department-year (ops_dq_result ⋈ "
       "ops_partition)")
def rule_results(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[dict[str, object]]]:
    p, r = s.ops_partition, s.ops_dq_result
    rows = conn.execute(sa.select(r.c.department_code, r.c.rule_id, r.c.severity, r.c.success, r.c.failing_rows)
                        .select_from(r.join(p, sa.and_(p.c.run_id == r.c.run_id,
                                                       p.c.department_code == r.c.department_code,
                                                       p.c.year == r.c.year)))
                        .where(r.c.department_code.in_(departments), r.c.year == year)
                        .order_by(r.c.department_code, r.c.rule_id))
    out: dict[str, list[dict[str, object]]] = {code: [] for code in departments}
    for row in rows:
        found = dict(row._mapping)
        out[str(found.pop("department_code"))].append(found)
    return out


@named("Department-years the warehouse holds for a year (ops_partition)")
def loaded_departments(conn: sa.Connection, year: int) -> list[str]:
    p = s.ops_partition
    return sorted(str(r[0]) for r in conn.execute(sa.select(p.c.department_code).where(p.c.year == year)))


@named("The data-quality warnings recorded when a department-year was loaded (ops_dq_result)")
def recorded_warnings(conn: sa.Connection, department: str, year: int) -> list[dict[str, object]]:
    p, r = s.ops_partition, s.ops_dq_result
    run = conn.execute(sa.select(p.c.run_id).where(p.c.department_code == department, p.c.year == year)).scalar()
    rows = conn.execute(sa.select(r.c.rule_id, r.c.failing_rows, r.c.example).where(
        r.c.run_id == run, r.c.department_code == department, r.c.year == year, r.c.severity == "warning",
        r.c.success.is_(False)).order_by(r.c.rule_id))
    return [dict(row._mapping) for row in rows]


@dataclass(frozen=True)
class TargetRow:
    """One 绩效目标 as loaded (fct_performance_target), with the department's 绩效自评 of it, if any."""

    level1: str
    level2: str
    indicator: str
    nature: str
    target: str
    unit: str
    weight: Decimal
    actual_source: str
    actual: str | None
    deviation: str | None
    evidence: str | None
    source_uri: str
    source_row: int | None


@named("Departments' 绩效目标 of a year in their file's order, each with its 绩效自评 row "
       "(fct_performance_target ⟕ fct_performance_actual)")
def performance_targets(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[TargetRow]]:
    t, a = s.fct_performance_target, s.fct_performance_actual
    joined = t.outerjoin(a, sa.and_(a.c.department_code == t.c.department_code, a.c.year == t.c.year,
                                    a.c.indicator == t.c.indicator))
    rows = conn.execute(
        sa.select(t.c.department_code, t.c.level1, t.c.level2, t.c.indicator, t.c.nature, t.c.target, t.c.unit,
                  t.c.weight, t.c.actual_source, a.c.actual, a.c.deviation, a.c.evidence,
                  sa.func.coalesce(a.c.source_uri, t.c.source_uri), sa.func.coalesce(a.c.source_row, t.c.source_row))
        .select_from(joined).where(t.c.department_code.in_(departments), t.c.year == year)
        .order_by(t.c.department_code, t.c.position)
    ).all()
    out: dict[str, list[TargetRow]] = {code: [] for code in departments}
    for r in rows:
        out[str(r[0])].append(TargetRow(str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6] or ""),
                                        Decimal(str(r[7])), str(r[8]), r[9], r[10], r[11], str(r[12]),
                                        None if r[13] is None else int(r[13])))
    return out


@dataclass(frozen=True)
class FundsRow:
    """A row of the 自评表's funds block: budget lines of one kind of money, summed (分)."""

    label: str
    lines: int
    initial_budget_fen: int | None  # None when a line of it does not give its 年初预算数
    budget_fen: int
    executed_fen: int


FUND_PARTS = ("当年财政拨款", "上年结转资金", "其他资金")  # mart_project_funds.fund_part 1, 2, 3


def _funds_rows(parts: dict[int, tuple[int, ...]]) -> tuple[list[FundsRow], bool]:
    """年度资金总额 and its three parts from mart_project_funds' sums by fund_part (lines, initial_lines,
    initial, budget, executed, natures), and whether any line states its 资金性质."""
    found = [parts.get(k, (0, 0, 0, 0, 0, 0)) for k in (1, 2, 3)]
    total = tuple(sum(p[i] for p in found) for i in range(6))
    rows = [FundsRow(label, lines, initial if with_initial == lines else None, budget, executed)
            for label, (lines, with_initial, initial, budget, executed, _) in
            zip(("年度资金总额", *FUND_PARTS), (total, *found), strict=True)]
    return rows, total[5] > 0


def _funds_sums(conn: sa.Connection, departments: list[str], year: int,
                by_project: bool) -> dict[tuple[str, ...], dict[int, tuple[int, ...]]]:
    m = s.mart_project_funds
    keys = [m.c.department_code, *([m.c.project_code] if by_project else [])]
    rows = conn.execute(sa.select(
        *keys, m.c.fund_part, sa.func.sum(m.c.lines), sa.func.sum(m.c.initial_lines),
        sa.func.sum(m.c.initial_budget_fen), sa.func.sum(m.c.budget_fen), sa.func.sum(m.c.executed_fen),
        sa.func.sum(m.c.natures))
        .where(m.c.department_code.in_(departments), m.c.year == year).group_by(*keys, m.c.fund_part)).all()
    out: dict[tuple[str, ...], dict[int, tuple[int, ...]]] = {}
    n = len(keys)
    for r in rows:
        out.setdefault(tuple(str(v) for v in r[:n]), {})[int(r[n])] = tuple(int(v or 0) for v in r[n + 1:])
    return out


def empty_funds() -> tuple[list[FundsRow], bool]:
    """The funds block of something with no budget line: every row zero."""
    return _funds_rows({})


@named("The 自评表's funds block: 年初预算数, 全年预算数 and ledger execution of all lines, then of 当年财政拨款 "
       "and 上年结转 (fiscal lines by 资金性质) and 其他资金 (mart_project_funds)")
def funds_by_nature(conn: sa.Connection, departments: list[str],
                    year: int) -> dict[str, tuple[list[FundsRow], bool]]:
    """For each department: the rows 年度资金总额, 其中：当年财政拨款, 上年结转资金, 其他资金, and whether the
    lines state their 资金性质 at all (without it, every fiscal line counts as 当年财政拨款)."""
    sums = _funds_sums(conn, departments, year, by_project=False)
    return {code: _funds_rows(sums.get((code,), {})) for code in departments}


@named("Each project's funds block, as the department's (mart_project_funds)")
def project_funds(conn: sa.Connection, departments: list[str],
                  year: int) -> dict[tuple[str, str], tuple[list[FundsRow], bool]]:
    """(department code, project code) → the project's rows 年度资金总额, 当年财政拨款, 上年结转资金, 其他资金
    (分), and whether its lines state their 资金性质; every project with a budget line in the year."""
    sums = _funds_sums(conn, departments, year, by_project=True)
    return {(key[0], key[1]): _funds_rows(parts) for key, parts in sums.items()}


@dataclass(frozen=True)
class ProjectRow:
    """A project of a department-year (dim_project): its code, name and 支出性质 code."""

    code: str
    name: str
    expense_type_code: str


@named("Departments' projects of a year, in code order (dim_project)")
def projects_of(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[ProjectRow]]:
    d = s.dim_project
    rows = conn.execute(sa.select(d.c.department_code, d.c.project_code, d.c.project_name, d.c.expense_type_code)
                        .where(d.c.department_code.in_(departments), d.c.year == year)
                        .order_by(d.c.department_code, d.c.project_code)).all()
    out: dict[str, list[ProjectRow]] = {code: [] for code in departments}
    for r in rows:
        out[str(r[0])].append(ProjectRow(str(r[1]), str(r[2]), str(r[3])))
    return out


@dataclass(frozen=True)
class ProjectTargetRow:
    """One of a project's 绩效目标 (fct_project_target), with the project's 绩效自评 of it, if any."""

    project_code: str
    level1: str
    level2: str
    indicator: str
    nature: str
    target: str
    unit: str
    weight: Decimal
    actual: str | None
    score: Decimal | None
    deviation: str | None
    assessed: bool  # the 绩效自评 has a row for it


@named("Departments' project 绩效目标 of a year, in each project's file order, with their 绩效自评 "
       "(fct_project_target ⟕ fct_project_actual)")
def project_targets(conn: sa.Connection, departments: list[str],
                    year: int) -> dict[str, list[ProjectTargetRow]]:
    t, a = s.fct_project_target, s.fct_project_actual
    joined = t.outerjoin(a, sa.and_(a.c.department_code == t.c.department_code, a.c.year == t.c.year,
                                    a.c.project_code == t.c.project_code, a.c.indicator == t.c.indicator))
    rows = conn.execute(
        sa.select(t.c.department_code, t.c.project_code, t.c.level1, t.c.level2, t.c.indicator, t.c.nature,
                  t.c.target, t.c.unit, t.c.weight, a.c.actual, a.c.score, a.c.deviation, a.c.indicator)
        .select_from(joined).where(t.c.department_code.in_(departments), t.c.year == year)
        .order_by(t.c.department_code, t.c.project_code, t.c.position)).all()
    out: dict[str, list[ProjectTargetRow]] = {code: [] for code in departments}
    for r in rows:
        out[str(r[0])].append(ProjectTargetRow(
            str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7] or ""), Decimal(str(r[8])),
            r[9], None if r[10] is None else Decimal(str(r[10])), r[11], r[12] is not None))
    return out


@dataclass(frozen=True)
class MonitoringRow:
    """One row of a department's 双监控 submission (fct_monitoring_report); project_code "" for its own."""

    project_code: str
    indicator: str
    to_date: str | None
    forecast: str | None
    likelihood: str
    reason_category: str | None
    reason: str | None
    measures: str | None
    forecast_spend_fen: int | None
    period_end: dt.date | None = None  # the 截至日期 its 1-X月完成值 are counted to; None: any date


@named("Departments' 双监控 submissions of a year (fct_monitoring_report)")
def monitoring_reports(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[MonitoringRow]]:
    t = s.fct_monitoring_report
    rows = conn.execute(sa.select(t.c.department_code, t.c.project_code, t.c.indicator, t.c.to_date, t.c.forecast,
                                  t.c.likelihood, t.c.reason_category, t.c.reason, t.c.measures,
                                  t.c.forecast_spend_fen, t.c.period_end)
                        .where(t.c.department_code.in_(departments), t.c.year == year)
                        .order_by(t.c.department_code, t.c.project_code, t.c.source_row)).all()
    out: dict[str, list[MonitoringRow]] = {code: [] for code in departments}
    for r in rows:
        out[str(r[0])].append(MonitoringRow(str(r[1]), str(r[2]), r[3], r[4], str(r[5]), r[6], r[7], r[8],
                                            None if r[9] is None else int(r[9]), _date(r[10])))
    return out


def _date(value: object) -> dt.date | None:
    """A DATE column's value as a date on both engines (DuckDB and PostgreSQL give a date; a driver may give a
    datetime or an ISO text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class RectificationRow:
    """One 整改要求 of the bureau and its 整改结果 (fct_rectification): ``project_code`` "" for the department's own
    form, ``indicator`` "" for the spending (资金执行)."""

    department_code: str
    project_code: str
    indicator: str
    requested_on: dt.date
    requirement: str
    deadline: dt.date | None
    outcome: str | None  # 整改结果
    done_on: dt.date | None

    def open_on(self, day: dt.date) -> bool:
        """Requested by ``day`` and not closed by it (no 整改结果, or its 整改完成日期 later or missing)."""
        return self.requested_on <= day and not (self.outcome and self.done_on and self.done_on <= day)

    def overdue_on(self, day: dt.date) -> bool:
        return self.open_on(day) and self.deadline is not None and self.deadline < day


@named("The bureau's 整改要求 and the departments' 整改结果 of a year, by department (fct_rectification)")
def rectifications(conn: sa.Connection, departments: list[str], year: int) -> dict[str, list[RectificationRow]]:
    """Department code → its 整改 rows in (project, indicator, 下达日期) order; every department of ``departments``
    is a key."""
    t = s.fct_rectification
    rows = conn.execute(sa.select(t.c.department_code, t.c.project_code, t.c.indicator, t.c.requested_on,
                                  t.c.requirement, t.c.deadline, t.c.outcome, t.c.done_on)
                        .where(t.c.department_code.in_(departments), t.c.year == year)
                        .order_by(t.c.department_code, t.c.project_code, t.c.indicator, t.c.requested_on)).all()
    out: dict[str, list[RectificationRow]] = {code: [] for code in departments}
    for r in rows:
        requested = _date(r[3])
        assert requested is not None  # a key column
        out[str(r[0])].append(RectificationRow(str(r[0]), str(r[1]), str(r[2]), requested, str(r[4]),
                                               _date(r[5]), r[6], _date(r[7])))
    return out


@named("Departments' 项目自评概况 of a year: header, 年度总体目标 and conclusions (fct_project_summary)")
def project_summaries(conn: sa.Connection, departments: list[str],
                      year: int) -> dict[tuple[str, str], dict[str, str | None]]:
    t = s.fct_project_summary
    fields = ("implementer", "manager", "goal", "achieved", "execution_reason", "conclusion", "problems", "measures")
    rows = conn.execute(sa.select(t.c.department_code, t.c.project_code, *(t.c[f] for f in fields))
                        .where(t.c.department_code.in_(departments), t.c.year == year)).all()
    return {(str(r[0]), str(r[1])): dict(zip(fields, r[2:], strict=True)) for r in rows}


@named("Whether each of some departments' report for a year is final, a 草稿 or not rendered yet (mart_score)")
def report_status(conn: sa.Connection, year: int, departments: list[str]) -> dict[str, str]:
    """Department code → "final" (rendered, nothing missing), "draft" (a 草稿) or "none" (no report yet),
    for each of ``departments``."""
    m = s.mart_score
    rows = conn.execute(sa.select(m.c.department_code, m.c.missing)
                        .where(m.c.year == year, m.c.department_code.in_(departments)))
    found = {str(code): "draft" if missing else "final" for code, missing in rows}
    return {code: found.get(code, "none") for code in departments}
