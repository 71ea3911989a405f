"""Prefect tasks of the extract stage: one per source. They only name and sequence."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.resources import opened
from tasks.settings import Settings, memory_bytes
from tasks.sources import extract as ex


@task(name="extract-departments", cache_policy=NO_CACHE)
def extract_departments(settings: Settings) -> tuple[pd.DataFrame, ex.Extracted]:
    with opened(settings, "finance") as source:
        return ex.extract_departments(source)


@task(name="extract-finance", cache_policy=NO_CACHE)
def extract_finance(settings: Settings, year: int, departments: list[str],
                    sink: ex.Sink | None = None) -> ex.Extracted:
    with opened(settings, "finance") as source:
        return ex.extract_finance(source, year, departments, sink, closed=year in settings.closed_years,
                                threads=settings.extract_threads, read_budget=memory_bytes(settings.extract_read_bytes))


@task(name="extract-statistics", cache_policy=NO_CACHE)
def extract_statistics(settings: Settings, sink: ex.Sink | None = None) -> ex.Extracted:
    with opened(settings, "statistics") as source:
        return ex.extract_statistics(source, sink)


@task(name="extract-registry", cache_policy=NO_CACHE)
def extract_registry(settings: Settings, sink: ex.Sink | None = None) -> ex.Extracted:
    with opened(settings, "registry") as source:
        return ex.extract_registry(source, sink)
