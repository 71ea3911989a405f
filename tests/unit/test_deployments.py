"""The deployments as code: schedule, the UI form's schema, schema enforcement."""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from flows.deployments import NIGHTLY_CRON, TIMEZONE, deployments


def by_name():
    return {d.name: d for d in deployments()}


def test_nightly_runs_at_two_in_shanghai_for_the_current_year():
    nightly = by_name()["nightly"]
    schedule = nightly.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == (NIGHTLY_CRON, TIMEZONE)
    assert nightly.parameters == {} and nightly.enforce_parameter_schema


def test_on_demand_form_offers_known_departments_and_described_fields():
    schema = by_name()["on-demand"]._parameter_openapi_schema.properties
    assert schema["departments"]["items"]["enum"] == ["440103-KGXJ", "440103-SWJ", "440103-WTJ"]
    assert schema["year"]["type"] == "integer" and schema["year"]["minimum"] == 2000
    assert schema["rerender_only"]["type"] == "boolean"
    for name in ("year", "departments", "source", "finance_source", "rerender_only"):
        description = schema[name]["description"]
        assert " / " in description and any("\u4e00" <= c <= "\u9fff" for c in description), name


def test_backfill_takes_a_range_of_years():
    schema = by_name()["backfill"]._parameter_openapi_schema
    assert {"first_year", "last_year"} <= set(schema.required)
