"""Problems found in source data, phrased for the operator who has to fix the file."""

from __future__ import annotations

from dataclasses import dataclass

from tasks import glossary as gl


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected instead."""

    source: str
    uri: str
    message: str
    row: int | None = None
    column: str | None = None
    expected: str | None = None
    department: str | None = None
    severity: str = "error"  # "error" stops the department-year; "warning" is reported only
    sheet: str | None = None  # the workbook sheet, for a workbook

    def __str__(self) -> str:
        """Chinese first, as staff read it: ``财政数据（finance）：…/payments.csv，第 4 行，「支付金额 (amount)」列：
        「一百元」不是金额（'一百元' is not an amount）；应为 …``. The messages carry their English in brackets."""
        where = [f"{gl.source(self.source)}：{self.uri}"]
        if self.sheet is not None:
            where.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column is not None:
            where.append(self.column if self.column.startswith("第") else f"「{self.column}」列")
        text = "，".join(where) + f"：{self.message}"
        if self.expected:
            text += f"；应为 {self.expected}"
        return text


class SourceError(Exception):
    """An input that cannot be read or typed. Carries the :class:`Problem` that says why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class DatasetAbsent(SourceError):
    """The dataset is not there at all (no file, no table, no records for the department-year), as
    opposed to being there and malformed. An optional dataset that is absent has no rows."""
