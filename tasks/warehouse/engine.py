"""Engines are made here from settings, never at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tasks.warehouse.migrate import upgrade

# PostgreSQL: libpq's connect_timeout, unless the URL, PGCONNECT_TIMEOUT or a service gives one
CONNECT_TIMEOUT_SECONDS = 10


def warehouse_url(url: str, password: str | None = None) -> sa.URL:
    """The URL with the password put in from the environment or a secret, when one is given. A PostgreSQL URL
    that names no driver (``postgresql://…``) is read with psycopg 3, the driver selfeval installs (SQLAlchemy 2.0
    would take psycopg2), and so is ``postgres://…``, the scheme libpq, Heroku and many tools write, which SQLAlchemy
    no longer reads; a scheme in capitals is read in small letters, and a DuckDB path's ``~`` is the home folder."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=parsed.drivername.lower())  # a scheme's case does not matter (RFC 3986)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=f"postgresql+{driver or 'psycopg'}")
    if backend == "duckdb" and parsed.database and parsed.database.startswith("~"):  # as DuckDB reads it, so that
        parsed = parsed.set(database=str(Path(parsed.database).expanduser()))  # its folder is made where it opens
    if password and parsed.password is None:
        parsed = parsed.set(password=password)
    return parsed


def make_engine(url: str | sa.URL, *, migrate: bool = True, memory_limit: str | None = None,
                read_only: bool = False) -> sa.Engine:
    """An engine for the warehouse at ``url``, with the schema brought up to date.

    DuckDB is a file: its folder is created, and with ``memory_limit`` (a size: "512MB") its buffer
    pool stays within it, keeping the rest on disk (by default DuckDB keeps up to 80 % of the
    machine's memory, all of a city's loaded rows and key indexes included); ``read_only`` opens it
    read-only (processes may share it then; nothing migrates). PostgreSQL connections are checked before
    use, so that a server restart between runs does not fail the first query.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "duckdb":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"read_only": True} if read_only else {})
        if memory_limit:
            limit = memory_limit.strip().replace("'", "")

            @sa.event.listens_for(engine, "connect")
            def _limit(dbapi_connection: Any, _record: Any) -> None:  # a setting of the database instance
                dbapi_connection.execute(f"SET memory_limit = '{limit}'")
    elif backend == "postgresql":  # a host that never answers is said after 10 s, not the system's TCP timeout
        own = {"connect_timeout", "service"} & set(parsed.query) or os.environ.get("PGCONNECT_TIMEOUT")
        timeout = {} if own else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}  # the operator's own setting first
        engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=timeout)
    else:
        engine = sa.create_engine(parsed)
    if migrate and not read_only:
        upgrade(engine)
    return engine
