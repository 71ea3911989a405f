"""Finance tables read from an existing database (the finance office's system) by SQLAlchemy URL.

Tables are named after the datasets (``departments``, ``budget_lines``, ``payments``,
``summary``) unless configured otherwise; their columns use the contract's names or Chinese
headers. The per-department tables also carry the year (``year`` or ``预算年度``), by which
they are filtered. The password comes in with the URL from the environment, and is never logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa

from tasks.glossary import both
from tasks.sources.contract import Dataset, SourceName
from tasks.sources.errors import DatasetAbsent, Problem, SourceError
from tasks.sources.raw import RawTable

YEAR_COLUMNS = ("year", "预算年度", "年度")


class SqlSource:
    concurrent_reads = False  # one connection, read one query at a time

    def __init__(self, name: SourceName, url: str, tables: dict[str, str] | None = None):
        self.name = name
        self.url = sa.engine.make_url(url)
        self.tables = tables or {}
        self._engine: sa.Engine | None = None

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, pool_pre_ping=True)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        return None  # only reading the data tells whether it changed

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        table_name = self.tables.get(dataset.name, dataset.name)
        uri = f"{self.describe()}#{table_name}"

        def fail(message: str, expected: str, column: str | None = None) -> SourceError:
            return SourceError(Problem(self.name, uri, message, column=column, expected=expected,
                                       department=department))

        def absent(message: str, expected: str) -> DatasetAbsent:
            return DatasetAbsent(Problem(self.name, uri, message, expected=expected, department=department))

        try:
            table = sa.Table(table_name, sa.MetaData(), autoload_with=self.engine)
        except sa.exc.NoSuchTableError as exc:
            raise absent(both(f"数据表 {table_name} 不存在", f"the table {table_name} does not exist"),
                         both(f"存放{dataset.label}的数据表 {table_name}", f"a table {table_name} with"
                                                                     f" {dataset.title}")) from exc
        except sa.exc.DBAPIError as exc:
            raise fail(both("无法读取数据库", f"the database cannot be read ({type(exc.orig).__name__})"),
                       both("可连接的数据库", "a reachable database")) from exc
        query = sa.select(table)
        if dataset.per_department:
            dept_col = _column(table, dataset.column("department_code").headers)
            year_col = _column(table, YEAR_COLUMNS)
            if dept_col is None or year_col is None:
                missing = "部门编码 (department_code)" if dept_col is None else "预算年度 (year)"
                raise fail(both(f"数据表没有用来选取部门年度的列 {missing}",
                                f"the table has no column {missing} to select a department-year by"), missing, missing)
            query = query.where(dept_col == department, year_col == year)
            uri += f"?department={department}&year={year}"
        with self.engine.connect() as conn:
            result = conn.execute(query.order_by(*table.primary_key.columns) if table.primary_key else query)
            columns = [c for c in result.keys() if c not in YEAR_COLUMNS]  # noqa: SIM118 (a Result, not a dict)
            rows = [[_text(row._mapping[c]) for c in columns] for row in result]
        if not rows:
            raise absent(both("数据表中没有此部门年度的记录", "the table has no records for this selection"),
                         both("至少一条记录", "at least one record"))
        frame = pd.DataFrame(rows, columns=columns, dtype="str")
        digest = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
        return RawTable(dataset=dataset, source=self.name, uri=uri, sha256=digest, frame=frame, first_row=1)


def _column(table: sa.Table, names: tuple[str, ...]) -> sa.Column[Any] | None:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def _text(value: Any) -> str:
    """A database value as the exact text staging reads: decimals unrounded, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
