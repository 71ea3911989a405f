"""``selfeval``：在终端或定时任务中运行部门整体支出绩效自评（run the yearly flow from a terminal or a scheduler）.

退出码（exit codes），每个都在 stderr 上附一行原因（a one-line reason）：
0 成功（success）；3 数据未通过校验（data refused：致命规则未通过或输入文件有误，该部门该年度未入库）；
2 参数错误（bad usage）；1 其他错误（anything else）。
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from tasks import glossary as gl
from tasks.addresses import has_secret, shown

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # as a shell reports SIGINT and SIGTERM

if TYPE_CHECKING:
    from prefect.states import State

    from tasks.settings import Settings


def _prefect_defaults(start_seconds: float | None = None) -> None:
    """Settings Prefect must see before it is imported: no telemetry, our loggers in the UI, and how long
    its temporary server may take to start (``start_seconds``; an explicit Prefect setting wins)."""
    if start_seconds is not None:
        # Prefect takes whole seconds
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(math.ceil(start_seconds)))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "selfeval")
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary server logs harmless shutdown noise at ERROR; the run's own logs are unaffected.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one Chinese-first line (exit 2), not a usage block in English."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"selfeval: {gl.USAGE_ERROR}：{gl.usage_problem(message)}；"
                              f"用法见 {self.prog} --help（see --help）\n")


WAREHOUSE_HELP = "数据仓库的 SQLAlchemy 地址（warehouse URL；默认 duckdb:///var/warehouse.duckdb）"
OUT_HELP = "输出目录（output folder；默认 out）"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="selfeval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, title="命令（commands）")
    run = sub.add_parser("run", help="生成一个年度的自评报告（build the reports of a year）")
    run.add_argument("--year", type=int, help="年度（默认：本年，北京时间）")
    run.add_argument("--department", nargs="+", action="extend", dest="departments", metavar="CODE",
                     help="部门编码，可列出多个或重复（department codes；默认：全部）")
    run.add_argument("--source", help="含 finance/、statistics/、registry/、narrative/ 的目录（landing zone；"
                                      "默认：自带样例）")
    run.add_argument("--warehouse", help=WAREHOUSE_HELP)
    run.add_argument("--out", help=OUT_HELP)
    for name in ("finance", "statistics", "registry"):
        run.add_argument(f"--{name}", dest=f"{name}_source", metavar="LOCATION",
                         help=f"{gl.source(name)}：目录、http(s) 接口或数据库地址（默认 <source>/{name}）")
    run.add_argument("--narrative", dest="narrative_dir", metavar="DIR",
                     help="文字材料目录，<year>/<department>.yaml 或 .docx（默认 <source>/narrative）")
    run.add_argument("--force", action="store_true",
                     help="全部重算，包括输入与程序均未变化的部门（process every department）")
    run.add_argument("--review", action="store_true",
                     help="报告经审核人在 $PREFECT_API_URL 的 Prefect 界面批准前为草稿，运行等待每个决定"
                          "（review；deploy/README.md）")

    explain = sub.add_parser("explain", help="报告中一个数字的来历：查询、来源与规则（how a figure was obtained）")
    explain.add_argument("--year", type=int, required=True, help="年度")
    explain.add_argument("--department", required=True, metavar="CODE", help="部门编码")
    explain.add_argument("--figure", required=True, metavar="NAME", help="指标名，如 executed（a figure name）")
    explain.add_argument("--warehouse", help=WAREHOUSE_HELP)

    form = sub.add_parser("form", help="生成部门文字材料的 Word 填报表（the narrative as a Word form；"
                                       "docs/narrative-form.md）")
    form.add_argument("--year", type=int, required=True, help="年度")
    form.add_argument("--department", required=True, metavar="CODE", help="部门编码")
    form.add_argument("--out", dest="form_out", metavar="FILE.docx",
                      help="保存位置（默认 <out>/forms/<year>/<department>.docx）")
    form.add_argument("--source", help="预填所用 narrative/ 所在目录（默认：自带样例）")
    form.add_argument("--narrative", dest="narrative_dir", metavar="DIR",
                      help="文字材料目录，<year>/<department>.yaml|.docx（默认 <source>/narrative）")
    form.add_argument("--warehouse", help=WAREHOUSE_HELP)

    projects = sub.add_parser("projects", help="重新生成已入库部门的项目支出绩效自评表，任意格式（每晚生成 xlsx 与 "
                                               "html；docx、pdf 按需）")
    projects.add_argument("--year", type=int, required=True, help="年度")
    projects.add_argument("--department", nargs="+", action="extend", metavar="CODE",
                          help="部门编码，可多个或重复（默认：全部已入库部门）")
    projects.add_argument("--format", nargs="+", dest="formats", choices=("xlsx", "html", "docx", "pdf"),
                          default=["xlsx", "html", "docx", "pdf"], help="格式（formats）")
    projects.add_argument("--warehouse", help=WAREHOUSE_HELP)
    projects.add_argument("--out", help=OUT_HELP)

    monitor = sub.add_parser("monitor", help="按任一日期重建未结束年度的双监控：绩效运行监控表与汇总"
                                             "（docs/monitoring.md）")
    monitor.add_argument("--year", type=int, required=True, help="年度")
    monitor.add_argument("--as-of", dest="as_of", type=_date, metavar="YYYY-MM-DD",
                         help="截至日期（默认：数据日期，与每晚运行相同）")
    monitor.add_argument("--department", nargs="+", action="extend", metavar="CODE",
                         help="部门编码，可多个或重复（默认：全部纳入监控的部门）")
    monitor.add_argument("--format", nargs="+", dest="formats", choices=("xlsx", "html", "docx"),
                         default=["xlsx", "html"], help="格式（formats）")
    monitor.add_argument("--warehouse", help=WAREHOUSE_HELP)
    monitor.add_argument("--out", help="输出目录（默认 out）；表格写入 <out>/<year>/monitoring/<date>/")

    rollup = sub.add_parser("rollup", help="一个年度全部部门的汇总（roll-up）")
    rollup.add_argument("--year", type=int, required=True, help="年度")
    rollup.add_argument("--warehouse", help=WAREHOUSE_HELP)
    rollup.add_argument("--out", help=OUT_HELP)

    synth = sub.add_parser("synth", help="生成合成城市的数据（带种子与预置错误，供测试与基准）")
    synth.add_argument("--out", required=True, help="写入目录（须不存在或为空）")
    synth.add_argument("--departments", type=int, default=60, help="部门数")
    synth.add_argument("--years", type=int, nargs="+", default=[2022], help="年度")
    synth.add_argument("--payments", type=int, default=1_000_000, help="全部部门的支付明细行数")
    synth.add_argument("--enterprises", type=int, default=20_000, help="企业数")
    synth.add_argument("--fault-rate", type=float, default=0.0, help="预置一个错误的部门比例（0 至 1）")
    synth.add_argument("--seed", type=int, default=7, help="随机种子")

    automations = sub.add_parser("automations", help="在 $PREFECT_API_URL 上创建告警自动化（alerting automations）")
    automations.add_argument("--block", required=True, metavar="TYPE/NAME",
                             help="发送告警的通知块，如 slack-webhook/ops（notification block）")
    automations.add_argument("--file", help="自动化定义（默认 deploy/automations.yaml）")
    return parser

DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{4})(\d{2})(\d{2})")


def _date(text: str) -> dt.date:
    """A date as the data files write it: 2023-08-31, 2023/8/31, 2023.8.31, 2023年8月31日, 20230831."""
    found = DATE.fullmatch(text.strip())
    try:
        if found is None:
            raise ValueError(text)
        y, m, d = (int(g) for g in found.groups() if g is not None)
        return dt.date(y, m, d)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} 不是日期，应为 2023-08-31（not a date）") from None


def _fail(code: int, message: str) -> int:
    print(f"selfeval: {message}", file=sys.stderr)
    return code


@contextmanager
def _progress_bar(departments: list[str] | None) -> Iterator[None]:
    """A progress bar over departments on a terminal; a line per department otherwise."""
    from tasks.progress import listen

    if departments is not None and len(departments) == 1:
        yield
        return
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("[bold]部门（departments）"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("{task.description}"), transient=False)
        job = bar.add_task("", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(job, completed=done, total=total, description=label)

        with bar:
            stop = listen(update)
            try:
                yield
            finally:
                stop()
        return

    def line(done: int, total: int, label: str) -> None:
        if label:
            print(f"[{done}/{total}] {label}", file=sys.stderr)

    stop = listen(line)
    try:
        yield
    finally:
        stop()


def server_problem(exc: BaseException, api_url: str | None, start_seconds: float) -> str | None:
    """The one line to print when ``exc`` says the Prefect server could not be reached or started (the
    temporary one when ``api_url`` is empty); None for any other exception."""
    import httpx

    if isinstance(exc, RuntimeError) and "ephemeral Prefect API server" in str(exc):
        return gl.SERVER_START_FAILED.format(seconds=start_seconds)
    if isinstance(exc, RuntimeError) and "Failed to reach API" in str(exc):  # Prefect's check of PREFECT_API_URL
        return gl.SERVER_UNREACHABLE.format(url=shown(api_url or ""))
    if isinstance(exc, (httpx.TransportError, httpx.HTTPStatusError, ConnectionError)):
        if api_url:
            return gl.SERVER_UNREACHABLE.format(url=shown(api_url))
        return gl.SERVER_START_FAILED.format(seconds=start_seconds)
    return None


def run(args: argparse.Namespace) -> int:
    from tasks.domain import FIRST_YEAR, LAST_YEAR

    settings = _settings(args)
    if args.year is not None and not FIRST_YEAR <= args.year <= LAST_YEAR:
        return _fail(EXIT_USAGE, f"{gl.USAGE_ERROR}：年度应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间（the year is between "
                                 f"{FIRST_YEAR} and {LAST_YEAR}）：{args.year}")
    args.departments = _codes(args.departments)
    args.warehouse = _without_password(args.warehouse)
    for name in ("finance", "statistics", "registry"):  # a source's address with a secret: not a flow parameter
        given = getattr(args, f"{name}_source")
        if given and has_secret(given):
            os.environ[f"SELFEVAL_{name.upper()}_SOURCE"] = given
            setattr(args, f"{name}_source", None)
    _prefect_defaults(settings.prefect_start_seconds)
    from prefect.settings import PREFECT_API_URL

    from flows.self_evaluation import self_evaluation, with_runner
    from tasks.pipeline import UsageError
    from tasks.resources import WarehouseUnreachable, new_duckdb_file, reach_warehouse

    if (args.review or settings.review) and not PREFECT_API_URL.value():
        return _fail(EXIT_USAGE, gl.REVIEW_NEEDS_SERVER)
    # before Prefect's temporary server starts (~15 s), a mistyped address fails in a second; a password kept in a
    # Prefect Secret block needs a server to be read: then only the address, and the flow's plan connects
    in_block = (settings.warehouse_password is None and bool(settings.warehouse_password_block)
                and not PREFECT_API_URL.value())
    try:
        _known_departments(settings, args.departments)
        _writable(Path(settings.output_dir))  # an OSError: one line (main), before the server's start and the reads
        made = new_duckdb_file(settings.warehouse_url)
        new = _new_warehouse(settings, made, reach_warehouse(settings, connect=not in_block))
        notice = None
        if new is not None:  # said before the run, and again under its last lines (Prefect's log comes between)
            print(new[0], file=sys.stderr)
            notice = gl.WAREHOUSE_MADE.format(where=new[1])
    except WarehouseUnreachable as exc:
        return _fail(EXIT_ERROR, str(exc))
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    selected = with_runner(self_evaluation, settings.dask_address)
    try:
        return _ran(selected, args)
    finally:  # whatever the run's end (a refusal, a failure), where its last lines are read; if it was made
        if notice is not None and _made(settings, made):
            print(notice, file=sys.stderr)


def _holds_lock(error: BaseException, url: str) -> bool:
    """Whether ``error`` is DuckDB's "Could not set lock" on the warehouse's own file (another command holds it): said
    as the check before the run says it. Any other database error (a source database's, the run database's) is not
    the warehouse's and keeps its own words."""
    import sqlalchemy as sa

    from tasks.warehouse.engine import warehouse_url

    text = str(error)
    try:
        database = warehouse_url(url).database  # ~ as DuckDB reads it
    except (sa.exc.ArgumentError, ValueError):
        return False
    if "Could not set lock on file" not in text or not database:
        return False
    return f'"{database}"' in text or f'"{Path(str(database)).resolve()}"' in text


