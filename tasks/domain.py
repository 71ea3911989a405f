"""The vocabulary of a 部门整体支出绩效自评报告: fund sources, expense types, programmes.

These lists are fixed by the budget law and the finance bureau's forms, so they are code,
not configuration; their order is the order the report writes them in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# The finance bureau's clock: a run's year, a night and a data date are dates in China Standard Time.
TIMEZONE = ZoneInfo("Asia/Shanghai")


# The report years a run takes: a form's bounds and the command line's.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def today() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return dt.datetime.now(TIMEZONE).date()

# 资金来源, in the order the report lists them.
FUND_SOURCES: tuple[tuple[str, str], ...] = (
    ("GPB", "一般公共预算财政拨款"),
    ("GFB", "政府性基金预算财政拨款"),
    ("SOC", "国有资本经营预算财政拨款"),
    ("OTH", "其他资金"),
)
FUND_SOURCE_NAMES = tuple(name for _, name in FUND_SOURCES)
FUND_SOURCE_CODE = {name: code for code, name in FUND_SOURCES}

# 支出性质.
EXPENSE_TYPES: tuple[tuple[str, str], ...] = (("BASIC", "基本支出"), ("PROJECT", "项目支出"))
EXPENSE_TYPE_NAMES = tuple(name for _, name in EXPENSE_TYPES)
EXPENSE_TYPE_CODE = {name: code for code, name in EXPENSE_TYPES}

# 资金性质 of a budget line: this year's appropriation, or last year's carried forward.
FUND_NATURE_CURRENT = "当年财政拨款"
FUND_NATURE_CARRIED = "上年结转"
FUND_NATURES = (FUND_NATURE_CURRENT, FUND_NATURE_CARRIED)

# 绩效目标: an indicator's 指标性质 (more is better, less is better, exactly, or qualitative), the
# grades a qualitative indicator is assessed by, and the 完成值来源 of an actual a department reports.
TARGET_NATURES = ("≥", "≤", "=", "定性")
QUALITATIVE_GRADES = ("达成", "部分达成", "未达成")
REPORTED = "reported"

# 双监控 (绩效运行监控): whether a target can still be met, and the kinds of reason for a deviation.
LIKELIHOODS = ("确定能", "有可能", "不可能")
REASON_CATEGORIES = ("经费保障", "制度保障", "人员保障", "硬件保障", "其他")

# 收支决算总表 rows: the grand total, then the parts by fund source and by expense type.
SUMMARY_TOTAL = "合计"
SUMMARY_ITEMS = (SUMMARY_TOTAL, *FUND_SOURCE_NAMES, *EXPENSE_TYPE_NAMES)

# Programmes in the enterprise registry's applications and certifications.
PROGRAM_SRDI = "省级专精特新中小企业"
PROGRAM_HITECH = "高新技术企业认定"
APPLICATION_RESULTS = ("通过", "未通过", "评审中")

# Statistics indicators that the report reads; the bureau publishes more, which are kept too.
INDICATOR_RD = "RD_EXP"
INDUSTRY_ALL = "全部行业"

# Money is held as integer 分 (fen) from staging to the warehouse; these convert units.
FEN_PER_UNIT = {"分": 1, "元": 100, "千元": 100_000, "万元": 1_000_000, "亿元": 10_000_000_000}
