"""Prefect tasks of the data-quality gate."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.quality.gate import QualityReport, parameters_for, run_gate
from tasks.quality.views import RunData
from tasks.settings import Settings


@task(name="validate", cache_policy=NO_CACHE)
def validate(data: RunData, settings: Settings) -> QualityReport:
    params = parameters_for(data.year, settings.ledger_tolerance_fen(), settings.yoy_warning_bound)
    return run_gate(data, params)
