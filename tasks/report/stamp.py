"""The stamp a finished render leaves in a report folder: which inputs it was rendered from.

A rerun skips a department-year only when the warehouse holds its partition from the same inputs
*and* the report files rendered from that partition are all still there. The warehouse alone
cannot say the second: a load commits before rendering starts, so a render that failed (or a
report file deleted since) would otherwise be taken as done.
"""

from __future__ import annotations

import json
from pathlib import Path

STAMP_NAME = ".selfeval-rendered.json"


def clear_stamp(folder: Path) -> None:
    (folder / STAMP_NAME).unlink(missing_ok=True)


def write_stamp(folder: Path, fingerprint: str, files: dict[str, Path]) -> None:
    """Written last, after every format of the report is on disk."""
    names = sorted(str(Path(p).resolve().relative_to(folder.resolve())) for p in files.values())
    (folder / STAMP_NAME).write_text(json.dumps({"fingerprint": fingerprint, "files": names}), encoding="utf-8")


def is_stamped(folder: Path, fingerprint: str | None) -> bool:
    """True when the folder's reports were rendered from ``fingerprint`` and are all present."""
    path = folder / STAMP_NAME
    if not fingerprint or not path.exists():
        return False
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    files = stamp.get("files") or []
    return stamp.get("fingerprint") == fingerprint and bool(files) and all((folder / f).exists() for f in files)
