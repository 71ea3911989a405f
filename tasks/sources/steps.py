"""Prefect tasks of the extract stage: one per source. They only name and sequence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.settings import Settings
from tasks.sources import extract as ex
from tasks.sources.base import Source, make_source
from tasks.sources.contract import SourceName
from tasks.sources.http_source import HttpOptions


def api_token(settings: Settings, name: str) -> str | None:
    """The source's own token, else the shared one, else the shared Prefect Secret block's."""
    own = getattr(settings, f"{name}_api_token", None)
    for secret in (own, settings.api_token):
        if secret is not None:
            return str(secret.get_secret_value())
    if settings.api_token_block:
        from prefect.blocks.system import Secret

        block: Any = Secret.load(settings.api_token_block)
        return str(block.get())
    return None


@contextmanager
def opened(settings: Settings, name: SourceName) -> Iterator[Source]:
    location = settings.location(name)
    token = api_token(settings, name) if location.startswith(("http://", "https://")) else None
    http = HttpOptions(timeout=settings.http_timeout, attempts=settings.http_attempts, backoff=settings.http_backoff,
                       page_size=settings.http_page_size, max_pages=settings.http_max_pages)
    source = make_source(name, location, token=token, http=http, sheets=settings.sheets)
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


@task(name="extract-departments", cache_policy=NO_CACHE)
def extract_departments(settings: Settings) -> tuple[pd.DataFrame, ex.Extracted]:
    with opened(settings, "finance") as source:
        return ex.extract_departments(source)


@task(name="extract-finance", cache_policy=NO_CACHE)
def extract_finance(settings: Settings, year: int, departments: list[str]) -> ex.Extracted:
    with opened(settings, "finance") as source:
        return ex.extract_finance(source, year, departments)


@task(name="extract-statistics", cache_policy=NO_CACHE)
def extract_statistics(settings: Settings) -> ex.Extracted:
    with opened(settings, "statistics") as source:
        return ex.extract_statistics(source)


@task(name="extract-registry", cache_policy=NO_CACHE)
def extract_registry(settings: Settings) -> ex.Extracted:
    with opened(settings, "registry") as source:
        return ex.extract_registry(source)
