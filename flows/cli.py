"""``selfeval``: run the yearly flow from a terminal or a scheduler.

Exit codes (each with a one-line reason on stderr):
0 success; 3 data refused (a fatal data-quality rule failed or an input is malformed;
nothing of that department-year was loaded); 2 bad usage; 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3

if TYPE_CHECKING:
    from tasks.settings import Settings


def _prefect_defaults() -> None:
    """Settings Prefect must see before it is imported: no telemetry, our loggers in the UI."""
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
    run.add_argument("--year", type=int, required=True)
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
                     help="folder of <year>/<department>.yaml (default: <source>/narrative)")

    explain = sub.add_parser("explain", help="how a figure of a report was obtained: query, sources, rules")
    explain.add_argument("--year", type=int, required=True)
    explain.add_argument("--department", required=True, metavar="CODE")
    explain.add_argument("--figure", required=True, metavar="NAME", help="a figure name, e.g. executed")
    explain.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")

    rollup = sub.add_parser("rollup", help="one summary across every department of a year in the warehouse")
    rollup.add_argument("--year", type=int, required=True)
    rollup.add_argument("--warehouse", help="SQLAlchemy URL (default: duckdb:///var/warehouse.duckdb)")
    rollup.add_argument("--out", help="output folder (default: out)")
    rollup.add_argument("--narrative", dest="narrative_dir", metavar="DIR")
    return parser


def _fail(code: int, message: str) -> int:
    print(f"selfeval: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    _prefect_defaults()
    from flows.self_evaluation import self_evaluation
    from tasks.pipeline import DataRefused, UsageError

    try:
        state = self_evaluation(year=args.year, departments=args.departments, source=args.source,
                                warehouse_url=args.warehouse, output_dir=args.out,
                                finance_source=args.finance_source, statistics_source=args.statistics_source,
                                registry_source=args.registry_source, narrative_dir=args.narrative_dir,
                                return_state=True)
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    result = state.result(raise_on_failure=False)
    if isinstance(result, DataRefused):
        _print_summary(result.summary)
        return _fail(EXIT_REFUSED, str(result))
    if isinstance(result, UsageError):
        return _fail(EXIT_USAGE, str(result))
    if isinstance(result, BaseException) or not state.is_completed():
        return _fail(EXIT_ERROR, f"{type(result).__name__}: {result}" if result else str(state.message))
    _print_summary(result)
    return EXIT_OK


def _print_summary(summary: object) -> None:
    for o in getattr(summary, "outcomes", []):
        where = o.reports.get("md", "") if o.status == "loaded" else "; ".join(o.reasons)
        print(f"{o.department_code} {summary.year}: {o.status}  {where}")  # type: ignore[attr-defined]


def _settings(args: argparse.Namespace) -> Settings:

    from tasks.settings import Settings

    return Settings().with_overrides(warehouse_url=getattr(args, "warehouse", None),
                                     output_dir=getattr(args, "out", None),
                                     narrative_dir=getattr(args, "narrative_dir", None))


def explain(args: argparse.Namespace) -> int:
    from tasks.report.figures import FIGURE_NAMES, read_figures
    from tasks.report.provenance import provenance
    from tasks.warehouse.steps import engine_for

    if args.figure not in FIGURE_NAMES:
        return _fail(EXIT_USAGE, f"unknown figure {args.figure!r}; known: {', '.join(sorted(FIGURE_NAMES))}")
    engine = engine_for(_settings(args))
    try:
        with engine.connect() as conn:
            figures = read_figures(conn, args.department, args.year)
            entry = provenance(conn, figures)[args.figure]
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc))
    finally:
        engine.dispose()
    print("\n".join(entry.lines()))
    return EXIT_OK


def rollup(args: argparse.Namespace) -> int:
    from tasks.report.rollup import write_rollup
    from tasks.warehouse.steps import engine_for

    settings = _settings(args)
    engine = engine_for(settings)
    try:
        paths = write_rollup(engine, settings, args.year)
    except LookupError as exc:
        return _fail(EXIT_USAGE, str(exc))
    finally:
        engine.dispose()
    print(f"roll-up {args.year}: {paths['html']}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"run": run, "explain": explain, "rollup": rollup}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