def _writable(folder: Path) -> None:
    """Raise :class:`OSError` (said in one line by :func:`main`) when ``folder`` cannot be made or written to: a run
    found it only when its first report was written, after the sources were read and checked, in ~1,000 lines of
    tracebacks. A file is made and removed in it, or in the nearest of its parents that is there (permissions alone
    do not tell: an immutable folder, a read-only mount)."""
    import errno
    import tempfile

    probe = folder  # the folder, or the nearest of its parents that is there (nothing is left made)
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(probe))
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:  # named as the folder asked for, not the probe's random file
        raise OSError(exc.errno, exc.strerror, str(folder)) from None


def _made(settings: Settings, made: Path | None) -> bool:
    """Whether the warehouse a run was to make is there now: the DuckDB file (``made``), or selfeval's tables in the
    database (made by the flow's plan: not when the run ended before it, a Prefect server that did not start), as
    :func:`~tasks.resources.reach_warehouse` finds them."""
    if made is not None:
        return made.exists()
    from tasks.resources import reach_warehouse

    try:
        return bool(reach_warehouse(settings, attempts=1))
    except Exception:  # the database gone since: nothing to say of it here (the run's own line says why)
        return False


def _ran(selected: Any, args: argparse.Namespace) -> int:
    """The flow ``selected`` run with the command's arguments, its outcome said (:func:`_print_summary`) and its exit
    code returned; a server that does not start or answer, said in one line."""
    from prefect.settings import PREFECT_API_URL

    from tasks.pipeline import DataRefused, ReportsNotRendered, RunOutOfMemory, UsageError
    from tasks.resources import WarehouseUnreachable, unreachable
    from tasks.settings import Settings

    try:
        with _progress_bar(args.departments):
            state = cast("State[Any]", selected(
                year=args.year, departments=args.departments, source=args.source, warehouse_url=args.warehouse,
                output_dir=args.out, finance_source=args.finance_source, statistics_source=args.statistics_source,
                registry_source=args.registry_source, narrative_dir=args.narrative_dir, force=args.force,
                review=args.review, return_state=True))
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except Exception as exc:  # a server that does not start or answer is said in one line, anything else raises
        waited = float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
        problem = server_problem(exc, PREFECT_API_URL.value(), waited)
        if problem is None:
            raise
        return _fail(EXIT_ERROR, problem)
    if _SIGNALLED:  # interrupted: whatever the flow's state says (an error met while unwinding), main says it
        raise KeyboardInterrupt
    result = state.result(raise_on_failure=False)
    if isinstance(result, DataRefused):
        _print_summary(result.summary)
        return _fail(EXIT_REFUSED, str(result))
    if isinstance(result, UsageError):
        return _fail(EXIT_USAGE, str(result))
    if isinstance(result, WarehouseUnreachable | RunOutOfMemory):
        return _fail(EXIT_ERROR, str(result))
    if isinstance(result, ReportsNotRendered):
        _print_summary(result.summary)
        return _fail(EXIT_ERROR, str(result))
    url = args.warehouse or Settings().warehouse_url
    if isinstance(result, BaseException) and _holds_lock(result, url):  # another command holds the warehouse's file
        return _fail(EXIT_ERROR, str(unreachable(result, url) or result))
    if isinstance(result, BaseException) or not state.is_completed():
        return _fail(EXIT_ERROR, f"{type(result).__name__}: {result}" if result else str(state.message))
    _print_summary(result)
    return EXIT_OK


