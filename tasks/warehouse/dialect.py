"""Everything that differs between warehouse engines, in one place.

DuckDB reads a registered DataFrame directly; PostgreSQL takes ``COPY``. Both paths keep
to the caller's transaction, so a partition is replaced all at once or not at all.
Any other SQLAlchemy engine (SQLite in a pinch) gets a plain executemany.
"""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

_counter = itertools.count()
# DuckDB allows one writer per database file; loads from threads of one process take turns.
_duckdb_write_lock = threading.RLock()
_waits = threading.local()  # seconds each thread spent waiting for its turn, for run timings
# Any constant will do: it only has to be the same for every selfeval process.
PG_LOAD_LOCK_KEY = 0x5E1FE7A1


def name(conn: sa.Connection) -> str:
    return conn.dialect.name


def create_table(conn: sa.Connection, table: sa.Table) -> None:
    """Create ``table``. On DuckDB without its PRIMARY KEY index (its key columns NOT NULL): DuckDB holds an
    index in memory and cannot spill it, so an index of a table that grows with the warehouse's history would
    outgrow the memory limit; promotion checks the keys instead (migration 0015)."""
    if name(conn) == "duckdb" and table.primary_key.columns:
        if any(c.server_default is not None for c in table.c):
            raise ValueError(f"{table.name}: a column's default would be lost making it without its key")
        table = sa.Table(table.name, sa.MetaData(),
                         *[sa.Column(c.name, c.type, nullable=c.nullable and not c.primary_key) for c in table.c])
    table.create(conn)


@contextmanager
def write_turn(engine: sa.Engine) -> Iterator[None]:
    """Wait for this process's turn to write, before a transaction starts.

    DuckDB's optimistic concurrency would fail the second of two overlapping writers, so
    writers in one process queue here; PostgreSQL needs no such turn (see :func:`load_lock`).
    """
    if engine.dialect.name == "duckdb":
        asked = time.perf_counter()
        with _duckdb_write_lock:
            _waits.seconds = getattr(_waits, "seconds", 0.0) + time.perf_counter() - asked
            yield
    else:
        yield


def take_waited() -> float:
    """Seconds this thread has waited in :func:`write_turn` since the last call (then reset)."""
    seconds = getattr(_waits, "seconds", 0.0)
    _waits.seconds = 0.0
    return seconds


@contextmanager
def load_lock(conn: sa.Connection) -> Iterator[None]:
    """Serialise loads that touch shared rows (enterprises, indicator values) across processes."""
    if name(conn) == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOAD_LOCK_KEY})
    yield


def _sql_type(conn: sa.Connection, table: sa.Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=conn.dialect))


def _select_list(conn: sa.Connection, table: sa.Table, columns: list[str], constants: dict[str, Any]) -> str:
    """Columns cast to the table's types (timestamps to dates, say), then constants as parameters."""
    parts = [f'CAST("{c}" AS {_sql_type(conn, table, c)}) AS "{c}"' for c in columns]
    parts += [f'CAST(:k_{c} AS {_sql_type(conn, table, c)}) AS "{c}"' for c in constants]
    return ", ".join(parts)


