"""Great Expectations' SQL engine on DuckDB: keep the connection open between execute and fetch.

GX 1.x runs a metric query, leaves the ``with engine.connect()`` block (closing the connection) and
only then fetches the rows. duckdb-engine's results do not survive their connection, so every
metric fails ("result closed", or no rows). GX already holds one connection open for the dialects in
``_PERSISTED_CONNECTION_DIALECTS`` (SQLite, SQL Server, BigQuery, Databricks), for their temporary
tables; counting DuckDB among them is all the SQL path needs (great_expectations issue 11579; a native
DuckDB engine is an open pull request upstream).

This module is the only place that touches GX's internals. ``tests/unit/test_gx_duckdb.py`` runs a GX
validation on DuckDB in a fresh interpreter *without* the fix: it fails while the bug is upstream,
and the test then tells to delete this module.
"""

from __future__ import annotations

from typing import Any

DIALECT = "duckdb"


class _Dialect(str):
    """A dialect name where GX expects a ``GXSqlDialect`` member: equal to the string, with ``.value``."""

    @property
    def value(self) -> str:
        return str(self)


def keep_duckdb_connections_open() -> None:
    """Count DuckDB among the dialects whose connection GX keeps open (idempotent).

    Call before GX builds a SQL execution engine on a ``duckdb:///`` URL.
    """
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    dialects = engine._PERSISTED_CONNECTION_DIALECTS
    if not any(d == DIALECT for d in dialects):
        engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _Dialect(DIALECT))  # type: ignore[assignment]


def release(datasource: object) -> None:
    """Close every connection a GX SQL datasource holds: the one kept open for its execution engine,
    and the pools of its engines (the execution engine's, and the one ``test_connection`` made).

    A DuckDB in-memory database lives while any connection to it does: without this, each run's
    database stayed in memory after the run.
    """
    execution_engine: Any = datasource.get_execution_engine()  # type: ignore[attr-defined]
    connection = getattr(execution_engine, "_connection", None)
    if connection is not None:
        connection.close()
        execution_engine._connection = None
    execution_engine.engine.dispose()
    datasource.get_engine().dispose()  # type: ignore[attr-defined]
