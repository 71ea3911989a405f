"""The run's extracted data (:class:`RunData`), as the loader takes it.

The rule views themselves are SQL (``tasks/quality/sql/checks.sql``), built in the run database
(:mod:`tasks.quality.rundb`). What stays here is the in-memory form of a run's extracted data, as the
loader hands it to the warehouse, one department at a time.
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
    run, the statistics and registry as frames and the finance datasets in ``staged`` (then
    ``data["payments"]`` raises KeyError: read a department's rows with :meth:`only`)."""

    year: int
    departments: pd.DataFrame  # department_code, department_name, region_code, ...
    frames: dict[str, pd.DataFrame]
    # The run database, when finance datasets were appended to it department by department instead of
    # being held here as frames (:meth:`RunDatabase.append`); :meth:`only` reads a department's rows back.
    staged: RunDatabase | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def codes(self) -> list[str]:
        return list(self.departments["department_code"])

    def only(self, code: str) -> RunData:
        """This run's data as one department sees it: what a worker loading that department needs."""
        deps = self.departments[self.departments["department_code"] == code].reset_index(drop=True)
        regions = set(deps["region_code"])
        frames = {}
        if self.staged is not None:
            for name in self.staged.staged():
                frames[name] = self.staged.department_frame(name, code)
        for name, frame in self.frames.items():
            if "department_code" in frame.columns:
                frames[name] = frame[frame["department_code"] == code]
            elif name == "indicators":
                frames[name] = frame[frame["region_code"].isin(regions)]
            else:
                frames[name] = frame
        used = set(frames.get("applications", pd.DataFrame(columns=["uscc"]))["uscc"]) | set(
            frames.get("investment_projects", pd.DataFrame(columns=["uscc"]))["uscc"].dropna())
        if "enterprises" in frames:
            frames["enterprises"] = frames["enterprises"][frames["enterprises"]["uscc"].isin(used)]
        return RunData(self.year, deps, frames)


# The loader's scope of a department-year in the registry; the gate's is int_department_* in SQL.


def department_applications(data: RunData) -> pd.DataFrame:
    apps = data["applications"]
    return apps[apps["department_code"].isin(data.codes) & (apps["year"] <= data.year)]


def department_investments(data: RunData) -> pd.DataFrame:
    inv = data["investment_projects"]
    return inv[inv["department_code"].isin(data.codes) & (inv["signed"].dt.year <= data.year)]


def department_enterprises(data: RunData) -> pd.DataFrame:
    """Registry rows referenced by each department's applications and investment projects."""
    refs = pd.concat([
        department_applications(data)[["department_code", "uscc"]],
        department_investments(data)[["department_code", "uscc"]].dropna(),
    ]).drop_duplicates()
    return refs.merge(data["enterprises"], on="uscc", how="inner")
