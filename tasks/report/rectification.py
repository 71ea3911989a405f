"""The 双监控's follow-up (整改跟踪): the bureau's 整改要求 on a lit item and the department's 整改结果, as the
monitoring forms, the bureau's summary and the year-end 项目支出绩效自评表 show them.

The rows are :class:`tasks.warehouse.queries.RectificationRow` (``rectification.csv``, fct_rectification). Each is
read as of a day: a 整改要求 given after it is not shown; one without a 整改结果 and an 整改完成日期 by then is open —
未完成, 逾期未完成 once its 整改期限 has passed, 待确认 when a 整改结果 is written without its date; a closed one is
按期完成 or 逾期完成 against its 整改期限 (已完成 without one). Pure functions; docs/monitoring.md, "整改跟踪".
"""

from __future__ import annotations

import datetime as dt

from tasks.report import formatting as fmt
from tasks.report.grid import Cell, Row
from tasks.report.monitoring import chinese_date
from tasks.warehouse.queries import RectificationRow

SPENDING = "资金执行"
OWN = "部门整体"
HEADERS = ("整改事项", "下达日期", "整改要求", "整改期限", "整改结果", "状态")
MONITORING_SPANS = (2, 1, 2, 1, 2, 2)  # the 绩效运行监控表's ten columns (tasks/report/dual.py WIDTHS)
PROJECT_SPANS = (2, 1, 3, 1, 2, 1)  # the 项目支出绩效自评表's ten columns


def short(day: dt.date | None) -> str:
    """2023-07-10, as a form's narrow date cell writes it; — for none."""
    return "—" if day is None else day.isoformat()


def item_of(row: RectificationRow) -> str:
    """What the 整改 is about: its 三级指标, or 资金执行 for the spending."""
    return row.indicator or SPENDING


def status(row: RectificationRow, day: dt.date) -> str:
    """The 整改's state as of ``day``: 按期完成 / 逾期完成 / 已完成（its date）, or 未完成, 逾期未完成, 待确认."""
    if not row.open_on(day):
        assert row.done_on is not None  # closed: a result and its date
        kind = ("已完成" if row.deadline is None else "逾期完成" if row.done_on > row.deadline else "按期完成")
        return f"{kind}（{short(row.done_on)}）"
    if row.outcome and row.done_on is None:
        return ("逾期待确认" if row.overdue_on(day) else "待确认") + "（未填整改完成日期）"
    late = "逾期未完成" if row.overdue_on(day) else "未完成"
    return f"{late}（未填整改结果）" if row.done_on is not None and row.done_on <= day else late


def shown_outcome(row: RectificationRow, day: dt.date) -> str:
    """The 整改结果 a form shows as of ``day``: once closed by then, or written without its date (待确认)."""
    if row.outcome and (not row.open_on(day) or row.done_on is None):
        return row.outcome
    return "—"


def known_on(rows: list[RectificationRow], day: dt.date) -> list[RectificationRow]:
    """The rows given by ``day``, in 下达日期 order."""
    return sorted((r for r in rows if r.requested_on <= day), key=lambda r: (r.requested_on, r.indicator))


def row_problems(row: RectificationRow, indicators: set[str] | None) -> list[str]:
    """What is wrong with a 整改 row, in words for the form's 说明: an item not among its form's 绩效目标
    (``indicators``; None: its project has no form), dates out of order. Empty when none."""
    where = OWN if not row.project_code else f"项目 {row.project_code}"
    if indicators is None:
        return [f"整改跟踪表中{where}（{chinese_date(row.requested_on)}下达）：本部门没有该项目，未采用。"]
    out = []
    if row.indicator and row.indicator not in indicators:
        out.append(f"整改跟踪表中{where}的「{row.indicator}」不是其绩效目标中的三级指标，请核对。")
    if row.deadline is not None and row.deadline < row.requested_on:
        out.append(f"整改跟踪表中{where}「{item_of(row)}」的整改期限 {short(row.deadline)} 早于下达日期 "
                   f"{short(row.requested_on)}，请核对。")
    if row.done_on is not None and row.done_on < row.requested_on:
        out.append(f"整改跟踪表中{where}「{item_of(row)}」的整改完成日期 {short(row.done_on)} 早于下达日期 "
                   f"{short(row.requested_on)}，请核对。")
    return out