def _say_refused_since(conn: Any, year: int, codes: list[str]) -> None:
    """On stderr, for each of ``codes`` whose latest data the gate refused after an earlier load, that what the
    command shows is of that earlier load (:data:`~tasks.glossary.REFUSED_SINCE`), as the roll-up's row says it: the
    warehouse still holds it, and a rule it shows as passed may have failed on the files since."""
    from tasks.report.rollup import refusal_text
    from tasks.warehouse.runs import refused_since_loaded

    for code, (refused_at, loaded_at) in sorted(refused_since_loaded(conn, year).items()):
        if code in codes:
            print(gl.REFUSED_SINCE.format(code=code, year=year, text=refusal_text(refused_at, loaded_at, "以下为")),
                  file=sys.stderr)


def _why_not_loaded(conn: Any, year: int, codes: list[str]) -> str:
    """What a command adds when it was asked for department-years the warehouse does not hold: those whose data the
    gate refused (never loaded) are named with the day and their 错误明细; otherwise, to run first."""
    from tasks.report.rollup import refusal_text
    from tasks.warehouse.runs import refused_since_loaded

    refused = {code: at for code, (at, held) in refused_since_loaded(conn, year).items() if held is None}
    said = [f"{code} {refusal_text(refused[code], None)}，见 {year}/{code}/data-quality-errors.csv" for code in codes
            if code in refused]
    if said:
        return "：" + "；".join(said)
    return f"；请先运行 `selfeval run --year {year}`"


