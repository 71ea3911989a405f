"""The deployments as code: schedule, the UI form's schema, schema enforcement."""

import logging
import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from flows.deployments import NIGHTLY_CRON, TIMEZONE, deployments, known_departments
from tasks.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CODES = ["440103-KGXJ", "440103-SWJ", "440103-WTJ"]


def by_name():
    return {d.name: d for d in deployments()}


def test_nightly_runs_at_two_in_shanghai_for_the_current_and_the_previous_year():
    nightly = by_name()["nightly"]
    schedule = nightly.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == (NIGHTLY_CRON, TIMEZONE)
    assert nightly.parameters == {} and nightly.enforce_parameter_schema
    assert nightly.flow_name == "self-evaluation-nightly"
    assert "today" in nightly._parameter_openapi_schema.properties  # the night's date, empty for the schedule's


def test_the_night_is_the_scheduled_date_in_shanghai():
    import datetime as dt
    from zoneinfo import ZoneInfo

    from flows.nightly import night_of

    # 02:00 in Shanghai on 15 July is 18:00 UTC on the 14th
    assert night_of(dt.datetime(2023, 7, 14, 18, 0, tzinfo=dt.UTC)) == dt.date(2023, 7, 15)
    assert night_of(dt.datetime(2023, 7, 15, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))) == dt.date(2023, 7, 15)
    assert night_of(None) == dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_the_previous_year_is_processed_until_its_reports_are_final():
    import datetime as dt

    from tasks.pipeline import nightly_years

    night = dt.date(2023, 7, 15)
    assert nightly_years(night, {"A": "none", "B": "none"}, {}) == [2022, 2023]  # a new warehouse
    assert nightly_years(night, {"A": "final", "B": "draft"}, {}) == [2022, 2023]  # a 草稿 awaits its inputs
    assert nightly_years(night, {"A": "final", "B": "none"}, {"B": "refused"}) == [2022, 2023]  # not fixed yet
    assert nightly_years(night, {"A": "final", "B": "final"}, {}) == [2023]  # the season is over
    # a department new since: the previous year's run found no data for it, so it is not waited for
    assert nightly_years(night, {"A": "final", "N": "none"}, {"A": "loaded", "N": "no data yet"}) == [2023]
    assert nightly_years(night, {}, {}) == [2023]  # no department at all


def test_on_demand_form_offers_known_departments_and_described_fields():
    schema = by_name()["on-demand"]._parameter_openapi_schema.properties
    # the picker offers 编码 名称; the codes alone, as scripts pass them, are the second choice
    labelled, codes = schema["departments"]["anyOf"]
    assert labelled["items"]["enum"] == ["440103-KGXJ 广州市荔湾区科技工业和信息化局",
                                         "440103-SWJ 广州市荔湾区商务局（模拟）",
                                         "440103-WTJ 广州市荔湾区文化广电旅游体育局（模拟）"]
    assert codes["items"]["enum"] == SAMPLE_CODES and labelled["uniqueItems"] and codes["uniqueItems"]
    assert "名称" in labelled["title"] and schema["departments"]["default"] == []
    assert schema["year"]["type"] == "integer" and schema["year"]["minimum"] == 2000
    assert schema["rerender_only"]["type"] == "boolean"
    for name in ("year", "departments", "source", "finance_source", "rerender_only"):
        description = schema[name]["description"]
        assert " / " in description and any("\u4e00" <= c <= "\u9fff" for c in description), name


def test_every_field_of_every_run_form_is_labelled_in_chinese():
    for deployment in by_name().values():
        for name, prop in deployment._parameter_openapi_schema.properties.items():
            assert prop["title"].endswith(f"（{name}）") and "\u4e00" <= prop["title"][0] <= "\u9fff", name


def test_backfill_takes_a_range_of_years():
    schema = by_name()["backfill"]._parameter_openapi_schema
    assert {"first_year", "last_year"} <= set(schema.required)


def test_known_departments_reads_a_gbk_departments_file():
    gbk = ROOT / "data" / "variants" / "gbk" / "finance"
    with pytest.raises(UnicodeDecodeError):  # the file really is GBK, not UTF-8
        (gbk / "departments.csv").read_bytes().decode("utf-8")
    assert known_departments(Settings(finance_source=str(ROOT / "data" / "sample" / "finance"))) == SAMPLE_CODES
    assert known_departments(Settings(finance_source=str(gbk))) == SAMPLE_CODES


def test_known_departments_takes_the_header_aliases(tmp_path):
    """The code under the alias 预算单位编码, and not in the first column."""
    lines = (ROOT / "data" / "sample" / "finance" / "departments.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("部门编码,部门名称,")
    rows = [line.split(",") for line in ["预算单位编码" + lines[0].removeprefix("部门编码"), *lines[1:]]]
    swapped = [",".join([r[1], r[0], *r[2:]]) for r in rows]
    (tmp_path / "departments.csv").write_text("\n".join(swapped) + "\n", encoding="utf-8")
    assert known_departments(Settings(finance_source=str(tmp_path))) == SAMPLE_CODES


def test_known_departments_of_an_unreadable_file_are_none_and_say_why(tmp_path, caplog):
    (tmp_path / "departments.csv").write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>\n",
                                              encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="selfeval.deployments"):
        assert known_departments(Settings(finance_source=str(tmp_path))) == []
    assert any("departments.csv" in r.getMessage() and "HTML" in r.getMessage() for r in caplog.records), \
        caplog.text


@pytest.mark.parametrize(("given", "code"), [
    ("440103-KGXJ 广州市荔湾区科技工业和信息化局", "440103-KGXJ"), ("440103-KGXJ", "440103-KGXJ"),
    (" 440103-SWJ\t商务局 ", "440103-SWJ"), ("440103-SWJ Bureau of Commerce", "440103-SWJ"),
    ("440103 KGXJ", None), ("", None), (None, None)])
def test_the_flow_reads_a_picked_department_back_to_its_code(given, code):
    from pydantic import TypeAdapter

    from flows.self_evaluation import Departments

    if code is None:
        with pytest.raises(ValueError):  # refused by the code's own check, not made up
            TypeAdapter(Departments).validate_python([given])
        return
    assert TypeAdapter(Departments).validate_python([given]) == [code]
