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
    "no data yet": "该年度尚无数据",
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
# an input refusal's row for a file every department reads (statistics, registry): the department has nothing to mend
SHARED_INPUT_PROBLEM = both(
    "全区共用的输入文件有误（统计数据或企业名录），由运维人员修正后重新运行，本部门无需修改文件",
    "a file every department reads (statistics or registry) is malformed: the operator mends it and runs again; "
    "nothing for the department to change")
INTERRUPTED = both("已中断，运行未完成：数据仓库不会只载入一半（入库一次完成），再次运行即可，未完成的部门会重做",
                   "interrupted before the run finished: the warehouse is never half loaded; run again, and what was "
                   "not finished is redone")
TERMINATED = both("已终止（收到 SIGTERM），运行未完成：数据仓库不会只载入一半（入库一次完成），再次运行即可",
                  "terminated (SIGTERM) before the run finished: the warehouse is never half loaded; run again")
INPUT_NOTE = "输入文件提示"  # the label of an input warning (rule INPUT) in the report's 数据质量说明 and the CLI
ALERT_WARNINGS = "数据质量警告"

SERVER_START_FAILED = ("Prefect 临时服务器 {seconds:g} 秒内未能启动（Prefect's temporary server did not start within "
                       "{seconds:g} s）：请加大 SELFEVAL_PREFECT_START_SECONDS 后重试，或先运行 make serve 并设置 "
                       "PREFECT_API_URL（raise SELFEVAL_PREFECT_START_SECONDS and retry, or start make serve and set "
                       "PREFECT_API_URL）")
SERVER_UNREACHABLE = ("无法连接 Prefect 服务器 {url}（cannot reach the Prefect server）：请确认 make serve 正在运行，"
                      "或清空 PREFECT_API_URL 以使用临时服务器（check that make serve is running, or unset "
                      "PREFECT_API_URL）")

OUT_OF_MEMORY = ("运行数据库内存不足（the run database ran out of memory）：{stage}时 DuckDB 在 "
                 "SELFEVAL_RUN_MEMORY_LIMIT（{limit}）内无法完成，本次运行未写入数据仓库；"
                 "请调高该设置后重试，并确认 SELFEVAL_SCRATCH_DIR 所在磁盘有空间"
                 "（raise SELFEVAL_RUN_MEMORY_LIMIT and retry, and check the free space where SELFEVAL_SCRATCH_DIR is; "
                 "nothing of this run was loaded）（DuckDB: {reason}）")
WAREHOUSE_UNREACHABLE = ("无法连接数据仓库 {url}（cannot reach the warehouse）：请确认数据库正在运行、地址正确"
                         "（--warehouse 或 SELFEVAL_WAREHOUSE_URL）{held}"
                         "（check that the database is running and its address is right{held_en}）"
                         "（the database said: {reason}）")
WAREHOUSE_URL_INVALID = ("数据仓库地址 {url} 无法识别或缺少其驱动（the warehouse address is not a URL SQLAlchemy can "
                         "open here）：请检查 "
                         "--warehouse 或 SELFEVAL_WAREHOUSE_URL，如 duckdb:///var/warehouse.duckdb（相对路径）、"
                         "duckdb:////srv/selfeval/warehouse.duckdb（绝对路径，四个斜杠）或 "
                         "postgresql+psycopg://user@host:5432/db")
WAREHOUSE_NO_DATABASE = ("数据仓库服务器已应答，但没有数据库 {database}"
                         "（the server at {url} answered, but holds no database {database}）："
                         "请先创建它（如 createdb {database}），或检查 --warehouse 或 SELFEVAL_WAREHOUSE_URL 中的库名"
                         "（create it, or check the database name in the address）（the database said: {reason}）")
WAREHOUSE_LOGIN_REFUSED = ("数据仓库服务器拒绝登录 {url}（the server refused the login）：请检查用户名和密码"
                           "（SELFEVAL_WAREHOUSE_PASSWORD 或 SELFEVAL_WAREHOUSE_PASSWORD_BLOCK）及服务器的访问规则"
                           "（check the user, the password and the server's pg_hba.conf）"
                           "（the database said: {reason}）")
WAREHOUSE_NO_DATABASE_NAMED = ("数据仓库地址 {url} 未写数据库名（the PostgreSQL address names no database: the server "
                               "would use the one named after the user, such as postgres）：请在地址末尾写上库名，如 "
                               "postgresql+psycopg://user@host:5432/selfeval")
WAREHOUSE_IN_MEMORY = ("数据仓库地址 {url} 不是文件（an in-memory DuckDB keeps nothing between connections）："
                       "请写文件路径，如 duckdb:///var/selfeval/warehouse.duckdb")
WAREHOUSE_FILE_MISSING = ("数据仓库文件不存在：{path}（no warehouse file there: nothing has been loaded into it）："
                          "请检查 --warehouse 或 SELFEVAL_WAREHOUSE_URL 中的路径；首次运行 selfeval run 时才新建它")
