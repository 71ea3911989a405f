"""The nightly flow with its clock set to a night in 2023: it processes 2023 (its ledger so far, for
monitoring) and 2022 (for the reports) until every 2022 report is final, and ends Completed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from flows.nightly import nightly

SWJ = "440103-SWJ"
NIGHT = dt.date(2023, 7, 15)
DONE = "已完成（COMPLETED）"


def test_nights_in_2023_process_2022_until_its_reports_are_final(prefect_harness, sample_copy, tmp_path,
                                                                 monkeypatch, receiver):
    narrative = sample_copy / "narrative" / "2022" / f"{SWJ}.yaml"
    kept = narrative.read_text(encoding="utf-8")
    narrative.unlink()  # the 商务局 has not sent its 2022 narrative yet
    warehouse = f"duckdb:///{tmp_path}/wh.duckdb"
    for name, value in (("SOURCE", str(sample_copy)), ("WAREHOUSE_URL", warehouse), ("OUTPUT_DIR", str(tmp_path)),
                        ("REPORT_CONFIG", str(Path(__file__).parents[1] / "support" / "report-light.yaml")),
                        ("ALERT_WEBHOOK", receiver.url)):
        monkeypatch.setenv(f"SELFEVAL_{name}", value)

    first = nightly(today=NIGHT, return_state=True)
    assert first.is_completed(), first.message
    assert first.message == f"2023-07-15 夜间运行（nightly）：2022 年：{DONE}；2023 年：{DONE}"
    assert receiver.requests == []  # a 草稿 and a lagging department are no data-quality failure

    narrative.write_text(kept, encoding="utf-8")  # it comes
    second = nightly(today=NIGHT + dt.timedelta(days=1), return_state=True)
    assert second.message == f"2023-07-16 夜间运行（nightly）：2022 年：{DONE}；2023 年：{DONE}"  # 2022 had a 草稿

    third = nightly(today=NIGHT + dt.timedelta(days=2), return_state=True)
    assert third.is_completed() and third.message == f"2023-07-17 夜间运行（nightly）：2023 年：{DONE}"  # 2022 final

    engine = sa.create_engine(warehouse)
    with engine.connect() as conn:
        scores = dict(conn.execute(sa.text("SELECT department_code, missing FROM mart_score WHERE year = 2022")).all())
        paid_2023 = conn.execute(sa.text("SELECT count(*) FROM fct_payment WHERE year = 2023")).scalar()
        runs = conn.execute(sa.text("SELECT year, status FROM ops_run ORDER BY started_at")).all()
    engine.dispose()
    assert scores == {"440103-KGXJ": None, SWJ: None, "440103-WTJ": None}
    assert paid_2023 and paid_2023 > 0
    assert [(int(y), s) for y, s in runs] == [(2022, "completed"), (2023, "completed")] * 2 + [(2023, "completed")]
