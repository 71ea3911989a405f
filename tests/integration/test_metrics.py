"""Metrics of the registry on both engines: the same exact values from DuckDB and PostgreSQL, a metric
added as data only, and the words a narrative writes for a change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tasks.report.figures import read_figures
from tasks.report.keyed import Keys
from tasks.settings import TEMPLATES_DIR
from tasks.warehouse import schema as s
from tasks.warehouse.metrics import load_registry, measure
from tests.integration.warehouse_helpers import load_sample

LIWAN = "440103-KGXJ"


def _applications(conn: sa.Connection, program: str, rows: list[tuple[str, int, str]]) -> None:
    now = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    conn.execute(sa.insert(s.fct_application), [
        {"application_id": f"T{i}", "department_code": "440103-SWJ", "year": year, "uscc": uscc, "program": program,
         "submitted": dt.date(year, 5, 1), "result": result, "first_application": False, "run_id": "t",
         "source_uri": "test", "source_sha256": "0" * 64, "source_row": i, "loaded_at": now}
        for i, (uscc, year, result) in enumerate(rows)])


def test_a_metric_added_as_data_counts_a_new_programme(engine, tmp_path):
    load_sample(engine, "run-1")
    with engine.begin() as conn:
        _applications(conn, "科技型中小企业评价", [
            ("91440103000000001A", 2022, "通过"), ("91440103000000001A", 2022, "通过"),  # one enterprise twice
            ("91440103000000002B", 2022, "通过"), ("91440103000000003C", 2022, "未通过"),
            ("91440103000000004D", 2021, "通过")])
    registry_path = tmp_path / "metrics.yaml"
    registry_path.write_text("""
metrics:
  - {name: tsme, label: 科技型中小企业评价入库企业数, kind: count_distinct, table: fct_application, column: uscc,
     filters: {program: 科技型中小企业评价, result: 通过}, unit: 家, format: count}
  - {name: tsme_growth, label: 入库企业数同比增长, kind: growth, of: tsme, format: percent}
  - {name: tsme_any_result, label: 申报企业数, kind: count_distinct, table: fct_application, column: uscc,
     filters: {program: 科技型中小企业评价, result: [通过, 未通过]}, format: count}
""", encoding="utf-8")
    registry = load_registry(registry_path)
    with engine.connect() as conn:
        m = measure(conn, registry, "440103-SWJ", "440103", 2022)
    assert m["tsme"].value == 2 and m["tsme_any_result"].value == 3
    assert m["tsme_growth"].value == Decimal(1)  # 2 against 1 the year before


def test_figures_are_exact_and_written_alike_on_both_engines(engine):
    load_sample(engine, "run-1")
    with engine.connect() as conn:
        figures = read_figures(Keys(conn, load_registry(TEMPLATES_DIR / "metrics.yaml"), 2022, [LIWAN]), LIWAN)
    texts = {name: f.text for name, f in figures.items.items()}
    assert texts["budget"] == "12103.34" and texts["executed"] == "12103.27" and texts["execution_rate"] == "100"
    assert texts["fund_GFB"] == "0" and texts["share_fund_GFB"] == "0.00"  # no line of that source
    assert texts["hitech_first_growth"] == "40" and texts["agreed_investment"] == "21.4"
    assert texts["rd_growth"].startswith("全部行业 ") and "、建筑业 57%" in texts["rd_growth"]
    assert figures.growth_of["hitech_first"] == "hitech_first_growth"
    assert figures["execution_rate"].value == Decimal(12_103_269_955) / Decimal(12_103_341_200)
    assert "FROM mart_line_execution" in figures["budget"].sql


def test_payments_to_a_quarters_end_are_the_payments_dated_up_to_it(engine):
    """支付进度's sums read the ledger by day (a row per line and 支付日期): each is the sum of the payments
    themselves dated up to the quarter's end, in 分, on both engines."""
    load_sample(engine, "run-1")
    registry = load_registry(TEMPLATES_DIR / "metrics.yaml")
    with engine.connect() as conn:
        figures = read_figures(Keys(conn, registry, 2022, [LIWAN]), LIWAN)
        for quarter, end in ((1, "2022-03-31"), (2, "2022-06-30"), (3, "2022-09-30"), (4, "2022-12-31")):
            paid = conn.execute(sa.text(
                "SELECT SUM(amount_fen), COUNT(*) FROM fct_payment WHERE department_code = :d AND year = 2022 "
                "AND pay_date <= :end"), {"d": LIWAN, "end": dt.date.fromisoformat(end)}).one()
            assert paid[1] > 0
            assert figures[f"paid_to_q{quarter}"].value == int(paid[0]), quarter


