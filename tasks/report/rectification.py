"""The 双监控's follow-up (整改跟踪): the bureau's 整改要求 on a lit item and the department's 整改结果, as the
monitoring forms, the bureau's summary and the year-end 项目支出绩效自评表 show them.

The rows are :class:`tasks.warehouse.queries.RectificationRow` (``rectification.csv``, fct_rectification). Each is
read as of a day: a 整改要求 given after it is not shown; one without a 整改结果 and 整改完成日期 by then is 未完成,
and 逾期 once its 整改期限 has passed. Pure functions; docs/monitoring.md, "整改跟踪".
"""

from __future__ import annotations

import datetime as dt

from tasks.report.grid import Cell, Row
from tasks.warehouse.queries import RectificationRow

SPENDING = "资金执行"
OWN = "部门整体"
HEADERS = ("整改事项", "下达日期", "整改要求", "整改期限", "整改结果", "状态")
SPANS = (2, 1, 3, 1, 2, 1)  # ten columns, as both forms


def _day(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def item_of(row: RectificationRow) -> str:
    """What the 整改 is about: its 三级指标, or 资金执行 for the spending."""
    return row.indicator or SPENDING


def status(row: RectificationRow, day: dt.date) -> str:
    """已完成（M月D日）, 未完成, or 逾期未完成 as of ``day``."""
    if not row.open_on(day):
        return f"已完成（{_day(row.done_on)}）"
    return "逾期未完成" if row.overdue_on(day) else "未完成"


def known_on(rows: list[RectificationRow], day: dt.date) -> list[RectificationRow]:
    """The rows given by ``day``, in 下达日期 order."""
    return sorted((r for r in rows if r.requested_on <= day), key=lambda r: (r.requested_on, r.indicator))


def grid_rows(rows: list[RectificationRow], day: dt.date, heading: str = "整改跟踪") -> list[Row]:
    """The 整改 of one form as rows of ten cells: a heading, the column heads, one row per 整改要求 known by
    ``day`` (its 整改结果 shown only once done by then). Empty when there is none."""
    known = known_on(rows, day)
    if not known:
        return []
    out: list[Row] = [[Cell(f"{heading}（截至{_day(day)}）", 10, "head")],
                      [Cell(h, span, "head") for h, span in zip(HEADERS, SPANS, strict=True)]]
    for r in known:
        done = not r.open_on(day)
        out.append([Cell(item_of(r), 2), Cell(_day(r.requested_on)), Cell(r.requirement, 3), Cell(_day(r.deadline)),
                    Cell((r.outcome or "") if done else "—", 2),
                    Cell(status(r, day), 1, "value", "" if done else "red" if r.overdue_on(day) else "yellow")])
    return out


def year_end(year: int, rows: list[RectificationRow]) -> dt.date:
    """The day a closed year's 自评表 reads its 整改 as of: 31 December, or the last 整改完成日期 if later (an 整改
    finished the next spring shows as done); the same every night, so the form does not change by itself."""
    return max([dt.date(year, 12, 31), *(r.done_on for r in rows if r.done_on is not None)])


def open_items(rows: list[RectificationRow], day: dt.date) -> list[RectificationRow]:
    """The 整改 still open on ``day``: overdue first, then by 下达日期."""
    return sorted((r for r in rows if r.open_on(day)), key=lambda r: (not r.overdue_on(day), r.requested_on))


def summary_lines(rows: list[RectificationRow], day: dt.date, names: dict[str, str],
                  projects: dict[tuple[str, str], str]) -> list[str]:
    """The bureau's 整改 follow-up as markdown: counts, then each 整改 still open (overdue first) with its
    department, project, item, 下达日期, 整改期限 and 要求. ``names``: department code → name; ``projects``:
    (department, project code) → project name."""
    known = [r for r in rows if r.requested_on <= day]
    if not known:
        return []
    still = open_items(known, day)
    overdue = sum(1 for r in still if r.overdue_on(day))
    lines = [f"整改跟踪（截至{_day(day)}）：已下达整改要求 {len(known)} 项，已完成 {len(known) - len(still)} 项，"
             f"未完成 {len(still)} 项（其中逾期 {overdue} 项）。", ""]
    if still:
        lines += ["| 状态 | 部门 | 项目 | 整改事项 | 下达日期 | 整改期限 | 整改要求 |", "|---|---|---|---|---|---|---|",
                  *(f"| {status(r, day)} | {names.get(r.department_code, r.department_code)} | "
                    f"{projects.get((r.department_code, r.project_code), r.project_code) if r.project_code else OWN}"
                    f" | {item_of(r)} | {_day(r.requested_on)} | {_day(r.deadline)} | {r.requirement} |"
                    for r in still), ""]
    return lines
