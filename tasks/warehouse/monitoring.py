"""In-year 绩效运行监控: each department's 支付进度 against 序时进度, defined once.

For a year not yet closed, 支付进度 is the payments dated up to the data's date (``as_of``) over the
year's 全年预算数, and 序时进度 is the share of the year elapsed by then (月份 / 12 at a month's end).
:func:`payment_progress` gives both for each department, in total, per 资金来源 and per project; the run's
artifact, the roll-up's monitoring table and the lag rule (MON-001, :mod:`tasks.report.monitoring`) all
read it. Money is integer 分; rates are exact :class:`~decimal.Decimal` fractions (0.5 = 50 %).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from tasks.warehouse import schema as s
from tasks.warehouse.queries import named

LEVELS = ("total", "fund_source", "project")  # the rows of one department, in this order
TOTAL_NAME = "合计"


@dataclass(frozen=True)
class Progress:
    """One row of the monitoring table: a department's total, one of its 资金来源, or one project.

    ``key`` is the fund source or project code ("" for the total); ``budget_fen`` the 全年预算数 and
    ``paid_fen`` the payments dated up to ``as_of``, both in 分."""

    department_code: str
    department_name: str
    level: str
    key: str
    name: str
    budget_fen: int
    paid_fen: int

    @property
    def rate(self) -> Decimal | None:
        """支付进度 as a fraction (0.4847 = 48.47 %); None without a budget."""
        return rate_of(self.paid_fen, self.budget_fen)


def rate_of(paid_fen: int, budget_fen: int) -> Decimal | None:
    """支付进度 (执行率): ``paid_fen`` over ``budget_fen`` as an exact fraction; None without a budget."""
    return Decimal(paid_fen) / Decimal(budget_fen) if budget_fen else None


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def time_progress(as_of: dt.date) -> Decimal:
    """序时进度 at ``as_of``, a fraction: (months elapsed + the month's elapsed share) / 12, so that a
    month's end gives 月份 / 12 exactly (30 June → 0.5)."""
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return (Decimal(as_of.month - 1) + Decimal(as_of.day) / Decimal(days)) / Decimal(12)


@named("The departments whose year is open: budget lines loaded, no 决算总表 yet (fct_budget_line, "
       "fct_reported_total)")
def open_departments(conn: sa.Connection, year: int) -> list[str]:
    line, total = s.fct_budget_line, s.fct_reported_total
    closed = sa.select(total.c.department_code).where(total.c.year == year)
    rows = conn.execute(sa.select(line.c.department_code).distinct()
                        .where(line.c.year == year, line.c.department_code.not_in(closed))
                        .order_by(line.c.department_code))
    return [str(r[0]) for r in rows]


@named("The months of a year in which each of some departments paid (int_line_ledger_by_day)")
def paying_months(conn: sa.Connection, year: int, departments: list[str]) -> dict[str, set[int]]:
    """Department code → the months (1-12) it has a payment dated in."""
    p = s.int_line_ledger_by_day
    month = sa.extract("month", p.c.pay_date)
    rows = conn.execute(sa.select(p.c.department_code, month).distinct()
                        .where(p.c.year == year, p.c.department_code.in_(departments)))
    out: dict[str, set[int]] = {}
    for code, m in rows:
        out.setdefault(str(code), set()).add(int(m))
    return out


def reached(months: set[int]) -> int | None:
    """The month a department's ledger reaches: its latest month that follows a month it also paid in (or
    its first month). Salaries are paid monthly, so a ledger runs month after month; one payment typed
    months ahead stands alone after a gap and does not count."""
    return max((m for m in months if m == min(months) or m - 1 in months), default=None)


def data_month(paying: dict[str, set[int]]) -> int | None:
    """The month the district's data reaches: the latest month at least half the paying departments'
    ledgers reach (:func:`reached`). None when nothing is paid yet."""
    ends = sorted((m for m in (reached(months) for months in paying.values()) if m is not None), reverse=True)
    return ends[(len(ends) - 1) // 2] if ends else None


def as_of_date(month: int | None, year: int, today: dt.date, setting: dt.date | None = None) -> dt.date | None:
    """The data's date: ``setting`` when it falls in ``year``; otherwise the end of :func:`data_month`,
    but never after ``today`` (the run's date: a ledger exported mid-month is measured to the day).
    None when nothing is paid yet."""
    if setting is not None and setting.year == year:
        return setting
    if month is None:
        return None
    end = month_end(dt.date(year, month, 1))
    return min(end, today) if today >= dt.date(year, 1, 1) else end


@named("Payments dated after the data's date, per department: not counted in 支付进度 (int_line_ledger_by_day)")
def later_payments(conn: sa.Connection, year: int, as_of: dt.date, departments: list[str]) -> dict[str, int]:
    p = s.int_line_ledger_by_day
    rows = conn.execute(sa.select(p.c.department_code, sa.func.sum(p.c.payments))
                        .where(p.c.year == year, p.c.pay_date > as_of, p.c.department_code.in_(departments))
                        .group_by(p.c.department_code))
    return {str(code): int(n) for code, n in rows}


@named("Departments the warehouse knows with no budget lines for a year: not monitored (dim_department, "
       "fct_budget_line)")
def without_data(conn: sa.Connection, year: int) -> list[tuple[str, str]]:
    d, line = s.dim_department, s.fct_budget_line
    rows = conn.execute(sa.select(d.c.department_code, d.c.department_name)
                        .where(d.c.department_code.not_in(sa.select(line.c.department_code)
                                                          .where(line.c.year == year)))
                        .order_by(d.c.department_code))
    return [(str(code), str(name)) for code, name in rows]


@named("支付进度 as of a date: payments dated up to it over 全年预算数, per department in total, per 资金来源 "
       "and per project (fct_budget_line, int_line_ledger_by_day)")
def payment_progress(conn: sa.Connection, year: int, as_of: dt.date, departments: list[str]) -> list[Progress]:
    """The monitoring rows of ``departments``: for each, its total, then its 资金来源 in their order,
    then its projects by code. Budget lines without payments count with 0 paid."""
    line, pay, dep = s.fct_budget_line, s.int_line_ledger_by_day, s.dim_department
    fund, project = s.dim_fund_source, s.dim_project
    paid = (sa.select(pay.c.department_code, pay.c.line_id, sa.func.sum(pay.c.paid_fen).label("paid_fen"))
            .where(pay.c.year == year, pay.c.pay_date <= as_of, pay.c.department_code.in_(departments))
            .group_by(pay.c.department_code, pay.c.line_id).subquery("paid"))
    lines = (sa.select(line.c.department_code, line.c.fund_source_code, line.c.project_code, line.c.budget_fen,
                       sa.func.coalesce(paid.c.paid_fen, 0).label("paid_fen"))
             .select_from(line.outerjoin(paid, sa.and_(paid.c.department_code == line.c.department_code,
                                                       paid.c.line_id == line.c.line_id)))
             .where(line.c.year == year, line.c.department_code.in_(departments)).subquery("lines"))
    budget, spent = sa.func.sum(lines.c.budget_fen), sa.func.sum(lines.c.paid_fen)
    total = sa.select(lines.c.department_code, sa.literal(0).label("level"), sa.literal("").label("key"),
                      sa.literal(TOTAL_NAME).label("name"), sa.literal(0).label("sort"),
                      budget.label("budget_fen"), spent.label("paid_fen")).group_by(lines.c.department_code)
    by_fund = (sa.select(lines.c.department_code, sa.literal(1), lines.c.fund_source_code, fund.c.fund_source_name,
                         fund.c.sort_order, budget, spent)
               .select_from(lines.join(fund, fund.c.fund_source_code == lines.c.fund_source_code))
               .group_by(lines.c.department_code, lines.c.fund_source_code, fund.c.fund_source_name,
                         fund.c.sort_order))
    by_project = (sa.select(lines.c.department_code, sa.literal(2), lines.c.project_code, project.c.project_name,
                            sa.literal(0), budget, spent)
                  .select_from(lines.join(project, sa.and_(project.c.department_code == lines.c.department_code,
                                                           project.c.year == year,
                                                           project.c.project_code == lines.c.project_code)))
                  .group_by(lines.c.department_code, lines.c.project_code, project.c.project_name))
    union = sa.union_all(total, by_fund, by_project).subquery("progress")
    rows = conn.execute(
        sa.select(union.c.department_code, dep.c.department_name, union.c.level, union.c.key, union.c.name,
                  union.c.budget_fen, union.c.paid_fen)
        .select_from(union.join(dep, dep.c.department_code == union.c.department_code))
        .order_by(union.c.department_code, union.c.level, union.c.sort, union.c.key))
    return [Progress(str(r[0]), str(r[1]), LEVELS[int(r[2])], str(r[3]), str(r[4]), int(r[5]), int(r[6]))
            for r in rows]
