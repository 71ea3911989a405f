"""SQL files of named blocks: each block starts at a ``-- name: X`` line and is one SELECT (a view, a model).

The gate's views (``tasks/quality/sql``) and the model graph shared with the warehouse (``tasks/sql``) are
kept this way: reviewed text, one definition per name, read once per process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_NAME = re.compile(r"^-- name: ([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
MATERIALIZED = "-- materialized: table"


def is_materialized(block: str) -> bool:
    """Whether a block's text marks it kept as a table, not a view, by a line of its own (``-- materialized:
    table``): in the warehouse and in a run's database."""
    return any(line.strip() == MATERIALIZED for line in block.splitlines())


@lru_cache(maxsize=16)
def named_blocks(path: Path) -> dict[str, str]:
    """The blocks of the file at ``path``: name → SELECT text, in file order.

    Raises ValueError when a name is used twice.
    """
    text = path.read_text(encoding="utf-8")
    parts = _NAME.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in out:
            raise ValueError(f"{path}: the name {name!r} is used twice")
        out[name] = body.strip().rstrip(";")
    return out
