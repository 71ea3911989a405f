"""``selfeval``: run the yearly flow from a terminal or a scheduler.

Exit codes (each with a one-line reason on stderr):
0 success; 3 data refused (a fatal data-quality rule failed or an input is malformed;
nothing of that department-year was loaded); 2 bad usage; 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3

if TYPE_CHECKING:
    from prefect.states import State

    from tasks.settings import Settings


def _prefect_defaults(start_seconds: float | None = None) -> None:
    """Settings Prefect must see before it is imported: no telemetry, our loggers in the UI, and how long
    its temporary server may take to start (``start_seconds``; an explicit Prefect setting wins)."""
    if start_seconds is not None:
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", f"{start_seconds:g}")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "selfeval")
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary server logs harmless shutdown noise at ERROR; the run's own logs are unaffected.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selfeval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build the reports of a year")
    run.add_argument("--year", type=int, help="report year (default: the current year, Asia/Shanghai)")
    run.add_argument("--department", action="append", dest="departments", metavar="CODE",
                     help="a department code; repeat for several (default: all)")
    run.add_argument("--source", help="folder of finance/, statistics/, registry/, narrative/ "
                                      "(default: the bundled sample)")
    run.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")
    run.add_argument("--out", help="output folder (default: out)")
    for name in ("finance", "statistics", "registry"):
        run.add_argument(f"--{name}", dest=f"{name}_source", metavar="LOCATION",
                         help=f"{name} from a folder, an http(s) API or a database URL (default: <source>/{name})")
    run.add_argument("--narrative", dest="narrative_dir", metavar="DIR",
                     help="folder of <year>/<department>.yaml or .docx (default: <source>/narrative)")
    run.add_argument("--force", action="store_true",
                     help="process every department, even those whose inputs and code are unchanged")
    run.add_argument("--review", action="store_true",
                     help="reports are 草稿 until a reviewer approves them in the Prefect UI of $PREFECT_API_URL "
                          "(the run waits for each decision; deploy/README.md)")

    explain = sub.add_parser("explain", help="how a figure of a report was obtained: query, sources, rules")
    explain.add_argument("--year", type=int, required=True)
    explain.add_argument("--department", required=True, metavar="CODE")
    explain.add_argument("--figure", required=True, metavar="NAME", help="a figure name, e.g. executed")
    explain.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")

    form = sub.add_parser("form", help="write a department-year's narrative as a Word form to fill in "
                                       "(docs/narrative-form.md)")
    form.add_argument("--year", type=int, required=True)
    form.add_argument("--department", required=True, metavar="CODE")
    form.add_argument("--out", dest="form_out", metavar="FILE.docx",
                      help="where to write it (default: <out>/forms/<year>/<department>.docx)")
    form.add_argument("--source", help="landing zone whose narrative/ pre-fills the form (default: the bundled sample)")
    form.add_argument("--narrative", dest="narrative_dir", metavar="DIR",
                      help="folder of <year>/<department>.yaml|.docx (default: <source>/narrative)")
    form.add_argument("--warehouse", help="SQLAlchemy URL the figures' values are read from "
                                          "(default: duckdb:///var/warehouse.duckdb)")

    projects = sub.add_parser("projects", help="write the 项目支出绩效自评表 of loaded departments again, in any "
                                               "format (the nightly writes xlsx and html; docx and pdf on demand)")
    projects.add_argument("--year", type=int, required=True)
    projects.add_argument("--department", nargs="+", metavar="CODE", help="default: every department loaded")
    projects.add_argument("--format", nargs="+", dest="formats", choices=("xlsx", "html", "docx", "pdf"),
                          default=["xlsx", "html", "docx", "pdf"])
    projects.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")
    projects.add_argument("--out", help="output folder (default: out)")

    monitor = sub.add_parser("monitor", help="the 双监控 (绩效运行监控表 and the bureau's summary) of an open year "
                                             "rebuilt as of any date from the warehouse (docs/monitoring.md)")
    monitor.add_argument("--year", type=int, required=True)
    monitor.add_argument("--as-of", dest="as_of", type=_date, metavar="YYYY-MM-DD",
                         help="the date to rebuild it as of (default: the data's date, as the nightly)")
    monitor.add_argument("--department", nargs="+", metavar="CODE", help="default: every department monitored")
    monitor.add_argument("--format", nargs="+", dest="formats", choices=("xlsx", "html", "docx"),
                         default=["xlsx", "html"])
    monitor.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")
    monitor.add_argument("--out", help="output folder (default: out); the forms go to <out>/<year>/monitoring/<date>/")

    rollup = sub.add_parser("rollup", help="one summary across every department of a year in the warehouse")
    rollup.add_argument("--year", type=int, required=True)
    rollup.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")
    rollup.add_argument("--out", help="output folder (default: out)")

    synth = sub.add_parser("synth", help="generate a synthetic city's landing zone (seeded, with planted faults)")
    synth.add_argument("--out", required=True, help="folder to write the landing zone to (must not exist)")
    synth.add_argument("--departments", type=int, default=60)
    synth.add_argument("--years", type=int, nargs="+", default=[2022])
    synth.add_argument("--payments", type=int, default=1_000_000, help="payment lines across all departments")
    synth.add_argument("--enterprises", type=int, default=20_000)
    synth.add_argument("--fault-rate", type=float, default=0.0, help="share of departments given one known fault")
    synth.add_argument("--seed", type=int, default=7)

    automations = sub.add_parser("automations", help="create the alerting automations on $PREFECT_API_URL")
    automations.add_argument("--block", required=True, metavar="TYPE/NAME",
                             help="the notification block to alert through, e.g. slack-webhook/ops")
    automations.add_argument("--file", help="automation definitions (default: deploy/automations.yaml)")
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
        raise argparse.ArgumentTypeError(f"{text!r} 不是日期，应为 2023-08-31 (not a date)") from None


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

        bar = Progress(TextColumn("[bold]departments"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
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

    from tasks import glossary as gl

    if isinstance(exc, RuntimeError) and "ephemeral Prefect API server" in str(exc):
        return gl.SERVER_START_FAILED.format(seconds=start_seconds)
    if isinstance(exc, (httpx.TransportError, httpx.HTTPStatusError, ConnectionError)):
        if api_url:
            return gl.SERVER_UNREACHABLE.format(url=api_url)
        return gl.SERVER_START_FAILED.format(seconds=start_seconds)
    return None


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from tasks.domain import FIRST_YEAR, LAST_YEAR
    from tasks.sources.contract import DEPARTMENT_CODE

    try:
        settings = _settings(args)
    except ValidationError as exc:
        return _fail(EXIT_USAGE, " ".join(str(exc).split()))
    if args.year is not None and not FIRST_YEAR <= args.year <= LAST_YEAR:
        return _fail(EXIT_USAGE, f"年度应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间（the year is between {FIRST_YEAR} and "
                                 f"{LAST_YEAR}）：{args.year}")
    bad = [c for c in args.departments or [] if not re.fullmatch(DEPARTMENT_CODE, c)]
    if bad:
        return _fail(EXIT_USAGE, f"部门编码格式不正确（not a department code）：{', '.join(bad)}")
    _prefect_defaults(settings.prefect_start_seconds)
    from prefect.settings import PREFECT_API_URL

    from flows.self_evaluation import self_evaluation, with_runner
    from tasks.pipeline import DataRefused, ReportsNotRendered, UsageError
    from tasks.resources import WarehouseUnreachable

    if (args.review or settings.review) and not PREFECT_API_URL.value():
        return _fail(EXIT_USAGE, "review needs a Prefect server whose UI reviewers can open: set PREFECT_API_URL "
                                 "(the temporary server of a plain run has no UI), or run without review")
    selected = with_runner(self_evaluation, settings.dask_address)
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
    result = state.result(raise_on_failure=False)
    if isinstance(result, DataRefused):
        _print_summary(result.summary)
        return _fail(EXIT_REFUSED, str(result))
    if isinstance(result, UsageError):
        return _fail(EXIT_USAGE, str(result))
    if isinstance(result, WarehouseUnreachable):
        return _fail(EXIT_ERROR, str(result))
    if isinstance(result, ReportsNotRendered):
        _print_summary(result.summary)
        return _fail(EXIT_ERROR, str(result))
    if isinstance(result, BaseException) or not state.is_completed():
        return _fail(EXIT_ERROR, f"{type(result).__name__}: {result}" if result else str(state.message))
    _print_summary(result)
    return EXIT_OK


def _print_summary(summary: object) -> None:
    for o in getattr(summary, "outcomes", []):
        where = o.reports.get("md", "") if o.reports else "; ".join(o.reasons)
        if o.missing:
            where += f"  (草稿; not yet submitted: {'、'.join(o.missing)})"
        print(f"{o.department_code} {summary.year}: {o.status}  {where}")  # type: ignore[attr-defined]
    monitoring = getattr(summary, "monitoring", None)
    if monitoring is not None:
        print(f"支付进度 as of {monitoring.as_of} (序时进度 {monitoring.time_progress}%): "
              + ", ".join(f"{code} {paid}" for code, paid in monitoring.paid.items()))
        for code, findings in monitoring.lagging.items():
            for finding in findings:
                print(f"{code} {summary.year}: lagging  {finding}")  # type: ignore[attr-defined]
        for note in monitoring.notes:
            print(note)


def _settings(args: argparse.Namespace) -> Settings:

    from tasks.settings import Settings

    return Settings().with_overrides(warehouse_url=getattr(args, "warehouse", None),
                                     output_dir=getattr(args, "out", None), source=getattr(args, "source", None),
                                     narrative_dir=getattr(args, "narrative_dir", None))


def explain(args: argparse.Namespace) -> int:
    from tasks.report.figures import read_figures
    from tasks.report.keyed import Keys
    from tasks.report.provenance import provenance
    from tasks.resources import engine_for
    from tasks.warehouse.metrics import MetricError, load_registry

    settings = _settings(args)
    try:
        registry = load_registry(settings.metrics_registry)
    except MetricError as exc:
        return _fail(EXIT_USAGE, str(exc))
    names = registry.names  # every figure read_figures gives
    if args.figure not in names:
        return _fail(EXIT_USAGE, f"unknown figure {args.figure!r}; known: {', '.join(sorted(names))}")
    engine = engine_for(settings, migrate=True)  # no run has prepared it
    try:
        with engine.connect() as conn:
            keys = Keys(conn, registry, args.year, [args.department])
            entry = provenance(keys, read_figures(keys, args.department))[args.figure]
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
    from tasks.report.render import SAFE_CODE
    from tasks.resources import engine_for

    if not SAFE_CODE.match(args.department):
        return _fail(EXIT_USAGE, f"department code {args.department!r} is not a valid code")
    settings = _settings(args)
    out = (Path(args.form_out) if args.form_out
           else settings.output_dir / "forms" / str(args.year) / f"{args.department}.docx")
    if out.suffix.lower() != ".docx":
        return _fail(EXIT_USAGE, f"{out}: the form is a Word document; name it .docx")
    engine = engine_for(settings, migrate=True)  # no run may have prepared it
    try:
        data, note = narrative_form(engine, settings, args.department, args.year, dt.datetime.now(TIMEZONE))
    except NarrativeError as exc:
        return _fail(EXIT_REFUSED, str(exc))
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"form {args.department} {args.year}: {out}")
    print(f"  {note}")
    replaces = " (instead of the .yaml)" if (settings.narrative_root() / str(args.year) /
                                             f"{args.department}.yaml").exists() else ""
    print(f"  fill it in, then save it as narrative/{args.year}/{args.department}.docx in the landing zone{replaces}")
    return EXIT_OK


def projects(args: argparse.Namespace) -> int:
    from tasks.report.build import write_projects
    from tasks.report.render import SAFE_CODE
    from tasks.resources import engine_for

    for code in args.department or []:
        if not SAFE_CODE.match(code):
            return _fail(EXIT_USAGE, f"department code {code!r} is not a valid code")
    settings = _settings(args)
    engine = engine_for(settings, migrate=True)  # no run may have prepared it
    try:
        written = write_projects(engine, settings, args.year, args.department, tuple(args.formats))
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc).strip("'\""))
    finally:
        engine.dispose()
    for code, index in written.items():
        print(f"项目支出绩效自评表 {code} {args.year}: {index}")
    return EXIT_OK


def monitor(args: argparse.Namespace) -> int:
    from tasks.domain import today
    from tasks.report.build import write_monitoring
    from tasks.report.render import SAFE_CODE
    from tasks.resources import engine_for

    for code in args.department or []:
        if not SAFE_CODE.match(code):
            return _fail(EXIT_USAGE, f"department code {code!r} is not a valid code")
    if args.as_of is not None and args.as_of.year != args.year:
        return _fail(EXIT_USAGE, f"--as-of {args.as_of} 不在 {args.year} 年内 (is not in {args.year})")
    settings = _settings(args)
    engine = engine_for(settings, migrate=True)  # no run may have prepared it
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
    from tasks.resources import engine_for

    settings = _settings(args)
    engine = engine_for(settings, migrate=True)  # no run has prepared it
    try:
        paths = write_rollup(engine, settings, args.year)
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc))
    finally:
        engine.dispose()
    print(f"roll-up {args.year}: {paths['html']}")
    return EXIT_OK


def synth(args: argparse.Namespace) -> int:
    from tasks.synth.city import CitySpec, build_city

    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        return _fail(EXIT_USAGE, f"{out} exists and is not empty")
    if not 0 <= args.fault_rate <= 1:
        return _fail(EXIT_USAGE, "--fault-rate is a share between 0 and 1")
    spec = CitySpec(departments=args.departments, years=tuple(args.years), payments=args.payments,
                    enterprises=args.enterprises, fault_rate=args.fault_rate, seed=args.seed)
    expected = build_city(out, spec)
    lines = sum(sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in out.glob("finance/*/*/payments.csv"))
    print(f"{out}: {args.departments} departments, {lines:,} payment lines, "
          f"{len(expected)} planted faults (expected_faults.csv)")
    return EXIT_OK


def automations(args: argparse.Namespace) -> int:
    _prefect_defaults()
    if not args.block:
        return _fail(EXIT_USAGE, "name the notification block: --block <block-type>/<name>")
    from tasks.automations import AUTOMATIONS_FILE, create_automations

    try:
        names = create_automations(args.block, Path(args.file) if args.file else AUTOMATIONS_FILE)
    except ValueError as exc:  # Prefect says a block does not exist with a ValueError
        return _fail(EXIT_USAGE, f"notification block {args.block!r}: {exc}")
    for name in names:
        print(f"automation: {name} -> {args.block}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"run": run, "explain": explain, "form": form, "projects": projects, "monitor": monitor,
                "rollup": rollup,
                "automations": automations,
                "synth": synth}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
