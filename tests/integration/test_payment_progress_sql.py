"""The monitoring measure on DuckDB and PostgreSQL: 支付进度 of every department, 资金来源 and project of the
sample's open year, worked out again from the files with pandas; a project spread over two 资金来源 and a
project with no budget; and which departments a year's reports still wait for."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tasks.domain import FUND_SOURCE_CODE
from tasks.warehouse import monitoring as mon
from tasks.warehouse import queries as q
from tasks.warehouse import schema as s
from tests.integration.warehouse_helpers import DEPARTMENTS, SAMPLE, load_sample, sample_data

AS_OF = dt.date(2023, 5, 31)  # not the ledger's end: payments of June must not count
LIWAN = "440103-KGXJ"


def expected(extra_lines: pd.DataFrame) -> pd.DataFrame:
    """Budget and paid (分) per department, level and key, from the CSV files plus ``extra_lines``."""
    frames = []
    for code in DEPARTMENTS:
        folder = SAMPLE / "finance" / "2023" / code
        lines = pd.read_csv(folder / "budget_lines.csv", dtype=str)
        pay = pd.read_csv(folder / "payments.csv", dtype=str)
        pay = pay[pd.to_datetime(pay["支付日期"]).dt.date <= AS_OF]
        paid = pay.groupby("指标编号")["支付金额"].apply(lambda a: sum(round(float(x) * 100) for x in a))
        frames.append(pd.DataFrame({
            "department_code": code, "line_id": lines["指标编号"], "project": lines["项目编码"],
            "fund": lines["资金来源"].map(FUND_SOURCE_CODE),
            "budget": [round(float(b) * 100) for b in lines["全年预算数"]],
            "paid": lines["指标编号"].map(paid).fillna(0).astype("int64")}))
    lines = pd.concat([*frames, extra_lines], ignore_index=True)
    out = []
    for level, by in (("total", None), ("fund_source", "fund"), ("project", "project")):
        groups = lines.groupby(["department_code"] + ([by] if by else []))[["budget", "paid"]].sum().reset_index()
        groups["level"] = level
        groups["key"] = groups[by] if by else ""
        out.append(groups[["department_code", "level", "key", "budget", "paid"]])
    return pd.concat(out).sort_values(["department_code", "level", "key"]).reset_index(drop=True)


def test_payment_progress_matches_the_files_at_every_level(engine):
    data, hashes = sample_data(2023)
    load_sample(engine, "run-2023", data, hashes)
    now, lineage = dt.datetime.now(dt.UTC), {"run_id": "t", "source_uri": "t", "source_sha256": "t"}
    # a project of LIWAN spread over a second 资金来源, and a project with no budget and no payment
    extra = pd.DataFrame({"department_code": LIWAN, "line_id": ["X-1", "X-2"], "project": ["XM23001", "XM23999"],
                          "fund": ["OTH", "GPB"], "budget": [123_456, 0], "paid": [0, 0]})
    with engine.begin() as conn:
        conn.execute(s.dim_project.insert().values(department_code=LIWAN, year=2023, project_code="XM23999",
                                                   project_name="零预算项目", expense_type_code="PROJECT",
                                                   loaded_at=now, **lineage))
        for r in extra.itertuples():
            conn.execute(s.fct_budget_line.insert().values(
                department_code=LIWAN, year=2023, line_id=r.line_id, project_code=r.project,
                fund_source_code=r.fund, expense_type_code="PROJECT", budget_fen=r.budget,
                reported_executed_fen=0, carryover_fen=0, loaded_at=now, **lineage))
    with engine.connect() as conn:
        assert mon.open_departments(conn, 2023) == DEPARTMENTS
        rows = mon.payment_progress(conn, 2023, AS_OF, DEPARTMENTS)
        later = mon.later_payments(conn, 2023, AS_OF, DEPARTMENTS)
        months = mon.paying_months(conn, 2023, DEPARTMENTS)
    got = pd.DataFrame([{"department_code": r.department_code, "level": r.level, "key": r.key,
                         "budget": r.budget_fen, "paid": r.paid_fen} for r in rows])
    got = got.sort_values(["department_code", "level", "key"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected(extra), check_dtype=False)
    zero = next(r for r in rows if r.key == "XM23999")
    assert zero.name == "零预算项目" and zero.rate is None
    assert sum(r.level == "fund_source" and r.key == "OTH" for r in rows if r.department_code == LIWAN) == 1
    assert [r.level for r in rows if r.department_code == LIWAN][:2] == ["total", "fund_source"]  # total first
    june = {code: (pd.to_datetime(pd.read_csv(SAMPLE / "finance" / "2023" / code / "payments.csv", dtype=str)
                                  ["支付日期"]).dt.month == 6).sum() for code in DEPARTMENTS}
    assert later == {code: int(n) for code, n in june.items() if n}
    assert months == {code: set(range(1, 7)) for code in DEPARTMENTS}
    assert mon.data_month(months) == 6


def test_report_status_and_the_last_run_s_statuses(engine):
    from tasks.warehouse.runs import finish_run, last_statuses, start_run

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(s.mart_score.insert().values(department_code=LIWAN, year=2022, total=90, grade="优秀",
                                                  computed_grade="优秀", overridden=False, rendered_at=now))
        conn.execute(s.mart_score.insert().values(department_code="440103-SWJ", year=2022, total=80, grade="良好",
                                                  computed_grade="良好", overridden=False, rendered_at=now,
                                                  missing="自评材料（文字）"))
    start_run(engine, "r1", 2022, {}, "v")
    finish_run(engine, "r1", "completed", {"departments": {LIWAN: "loaded", "440103-NEW": "no data yet"}})
    start_run(engine, "r2", 2022, {}, "v")
    finish_run(engine, "r2", "completed", {"departments": {LIWAN: "skipped"}})
    with engine.connect() as conn:
        assert q.report_status(conn, 2022, [LIWAN, "440103-SWJ", "440103-NEW"]) == {
            LIWAN: "final", "440103-SWJ": "draft", "440103-NEW": "none"}
        assert q.report_status(conn, 2021, [LIWAN]) == {LIWAN: "none"}
        assert last_statuses(conn, 2022) == {LIWAN: "skipped", "440103-NEW": "no data yet"}  # the latest first
        assert last_statuses(conn, 2021) == {}


def test_departments_without_data_for_a_year(engine):
    data, hashes = sample_data(2022)
    load_sample(engine, "run-2022", data, hashes)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:  # a department new in 2023: known, with nothing of 2022
        conn.execute(s.dim_department.insert().values(
            department_code="440103-NEW", department_name="新设局", region_code="440103", region_name="荔湾区",
            synthetic=True, run_id="t", source_uri="t", source_sha256="t", loaded_at=now))
    with engine.connect() as conn:
        assert mon.without_data(conn, 2022) == [("440103-NEW", "新设局")]
        assert mon.open_departments(conn, 2022) == []  # each has its 决算总表


def test_a_payment_dated_on_the_data_date_counts_and_one_a_day_later_does_not(engine):
    """The boundary of 支付进度: payments up to and including ``as_of``. On a day the ledger pays, the paid
    sum is the files' payments dated on or before that day, and the later ones are exactly the rest."""
    data, hashes = sample_data(2023)
    load_sample(engine, "run-2023", data, hashes)
    ledger = pd.read_csv(SAMPLE / "finance" / "2023" / LIWAN / "payments.csv", dtype=str)
    ledger["day"] = pd.to_datetime(ledger["支付日期"]).dt.date
    ledger["fen"] = [round(float(a) * 100) for a in ledger["支付金额"]]
    day = max(d for d in ledger["day"] if d <= AS_OF)  # a day with payments, inside the window
    assert (ledger["day"] == day).sum() >= 1
    with engine.connect() as conn:
        paid = next(r.paid_fen for r in mon.payment_progress(conn, 2023, day, [LIWAN]) if r.level == "total")
        before = next(r.paid_fen for r in mon.payment_progress(conn, 2023, day - dt.timedelta(days=1), [LIWAN])
                      if r.level == "total")
        later = mon.later_payments(conn, 2023, day, [LIWAN]).get(LIWAN, 0)
    assert paid == int(ledger.loc[ledger["day"] <= day, "fen"].sum())
    assert paid - before == int(ledger.loc[ledger["day"] == day, "fen"].sum()) > 0
    assert later == int((ledger["day"] > day).sum())
