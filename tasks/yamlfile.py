"""YAML configuration files, parsed once per version of the file.

Rendering reads the same report options and scoring table for every department of a run; parsing
them again each time cost more than rendering the report (measured at 60 departments, see
bench/results.md). libyaml's parser is used when PyYAML has it.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


@functools.lru_cache(maxsize=64)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    return parse(path.read_text(encoding="utf-8"))


def read_config(path: Path) -> Any:
    """The parsed file, re-read when it changes; callers get their own copy to change."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))
