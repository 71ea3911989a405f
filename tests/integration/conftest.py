from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tasks.warehouse.engine import make_engine


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path) -> Iterator[str]:
    """The same test on the embedded DuckDB file and on the real PostgreSQL server."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path}/warehouse.duckdb"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def engine(warehouse_url) -> Iterator[sa.Engine]:
    eng = make_engine(warehouse_url)
    yield eng
    eng.dispose()