def test_every_key_at_once_gives_each_department_what_it_gets_alone(engine):
    """measure_keys runs each aggregate once for all departments (GROUP BY the key): each department's
    values, rows and years are the ones a statement for it alone gives, on both engines, including a
    department with no rows for some metrics and the growths and ratios built on them."""
    from tasks.warehouse.metrics import Measured, measure_keys, parameters, statement

    load_sample(engine, "run-1")
    registry = load_registry(TEMPLATES_DIR / "metrics.yaml")
    keys = {"440103-KGXJ": "440103", "440103-SWJ": "440103", "440103-WTJ": "440103", "440103-NONE": "440104"}
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    with engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", seen)
        together = measure_keys(conn, registry, keys, 2022)
        sa.event.remove(conn, "before_cursor_execute", seen)
        dated = [q for q in statements if "int_line_ledger_by_day" in q and "pay_date" in q]
        assert len(dated) == 1, dated  # Σ payments to each quarter's end: one scan of the ledger for all four
        assert not [q for q in statements if "fct_payment" in q]  # the ledger by day, not the payments
        for code, region in keys.items():
            for name, found in together[code].items():
                metric = registry[name]
                if metric.kind not in ("count", "count_distinct", "sum") or metric.by is not None:
                    continue
                alone = conn.execute(statement(metric), parameters(metric, code, region, 2022)).one()
                value = int(alone.value) if metric.kind != "sum" or str(metric.column).endswith("_fen") \
                    else Decimal(str(alone.value))
                assert (found.value, found.rows) == (value, int(alone.n_rows)), (code, name)
        assert together["440103-KGXJ"] == measure(conn, registry, "440103-KGXJ", "440103", 2022)
    assert together["440103-NONE"]["budget"] == Measured(0, 0, 2022)
    assert together["440103-KGXJ"]["srdi_applicants"].value == 74
    assert together["440103-SWJ"]["srdi_applicants"].value != 74


def test_a_dated_metric_is_read_beside_its_family_only_when_it_is_asked_for(engine, tmp_path):
    """Metrics that differ only by their date bound are read in one statement, but only those a caller asks for
    (and what they are computed from): a sibling whose bound does not exist this year (29 February 2022) does not
    break the others."""
    from tasks.warehouse.metrics import measure_keys

    load_sample(engine, "run-1")
    registry_path = tmp_path / "metrics.yaml"
    registry_path.write_text("""
metrics:
  - {name: paid_to_q1, label: 一季度末累计支付, kind: sum, table: fct_payment, column: amount_fen,
     date_column: pay_date, to: "03-31", unit: 万元, format: wan}
  - {name: paid_to_june, label: 六月末累计支付, kind: sum, table: fct_payment, column: amount_fen,
     date_column: pay_date, to: "06-30", unit: 万元, format: wan}
  - {name: paid_to_leap_day, label: 二月末累计支付, kind: sum, table: fct_payment, column: amount_fen,
     date_column: pay_date, to: "02-29", unit: 万元, format: wan}
""", encoding="utf-8")
    registry = load_registry(registry_path)
    with engine.connect() as conn:
        found = measure_keys(conn, registry, {LIWAN: "440103"}, 2022, frozenset({"paid_to_q1", "paid_to_june"}))
        assert set(found[LIWAN]) == {"paid_to_q1", "paid_to_june"}
        assert 0 < found[LIWAN]["paid_to_q1"].value <= found[LIWAN]["paid_to_june"].value
        with pytest.raises(ValueError):  # asked for, it fails as it did alone
            measure_keys(conn, registry, {LIWAN: "440103"}, 2022, frozenset({"paid_to_leap_day"}))
