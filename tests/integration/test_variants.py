"""Every form the sample ships in gives the byte-identical report: XLSX exports, GBK CSV, the
statistics and registry over a real HTTP API on loopback, and the finance tables in a database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import SAMPLE
from tests.support.fake_api import FakeApi

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ROOT / "data" / "variants"


def run(tmp: Path, name: str, **sources: str) -> Path:
    from flows.self_evaluation import self_evaluation

    state = self_evaluation(year=2022, warehouse_url=f"duckdb:///{tmp}/{name}.duckdb", output_dir=str(tmp / name),
                            narrative_dir=str(SAMPLE / "narrative"), return_state=True, **sources)
    assert state.is_completed(), state.message
    return tmp / name / "2022"


def assert_identical(baseline: Path, other: Path) -> None:
    files = sorted(p.relative_to(baseline) for p in [*baseline.rglob("report.*"), *baseline.rglob("charts/*.png")])
    assert len([f for f in files if f.name.startswith("report.")]) == 3 * 4  # md, html, docx, pdf
    assert len(files) >= 3 * 4 + 3 * 3  # and at least three charts each
    for rel in files:
        assert (other / rel).read_bytes() == (baseline / rel).read_bytes(), rel


@pytest.fixture(scope="module")
def baseline(prefect_harness, tmp_path_factory) -> Path:
    return run(tmp_path_factory.mktemp("baseline"), "csv")


def test_xlsx_exports(baseline, tmp_path):
    assert any((VARIANTS / "xlsx" / "finance").rglob("*.xlsx"))
    reports = run(tmp_path, "xlsx", source=str(SAMPLE), finance_source=str(VARIANTS / "xlsx" / "finance"))
    assert_identical(baseline, reports)


def test_xls_excel_97_2003(baseline, tmp_path):
    """The same exports as Excel 97-2003 .xls (BIFF8), as an older finance system saves them."""
    files = sorted((VARIANTS / "xls" / "finance").rglob("*.xls"))
    assert len(files) == len(list((VARIANTS / "xlsx" / "finance").rglob("*.xlsx")))
    assert all(f.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1") for f in files)  # BIFF8 (OLE2)
    reports = run(tmp_path, "xls", source=str(SAMPLE), finance_source=str(VARIANTS / "xls" / "finance"))
    assert_identical(baseline, reports)


def test_gbk_csv(baseline, tmp_path):
    sample = (VARIANTS / "gbk" / "finance" / "departments.csv").read_bytes()
    assert sample.decode("gbk") and not sample.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        (VARIANTS / "gbk" / "registry" / "enterprises.csv").read_bytes().decode("utf-8")
    assert_identical(baseline, run(tmp_path, "gbk", source=str(VARIANTS / "gbk")))


def test_excel_csv_utf8_exports(baseline, tmp_path):
    """BOM, CRLF and two empty trailing columns in every file: no warning, the same report."""
    from flows.self_evaluation import self_evaluation

    data = (VARIANTS / "excel-csv" / "finance" / "2022" / "440103-KGXJ" / "payments.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b",,\r\n" in data
    state = self_evaluation(year=2022, warehouse_url=f"duckdb:///{tmp_path}/x.duckdb", output_dir=str(tmp_path / "x"),
                            source=str(VARIANTS / "excel-csv"), narrative_dir=str(SAMPLE / "narrative"),
                            return_state=True)
    assert state.is_completed(), state.message
    outcomes = state.result().outcomes
    assert len(outcomes) == 3 and all(o.status == "loaded" and o.warnings == 0 for o in outcomes), outcomes
    assert_identical(baseline, tmp_path / "x" / "2022")


def test_http_apis_with_a_dropped_connection_and_a_server_error(baseline, tmp_path, monkeypatch):
    api = FakeApi()
    try:
        api.fail("indicators", "drop", "500")  # both retried, then the pages come
        monkeypatch.setenv("SELFEVAL_API_TOKEN", api.token)
        monkeypatch.setenv("SELFEVAL_HTTP_PAGE_SIZE", "200")  # several pages per endpoint
        monkeypatch.setenv("SELFEVAL_HTTP_BACKOFF", "0.05")
        reports = run(tmp_path, "api", statistics_source=api.url("statistics"), registry_source=api.url("registry"))
        assert max(r["page"] for r in api.requests) > 2
        assert all(r["authorization"] == f"Bearer {api.token}" for r in api.requests)
    finally:
        api.close()
    assert_identical(baseline, reports)


def finance_database(url: str) -> None:
    """The sample's finance files as tables of a finance office's database (with a year column)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        pd.read_csv(SAMPLE / "finance" / "departments.csv", dtype=str).to_sql("departments", conn, index=False)
        money_columns = ("全年预算数", "全年执行数", "年末结转和结余", "支付金额", "年初预算数", "全年预计执行数")
        for name in ("budget_lines", "payments", "summary", "targets", "self_assessment", "project_targets",
                     "project_self_assessment", "project_summaries", "monitoring", "rectification"):
            frames = []
            for path in sorted((SAMPLE / "finance").glob(f"*/*/{name}.csv")):
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                money = [c for c in frame.columns if c in money_columns]
                frame[money] = frame[money].apply(pd.to_numeric)  # NUMERIC columns, as a finance system has
                frames.append(frame.assign(预算年度=int(path.parent.parent.name)))
            # a column some departments' lines lack (年初预算数, 资金性质) is NULL for them
            pd.concat(frames).to_sql(name, conn, index=False, dtype={c: sa.Numeric(18, 2) for c in money_columns})
    engine.dispose()


def test_finance_from_sqlite(baseline, tmp_path):
    url = f"sqlite:///{tmp_path}/finance.sqlite"
    finance_database(url)
    assert_identical(baseline, run(tmp_path, "sqlite", finance_source=url))


def test_finance_from_postgresql(baseline, tmp_path, pg_url):
    finance_database(pg_url)
    assert_identical(baseline, run(tmp_path, "pg", finance_source=pg_url))
