"""What the reports of several department-years read from the warehouse, read once for all of them.

A department-year is a key that selects rows: :class:`Keys` runs each report query (every metric of the
registry, the splits by 资金来源 and 支出性质, the 绩效目标, the funds block, the years held, the rules and
the source files of provenance) once for all its departments, ``department_code IN (…)``, and hands each
report its own rows. Rendering 60 departments then costs about 40 statements, not 40 × 60.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tasks import glossary as gl
from tasks.warehouse import queries as q
from tasks.warehouse.metrics import Measured, Registry, measure_keys


@dataclass
class Keys:
    """The warehouse as the reports of ``departments`` in ``year`` read it. Every accessor runs its query
    for all the departments the first time it is asked for one of them. Raises LookupError for a
    department the warehouse does not hold."""

    conn: sa.Connection
    registry: Registry
    year: int
    departments: list[str]
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def _once(self, key: Any, compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def department(self, code: str) -> dict[str, object]:
        found = self._once("departments", lambda: q.departments_of(self.conn, self.departments)).get(code)
        if found is None:
            raise LookupError(gl.NOT_IN_WAREHOUSE.format(code=code))
        return found

    @property
    def regions(self) -> dict[str, str]:
        """Department → region code, for the departments the warehouse holds."""
        held = self._once("departments", lambda: q.departments_of(self.conn, self.departments))
        return {code: str(row["region_code"]) for code, row in held.items()}

    def measured(self, code: str, year: int | None = None,
                 names: frozenset[str] | None = None) -> dict[str, Measured]:
        """The registry's metrics (or ``names``) for a department, in ``year`` (the keys' own by default)."""
        y = self.year if year is None else year
        found = self._once(("measured", y, names), lambda: measure_keys(self.conn, self.registry, self.regions, y,
                                                                         names))
        return found[code]

    def splits(self, code: str) -> dict[str, list[q.Split]]:
        return {"fund_source": self._once("fund", lambda: q.spending_by_fund_source(
                    self.conn, self.departments, self.year))[code],
                "expense_type": self._once("expense", lambda: q.spending_by_expense_type(
                    self.conn, self.departments, self.year))[code]}

    def targets(self, code: str) -> list[q.TargetRow]:
        return self._once("targets", lambda: q.performance_targets(self.conn, self.departments, self.year))[code]

    def closed(self, code: str) -> bool:
        return self._once("closed", lambda: q.years_closed(self.conn, self.departments, self.year))[code]

    def funds(self, code: str) -> tuple[list[q.FundsRow], bool]:
        return self._once("funds", lambda: q.funds_by_nature(self.conn, self.departments, self.year))[code]

    def projects(self, code: str) -> list[q.ProjectRow]:
        return self._once("projects", lambda: q.projects_of(self.conn, self.departments, self.year))[code]

    def project_funds(self, code: str, project: str) -> tuple[list[q.FundsRow], bool]:
        found = self._once("project_funds", lambda: q.project_funds(self.conn, self.departments, self.year))
        return found.get((code, project)) or q.empty_funds()

    def project_targets(self, code: str) -> list[q.ProjectTargetRow]:
        return self._once("project_targets", lambda: q.project_targets(self.conn, self.departments, self.year))[code]

    def project_summary(self, code: str, project: str) -> dict[str, str | None] | None:
        return self._once("project_summaries", lambda: q.project_summaries(
            self.conn, self.departments, self.year)).get((code, project))

    def rectifications(self, code: str) -> list[q.RectificationRow]:
        return self._once("rectifications", lambda: q.rectifications(self.conn, self.departments, self.year))[code]

    def history(self, code: str) -> list[q.YearTotals]:
        return self._once("history", lambda: q.department_years(self.conn, self.departments, self.year))[code]

    def open_years(self, code: str) -> dict[int, dt.date]:
        """The department's years without a 决算总表, up to the report's, with their ledger's last date."""
        return self._once("open_years", lambda: q.open_years(self.conn, self.departments, self.year))[code]

    def rule_results(self, code: str) -> list[dict[str, object]]:
        return self._once("rules", lambda: q.rule_results(self.conn, self.departments, self.year))[code]

    def sources(self, table: str, code: str, year: int | None) -> list[tuple[str, str, int]]:
        """The files ``table``'s rows of a department (of its region, for statistics) came from; ``year``
        narrows the rows when the table has one."""
        regional = table == "fct_indicator_value"
        key = "region_code" if regional else "department_code"
        values = sorted(set(self.regions.values())) if regional else list(self.departments)
        where = {} if year is None else {"year": year}
        found = self._once(("sources", table, year), functools.partial(
            q.sources_of, self.conn, table, key, values, where))
        return found.get(self.regions[code] if regional else code, [])
