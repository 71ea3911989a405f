"""The 项目支出绩效自评表 of a whole synthetic city, written from the warehouse in each format.

    .venv/bin/python -m bench.bench_projects [--departments 100] [--payments 100000] [--pdf-departments 3]

A city of ``--departments`` departments (``selfeval synth``, cached under bench/_cache; 100 departments give about
1,800 项目支出 projects) is loaded by the nightly flow once, on DuckDB. Then, each in its own process so that peak
RSS is its own, every project's form is written from the warehouse (``selfeval projects``): XLSX and HTML, as the
nightly writes them; DOCX and PDF, on demand, for the first ``--docx-departments`` and ``--pdf-departments``
departments only (each costs a large fraction of a second per form: the figure for all the forms is extrapolated
from them, and said so). Writes the
"projects" section of bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_city import ROOT, YEAR, city, run_child, start_server
from bench.common import write_section


def child(args: argparse.Namespace) -> None:
    """Write the forms of the loaded departments in ``args.formats``, timed; prints a JSON line."""
    from bench.common import peak_rss_mb
    from tasks.report.build import write_projects
    from tasks.resources import engine_for
    from tasks.settings import Settings
    from tasks.warehouse import queries as q

    settings = Settings().with_overrides(warehouse_url=args.warehouse, output_dir=Path(args.out))
    engine = engine_for(settings, read_only=True)
    with engine.connect() as conn:
        departments = sorted(q.loaded_departments(conn, YEAR))
    if args.limit:
        departments = departments[:args.limit]
    start = time.perf_counter()
    written = write_projects(engine, settings, YEAR, departments, tuple(args.formats.split(",")))
    seconds = time.perf_counter() - start
    engine.dispose()
    forms = sum(1 for index in written.values() for p in index.parent.glob("*.html") if p.name != "index.html")
    print("RESULT " + json.dumps({"seconds": seconds, "forms": forms, "departments": len(departments),
                                  "peak_rss_mb": peak_rss_mb()}))


def measure(formats: str, warehouse: str, out: Path, env: dict[str, str], limit: int = 0) -> dict:
    cmd = [sys.executable, "-m", "bench.bench_projects", "--child", formats, "--warehouse", warehouse,
           "--out", str(out), "--limit", str(limit)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{formats} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--pdf-departments", type=int, default=3)
    parser.add_argument("--docx-departments", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--warehouse")
    parser.add_argument("--out")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        args.formats = args.child
        child(args)
        return
    root, _ = city(args.payments, args.departments)
    work = Path(tempfile.mkdtemp(prefix="bench-projects-"))
    server, env = start_server(work / "prefect")
    try:
        warehouse, out = f"duckdb:///{work}/wh.duckdb", work / "out"
        flow = run_child("flow", root, warehouse, out, env)
        rows = {"xlsx,html": measure("xlsx,html", warehouse, out, env),
                "docx": measure("docx", warehouse, out, env, limit=args.docx_departments),
                "pdf": measure("pdf", warehouse, out, env, limit=args.pdf_departments)}
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    total = rows["xlsx,html"]["forms"]
    lines = [f"### 项目支出绩效自评表 of a city ({args.departments} departments, {total} project forms)", "",
             f"`.venv/bin/python -m bench.bench_projects --departments {args.departments} --payments {args.payments} "
             f"--pdf-departments {args.pdf_departments} --docx-departments {args.docx_departments}`."
             f" The city loaded by the nightly flow first ({flow['seconds']:.1f} s, its renders writing the XLSX and"
             " HTML forms too); then each format written again from the warehouse by `write_projects` (what"
             " `selfeval projects` runs), in a process of its own.", "",
             "| formats | forms | seconds | per form (ms) | peak RSS MB |", "|---|---:|---:|---:|---:|"]
    for name, r in rows.items():
        per = r["seconds"] / max(1, r["forms"]) * 1000
        lines.append(f"| {name} | {r['forms']} | {r['seconds']:.1f} | {per:.1f} | {r['peak_rss_mb']:.0f} |")
    for name in ("docx", "pdf"):
        r = rows[name]
        estimate = r["seconds"] / max(1, r["forms"]) * total
        lines += ["", f"{name.upper()} measured on the first {r['departments']} departments ({r['forms']} forms); all "
                      f"{total} would take about {estimate / 60:.1f} min at that rate (extrapolated, not measured): on "
                      "demand or batched, not in the nightly."]
    nightly = rows["xlsx,html"]
    met = "met" if nightly["seconds"] / max(1, nightly["forms"]) * 1800 <= 60 and nightly["peak_rss_mb"] <= 1024 \
        else "not met"
    lines += ["", f"Aim (issue 29): XLSX and HTML of the city's ~1,800 forms in ≤ 60 s and ≤ 1 GB — {met} "
                  f"({nightly['forms']} forms in {nightly['seconds']:.1f} s, {nightly['peak_rss_mb']:.0f} MB)."]
    text = "\n".join(lines)
    print(text)
    write_section("projects", text)


if __name__ == "__main__":
    main()