WAREHOUSE_NEW_FILE = ("注意（note）：新建数据仓库 {path}：这是一个空的新仓库，报告中将没有以前年度的数据可比；"
                      "如本应使用已有的仓库，请停止运行并检查路径（a new, empty warehouse file: the reports will "
                      "have no earlier years to compare with; if you meant an existing one, stop and check the path）")
WAREHOUSE_NEW_TABLES = ("注意（note）：数据仓库 {url} 中还没有 selfeval 的表，将在其中新建："
                        "报告中将没有以前年度的数据可比；如本应使用已有的仓库，请停止运行并检查地址"
                        "（this database holds no selfeval warehouse yet: its tables are made there; "
                        "if you meant an existing one, stop and check the address）")
WAREHOUSE_MADE = ("注意（note）：本次运行新建了数据仓库 {where}，其中没有以前年度的数据（this run made a new warehouse "
                  "there）：如本应使用已有的仓库，请检查 --warehouse 或 SELFEVAL_WAREHOUSE_URL")
REFUSED_SINCE = ("注意（note）：{code} {year}：{text}（its latest data was refused and not loaded: what follows is of "
                 "the data loaded before）")
WAREHOUSE_ASYNC_DRIVER = ("数据仓库地址 {url} 的驱动 {driver} 是异步驱动，selfeval 用同步驱动（selfeval connects "
                          "synchronously, not with {driver}）：请写 postgresql+psycopg://user@host:5432/selfeval")
WAREHOUSE_DUCKDB_SLASHES = ("数据仓库地址 {url} 少了一个斜杠（a DuckDB address has three slashes before its path: "
                            "two read the first folder as a host）：请写 duckdb:///相对路径 或 duckdb:////绝对路径，"
                            "如 duckdb:////var/selfeval/warehouse.duckdb")
WAREHOUSE_NOT_SELFEVAL = ("数据仓库 {url} 中没有 selfeval 的表（this database holds no selfeval warehouse: no "
                          "alembic_version）：请检查 --warehouse 或 SELFEVAL_WAREHOUSE_URL；"
                          "首次运行 selfeval run 时才建表，本命令不在其中建表")
WAREHOUSE_FOREIGN = ("数据仓库 {url} 的 alembic_version（版本 {revision}）不是本 selfeval 能升级的版本："
                     "是另一个应用的数据库，或已由更新版本的 selfeval 升级过"
                     "（its alembic_version is none this selfeval can migrate from: another application's "
                     "database, or one a newer selfeval upgraded）：请检查 --warehouse 或 SELFEVAL_WAREHOUSE_URL，"
                     "或更新 selfeval；selfeval 不在其中建表")
WAREHOUSE_UNSUPPORTED = ("数据仓库地址 {url} 不是 DuckDB 或 PostgreSQL（selfeval's warehouse is DuckDB or PostgreSQL, "
                         "not {backend}）：请写 duckdb:///var/selfeval/warehouse.duckdb 或 "
                         "postgresql+psycopg://user@host:5432/selfeval")
WAREHOUSE_FILE_HELD = ("，且没有其他进程占用该文件", ", and that no other process holds its file")

# A Prefect state's type, as a flow run's message names it (the nightly's and the backfill's years).
RUN_STATE = {"COMPLETED": "已完成", "FAILED": "失败", "CANCELLED": "已取消", "CRASHED": "异常中止",
             "CANCELLING": "正在取消", "PAUSED": "已暂停", "RUNNING": "运行中", "PENDING": "等待中",
             "SCHEDULED": "已计划"}


def run_state(value: str) -> str:
    """``"已完成（COMPLETED）"`` for a Prefect state type's value; an unknown one as is."""
    return both(RUN_STATE[value], value) if value in RUN_STATE else value


def years_line(results: dict[int, str]) -> str:
    """The years of a nightly or backfill run and how each ended: ``"2022 年：已完成（COMPLETED）；2023 年：…"``."""
    return "；".join(f"{year} 年：{run_state(value)}" for year, value in results.items())


# The run forms' fields (the flows' parameters), as the Prefect UI labels them: 年度（year）.
PARAMETERS = {"year": "年度", "first_year": "起始年度", "last_year": "结束年度", "departments": "部门",
              "source": "数据目录", "warehouse_url": "数据仓库地址", "output_dir": "输出目录",
              "finance_source": "财政数据", "statistics_source": "统计数据", "registry_source": "企业登记数据",
              "narrative_dir": "自评材料目录", "rerender_only": "只重新生成报告", "force": "全部重算",
              "review": "审核", "today": "运行日期"}

ALL_DEPARTMENTS = "全部部门"
NARRATIVE = both("文字材料", "narrative")  # how a narrative's errors begin: 文字材料（narrative） <file>，…
NOT_IN_WAREHOUSE = "数据仓库中没有部门 {code}（department not in the warehouse）"
NOT_LOADED = "{codes} {year} 年未入库（not loaded for {year}）"  # the department-years a command was asked for

REVIEW_NEEDS_SERVER = ("审核需要审核人能打开界面的 Prefect 服务器：请设置 PREFECT_API_URL"
                       "（普通运行的临时服务器没有界面），或关闭审核（--review、SELFEVAL_REVIEW）"
                       "（review needs a Prefect server whose UI reviewers can open）")
