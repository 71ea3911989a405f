"""The whole nightly flow on a synthetic city, at several scales, against a DuckDB-only floor.

    .venv/bin/python -m bench.bench_city --points 10000 100000 1000000 5000000

For each point: a city of 60 departments with that many payment lines (``selfeval synth``, cached
under bench/_cache), a full run, a rerun with nothing changed, a rerun after one department's
payments changed, and the floor (bench/floor.sql). Each runs in its own process, so that peak RSS
is that run's own; one Prefect server serves them all and its start-up is not counted. Writes the
"city" section of bench/results.md and bench/city.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / "_cache"
YEAR = 2022


def child(args: argparse.Namespace) -> None:
    """One measured run in this process; prints a JSON line."""
    out: dict[str, object] = {}
    if args.mode == "floor":
        start = time.perf_counter()
        con, result = run_floor(Path(args.root), YEAR)
        out["seconds"] = time.perf_counter() - start
        out["result"] = result
        con.close()
    else:
        os.environ["SELFEVAL_REPORT_CONFIG"] = str(ROOT / "templates" / "report-nightly.yaml")
        from flows.self_evaluation import self_evaluation

        start = time.perf_counter()
        state = self_evaluation(year=YEAR, source=args.root, warehouse_url=args.warehouse, output_dir=args.out,
                                return_state=True)
        out["seconds"] = time.perf_counter() - start
        summary = state.result(raise_on_failure=False)
        summary = getattr(summary, "summary", summary)
        out["state"] = state.type.value
        out["timings"] = summary.timings
        out["statuses"] = {s: sum(1 for o in summary.outcomes if o.status == s)
                           for s in ("loaded", "draft", "skipped", "refused")}
    from bench.common import peak_rss_mb

    out["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(out, default=str))


def run_floor(root: Path, year: int) -> tuple[Any, tuple]:
    """Run bench/floor.sql on a landing zone: the open connection (its ``hits`` table holds the rule
    hits per department) and the script's last row (departments, payments, fatal rows)."""
    import duckdb

    sql = (ROOT / "bench" / "floor.sql").read_text(encoding="utf-8")
    sql = sql.replace("{root}", str(root)).replace("{year}", str(year))
    con = duckdb.connect()
    result = None
    for statement in (s for s in sql.split(";\n") if s.strip()):
        result = con.execute(statement)
    assert result is not None
    return con, result.fetchall()[0]


SMALL = 1_000_000  # points of at most this many lines are run --repeats times


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle of an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def expect(row: dict, what: str, condition: bool) -> None:
    """A benchmark of a run that did the wrong thing measures nothing: stop."""
    if not condition:
        raise RuntimeError(f"{row['points']:,} lines: {what}: {json.dumps(row, default=str)[:2000]}")