def _known_departments(settings: Settings, requested: list[str] | None) -> None:
    """Before Prefect's temporary server starts (~10 s), a ``--department`` that the landing zone's catalogue of
    departments does not list: :class:`~tasks.pipeline.UsageError` naming it and the known codes, as the flow's
    plan would. One behind an HTTP API (its token may be in a Prefect
    Secret block), or one that cannot be read, is left to the plan, which refuses it with its reasons. A catalogue in a
    folder or a database (``finance_source`` a SQLAlchemy URL) is read here."""
    from tasks.pipeline import resolve_departments
    from tasks.resources import opened
    from tasks.sources import extract as ex
    from tasks.sources.base import is_api

    if not requested or is_api(settings.location("finance")):
        return
    with opened(settings, "finance") as source:
        catalogue, found = ex.extract_departments(source)
    if not found.failed:
        resolve_departments(catalogue, requested)


def _print_summary(summary: object) -> None:
    """A line per department (its status, its report or why not, what a 草稿 lacks, its data-quality warnings), then
    the run's data-quality page when a department was refused or warned of."""
    outcomes = getattr(summary, "outcomes", [])
    for o in outcomes:
        where = o.reports.get("md", "") if o.reports else "；".join(o.reasons)
        if o.missing:
            where += f"（{gl.MISSING}：{'、'.join(o.missing)}）"
        if o.status != "refused":  # loaded, but not clean: said, not only in the logs
            if o.rule_warnings:
                where += "；" + gl.both(f"{gl.ALERT_WARNINGS} {o.rule_warnings} 条", f"warnings: {o.rule_warnings}")
            if o.input_warnings:
                where += "；" + gl.both(f"{gl.INPUT_NOTE} {o.input_warnings} 条，见报告的数据质量说明",
                                         f"input notes: {o.input_warnings}, in the report's appendix")
        print(f"{o.department_code} {summary.year}: {gl.status(o.status)}  {where}")  # type: ignore[attr-defined]
    if outcomes and all(o.status == "no data yet" for o in outcomes):  # a mistyped year (2020 for 2022), said
        year = summary.year  # type: ignore[attr-defined]
        print(gl.both(f"注意：{year} 年没有任何部门的财政数据；如年度有误，请检查 --year",
                      f"no department has finance files for {year}: check --year if it is mistyped"))
    page = getattr(summary, "quality_page", None)
    if page and any(o.status == "refused" or o.rule_warnings for o in outcomes):
        print(f"{gl.both(gl.DATA_QUALITY_PAGE, 'data-quality page')}：{page}")
    monitoring = getattr(summary, "monitoring", None)
    if monitoring is not None:
        print(f"支付进度（截至 {monitoring.as_of}，序时进度 {monitoring.time_progress}%）："
              + "，".join(f"{code} {paid}" for code, paid in monitoring.paid.items()))
        for code, findings in monitoring.lagging.items():
            for finding in findings:
                print(f"{code} {summary.year}: {gl.LAGGING}  {finding}")  # type: ignore[attr-defined]
        for note in monitoring.notes:
            print(note)