NOT_A_CODE = "部门编码格式不正确（not a department code）：{codes}"
LAGGING = both("滞后", "lagging")
INVALID_SETTING = both("设置有误", "invalid setting")

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) as what is wrong with a
# value (a setting, a narrative's field); {ge} and the like are the error's context.
VALUE_PROBLEMS = {
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "decimal_parsing": "应为数字", "decimal_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "date_parsing": "应为日期，如 2023-06-30", "date_from_datetime_parsing": "应为日期，如 2023-06-30",
    "date_type": "应为日期，如 2023-06-30",
    "greater_than_equal": "应不小于 {ge}", "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}", "less_than": "应小于 {lt}",
    "json_invalid": "应为 JSON", "json_type": "应为 JSON", "list_type": "应为 JSON 列表，如 [2022, 2023]",
    "dict_type": "应为 JSON 对象，如 {{\"budget_lines\": \"预算执行\"}}", "missing": "不能为空",
    "string_type": "应为文字", "path_type": "应为文件路径", "value_error": "取值有误",
    "too_short": "不能为空", "extra_forbidden": "不是可填写的字段", "literal_error": "取值不在可选范围内",
    "enum": "取值不在可选范围内", "string_too_short": "不能为空",
}


def value_problem(kind: str, context: dict[str, object] | None = None) -> str:
    """What a pydantic error of type ``kind`` says of a setting, in Chinese: ``"应不小于 1"``; "取值有误" for a
    type not in :data:`VALUE_PROBLEMS`."""
    return VALUE_PROBLEMS.get(kind, "取值有误").format(**{k: v for k, v in (context or {}).items()})


_CJK = re.compile(r"[\u4e00-\u9fff]")


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a Chinese character: a message said in Chinese already needs no translating."""
    return _CJK.search(text) is not None


# argparse's own messages (Python 3.11's wording), as one Chinese-first line; the English follows in brackets.
_USAGE = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少参数 {0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数 {0}"),
    (re.compile(r"argument (\S+): invalid int value: (.+)"), "参数 {0} 应为整数：{1}"),
    (re.compile(r"argument (\S+): invalid float value: (.+)"), "参数 {0} 应为数字：{1}"),
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"), "参数 {0} 不能取 {1}，可选 {2}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后应有一个值"),
    (re.compile(r"argument (\S+): expected at least one argument"), "参数 {0} 后应至少有一个值"),
    (re.compile(r"argument (\S+): (.*[\u4e00-\u9fff].*)"), "参数 {0}：{1}"),  # our own type's message, Chinese
]


def usage_problem(message: str) -> str:
    """argparse's ``message`` in Chinese, with the English in brackets: ``"缺少参数 --year（the following
    arguments are required: --year）"``; a message not known here in brackets after 参数有误."""
    for pattern, chinese in _USAGE:
        found = pattern.fullmatch(message)
        if found:
            said = chinese.format(*found.groups()).replace("参数 command ", "命令")  # the sub-command's choice
            return said if has_chinese(message) else both(said, message)
    return both("参数有误", message)


# English words a staff-facing text may contain besides rule ids, codes, file names and addresses: the
# technical names operators type or see elsewhere. A test reads every artifact and alert against it.
ALLOWED_ENGLISH = frozenset({
    "selfeval", "prefect", "pdf", "html", "docx", "md", "markdown", "word", "csv", "xlsx", "yaml", "sha",
    "url", "api", "make", "serve", "sql", "duckdb", "postgresql", "excel", "wps", "gx", "true", "false",
    *STATUS, *SEVERITY, *DECISION, "usage", "error", *(value.lower() for value in RUN_STATE),
})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z]+")
# What is not prose: addresses, paths and file names, rule ids (FIN-001), setting names (SELFEVAL_X).
_NOT_PROSE = re.compile(r"（(?:[^（）]|（[^（）]*）)*）|\([^()\s]*\)|https?://[^\s)]+|file://[^\s)]+|[\w./-]+\.(?:html|md|pdf|docx|csv|xlsx|yaml|json)\b"
                        r"|\b[A-Z]{2,}-\d{3}\b|[\w-]*\d[\w-]*|\b[A-Z][A-Z0-9_]{3,}\b|`[^`]*`"
                        r"|(?<![\w-])--?[A-Za-z][\w-]*|'[^'\s]*'|selfeval [a-z]+|\b[a-z]+(?:_[a-z]+)+\b")


def english_words(text: str) -> set[str]:
    """The English words of ``text`` outside :data:`ALLOWED_ENGLISH`, ignoring English in full-width brackets
    after its Chinese (:func:`both`) and a code in ASCII ones (a column's: 支付金额 (amount)), addresses, paths,
    file names, rule ids, setting names, command-line options (``--year``), a quoted value as typed (``'abc'``),
    a ``selfeval`` command and a snake_case name (``budget_lines``) (lower-cased)."""
    prose = _NOT_PROSE.sub(" ", text)
    return {w.lower() for w in _TOKEN.findall(prose)} - ALLOWED_ENGLISH
