"""The malformed-input corpus (tests/corpus/cases.yaml), each case through the real flow.

For every case: the operator's message names the source, the file or URL, the row and the column
where it can, and says what was expected; nothing of the department-year is in the warehouse; and
another department of the same run (for a department's own file) loads as usual.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tasks.quality.outputs import read_report
from tests.conftest import LIWAN
from tests.support.fake_api import FakeApi

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
OTHER = "440103-SWJ"
LIGHT = Path(__file__).resolve().parents[1] / "support" / "report-light.yaml"
TABLES = Path(__file__).resolve().parents[1] / "support" / "report-tables.yaml"  # the 自评表 in report.md too


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.fixture
def fake_api():
    api = FakeApi()
    yield api
    api.close()


def place(case: dict, sample: Path) -> None:
    """The case's file at its target, in place of the dataset's own file (any form), or beside it with
    ``beside: true``; ``also`` places more files the same way."""
    for one in [case, *case.get("also", [])]:
        target = sample / one["target"]
        if not one.get("beside"):
            for sibling in target.parent.glob(target.stem + ".*"):
                sibling.unlink()
        if one.get("file"):
            shutil.copy(CORPUS / "files" / one["file"], target)


def edit(spec: dict, sample: Path) -> None:
    """Change a sample file in place: lines inserted before given line numbers (of the result), cells
    set on given lines (of the result), optionally CRLF line ends."""
    path = sample / spec["target"]
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, text in sorted(spec.get("insert", {}).items()):
        lines.insert(int(number) - 1, text)
    header = lines[0].split(",")
    for number, cells in spec.get("cells", {}).items():
        values = lines[int(number) - 1].split(",")
        for column, value in cells.items():
            values[header.index(column)] = value
        lines[int(number) - 1] = ",".join(values)
    path.write_bytes(("\r\n" if spec.get("crlf") else "\n").join([*lines, ""]).encode("utf-8"))


def rewrite_narrative(sample: Path, text: str) -> None:
    path = sample / "narrative" / "2022" / f"{LIWAN}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(yaml.safe_load(text))
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def rows_of(url: str, table: str, department: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"select count(*) from {table} where department_code = :d"),
                                    {"d": department}).scalar_one())
    finally:
        engine.dispose()


def quarantined_rows(url: str, department: str) -> list[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(int(r) for r in conn.execute(sa.text(
                "select source_row from ops_quarantine where department_code = :d"), {"d": department}).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case, prefect_harness, sample_copy, tmp_path, fake_api, monkeypatch):
    from flows.self_evaluation import self_evaluation

    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(TABLES if case.get("report") == "tables" else LIGHT))
    params: dict = {}
    if "api" in case:
        endpoint = case["api"].split("/")[1]
        for fault in case.get("faults", []):
            fake_api.fail(endpoint, fault)
        if case.get("always"):
            fake_api.always[endpoint] = case["always"]
        monkeypatch.setenv("SELFEVAL_API_TOKEN", fake_api.token)
        monkeypatch.setenv("SELFEVAL_HTTP_TIMEOUT", "1")
        monkeypatch.setenv("SELFEVAL_HTTP_BACKOFF", "0.05")
        monkeypatch.setenv("SELFEVAL_HTTP_MAX_PAGES", "50")
        params = {"statistics_source": fake_api.url("statistics"), "registry_source": fake_api.url("registry")}
    elif "narrative" in case:
        rewrite_narrative(sample_copy, case["narrative"])
    elif "edit" in case:
        edit(case["edit"], sample_copy)
    else:
        place(case, sample_copy)
    code = case.get("department", LIWAN)  # the department the case is about
    departments = [LIWAN] if case.get("scope") == "all" else sorted({code, LIWAN, OTHER})
    url = f"duckdb:///{tmp_path}/wh.duckdb"
    state = self_evaluation(year=2022, departments=departments, source=str(sample_copy), warehouse_url=url,
                            output_dir=str(tmp_path / "out"), return_state=True, **params)
    result = state.result(raise_on_failure=False)
    summary = getattr(result, "summary", result)
    outcome = next(o for o in summary.outcomes if o.department_code == code)

    if case.get("outcome") == "loaded":
        assert state.is_completed(), state.message
        assert outcome.status == "loaded"
        if "warnings" in case:
            assert outcome.warnings == case["warnings"], outcome
        else:
            assert outcome.warnings >= 1
        folder = tmp_path / "out" / "2022" / code
        page = folder / "projects" / f"{case['form']}.html" if "form" in case else folder / "report.md"
        text = page.read_text(encoding="utf-8")
        for part in case["expect"]:
            assert part in text, f"{part!r} not in {page.name}"
        for part in case.get("once", []):
            assert text.count(part) == 1, f"{part!r} is in the report {text.count(part)} times"
        for part in case.get("absent", []):
            assert part not in text, f"{part!r} is in the report"
        return

    assert state.is_failed(), "a malformed input must fail the run"
    message = "; ".join(outcome.reasons)
    assert outcome.status == "refused", message
    for part in case["expect"]:
        assert part in message, f"{part!r} not in: {message}"
    assert fake_api.token not in message + str(state.message)
    # nothing of the department-year (its finance facts, 绩效目标, the record of its load); the shared registry
    # and statistics are snapshots promoted with the department-years accepted (none here when all are refused)
    for table in ("fct_budget_line", "fct_payment", "fct_performance_target", "ops_partition"):
        assert rows_of(url, table, LIWAN) == 0, f"{table} holds rows of a refused department-year"
    if OTHER not in departments:
        assert rows_of(url, "fct_application", LIWAN) == 0, "a run that accepted nothing promoted the registry"
    if "error_rows" in case:  # the error report, the quarantine file and table name the same lines
        folder = tmp_path / "out" / "2022" / LIWAN
        for name in ("data-quality-errors.csv", "quarantine.csv"):
            rows = read_report(folder / name)
            assert sorted(int(r) for r in rows["row_number"]) == case["error_rows"], name
        assert quarantined_rows(url, LIWAN) == case["error_rows"]
    if OTHER in departments:
        assert next(o for o in summary.outcomes if o.department_code == OTHER).status == "loaded"
        assert rows_of(url, "fct_payment", OTHER) > 0
