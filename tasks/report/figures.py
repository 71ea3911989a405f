"""The figures of one department-year, read from the warehouse by named queries.

A :class:`Figure` keeps the exact value next to its written form and says which query
produced it, so the HTML can link each number to its provenance and ``selfeval explain``
can print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tasks.domain import EXPENSE_TYPES, FUND_SOURCES, INDICATOR_RD, PROGRAM_HITECH, PROGRAM_SRDI
from tasks.report import formatting as fmt
from tasks.warehouse import queries as q


@dataclass
class Figure:
    name: str
    value: Any  # exact: int (分 or a count), Decimal (a ratio), or a list
    text: str  # as written in the report
    query: str  # the named query in tasks.warehouse.queries
    description: str
    tables: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Figures:
    department_code: str
    year: int
    department_name: str
    region_code: str
    items: dict[str, Figure] = field(default_factory=dict)
    splits: dict[str, list[q.Split]] = field(default_factory=dict)

    def add(self, figure: Figure) -> None:
        self.items[figure.name] = figure

    def __getitem__(self, name: str) -> Figure:
        return self.items[name]

    def __contains__(self, name: str) -> bool:
        return name in self.items


FINANCE_TABLES = ("fct_budget_line", "fct_payment")

# Every figure read_figures gives, so that a narrative can be checked before any data is loaded.
FIGURE_NAMES = frozenset({
    "budget", "executed", "carryover", "execution_rate", "carryover_rate",
    *(f"{kind}_{code}" for kind in ("fund", "share_fund") for code, _ in FUND_SOURCES),
    *(f"{kind}_{code}" for kind in ("expense", "share_expense") for code, _ in EXPENSE_TYPES),
    "paid_q1", "paid_q2", "paid_q3", "paid_q4",
    "srdi_applicants", "hitech_first", "hitech_first_prev", "hitech_first_growth", "rd_growth",
    "signed_projects", "registered_projects", "agreed_investment", "agreed_output",
})


def read_figures(conn: sa.Connection, department: str, year: int) -> Figures:
    """Every figure the templates may use, for ``department`` in ``year``."""
    d = q.department(conn, department)
    figs = Figures(department, year, str(d["department_name"]), str(d["region_code"]))
    params = {"department": department, "year": year}

    funds = q.spending_by_fund_source(conn, department, year)
    kinds = q.spending_by_expense_type(conn, department, year)
    figs.splits = {"fund_source": funds, "expense_type": kinds}
    budget = sum(s.budget_fen for s in funds)
    executed = sum(s.executed_fen for s in funds)
    carryover = sum(s.carryover_fen for s in funds)
    rate = fmt.ratio(executed, budget)

    def money(name: str, fen: int, query: str, description: str, tables: tuple[str, ...] = FINANCE_TABLES,
              **extra: Any) -> None:
        figs.add(Figure(name, fen, fmt.wan(fen), query, description, tables, {**params, **extra}))

    money("budget", budget, "spending_by_fund_source", "全年预算数 (万元): Σ budget of the budget lines")
    money("executed", executed, "spending_by_fund_source", "执行数 (万元): Σ payments in the ledger")
    money("carryover", carryover, "spending_by_fund_source", "年末结转和结余 (万元): Σ carryover of the lines")
    figs.add(Figure("execution_rate", rate, fmt.percent(rate), "spending_by_fund_source",
                    "完成预算 (%): executed / budget, whole percent, half up", FINANCE_TABLES, params))
    share_rate = fmt.ratio(carryover, executed)
    figs.add(Figure("carryover_rate", share_rate, fmt.percent(share_rate, 2), "spending_by_fund_source",
                    "结转结余率 (%): carryover / executed", FINANCE_TABLES, params))
    for split in funds:
        share = fmt.ratio(split.executed_fen, executed)
        figs.add(Figure(f"share_fund_{split.code}", share, fmt.percent(share, 2), "spending_by_fund_source",
                        f"{split.name}占比 (%): its execution / all execution", FINANCE_TABLES,
                        {**params, "fund_source": split.code}))
    for split in kinds:
        share = fmt.ratio(split.executed_fen, executed)
        figs.add(Figure(f"share_expense_{split.code}", share, fmt.percent(share, 2), "spending_by_expense_type",
                        f"{split.name}占比 (%): its execution / all execution", FINANCE_TABLES,
                        {**params, "expense_type": split.code}))
    for split in funds:
        # A fund source with no budget lines is written "0": nothing was appropriated from it.
        text = fmt.wan(split.executed_fen) if split.lines else "0"
        figs.add(Figure(f"fund_{split.code}", split.executed_fen, text, "spending_by_fund_source",
                        f"{split.name}支出 (万元)", FINANCE_TABLES, {**params, "fund_source": split.code}))
    for split in kinds:
        text = fmt.wan(split.executed_fen) if split.lines else "0"
        figs.add(Figure(f"expense_{split.code}", split.executed_fen, text, "spending_by_expense_type",
                        f"{split.name} (万元)", FINANCE_TABLES, {**params, "expense_type": split.code}))

    paid = q.paid_by_quarter(conn, department, year)
    for i, fen in enumerate(paid, start=1):
        share = fmt.ratio(fen, budget)
        figs.add(Figure(f"paid_q{i}", share, fmt.percent(share, 2), "paid_by_quarter",
                        f"第{i}季度末累计支付进度 (%): Σ payments to the quarter's end / budget",
                        ("fct_payment", "fct_budget_line"), params))

    srdi = q.applicants(conn, department, year, PROGRAM_SRDI)
    figs.add(Figure("srdi_applicants", srdi, str(srdi), "applicants",
                    "省级专精特新 applicants (distinct enterprises)", ("fct_application",),
                    {**params, "program": PROGRAM_SRDI}))
    first = q.applicants(conn, department, year, PROGRAM_HITECH, first_only=True)
    first_prev = q.applicants(conn, department, year - 1, PROGRAM_HITECH, first_only=True)
    figs.add(Figure("hitech_first", first, str(first), "applicants",
                    "首次申报高企认定 enterprises", ("fct_application",),
                    {**params, "program": PROGRAM_HITECH, "first_only": True}))
    figs.add(Figure("hitech_first_prev", first_prev, str(first_prev), "applicants",
                    "首次申报高企认定 enterprises, the year before", ("fct_application",),
                    {**params, "year": year - 1, "program": PROGRAM_HITECH, "first_only": True}))
    g = fmt.growth(first, first_prev)
    figs.add(Figure("hitech_first_growth", g, fmt.percent(g), "applicants",
                    "首次申报高企认定 同比增长 (%)", ("fct_application",), params))

    rd = q.indicator_by_industry(conn, figs.region_code, year, INDICATOR_RD)
    growth_by_industry: dict[str, Decimal | None] = {}
    for industry, (now, before) in rd.items():
        growth_by_industry[industry] = fmt.growth(now, before) if before is not None else None
    figs.add(Figure("rd_growth", growth_by_industry,
                    "、".join(f"{k} {fmt.percent(v)}%" for k, v in growth_by_industry.items()),
                    "indicator_by_industry", "R&D投入 同比增长 by industry", ("fct_indicator_value",),
                    {"region": figs.region_code, "year": year, "indicator": INDICATOR_RD}))

    inv = q.investments(conn, department, year)
    for name, value, text, description in (
        ("signed_projects", inv.signed, str(inv.signed), "新签约项目 (个)"),
        ("registered_projects", inv.registered, str(inv.registered), "新注册项目 (个)"),
        ("agreed_investment", inv.agreed_investment_fen, fmt.yi(inv.agreed_investment_fen),
         "协议投资金额 (亿元) of projects signed in the year"),
        ("agreed_output", inv.agreed_output_fen, fmt.yi(inv.agreed_output_fen),
         "协议达产年产值或营收 (亿元) of projects signed in the year"),
    ):
        figs.add(Figure(name, value, text, "investments", description, ("fct_investment_project",), params))
    return figs