def _codes(given: list[str] | None) -> list[str] | None:
    """The department codes of ``--department`` values, a code alone or as the UI's picker shows it (编码 名称);
    None for none given. Raises :class:`~tasks.pipeline.UsageError` (one line, exit 2) naming the values that
    are not a code at all."""
    from tasks.pipeline import UsageError
    from tasks.sources.contract import DEPARTMENT_CODE, department_code

    if not given:
        return None
    codes = [str(department_code(value)) for value in given]
    bad = [value for value, code in zip(given, codes, strict=True) if not re.fullmatch(DEPARTMENT_CODE, code)]
    if bad:
        raise UsageError(gl.NOT_A_CODE.format(codes="、".join(bad)))
    return codes


def _without_password(url: str | None) -> str | None:
    """``--warehouse`` without its password, which goes to ``SELFEVAL_WAREHOUSE_PASSWORD`` for this process: the
    URL is a flow parameter, which the Prefect server stores and its UI shows."""
    import sqlalchemy as sa

    if not url:
        return url
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # not a URL, or a port that is not a number
        return url  # said in one line when the run reaches the warehouse
    if parsed.password is None:
        return url
    os.environ["SELFEVAL_WAREHOUSE_PASSWORD"] = str(parsed.password)
    bare = sa.URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database,
                         parsed.query)  # URL.set(password=None) keeps the password
    return bare.render_as_string(hide_password=False)


