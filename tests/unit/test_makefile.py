"""The Makefile documents itself: ``make help`` lists every target with its line, ``$(YEAR)`` given its value, and
no colour codes when its output goes to a file or a pipe (a log, ``| grep``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_every_target_in_plain_text_when_piped():
    done = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert "\x1b[" not in done.stdout
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    documented = set(re.findall(r"^([a-zA-Z_-]+):.*?## ", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    assert listed == documented and {"help", "run", "test", "bench"} <= listed
    assert "$(YEAR)" not in done.stdout


def test_make_clean_keeps_the_warehouse_and_the_reports():
    """``make clean`` removes the tools' caches, never ``var/`` (the default warehouse, every year loaded into it) nor
    ``out/``: deleting them is ``make clean-data``'s, which asks first (answered no here: nothing goes)."""
    dry = subprocess.run(["make", "--no-print-directory", "-n", "clean"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "rm -rf" in dry and not re.search(r"(^|\s)(var|out)(/|\s|$)", dry), dry
    asked = subprocess.run(["make", "--no-print-directory", "-n", "clean-data"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    assert "read answer" in asked and "rm -rf var out" in asked, asked
