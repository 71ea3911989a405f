"""A run's plan: the input fingerprints of every department-year (``tasks.pipeline.input_fingerprints``), hashed
on one thread and on ``extract_threads``, for landing zones the size of the city's at several scales.

    .venv/bin/python -m bench.bench_plan [--lines 5000000 20000000] [--threads 2]

A rerun with nothing changed is mostly this: each file of each department is hashed to learn that it did not
change. The zone is bench_city's 1M-line city with each department's payments file repeated to the size of a
city of ``--lines`` (hashing reads bytes, not rows: the files need not parse), made in the system's temp folder
and removed after.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_city import YEAR, city
from bench.common import write_section
from tasks.pipeline import input_fingerprints
from tasks.sources.base import FileSource

BASE = 1_000_000


def zone_of(lines: int, tmp: Path) -> Path:
    """bench_city's 1M-line city with each payments file ``lines // 1M`` times as long."""
    base, _ = city(BASE)
    zone = tmp / f"zone-{lines}"
    shutil.copytree(base, zone)
    times = max(1, lines // BASE)
    for path in sorted((zone / "finance" / str(YEAR)).glob("*/payments.csv")):
        body = path.read_bytes()
        with path.open("ab") as out:
            for _ in range(times - 1):
                out.write(body)
    return zone


def fingerprints_in(zone: Path, threads: int) -> float:
    sources = {n: FileSource(n, zone / n) for n in ("finance", "statistics", "registry")}
    codes = sorted(p.name for p in (zone / "finance" / str(YEAR)).iterdir())
    start = time.perf_counter()
    got = input_fingerprints(sources, zone / "narrative", YEAR, codes, {"code_version": "bench"}, None,
                             threads=threads)
    seconds = time.perf_counter() - start
    if not all(got.values()):
        raise RuntimeError(f"a department could not be fingerprinted: {got}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", nargs="+", type=int, default=[5_000_000, 20_000_000])
    parser.add_argument("--threads", type=int, default=2, help="the threads compared with one (extract_threads)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each, interleaved; the median shown")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for lines in args.lines:
            zone = zone_of(lines, Path(tmp_name))
            size = sum(p.stat().st_size for p in zone.rglob("*") if p.is_file()) / 1e6
            fingerprints_in(zone, 1)  # the files into the page cache, as a nightly rerun finds them
            runs: dict[int, list[float]] = {1: [], args.threads: []}
            for i in range(args.repeats):  # interleaved, so that the machine's drift falls on both
                for threads in ((1, args.threads) if i % 2 == 0 else (args.threads, 1)):
                    runs[threads].append(fingerprints_in(zone, threads))
            one, many = statistics.median(runs[1]), statistics.median(runs[args.threads])
            rows.append(f"| {lines:,} | {size:,.0f} | {one:.2f} | {many:.2f} | {one / many:.2f}× |")
            print(rows[-1], flush=True)
            shutil.rmtree(zone)
    write_section("plan", "\n".join([
        "## A run's plan: the input fingerprints (`bench/bench_plan.py`)",
        "",
        f"Command: `.venv/bin/python -m bench.bench_plan --lines {' '.join(str(n) for n in args.lines)}"
        f" --threads {args.threads}`. 60 departments; the files in the page cache; median of {args.repeats} "
        "interleaved runs each.",
        "",
        f"| lines | MB hashed | 1 thread s | {args.threads} threads s | speed-up |",
        "|---:|---:|---:|---:|---:|",
        *rows,
    ]))


if __name__ == "__main__":
    main()