def _warehouse(settings: Settings, new_ok: bool = False) -> Any:
    """The warehouse's engine, migrated, for a command that reads it: :class:`WarehouseUnreachable` (one line) when
    it does not answer, its address is not a URL, or it is no selfeval warehouse: a DuckDB file that does not exist,
    or a database that holds no ``alembic_version`` (a mistyped address would otherwise get selfeval's 168 tables, or
    an empty file, and the command would show nothing in it). ``new_ok``: a command that may run before the first
    run (``form``) makes the warehouse there, as a run would."""
    from alembic.util.exc import CommandError

    from tasks.resources import (
        WarehouseUnreachable,
        engine_for,
        new_duckdb_file,
        reach_warehouse,
        shown_url,
        unreachable,
    )
    from tasks.warehouse.migrate import current_revision, upgrade

    reach_warehouse(settings, connect=False)  # the address first (duckdb://folder/…: not a missing file)
    missing = new_duckdb_file(settings.warehouse_url)
    if missing is not None and not new_ok:
        raise WarehouseUnreachable(gl.WAREHOUSE_FILE_MISSING.format(path=missing))
    held = reach_warehouse(settings, attempts=1)  # another application's alembic_version: refused there
    if not held and not new_ok:
        raise WarehouseUnreachable(gl.WAREHOUSE_NOT_SELFEVAL.format(url=shown(settings.warehouse_url)))
    new = _new_warehouse(settings, missing, held)
    if new is not None:  # form, before the first run: said before it makes the tables, as run says it
        print(new[0], file=sys.stderr)
    engine = engine_for(settings)
    try:
        upgrade(engine)
    except CommandError:  # another application's revisions, come since reach_warehouse looked: one line
        revision = current_revision(engine)
        engine.dispose()
        raise WarehouseUnreachable(gl.WAREHOUSE_FOREIGN.format(url=shown_url(engine.url), revision=revision)) from None
    except BaseException as exc:
        engine.dispose()
        said = unreachable(exc, engine.url)  # a run took the DuckDB file's lock since reach_warehouse looked
        if said is not None:
            raise said from None
        raise
    return engine


def _new_warehouse(settings: Settings, made: Path | None, held: bool | None) -> tuple[str, str] | None:
    """What a command that makes the warehouse says first when it is about to make one, and where (``made``: a
    DuckDB path with no file before the command, :func:`~tasks.resources.new_duckdb_file`; ``held``: what
    :func:`~tasks.resources.reach_warehouse` found, False for a database holding no selfeval tables): a mistyped
    address is a new, empty warehouse, said rather than silent. None when the warehouse is there, or could not be
    looked into (a password in a Prefect Secret block, read by the flow)."""
    if made is not None and made.exists():
        return gl.WAREHOUSE_NEW_FILE.format(path=made), str(made)
    if held is False:  # a database that answers, with none of selfeval's tables (a mistyped name that exists)
        where = shown(settings.warehouse_url)
        return gl.WAREHOUSE_NEW_TABLES.format(url=where), where
    return None


def _settings(args: argparse.Namespace) -> Settings:
    """The settings with the command's options over them, checked (:func:`tasks.pipeline.check_configuration`:
    a :class:`~tasks.pipeline.UsageError`, one line, for a missing folder or a malformed reviewed file)."""
    from tasks.pipeline import check_configuration
    from tasks.settings import Settings

    settings = Settings().with_overrides(warehouse_url=getattr(args, "warehouse", None),
                                         output_dir=getattr(args, "out", None), source=getattr(args, "source", None),
                                         narrative_dir=getattr(args, "narrative_dir", None),
                                         **{f"{name}_source": getattr(args, f"{name}_source", None)
                                            for name in ("finance", "statistics", "registry")})
    check_configuration(settings)
    return settings


def explain(args: argparse.Namespace) -> int:
    from tasks.report.figures import read_figures
    from tasks.report.keyed import Keys
    from tasks.report.provenance import provenance
    from tasks.warehouse import queries as q
    from tasks.warehouse.metrics import load_registry

    [args.department] = _codes([args.department]) or []
    settings = _settings(args)  # the registry checked, before it is read
    registry = load_registry(settings.metrics_registry)
    names = registry.names  # every figure read_figures gives
    if args.figure not in names:
        return _fail(EXIT_USAGE, f"没有这个指标（unknown figure）：{args.figure!r}；"
                                 f"已有（known）：{', '.join(sorted(names))}")
    _known_departments(settings, [args.department])  # a mistyped code: said as one, with the known codes
    engine = _warehouse(settings)
    try:
        with engine.connect() as conn:
            if args.department not in q.loaded_departments(conn, args.year):  # no figure, rather than a made-up 0
                raise LookupError(gl.NOT_LOADED.format(codes=args.department, year=args.year)
                                  + _why_not_loaded(conn, args.year, [args.department]))
            keys = Keys(conn, registry, args.year, [args.department])
            entry = provenance(keys, read_figures(keys, args.department))[args.figure]
            _say_refused_since(conn, args.year, [args.department])
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc))
    finally:
        engine.dispose()
    print("\n".join(entry.lines()))
    return EXIT_OK


