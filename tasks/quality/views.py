"""Rule views: the frames Great Expectations checks, built from staged data.

A reconciliation rule compares two things ("the ledger" and "the reported execution").
Each view lays such a comparison out one row per thing checked, with the department the
row belongs to and the source file and row it came from, so that a failing row can be
reported exactly where the operator has to fix it. Views are pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.domain import EXPENSE_TYPE_NAMES, FUND_SOURCE_NAMES, SUMMARY_TOTAL

ROW, SOURCE, IDX = "_row", "_source", "_idx"
MEASURES = ("budget", "executed", "carryover")


@dataclass
class RunData:
    """Everything staged for one run: a year, its departments, and the three sources' frames."""

    year: int
    departments: pd.DataFrame  # department_code, department_name, region_code, ...
    frames: dict[str, pd.DataFrame]

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


ViewBuilder = Callable[[RunData], pd.DataFrame]

# The datasets each view reads: which rules have checked a figure follows from this.
VIEW_DATASETS: dict[str, tuple[str, ...]] = {
    "budget_lines": ("budget_lines",),
    "payments": ("payments",),
    "summary": ("summary",),
    "summary_items": ("summary",),
    "summary_fund_parts": ("summary",),
    "summary_expense_parts": ("summary",),
    "lines_vs_summary": ("budget_lines", "summary"),
    "ledger_vs_lines": ("budget_lines", "payments"),
    "payment_lines": ("payments", "budget_lines"),
    "applications": ("applications", "enterprises"),
    "investment_projects": ("investment_projects", "enterprises"),
    "enterprises": ("enterprises",),
    "indicators": ("indicators",),
    "indicator_yoy": ("indicators",),
    "figure_scale": ("investment_projects", "summary"),
}
VIEWS: dict[str, ViewBuilder] = {}


def view(name: str) -> Callable[[ViewBuilder], ViewBuilder]:
    def register(fn: ViewBuilder) -> ViewBuilder:
        VIEWS[name] = fn
        return fn

    return register


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame[IDX] = np.arange(len(frame), dtype="int64")
    return frame


# Registry and statistics rows are checked once per department that reads them.


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


def department_indicators(data: RunData) -> pd.DataFrame:
    """Indicator values of each department's region, for the years up to the report's year."""
    regions = data.departments[["department_code", "region_code"]]
    ind = data["indicators"]
    return ind[ind["year"] <= data.year].merge(regions, on="region_code", how="inner")


@view("budget_lines")
def budget_lines(data: RunData) -> pd.DataFrame:
    lines = data["budget_lines"].copy()
    lines["over_budget"] = lines["executed"] - lines["budget"]
    lines["unspent"] = lines["budget"] - lines["executed"]
    lines["carryover_excess"] = lines["carryover"] - lines["unspent"]
    return _finish(lines)


@view("payments")
def payments(data: RunData) -> pd.DataFrame:
    pay = data["payments"].copy(deep=False)  # copy-on-write: the view adds columns, shares the rest
    pay["pay_year"] = pay["pay_date"].dt.year.astype("int64")
    # FIN-004 checks uniqueness on this exact integer stand-in for 支付凭证号 (equal codes exactly when
    # equal numbers): GX's uniqueness check on 1M strings held ~500 MB more than on integers.
    pay["voucher_key"] = pd.factorize(pay["voucher_no"])[0].astype("int64")
    return _finish(pay)


@view("summary")
def summary(data: RunData) -> pd.DataFrame:
    return _finish(data["summary"].copy())


@view("summary_items")
def summary_items(data: RunData) -> pd.DataFrame:
    """One row per department and 决算总表 item it must state; ``present`` says whether it does.

    A missing row has no row number, but still names the file it is missing from.
    """
    s = data["summary"]
    files = s.groupby("department_code")[SOURCE].first().astype(str)
    wanted = pd.DataFrame({"department_code": files.index, "item": SUMMARY_TOTAL})
    out = wanted.merge(s[["department_code", "item", ROW]], on=["department_code", "item"], how="left")
    out[SOURCE] = out["department_code"].map(files)
    out["present"] = out[ROW].notna()
    return _finish(out)


def _parts_against_total(data: RunData, parts: tuple[str, ...], check: str) -> pd.DataFrame:
    s = data["summary"]
    total = s[s["item"] == SUMMARY_TOTAL].set_index("department_code")
    part_sum = s[s["item"].isin(parts)].groupby("department_code")[list(MEASURES)].sum()
    rows = []
    for measure in MEASURES:
        frame = pd.DataFrame({
            "department_code": total.index,
            "check": check,
            "measure": measure,
            "provided": part_sum.reindex(total.index)[measure].fillna(0).astype("int64").to_numpy(),
            "expected": total[measure].to_numpy(),
            SOURCE: total[SOURCE].astype(str).to_numpy(),
            ROW: total[ROW].to_numpy(),
        })
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    out["difference"] = out["provided"] - out["expected"]
    return out


@view("summary_fund_parts")
def summary_fund_parts(data: RunData) -> pd.DataFrame:
    return _finish(_parts_against_total(data, FUND_SOURCE_NAMES, "资金来源"))


@view("summary_expense_parts")
def summary_expense_parts(data: RunData) -> pd.DataFrame:
    return _finish(_parts_against_total(data, EXPENSE_TYPE_NAMES, "支出性质"))