def _csv_for_copy(frame: pd.DataFrame) -> bytes:
    """CSV in which every value is quoted and nulls are bare: exactly PostgreSQL's CSV NULL rule."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return buf.getvalue()


def _python(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def split_constants(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Columns holding one value in every row, taken out of the frame.

    A partition's lineage (its run, its source file and hash) is the same on every row; sent
    once as a parameter instead of a million times as text, it costs the database nothing to parse.
    """
    constants: dict[str, Any] = {}
    if len(frame) < 2:
        return frame, constants
    for col in frame.columns:
        series = frame[col]
        first = series.iloc[0]
        if first is None or (not isinstance(first, str) and pd.isna(first)):
            continue
        if bool((series == first).all()):
            constants[col] = _python(first)
    return frame.drop(columns=list(constants)), constants


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame,
                 constants: dict[str, Any] | None = None) -> int:
    """Insert every row of ``frame`` (plus ``constants``, the same on each row) through the bulk path."""
    if frame.empty:
        return 0
    constants = {k: _python(v) for k, v in (constants or {}).items() if k in table.c}
    frame = frame[[c for c in frame.columns if c in table.c and c not in constants]]
    dialect = name(conn)
    if dialect == "postgresql":
        frame, found = split_constants(frame)
        constants = {**constants, **found}
    columns = list(frame.columns)
    targets = ", ".join(f'"{c}"' for c in [*columns, *constants])
    params = {f"k_{c}": v for c, v in constants.items()}
    if dialect == "duckdb":
        raw = conn.connection.driver_connection
        assert raw is not None
        view = f"_selfeval_stage_{next(_counter)}"
        raw.register(view, frame)
        try:
            conn.execute(sa.text(f'INSERT INTO "{table.name}" ({targets}) '
                                 f"SELECT {_select_list(conn, table, columns, constants)} FROM {view}"), params)
        finally:
            raw.unregister(view)
    elif dialect == "postgresql":
        # COPY the varying columns into a temporary table (no WAL, no indexes), then one
        # INSERT ... SELECT adds the constants: the text the server parses is as small as it can be.
        raw = conn.connection.driver_connection
        assert raw is not None
        stage = f"_selfeval_copy_{next(_counter)}"
        ddl = ", ".join(f'"{c}" {_sql_type(conn, table, c)}' for c in columns)
        conn.execute(sa.text(f'CREATE TEMPORARY TABLE "{stage}" ({ddl}) ON COMMIT DROP'))
        data = _csv_for_copy(frame)
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{stage}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
            view_ = memoryview(data)
            for start in range(0, len(data), 1 << 20):
                copy.write(view_[start:start + (1 << 20)])
        select = ", ".join([*(f'"{c}"' for c in columns),
                            *(f'CAST(:k_{c} AS {_sql_type(conn, table, c)})' for c in constants)])
        conn.execute(sa.text(f'INSERT INTO "{table.name}" ({targets}) SELECT {select} FROM "{stage}"'), params)
        conn.execute(sa.text(f'DROP TABLE "{stage}"'))
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(table.insert(), [{**r, **constants} for r in records])
    return len(frame)


def upsert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, key: list[str],
                 constants: dict[str, Any] | None = None) -> int:
    """Replace the rows of ``table`` whose ``key`` appears in ``frame``, then insert ``frame``."""
    if frame.empty:
        return 0
    constants = {k: v for k, v in (constants or {}).items() if k in table.c}
    frame = frame.assign(**{k: v for k, v in constants.items()}) if constants else frame
    frame = frame.drop_duplicates(subset=key, keep="last")
    dialect = name(conn)
    if dialect in ("duckdb", "postgresql"):
        stage = sa.Table(f"_selfeval_upsert_{next(_counter)}", sa.MetaData(),
                         *[sa.Column(c.name, c.type) for c in table.c], prefixes=["TEMPORARY"])
        stage.create(conn)
        try:
            insert_frame(conn, stage, frame)
            keys = ", ".join(f'"{k}"' for k in key)
            conn.execute(sa.text(f'DELETE FROM "{table.name}" WHERE ({keys}) IN '
                                 f'(SELECT {keys} FROM "{stage.name}")'))
            cols = ", ".join(f'"{c}"' for c in frame.columns if c in table.c)
            conn.execute(sa.text(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{stage.name}"'))
        finally:
            stage.drop(conn)
        return len(frame)
    for k, group in frame.groupby(key):
        values = k if isinstance(k, tuple) else (k,)
        conn.execute(table.delete().where(sa.and_(*[table.c[c] == v for c, v in zip(key, values, strict=True)])))
        insert_frame(conn, table, group)
    return len(frame)
