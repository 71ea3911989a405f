"""Staged frames → warehouse rows for one department-year partition (pure functions).

The partition a department-year load replaces:
- finance facts (budget lines, reported totals, payments), projects, and the 绩效目标 and 绩效自评
  of that year;
- the department's applications up to that year, and its investment projects signed up to it
  (the registry is a snapshot of history, and the report compares with the year before);
- its region's indicator values up to that year.
Dimensions it references (department, period, enterprises, indicators) are upserted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tasks.domain import EXPENSE_TYPE_CODE, FUND_SOURCE_CODE
from tasks.quality.views import (
    ROW,
    SOURCE,
    RunData,
    department_applications,
    department_enterprises,
    department_investments,
)


@dataclass
class Partition:
    department_code: str
    year: int
    region_code: str
    tables: dict[str, pd.DataFrame]
    inputs_sha256: str
    # Lineage the same on every row (the run and its load time): written once per table.
    constants: dict[str, object] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def with_first_applications(applications: pd.DataFrame) -> pd.DataFrame:
    """Flag each application that is its enterprise's first in its programme, over the whole registry."""
    apps = applications.copy()
    first_year = apps.groupby(["uscc", "program"])["year"].transform("min")
    apps["first_application"] = (apps["year"] == first_year).astype(bool)
    return apps


def inputs_digest(files: dict[str, str]) -> str:
    """One hash over the content hashes of a partition's inputs (order-independent)."""
    text = json.dumps(sorted(files.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lineage(frame: pd.DataFrame, hashes: dict[str, str]) -> pd.DataFrame:
    """Per-row lineage: the source file, its content hash and the row in it."""
    uri = frame[SOURCE].astype(str)
    sha = uri.map(hashes).astype(object)  # an empty frame maps to float64; fill text, not NaN
    out = frame.drop(columns=[ROW, SOURCE]).assign(
        source_uri=uri, source_sha256=sha.where(sha.notna(), "").astype("str"), source_row=frame[ROW].astype("int64"))
    return out


def build_partition(
    data: RunData, code: str, run_id: str, loaded_at: dt.datetime, hashes: dict[str, str],
) -> Partition:
    """The rows of department ``code``'s partition for ``data.year``, with lineage."""
    year = data.year
    dept = data.departments[data.departments["department_code"] == code]
    region = str(dept["region_code"].iloc[0])

    def mine(name: str) -> pd.DataFrame:
        frame = data[name]
        return frame[frame["department_code"] == code]

    def lin(frame: pd.DataFrame) -> pd.DataFrame:
        return _lineage(frame, hashes)

    lines = mine("budget_lines")
    tables: dict[str, pd.DataFrame] = {}
    tables["dim_department"] = lin(dept.assign(synthetic=dept["synthetic"].fillna(False).astype(bool)))
    tables["dim_period"] = pd.DataFrame({
        "year": [year], "start_date": [dt.date(year, 1, 1)], "end_date": [dt.date(year, 12, 31)],
        "label": [f"{year}年度"],
    })
    tables["dim_project"] = lin(
        lines.assign(year=year, expense_type_code=lines["expense_type"].map(EXPENSE_TYPE_CODE))
        .drop_duplicates(subset=["project_code"])
    )
    tables["fct_budget_line"] = lin(lines.assign(
        year=year,
        fund_source_code=lines["fund_source"].map(FUND_SOURCE_CODE),
        expense_type_code=lines["expense_type"].map(EXPENSE_TYPE_CODE),
        budget_fen=lines["budget"], reported_executed_fen=lines["executed"], carryover_fen=lines["carryover"],
        initial_budget_fen=lines["initial_budget"], fund_nature=lines["fund_nature"],
    ))
    targets = mine("targets").sort_values(ROW)
    tables["fct_performance_target"] = lin(targets.assign(
        year=year, position=np.arange(1, len(targets) + 1, dtype="int64")))
    tables["fct_performance_actual"] = lin(mine("self_assessment").assign(year=year))
    summary = mine("summary")
    tables["fct_reported_total"] = lin(summary.assign(
        year=year, budget_fen=summary["budget"], executed_fen=summary["executed"],
        carryover_fen=summary["carryover"]))
    pay = mine("payments")
    tables["fct_payment"] = lin(pay.assign(year=year, amount_fen=pay["amount"]))

    scope = RunData(year, dept, data.frames)  # the registry rows this department-year owns
    tables["fct_application"] = lin(department_applications(scope))
    inv = department_investments(scope)
    tables["fct_investment_project"] = lin(inv.assign(
        signed_date=inv["signed"], registered_date=inv["registered"],
        agreed_investment_fen=inv["agreed_investment"], agreed_output_fen=inv["agreed_output"]))
    refs = department_enterprises(scope)
    tables["dim_enterprise"] = lin(
        refs.drop(columns=["department_code"]).drop_duplicates(subset=["uscc"]).rename(
            columns={"name": "enterprise_name"}))
    ind = data["indicators"]
    ind = ind[(ind["region_code"] == region) & (ind["year"] <= year)]
    tables["fct_indicator_value"] = lin(ind)
    tables["dim_indicator"] = lin(ind.drop_duplicates(subset=["indicator_code"]))

    used: set[str] = set()
    for frame in tables.values():
        if "source_uri" in frame:
            used.update(frame["source_uri"].unique())
    own_files = {uri: hashes[uri] for uri in used if uri in hashes}
    return Partition(
        department_code=code, year=year, region_code=region, tables=tables,
        inputs_sha256=inputs_digest(own_files),
        row_counts={name: len(frame) for name, frame in tables.items()},
        constants={"run_id": run_id, "loaded_at": loaded_at},
    )
