"""The run's extracted data (:class:`RunData`), as the gate takes it.

The rule views themselves are SQL (``tasks/quality/sql/checks.sql``), built in the run database
(:mod:`tasks.quality.rundb`), and so is the model graph shared with the warehouse (``tasks/sql``).
What stays here is the in-memory form of a run's extracted data: its year and departments, the shared
sources' frames, and the run database the finance datasets were appended to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from tasks.quality.rundb import RunDatabase

ROW, SOURCE = "_row", "_source"


@dataclass
class RunData:
    """Everything staged for one run: a year, its departments, and the sources' frames; or, in a flow
    run, every source's rows in ``staged`` (then ``data["payments"]`` and ``data["enterprises"]`` raise
    KeyError: the rows are in the run database)."""

    year: int
    departments: pd.DataFrame  # department_code, department_name, region_code, ...
    frames: dict[str, pd.DataFrame]
    # The run database, when finance datasets were appended to it department by department instead of
    # being held here as frames (:meth:`RunDatabase.append`).
    staged: RunDatabase | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def codes(self) -> list[str]:
        return list(self.departments["department_code"])