@view("lines_vs_summary")
def lines_vs_summary(data: RunData) -> pd.DataFrame:
    """Budget lines added up against the 决算总表's 合计, measure by measure."""
    s = data["summary"]
    total = s[s["item"] == SUMMARY_TOTAL].set_index("department_code")
    sums = data["budget_lines"].groupby("department_code")[list(MEASURES)].sum()
    rows = []
    for measure in MEASURES:
        rows.append(pd.DataFrame({
            "department_code": total.index,
            "measure": measure,
            "provided": sums.reindex(total.index)[measure].fillna(0).astype("int64").to_numpy(),
            "expected": total[measure].to_numpy(),
            SOURCE: total[SOURCE].astype(str).to_numpy(),
            ROW: total[ROW].to_numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    out["difference"] = out["provided"] - out["expected"]
    return _finish(out)


@view("ledger_vs_lines")
def ledger_vs_lines(data: RunData) -> pd.DataFrame:
    """Each budget line's reported execution against the sum of its payments."""
    lines = data["budget_lines"]
    ledger = data["payments"].groupby(["department_code", "line_id"], as_index=False)["amount"].sum()
    out = lines[["department_code", "line_id", "project_name", "executed", ROW, SOURCE]].merge(
        ledger, on=["department_code", "line_id"], how="left")
    out["provided"] = out["amount"].fillna(0).astype("int64")
    out["expected"] = out["executed"]
    out["difference"] = out["provided"] - out["expected"]
    return _finish(out.drop(columns=["amount"]))


@view("payment_lines")
def payment_lines(data: RunData) -> pd.DataFrame:
    """Each payment with whether its 指标编号 is one of its department's budget lines."""
    pay = data["payments"][["department_code", "voucher_no", "line_id", ROW, SOURCE]]
    known = data["budget_lines"][["department_code", "line_id"]].drop_duplicates().assign(line_known=True)
    out = pay.merge(known, on=["department_code", "line_id"], how="left")
    out["line_known"] = out["line_known"].fillna(False).astype(bool)
    return _finish(out)


@view("applications")
def applications(data: RunData) -> pd.DataFrame:
    apps = department_applications(data).copy()
    apps["enterprise_known"] = apps["uscc"].isin(data["enterprises"]["uscc"])
    return _finish(apps)


@view("investment_projects")
def investment_projects(data: RunData) -> pd.DataFrame:
    inv = department_investments(data).copy()
    inv["enterprise_known"] = inv["uscc"].isna() | inv["uscc"].isin(data["enterprises"]["uscc"])
    inv["days_to_register"] = (inv["registered"] - inv["signed"]).dt.days.astype("float64")
    return _finish(inv)


@view("enterprises")
def enterprises(data: RunData) -> pd.DataFrame:
    return _finish(department_enterprises(data))


@view("indicators")
def indicators(data: RunData) -> pd.DataFrame:
    return _finish(department_indicators(data))


@view("indicator_yoy")
def indicator_yoy(data: RunData) -> pd.DataFrame:
    """The report year's indicator values against the year before, as a relative change."""
    ind = department_indicators(data)
    keys = ["department_code", "region_code", "indicator_code", "industry"]
    now = ind[ind["year"] == data.year]
    before = ind[ind["year"] == data.year - 1][[*keys, "value"]].rename(columns={"value": "previous"})
    out = now.merge(before, on=keys, how="inner")
    out["provided"] = out["value"]
    out["expected"] = out["previous"]
    prev = out["previous"].where(out["previous"] != 0)
    out["yoy_change"] = (out["value"] / prev - 1).astype("float64")
    out["difference"] = out["value"] - out["previous"]
    return _finish(out)


SCALED_FIGURES = {"agreed_investment": "协议投资额", "agreed_output": "协议达产年产值或营收"}


@view("figure_scale")
def figure_scale(data: RunData) -> pd.DataFrame:
    """Each department-year money figure of the registry against the year before and the budget.

    One row per department and figure (协议投资额, 协议达产年产值或营收 of the projects signed in the
    year): ``provided`` (分), ``previous`` (the year before, 分), ``budget`` (the 决算总表's 合计 全年预算数,
    分), ``jump`` = the larger of provided/previous and previous/provided (both above zero, else NaN)
    and ``budget_scale`` = provided/budget. A file read in the wrong unit shows as a jump of 10,000×.
    The row named is the year's largest project, the first place to look.
    """
    inv = data["investment_projects"]
    inv = inv[inv["department_code"].isin(data.codes)]
    year = inv["signed"].dt.year
    s = data["summary"]
    budget = s[s["item"] == SUMMARY_TOTAL].groupby("department_code")["budget"].sum()
    now = inv[year == data.year]
    before = inv[year == data.year - 1]
    rows = []
    for column, label in SCALED_FIGURES.items():
        sums = now.groupby("department_code")[column].sum()
        previous = before.groupby("department_code")[column].sum().reindex(sums.index)
        largest = now.loc[now.groupby("department_code")[column].idxmax()].set_index("department_code") \
            if len(now) else now.set_index("department_code")
        provided = sums.astype("float64")
        prev = previous.astype("float64")
        both = (provided > 0) & (prev > 0)
        scale = budget.reindex(sums.index).astype("float64")
        rows.append(pd.DataFrame({
            "department_code": sums.index,
            "figure": label,
            "provided": sums.to_numpy(dtype="int64"),
            "previous": previous.fillna(0).to_numpy(dtype="int64"),
            "budget": scale.fillna(0).to_numpy(dtype="int64"),
            "jump": np.where(both, np.maximum(provided / prev.where(both, 1), prev / provided.where(both, 1)),
                             np.nan),
            "budget_scale": (provided / scale.where(scale > 0)).to_numpy(dtype="float64"),
            SOURCE: largest[SOURCE].reindex(sums.index).astype(str).to_numpy(),
            ROW: largest[ROW].reindex(sums.index).to_numpy(),
        }))
    columns = ["department_code", "figure", "provided", "previous", "budget", "jump", "budget_scale", SOURCE, ROW]
    return _finish(pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns))
