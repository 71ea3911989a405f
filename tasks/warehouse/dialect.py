"""Everything that differs between warehouse engines, in one place.

DuckDB reads a registered DataFrame directly; PostgreSQL takes ``COPY``. Both paths keep
to the caller's transaction, so a partition is replaced all at once or not at all.
Any other SQLAlchemy engine (SQLite in a pinch) gets a plain executemany.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

_counter = itertools.count()
# DuckDB allows one writer per database file; loads from threads of one process take turns.
_duckdb_write_lock = threading.RLock()
# Any constant will do: it only has to be the same for every selfeval process.
PG_LOAD_LOCK_KEY = 0x5E1FE7A1


def name(conn: sa.Connection) -> str:
    return conn.dialect.name


@contextmanager
def write_turn(engine: sa.Engine) -> Iterator[None]:
    """Wait for this process's turn to write, before a transaction starts.

    DuckDB's optimistic concurrency would fail the second of two overlapping writers, so
    writers in one process queue here; PostgreSQL needs no such turn (see :func:`load_lock`).
    """
    if engine.dialect.name == "duckdb":
        with _duckdb_write_lock:
            yield
    else:
        yield


@contextmanager
def load_lock(conn: sa.Connection) -> Iterator[None]:
    """Serialise loads that touch shared rows (enterprises, indicator values) across processes."""
    if name(conn) == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOAD_LOCK_KEY})
    yield


def _select_list(conn: sa.Connection, table: sa.Table, columns: list[str]) -> str:
    """Column list casting each staged column to the table's type, e.g. timestamps to dates."""
    parts = []
    for col in columns:
        sql_type = table.c[col].type.compile(dialect=conn.dialect)
        parts.append(f'CAST("{col}" AS {sql_type}) AS "{col}"')
    return ", ".join(parts)


def _csv_for_copy(frame: pd.DataFrame) -> bytes:
    """CSV in which every value is quoted and nulls are bare: exactly PostgreSQL's CSV NULL rule."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return buf.getvalue()


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` through the engine's bulk path."""
    if frame.empty:
        return 0
    columns = [c for c in frame.columns if c in table.c]
    frame = frame[columns]
    dialect = name(conn)
    if dialect == "duckdb":
        raw = conn.connection.driver_connection
        assert raw is not None
        view = f"_selfeval_stage_{next(_counter)}"
        raw.register(view, frame)
        try:
            cols = ", ".join(f'"{c}"' for c in columns)
            raw.execute(f'INSERT INTO "{table.name}" ({cols}) SELECT {_select_list(conn, table, columns)} '
                        f"FROM {view}")
        finally:
            raw.unregister(view)
    elif dialect == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        cols = ", ".join(f'"{c}"' for c in columns)
        data = _csv_for_copy(frame)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
            view_ = memoryview(data)
            for start in range(0, len(data), 1 << 20):
                copy.write(view_[start:start + (1 << 20)])
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(table.insert(), records)
    return len(frame)


def upsert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, key: list[str]) -> int:
    """Replace the rows of ``table`` whose ``key`` appears in ``frame``, then insert ``frame``."""
    if frame.empty:
        return 0
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