def form(args: argparse.Namespace) -> int:
    from tasks.domain import TIMEZONE
    from tasks.report.build import narrative_form
    from tasks.report.narrative import NarrativeError

    [args.department] = _codes([args.department]) or []
    settings = _settings(args)
    _known_departments(settings, [args.department])  # a mistyped code: a form no run would read
    out = (Path(args.form_out) if args.form_out
           else settings.output_dir / "forms" / str(args.year) / f"{args.department}.docx")
    if out.suffix.lower() != ".docx":
        return _fail(EXIT_USAGE, f"{out}：填报表是 Word 文档，文件名应以 .docx 结尾（the form is a Word document）")
    engine = _warehouse(settings, new_ok=True)  # a department may want its form before its first run
    try:
        data, note = narrative_form(engine, settings, args.department, args.year, dt.datetime.now(TIMEZONE))
    except NarrativeError as exc:
        return _fail(EXIT_REFUSED, str(exc))
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"文字材料填报表 {args.department} {args.year}: {out}")
    print(f"  {note}")
    replaces = "（取代原 .yaml）" if (settings.narrative_root() / str(args.year) /
                                    f"{args.department}.yaml").exists() else ""
    print(f"  填写后另存为数据目录中的 narrative/{args.year}/{args.department}.docx{replaces}")
    return EXIT_OK


def projects(args: argparse.Namespace) -> int:
    from tasks.report.build import write_projects

    args.department = _codes(args.department)
    settings = _settings(args)
    _known_departments(settings, args.department)
    engine = _warehouse(settings)
    try:
        written = write_projects(engine, settings, args.year, args.department, tuple(args.formats))
        with engine.connect() as conn:
            _say_refused_since(conn, args.year, list(written))
    except LookupError as exc:
        with engine.connect() as conn:
            return _fail(EXIT_USAGE, str(exc).strip("'\"") + _why_not_loaded(conn, args.year, args.department or []))
    finally:
        engine.dispose()
    if not written:
        return _fail(EXIT_USAGE, f"{args.year} 年没有已入库的部门（no department loaded for {args.year}）；"
                                 f"请先运行 `selfeval run --year {args.year}`")
    for code, index in written.items():
        print(f"项目支出绩效自评表 {code} {args.year}: {index}")
    return EXIT_OK


def monitor(args: argparse.Namespace) -> int:
    from tasks.domain import today
    from tasks.report.build import write_monitoring

    args.department = _codes(args.department)
    if args.as_of is not None and args.as_of.year != args.year:
        return _fail(EXIT_USAGE, f"{gl.USAGE_ERROR}：--as-of {args.as_of} 不在 {args.year} 年内"
                                 f"（is not in {args.year}）")
    settings = _settings(args)
    _known_departments(settings, args.department)
    engine = _warehouse(settings)
    try:
        folder, page = write_monitoring(engine, settings, args.year, args.as_of, args.department,
                                        tuple(args.formats), today())
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc).strip("'\""))
    finally:
        engine.dispose()
    for line in page.splitlines():  # the heading, the lights' counts, the 整改's
        if line.startswith(("# 双监控", "部门 ", "整改跟踪", "注：")):
            print(line.lstrip("# "))
    print(f"绩效运行监控表 {args.year}: {folder}")
    return EXIT_OK


def rollup(args: argparse.Namespace) -> int:
    from tasks.report.rollup import write_rollup

    settings = _settings(args)
    engine = _warehouse(settings)
    try:
        paths = write_rollup(engine, settings, args.year)
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc))
    finally:
        engine.dispose()
    print(f"汇总（roll-up）{args.year}: {paths['html']}")
    return EXIT_OK


def synth(args: argparse.Namespace) -> int:
    from tasks.synth.city import CitySpec, build_city

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail(EXIT_USAGE, f"{out}：目录已存在且不为空（exists and is not empty）")
    from tasks.domain import FIRST_YEAR, LAST_YEAR

    if not 0 <= args.fault_rate <= 1:
        return _fail(EXIT_USAGE, "--fault-rate 应在 0 至 1 之间（a share between 0 and 1）")
    if args.departments < 1 or args.payments < 1 or args.enterprises < 1:
        return _fail(EXIT_USAGE, "--departments、--payments、--enterprises 应为正整数（positive whole numbers）")
    if not all(FIRST_YEAR <= year <= LAST_YEAR for year in args.years):
        return _fail(EXIT_USAGE, f"--years 应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间（years between {FIRST_YEAR} and "
                                 f"{LAST_YEAR}）")
    spec = CitySpec(departments=args.departments, years=tuple(args.years), payments=args.payments,
                    enterprises=args.enterprises, fault_rate=args.fault_rate, seed=args.seed)
    try:
        expected = build_city(out, spec)
    except OSError as exc:  # a path under a file, a folder it may not write
        return _fail(EXIT_USAGE, f"{out}：无法写入（cannot write: {exc.strerror or exc}）")
    lines = sum(sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in out.glob("finance/*/*/payments.csv"))
    print(f"{out}：{args.departments} 个部门（departments），{lines:,} 行支付明细（payment lines），"
          f"{len(expected)} 个预置错误（planted faults，expected_faults.csv）")
    return EXIT_OK


