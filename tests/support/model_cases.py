"""The marts' given/expect cases (tasks/sql/marts.yml), and how a model's rows are compared with a case's, for
the DuckDB unit test (tests/unit/test_models.py) and the migrated warehouses' test
(tests/integration/test_models_warehouse.py) alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

SPEC = Path(__file__).resolve().parents[2] / "tasks" / "sql" / "marts.yml"


def models() -> list[dict[str, Any]]:
    import yaml

    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))["models"]


def cases() -> list[tuple[str, dict[str, Any]]]:
    return [(m["name"], c) for m in models() for c in m["cases"]]


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    return f"{case[0]}: {case[1]['name']}"


def _text(v: object) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
        return "None"
    if isinstance(v, dt.date | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def assert_rows(columns: list[str], rows: list[tuple], expect: list[dict[str, Any]]) -> None:
    """``rows`` (as fetched, with ``columns``) hold exactly the ``expect`` rows, in any order, in the columns the
    case names; integers and dates compared as written, whichever the backend's types."""
    got = pd.DataFrame(rows, columns=columns, dtype="object")
    expected = pd.DataFrame(expect, dtype="object")
    got = got[list(expected.columns)]

    def key(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.map(_text)
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(key(got), key(expected))
