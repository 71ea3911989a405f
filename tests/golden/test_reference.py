"""The golden test: the flow, run on the bundled sample, reproduces the published 2022 report.

Exact, ignoring whitespace only (the reference is text extracted from a PDF, with hard
line wraps); a failure shows the first differing position.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LIWAN, REFERENCE, REFERENCE_COPY, first_difference


@pytest.fixture(scope="module")
def liwan_report(prefect_harness, tmp_path_factory) -> Path:
    from flows.self_evaluation import self_evaluation

    out = tmp_path_factory.mktemp("golden")
    self_evaluation(year=2022, departments=[LIWAN], warehouse_url=f"duckdb:///{out}/wh.duckdb",
                    output_dir=str(out / "out"))
    return out / "out" / "2022" / LIWAN / "report.md"


def test_report_md_equals_the_reference(liwan_report, reference_text):
    difference = first_difference(liwan_report.read_text(encoding="utf-8"), reference_text)
    assert difference is None, difference


def test_reference_copy_is_the_shared_reference():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is not on this machine; the copy in tests/golden is used")
    assert REFERENCE_COPY.read_bytes() == REFERENCE.read_bytes()


def test_first_difference_points_at_the_change():
    message = first_difference("全年预算数 12103.34 万元", "全年预算数 12103.35 万元")
    assert message is not None and "position 12" in message
