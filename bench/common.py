"""Shared helpers of the benchmarks: timing, peak memory, and their sections of bench/results.md."""

from __future__ import annotations

import datetime as dt
import platform
import re
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).with_name("results.md")


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


def best_of(n: int, fn: Callable[[], Any]) -> float:
    """Fastest of ``n`` runs: the figure least disturbed by the rest of the machine."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mb() -> float:
    """This process's peak RSS since it started (VmHWM). Not ``ru_maxrss`` alone: Linux carries that
    over from the forking parent across exec, so a child of a large parent would report the parent's size."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    import os

    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {os.cpu_count()} cores, {platform.machine()}"


def write_section(name: str, body: str) -> None:
    """Replace this benchmark's section of bench/results.md, keeping the others."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"<!-- bench:{name} -->\n{body.strip()}\n\n_Measured {stamp} on {machine()}._\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def payment_ledger(rows: int, departments: int = 1, year: int = 2022, seed: int = 7) -> pd.DataFrame:
    """A staged payment ledger of ``rows`` rows (canonical columns, money in 分)."""
    rng = np.random.default_rng(seed)
    dept = np.array([f"440103-D{i:03d}" for i in range(departments)])[rng.integers(0, departments, rows)]
    lines = rng.integers(1, 40, rows)
    days = rng.integers(0, 365, rows)
    return pd.DataFrame({
        "voucher_no": [f"ZF{year}{i:09d}" for i in range(rows)],
        "department_code": dept,
        "line_id": [f"ZB{year}-{n:04d}" for n in lines],
        "pay_date": np.datetime64(f"{year}-01-01") + days.astype("timedelta64[D]"),
        "payee": np.array(["广州荔技软件有限公司", "广州穗创数据科技有限公司", "广州市社会保险基金管理中心"])[
            rng.integers(0, 3, rows)],
        "economic_class": np.array(["30201", "30227", "31204"])[rng.integers(0, 3, rows)],
        "amount": rng.integers(100, 10_000_000, rows),
    })