def year_end(year: int, rows: list[RectificationRow]) -> dt.date:
    """The day a closed year's 自评表 reads its 整改 as of: 31 December, or the last 整改完成日期 if later (an 整改
    finished the next spring shows as done); the same every night, so the form does not change by itself."""
    return max([dt.date(year, 12, 31), *(r.done_on for r in rows if r.done_on is not None)])


def grid_rows(rows: list[RectificationRow], day: dt.date, heading: str = "整改跟踪",
              spans: tuple[int, ...] = MONITORING_SPANS) -> list[Row]:
    """The 整改 of one form as rows of ten cells: a heading, the column heads, one row per 整改要求 known by
    ``day``. Empty when there is none."""
    known = known_on(rows, day)
    if not known:
        return []
    out: list[Row] = [[Cell(f"{heading}（截至{chinese_date(day)}）", 10, "head")],
                      [Cell(h, span, "head") for h, span in zip(HEADERS, spans, strict=True)]]
    for r in known:
        text = status(r, day)
        light = "" if not r.open_on(day) else "red" if r.overdue_on(day) else "yellow"
        cells = (item_of(r), short(r.requested_on), r.requirement, short(r.deadline), shown_outcome(r, day))
        out.append([*(Cell(c, span) for c, span in zip(cells, spans, strict=False)), Cell(text, spans[-1], "value",
                                                                                           light)])
    return out


def open_items(rows: list[RectificationRow], day: dt.date) -> list[RectificationRow]:
    """The 整改 still open on ``day``: overdue first, then by 下达日期."""
    return sorted((r for r in rows if r.open_on(day)), key=lambda r: (not r.overdue_on(day), r.requested_on))


def followup(rows: list[RectificationRow], day: dt.date, names: dict[str, str],
             projects: dict[tuple[str, str], str]) -> tuple[str, list[dict[str, str]]] | None:
    """The bureau's 整改 follow-up as of ``day``: a sentence of counts, and each 整改 still open (overdue first)
    as a table row — 状态, 部门, 项目, 整改事项, 下达日期, 整改期限, 整改要求, 整改结果. ``names``: department code →
    name; ``projects``: (department, project code) → project name. None when nothing was requested by ``day``."""
    known = known_on(rows, day)
    if not known:
        return None
    still = open_items(known, day)
    overdue = sum(1 for r in still if r.overdue_on(day))
    sentence = (f"整改跟踪（截至{chinese_date(day)}）：已下达整改要求 {len(known)} 项，"
                f"已完成 {len(known) - len(still)} 项，未完成 {len(still)} 项（其中逾期 {overdue} 项）。")

    def project(r: RectificationRow) -> str:
        return projects.get((r.department_code, r.project_code), r.project_code) if r.project_code else OWN

    return sentence, [{"状态": status(r, day), "部门": names.get(r.department_code, r.department_code),
                       "项目": project(r), "整改事项": item_of(r), "下达日期": short(r.requested_on),
                       "整改期限": short(r.deadline), "整改要求": r.requirement, "整改结果": shown_outcome(r, day)}
                      for r in still]


def summary_lines(rows: list[RectificationRow], day: dt.date, names: dict[str, str],
                  projects: dict[tuple[str, str], str]) -> list[str]:
    """:func:`followup` as Markdown: the sentence, then the table of the 整改 still open; empty when none was
    requested by ``day``."""
    found = followup(rows, day, names, projects)
    if found is None:
        return []
    sentence, still = found
    table = fmt.markdown_table([{k: fmt.md_cell(v) for k, v in r.items()} for r in still]) if still else []
    return [sentence, "", *table, *([""] if table else [])]
