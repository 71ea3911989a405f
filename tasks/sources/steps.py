"""Prefect tasks of the extract stage: one per source. They only name and sequence."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.settings import Settings
from tasks.sources import extract as ex
from tasks.sources.base import make_source


@task(name="extract-departments", cache_policy=NO_CACHE)
def extract_departments(settings: Settings) -> tuple[pd.DataFrame, ex.Extracted]:
    return ex.extract_departments(make_source("finance", settings.location("finance")))


@task(name="extract-finance", cache_policy=NO_CACHE)
def extract_finance(settings: Settings, year: int, departments: list[str]) -> ex.Extracted:
    return ex.extract_finance(make_source("finance", settings.location("finance")), year, departments)


@task(name="extract-statistics", cache_policy=NO_CACHE)
def extract_statistics(settings: Settings) -> ex.Extracted:
    return ex.extract_statistics(make_source("statistics", settings.location("statistics")))


@task(name="extract-registry", cache_policy=NO_CACHE)
def extract_registry(settings: Settings) -> ex.Extracted:
    return ex.extract_registry(make_source("registry", settings.location("registry")))