def run_child(mode: str, root: Path, warehouse: str, out: Path, env: dict[str, str]) -> dict:
    cmd = [sys.executable, "-m", "bench.bench_city", "--child", mode, "--root", str(root),
           "--warehouse", warehouse, "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{mode} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line.removeprefix("RESULT "))


def city(payments: int, departments: int = 60) -> tuple[Path, float]:
    from tasks.synth.city import CitySpec, build_city

    # v4: with 绩效目标 and 绩效自评 (departments score as real ones), and each project's (issue 29)
    root = CACHE / f"city-v4-{departments}-{payments}"
    if not (root / "expected_faults.csv").exists():
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        build_city(root, CitySpec(departments=departments, years=(YEAR,), payments=payments,
                                  enterprises=max(20_000, payments // 10), fault_rate=0.0, seed=7))
        (root / "generated_in.txt").write_text(f"{time.perf_counter() - start:.1f}")
    return root, float((root / "generated_in.txt").read_text())


def touch_one_department(root: Path) -> str:
    """Change one payment of the first department by one 分 (still within the ledger tolerance)."""
    folder = sorted((root / "finance" / str(YEAR)).iterdir())[0]
    path = folder / "payments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    fen = round(float(cells[-1]) * 100) + 1
    cells[-1] = f"{fen // 100}.{fen % 100:02d}"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder.name


def start_server(home: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                return server, env
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the Prefect server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", nargs="+", default=["10000", "100000", "1000000", "5000000"],
                        help="payment lines per city, each with 60 departments, or LINES:DEPARTMENTS (5000000:600)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="full runs at each point of at most 1M lines (each on a fresh copy and warehouse), "
                             "the median shown: the fixed cost's run-to-run noise on a shared machine is ~±1.5 s")
    parser.add_argument("--child")
    parser.add_argument("--root")
    parser.add_argument("--warehouse")
    parser.add_argument("--out")
    parser.add_argument("--pg-server", default=os.environ.get(
        "SELFEVAL_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server (any database on it) where a scratch database per point is made for the "
             "PostgreSQL column; 'none' to leave the column out")
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    from bench.common import write_section

    repeats = max(1, args.repeats)  # every point is run at least once
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server, env = start_server(tmp / "prefect")
        try:
            for point in args.points:
                points, departments = (int(x) for x in f"{point}:60".split(":")[:2])
                root, generated = city(points, departments)
                runs = []
                for _ in range(repeats if points <= SMALL else 1):
                    work = tmp / f"p{points}-{departments}"
                    shutil.rmtree(work, ignore_errors=True)
                    shutil.copytree(root, work / "zone")
                    warehouse = f"duckdb:///{work}/warehouse.duckdb"
                    runs.append(run_child("full", work / "zone", warehouse, work / "out", env))
                full = median_run(runs)  # the rerun and the one changed then run on the last run's warehouse
                again = run_child("rerun", work / "zone", warehouse, work / "out", env)
                touched = touch_one_department(work / "zone")
                one = run_child("touched", work / "zone", warehouse, work / "out", env)
                floor = run_child("floor", work / "zone", warehouse, work / "out", env)
                row = {"points": points, "departments": departments, "generated": generated, "full": full,
                       "full_runs": [r["seconds"] for r in runs],
                       "rerun": again, "touched": one, "touched_department": touched, "floor": floor}
                if args.pg_server != "none":
                    with scratch_database(args.pg_server, f"selfeval_bench_{points}_{departments}") as pg_url:
                        row["postgres"] = run_child("full", work / "zone", pg_url, work / "out-pg", env)
                    expect(row, f"the PostgreSQL run loads all {departments} departments",
                           row["postgres"]["statuses"]["loaded"] == departments)
                expect(row, f"every full run loads all {departments} departments (final reports)",
                       all(r["state"] == "COMPLETED" and r["statuses"]["loaded"] == departments for r in runs))
                expect(row, f"the rerun skips all {departments}", again["statuses"]["skipped"] == departments)
                expect(row, "the touched rerun reloads one",
                       one["statuses"]["loaded"] == 1 and one["statuses"]["skipped"] == departments - 1)
                expect(row, f"the floor sees {departments} departments, every payment, no fatal rule hit",
                       floor["result"][0] == departments and floor["result"][2] == 0)
                rows.append(row)
                print(json.dumps(rows[-1], default=str), flush=True)
                shutil.rmtree(work)
                # written after every point, so that a long series that is stopped keeps what it measured
                write_section("city", render(rows, args.points, repeats))
                chart([r for r in rows if r["departments"] == 60])
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextlib.contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server_url``'s server; dropped afterwards. Yields its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def render(rows: list[dict], points: list[str], repeats: int = 3) -> str:
    lines = [
        "## City scale: the nightly flow against a DuckDB-only floor",
        "",
        f"Command: `.venv/bin/python -m bench.bench_city --points {' '.join(str(p) for p in points)}"
        + (f" --repeats {repeats}" if repeats != 3 else "") + "`",
        "",
        "Synthetic departments (`selfeval synth`: 60, or as the point says), payment lines spread unevenly across "
        "them, each with its 绩效目标 and 绩效自评 (reports final); warehouse DuckDB; reports in Markdown and HTML "
        "with the score tables (templates/report-nightly.yaml). Wall times in seconds of the flow call, excluding "
        "the Prefect server's start-up; the stages are the run's own timings (plan, extract, validate: the gate, "
        "promote: every accepted department-year into the warehouse as a set, render: every report by keys and "
        "the scores). *per 1M rows* is the flow's wall time divided by millions of payment lines (as counted by "
        "the floor). Peak RSS is the flow process's own (each measurement runs in a fresh process). The floor "
        "(`bench/floor.sql`) runs in the same series, on the same files. At points of at most 1M lines the full "
        f"run is measured {repeats} times (`--repeats`), each on a fresh copy and warehouse, and the table shows "
        "the median "
        "run (its stages and RSS); every run's time is listed under the table.",
        "",
        "| target lines | departments | payment lines | flow s | plan | extract | validate | promote | render | "
        "per 1M rows s | peak RSS MB | floor s | flow / floor | rerun unchanged s (% of full) | "
        "rerun, one department changed s (% of full) | PostgreSQL: flow s | PostgreSQL / DuckDB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f, t = r["full"], r["full"]["timings"]
        ratio = f["seconds"] / r["floor"]["seconds"]
        actual = int(r["floor"]["result"][1])
        per_million = f["seconds"] / (actual / 1e6)
        lines.append(
            f"| {r['points']:,} | {r.get('departments', 60)} | {actual:,} | {f['seconds']:.1f} | "
            + " | ".join(f"{t.get(stage, 0):.1f}" for stage in ("plan", "extract", "validate", "promote", "render"))
            + f" | {per_million:.1f} | {f['peak_rss_mb']:.0f} | {r['floor']['seconds']:.2f} | {ratio:.1f} | "
            f"{r['rerun']['seconds']:.1f} ({100 * r['rerun']['seconds'] / f['seconds']:.0f} %, "
            f"{r['rerun']['statuses']['skipped']} skipped) | {r['touched']['seconds']:.1f} "
            f"({100 * r['touched']['seconds'] / f['seconds']:.0f} %, {r['touched']['statuses']['loaded']} reloaded) | "
            + (f"{r['postgres']['seconds']:.1f} | {r['postgres']['seconds'] / f['seconds']:.2f} |"
               if "postgres" in r else "— | — |"))
    repeated = [r for r in rows if len(r.get("full_runs", [])) > 1]
    if repeated:
        lines += ["", "Full runs, each: " + "; ".join(
            f"{r['points']:,} lines, {r.get('departments', 60)} departments: "
            + ", ".join(f"{x:.1f}" for x in r["full_runs"]) + " s" for r in repeated) + "."]
    lines += ["", "![flow and floor by scale](city.png)", "",
              "City generation (not timed above): " + ", ".join(f"{r['points']:,} lines {r['generated']:.0f} s"
                                                                 for r in rows) + "."]
    return "\n".join(lines)


def chart(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["points"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(xs, [r["full"]["seconds"] for r in rows], marker="o", label="flow (full run)")
    ax.plot(xs, [r["floor"]["seconds"] for r in rows], marker="o", label="DuckDB-only floor")
    ax.plot(xs, [r["rerun"]["seconds"] for r in rows], marker="o", label="rerun, nothing changed")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("payment lines (60 departments)")
    ax.set_ylabel("seconds")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.savefig(Path(__file__).with_name("city.png"), dpi=120, bbox_inches="tight")


if __name__ == "__main__":
    main()
