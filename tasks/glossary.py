"""The words a bureau's staff read, in one place: Chinese first, English in brackets where operators need it.

Every text a run shows to people (the run's artifact, the data-quality page, alerts, the CLI's one-line
errors) takes its words from here, so that a term is translated once and a test can hold every artifact
to the list of English words it may contain (:data:`ALLOWED_ENGLISH`).

Shapes: :func:`both` gives ``"中文（English）"``; the mappings give the Chinese term of a code value
(``STATUS["draft"] == "草稿"``); :func:`status` and :func:`severity` add the English code in brackets.
"""

from __future__ import annotations

import re


def both(chinese: str, english: str) -> str:
    """``chinese`` with ``english`` in full-width brackets: ``both("草稿", "draft") == "草稿（draft）"``."""
    return f"{chinese}（{english}）"


# A department-year's outcome in a run (tasks.pipeline.DepartmentOutcome.status).
STATUS = {
    "loaded": "已入库",
    "draft": "草稿",
    "refused": "未通过校验",
    "failed": "报告生成失败",
    "skipped": "未变化，未重算",
    "no data yet": "本年尚无数据",
    "rerendered": "已重新生成",
}
# The sources an input comes from (tasks.sources.contract.SourceName).
SOURCE = {"finance": "财政数据", "statistics": "统计数据", "registry": "企业登记数据"}
# A rule's severity (templates/rules.yaml).
SEVERITY = {"fatal": "致命", "warning": "警告"}
# A review decision (the review form's choices).
DECISION = {"approved": "批准", "returned": "退回", "approve": "批准", "return": "退回", "awaiting": "待审核"}


def status(code: str) -> str:
    """The Chinese term of a run status, with the code in brackets: ``"草稿（draft）"``; an unknown code as is."""
    return both(STATUS[code], code) if code in STATUS else code


def decision(code: str) -> str:
    """``"批准（approved）"``, ``"退回（returned）"``, ``"待审核（awaiting）"``; an unknown code as is."""
    return both(DECISION[code], code) if code in DECISION else code


def source(code: str) -> str:
    """``"财政数据（finance）"``, ``"统计数据（statistics）"``, ``"企业登记数据（registry）"``; another code as is."""
    return both(SOURCE[code], code) if code in SOURCE else code


def severity(code: str) -> str:
    """``"致命（fatal）"`` or ``"警告（warning）"``; an unknown code as is."""
    return both(SEVERITY[code], code) if code in SEVERITY else code


# Headings and labels.
RUN_TITLE = "自评报告生成情况"
DEPARTMENT = "部门"
RESULT = "结果"
SCORE = "总分"
WARNINGS = "警告数"
RULES = "未通过的规则"
MISSING = "尚未提交"
PROJECTS = "项目自评"
REPORT = "报告"
REASON = "原因"
STAGE = "阶段"
SECONDS = "秒"
DATA_QUALITY = "数据质量检查"
DATA_QUALITY_PAGE = "数据质量检查结果"
RULE = "规则"
RULE_NAME = "规则名称"
SEVERITY_HEADING = "严重程度"
PASSED = "是否通过"
YES, NO = "通过", "未通过"
FAILING_ROWS = "不符行数"
EXAMPLE = "示例"
ROWS = "行"
USAGE_ERROR = both("参数错误", "usage error")
OPEN_YEAR = "年度未结束"
STAGES = {"plan": "准备", "extract": "读取数据", "validate": "数据校验", "promote": "入库", "render": "生成报告",
          "review": "审核", "monitor": "执行监控", "close": "收尾", "total": "合计"}
DATA_DOCS = both("GX 数据文档", "Data Docs")
FORMATS = {"html": "网页", "pdf": "PDF", "docx": "Word", "md": "Markdown", "provenance": "数据来源",
           "projects": "项目自评表", "errors": "错误明细"}

ALERT_REFUSED = "数据未通过校验，未入库"
INPUT_PROBLEM = "输入文件有误"  # the label of an input refusal's row (rule INPUT) on the page and in alerts
ALERT_WARNINGS = "数据质量警告"

SERVER_START_FAILED = ("Prefect 临时服务器 {seconds:g} 秒内未能启动（Prefect's temporary server did not start within "
                       "{seconds:g} s）：请加大 SELFEVAL_PREFECT_START_SECONDS 后重试，或先运行 make serve 并设置 "
                       "PREFECT_API_URL（raise SELFEVAL_PREFECT_START_SECONDS and retry, or start make serve and set "
                       "PREFECT_API_URL）")
SERVER_UNREACHABLE = ("无法连接 Prefect 服务器 {url}（cannot reach the Prefect server）：请确认 make serve 正在运行，"
                      "或清空 PREFECT_API_URL 以使用临时服务器（check that make serve is running, or unset "
                      "PREFECT_API_URL）")

WAREHOUSE_UNREACHABLE = ("无法连接数据仓库 {url}（cannot reach the warehouse）：请确认数据库正在运行、地址正确"
                         "（--warehouse 或 SELFEVAL_WAREHOUSE_URL）{held}"
                         "（check that the database is running and its address is right{held_en}）"
                         "（the database said: {reason}）")
WAREHOUSE_FILE_HELD = ("，且没有其他进程占用该文件", ", and that no other process holds its file")

# English words a staff-facing text may contain besides rule ids, codes, file names and addresses: the
# technical names operators type or see elsewhere. A test reads every artifact and alert against it.
ALLOWED_ENGLISH = frozenset({
    "selfeval", "prefect", "pdf", "html", "docx", "md", "markdown", "word", "csv", "xlsx", "yaml", "sha",
    "url", "api", "make", "serve", "sql", "duckdb", "postgresql", "excel", "wps", "gx",
    *STATUS, *SEVERITY, *DECISION, "usage", "error",
})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z]+")
# What is not prose: addresses, paths and file names, rule ids (FIN-001), setting names (SELFEVAL_X).
_NOT_PROSE = re.compile(r"（(?:[^（）]|（[^（）]*）)*）|\([^()\s]*\)|https?://[^\s)]+|file://[^\s)]+|[\w./-]+\.(?:html|md|pdf|docx|csv|xlsx|yaml|json)\b"
                        r"|\b[A-Z]{2,}-\d{3}\b|[\w-]*\d[\w-]*|\b[A-Z][A-Z0-9_]{3,}\b|`[^`]*`")


def english_words(text: str) -> set[str]:
    """The English words of ``text`` outside :data:`ALLOWED_ENGLISH`, ignoring English in full-width brackets
    after its Chinese (:func:`both`) and a code in ASCII ones (a column's: 支付金额 (amount)), addresses, paths,
    file names, rule ids and setting names (lower-cased)."""
    prose = _NOT_PROSE.sub(" ", text)
    return {w.lower() for w in _TOKEN.findall(prose)} - ALLOWED_ENGLISH
