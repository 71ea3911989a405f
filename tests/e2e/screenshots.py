"""The operator guide's screenshots: the browser tests take them (into ``tests/e2e/_output/``), and
``make screenshots`` retakes them and copies those ``docs/operator-guide.md`` shows into ``docs/images/``.

``python -m tests.e2e.screenshots`` does the copying; it exits 1 naming any image the guide shows that the
tests did not take.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operator-guide.md"
IMAGES = ROOT / "docs" / "images"
OUTPUT = Path(__file__).resolve().parent / "_output"  # tests/e2e/conftest.py's
_SHOWN = re.compile(r"!\[[^\]]*\]\(images/([^)\s]+\.png)\)")
_TAKEN = re.compile(r"OUTPUT\s*/\s*f?\"([^\"]+\.png)\"")


def shown(guide: Path = GUIDE) -> list[str]:
    """The file names of the images ``guide`` shows (``![…](images/run-artifact.png)``), in order."""
    return list(dict.fromkeys(_SHOWN.findall(guide.read_text(encoding="utf-8"))))


TESTS = Path(__file__).resolve().parent


def taken(tests: Path = TESTS) -> list[re.Pattern[str]]:
    """The screenshots the browser tests take, as patterns of file names (an f-string's ``{department}`` is
    any name)."""
    names = {name for path in sorted(tests.glob("test_*.py")) for name in _TAKEN.findall(path.read_text("utf-8"))}
    return [re.compile("".join(r"[^/]+" if part.startswith("{") else re.escape(part)
                               for part in re.split(r"(\{[^}]*\})", name))) for name in sorted(names)]


def untaken(names: list[str]) -> list[str]:
    """Those of ``names`` no browser test takes: a screenshot in the guide that nothing can retake."""
    patterns = taken()
    return [name for name in names if not any(p.fullmatch(name) for p in patterns)]


def main() -> int:
    missing = [name for name in shown() if not (OUTPUT / name).is_file()]
    if missing:
        print(f"screenshots: the browser tests did not write {', '.join(missing)} into {OUTPUT}", file=sys.stderr)
        return 1
    IMAGES.mkdir(exist_ok=True)
    for name in shown():
        shutil.copyfile(OUTPUT / name, IMAGES / name)
        print(f"docs/images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
