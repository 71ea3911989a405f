"""PostgreSQL promotion's COPY (``tasks.warehouse.promote.copy_batches``) on a real server: every value arrives
as it left the run database, across many CSV chunks and several Arrow batches, and a failure mid-stream
leaves nothing in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from tasks.warehouse.promote import copy_batches

ROWS = 5_000  # Arrow's CSV writer hands over 1,024 rows at a time: several chunks per batch
UTC = dt.UTC


def _table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("copied", metadata,
                    sa.Column("n", sa.Integer, primary_key=True),
                    sa.Column("text", sa.String(200), nullable=True),
                    sa.Column("fen", sa.BigInteger, nullable=True),
                    sa.Column("day", sa.Date, nullable=True),
                    sa.Column("at", sa.DateTime(timezone=True), nullable=True))


TRICKY = ["", None, 'say "嗯", then, go', "two\nlines", "\\N", "NULL", "荔湾区科技工业和信息化局", " padded "]


def _rows(count: int, start: int = 0) -> dict[str, list]:
    return {
        "n": list(range(start, start + count)),
        "text": [TRICKY[i % len(TRICKY)] for i in range(start, start + count)],
        "fen": [None if i % 7 == 0 else (i - 2_500) * 9_007_199_254 for i in range(start, start + count)],
        "day": [None if i % 11 == 0 else dt.date(2022, 1, 1) + dt.timedelta(days=i % 365)
                for i in range(start, start + count)],
        "at": [dt.datetime(2022, 12, 31, 23, 59, 59, 123456, tzinfo=UTC) for _ in range(count)],
    }


def _reader(batches: list[dict[str, list]], fail_after: int | None = None) -> pa.RecordBatchReader:
    schema = pa.schema([("n", pa.int32()), ("text", pa.string()), ("fen", pa.int64()), ("day", pa.date32()),
                        ("at", pa.timestamp("us", tz="UTC"))])

    def gen():
        for i, cols in enumerate(batches):
            if fail_after is not None and i == fail_after:
                raise RuntimeError("the run database stopped")
            yield pa.record_batch([pa.array(cols[f.name], f.type) for f in schema], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, gen())


def test_every_value_arrives_as_it_left(pg_url):
    engine = sa.create_engine(pg_url)
    table = _table(sa.MetaData())
    table.create(engine)
    batches = [_rows(ROWS, 0), _rows(ROWS, ROWS), _rows(3, 2 * ROWS)]
    with engine.begin() as conn:
        assert copy_batches(conn, table, _reader(batches)) == 2 * ROWS + 3
    with engine.connect() as conn:
        got = conn.execute(sa.select(table).order_by(table.c.n)).all()
    expected = [tuple(cols[c][i] for c in ("n", "text", "fen", "day", "at"))
                for cols in batches for i in range(len(cols["n"]))]
    assert [tuple(r) for r in got] == expected  # "" stays text, None stays NULL, "\\N" and "NULL" stay words
    engine.dispose()


def test_a_failure_mid_stream_leaves_nothing(pg_url):
    engine = sa.create_engine(pg_url)
    table = _table(sa.MetaData())
    table.create(engine)
    with pytest.raises(RuntimeError, match="the run database stopped"), engine.begin() as conn:
        copy_batches(conn, table, _reader([_rows(ROWS, 0), _rows(ROWS, ROWS)], fail_after=1))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    engine.dispose()


def test_a_row_the_server_refuses_is_a_database_error(pg_url):
    """A duplicate key found by the server while later rows are still being sent: SQLAlchemy's error, as for a
    statement of its own (what the promotion's retry policy reads), and nothing copied."""
    engine = sa.create_engine(pg_url)
    table = _table(sa.MetaData())
    table.create(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        copy_batches(conn, table, _reader([_rows(ROWS, 0), _rows(ROWS, 0), _rows(ROWS, ROWS)]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    engine.dispose()
