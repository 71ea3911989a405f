"""Problems found in source data, phrased for the operator who has to fix the file."""

from __future__ import annotations

from dataclasses import dataclass


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
        where = [f"{self.source}: {self.uri}"]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where) + f": {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class SourceError(Exception):
    """An input that cannot be read or typed. Carries the :class:`Problem` that says why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class DatasetAbsent(SourceError):
    """The dataset is not there at all (no file, no table, no records for the department-year), as
    opposed to being there and malformed. An optional dataset that is absent has no rows."""