def automations(args: argparse.Namespace) -> int:
    _prefect_defaults()
    if not args.block:
        return _fail(EXIT_USAGE, "请指定通知块（name the notification block）：--block <block-type>/<name>")
    import yaml
    from prefect.settings import PREFECT_API_URL

    from tasks.automations import AUTOMATIONS_FILE, create_automations

    path = Path(args.file) if args.file else AUTOMATIONS_FILE
    try:  # the file first: a missing or malformed one is said before the server is asked anything
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return _fail(EXIT_USAGE, f"{path}：自动化定义文件无法读取（the automations file cannot be read: "
                                 f"{' '.join(str(getattr(exc, 'strerror', None) or exc).split())}）")
    try:
        names = create_automations(args.block, path)
    except ValueError as exc:  # Prefect says a block does not exist with a ValueError
        return _fail(EXIT_USAGE, f"通知块 {args.block!r} 不可用（notification block: {exc}）")
    except Exception as exc:  # a server that does not answer is said in one line, anything else raises
        problem = server_problem(exc, PREFECT_API_URL.value(), 0)
        if problem is None:
            raise
        return _fail(EXIT_ERROR, problem)
    for name in names:
        print(f"告警自动化（automation）：{name} -> {args.block}")
    return EXIT_OK


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C's KeyboardInterrupt is: the context managers unwind, so
    Prefect's temporary server stops with the command (killed by the signal's default, it was left listening)."""


_SIGNALLED: list[int] = []  # the signals that interrupted the command (a cleanup's error may hide the interrupt)
_HANDLERS: dict[Any, Any] = {}  # the handlers _on_signals replaced


def _on_signals() -> None:
    """SIGINT and SIGTERM noted and raised as :class:`KeyboardInterrupt` and :class:`Terminated` in the main thread
    (where a signal handler can be set), so that :func:`main` says them in one line whatever error the unwinding
    met after them (a DuckDB connection closed under a statement read as "cannot reach the warehouse")."""
    import signal
    import threading

    def interrupted(signum: int, frame: object) -> None:
        _SIGNALLED.append(signum)
        if len(_SIGNALLED) == 1:
            raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        if len(_SIGNALLED) >= 3:  # asked three times: stop now, as the signal's default does (the server may stay)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        # the second, while the first unwinds, is noted, not raised: the temporary server's stop must finish

    if threading.current_thread() is threading.main_thread():
        _SIGNALLED.clear()
        _HANDLERS.update({sig: signal.signal(sig, interrupted) for sig in (signal.SIGTERM, signal.SIGINT)})


def _off_signals() -> None:
    """The handlers :func:`_on_signals` replaced, back (a test's or an embedding program's)."""
    import signal

    while _HANDLERS:
        sig, handler = _HANDLERS.popitem()
        signal.signal(sig, handler)


def _interruption() -> int:
    """The exit code and one line of a command a signal interrupted (:func:`_on_signals`)."""
    import signal

    if _SIGNALLED and _SIGNALLED[0] == signal.SIGTERM:
        return _fail(EXIT_TERMINATED, gl.TERMINATED)
    return _fail(EXIT_INTERRUPTED, gl.INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"run": run, "explain": explain, "form": form, "projects": projects, "monitor": monitor,
                "rollup": rollup,
                "automations": automations,
                "synth": synth}
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from tasks.pipeline import UsageError
    from tasks.resources import WarehouseUnreachable
    from tasks.settings import invalid_settings

    _on_signals()
    try:
        code = commands[args.command](args)
        return _interruption() if _SIGNALLED else code
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (systemd's stop, timeout): unwound, the temporary server stopped
        return _interruption()
    except UsageError as exc:  # a folder that does not exist, a malformed reviewed file
        return _fail(EXIT_USAGE, str(exc))
    except (ValidationError, SettingsError) as exc:  # a bad SELFEVAL_* setting or option, whichever command read it
        return _fail(EXIT_USAGE, invalid_settings(exc))
    except WarehouseUnreachable as exc:  # down, mistyped, or its file held by another process
        return _fail(EXIT_ERROR, str(exc))
    except OSError as exc:  # a file or folder selfeval cannot write or read: named, not a traceback
        where = f"{exc.filename}：" if exc.filename else ""
        return _fail(EXIT_ERROR, f"{where}无法读写（cannot read or write: {exc.strerror or exc}）")
    finally:
        _off_signals()


if __name__ == "__main__":
    sys.exit(main())
