"""Importing Great Expectations for the gate leaves scipy's statistics unloaded until something uses them.

Each case runs in a fresh interpreter: the test session may have imported scipy already."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_gx_import_does_not_load_scipy_stats_and_its_first_use_does() -> None:
    out = _run(
        "import sys\n"
        "from tasks.quality.gate import _gx_module\n"
        "_gx_module()\n"
        "print('after-import', 'scipy.stats._stats_py' in sys.modules)\n"
        "from scipy import stats\n"
        "print('entropy', round(float(stats.entropy([0.5, 0.5], [0.9, 0.1])), 6))\n"
        "import scipy.stats\n"
        "print('after-use', 'scipy.stats._stats_py' in sys.modules, scipy.stats is stats)\n")
    assert out.splitlines() == ["after-import False", "entropy 0.510826", "after-use True True"]


def test_an_imported_scipy_stats_is_left_as_it_is() -> None:
    out = _run(
        "import scipy.stats as before\n"
        "from tasks.quality.gate import defer_scipy_stats\n"
        "print(defer_scipy_stats())\n"
        "import scipy.stats\n"
        "print(scipy.stats is before)\n")
    assert out.splitlines() == ["False", "True"]
