"""Arrow's allocator is told to give memory back at once, before pyarrow loads (``tasks/__init__.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Notes MIMALLOC_PURGE_DELAY as it is when pyarrow is first imported (mimalloc reads it as the library loads).
PROBE = """
import importlib.abc, os, sys
seen = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" and not seen:
            seen.append(os.environ.get("MIMALLOC_PURGE_DELAY"))
        return None
sys.meta_path.insert(0, Watch())
import flows.self_evaluation
print(seen)
"""


def _seen(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_flow_s_process_loads_pyarrow_with_the_purge_delay_set_and_an_operator_s_value_wins():
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"}
    assert _seen(env) == "['0']"
    assert _seen({**env, "MIMALLOC_PURGE_DELAY": "25"}) == "['25']"
