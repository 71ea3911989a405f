"""PostgreSQL promotion's COPY (``tasks.warehouse.promote.copy_batches``, binary) on a real server: every value
arrives as it left the run database, across many chunks and several Arrow batches, whatever the connection's client
encoding; a failure mid-stream (the reader's, the server's, or a connection cut) leaves nothing in the caller's
transaction, is raised as SQLAlchemy raises a statement's, and leaves no thread behind."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus

from tasks.warehouse import promote
from tasks.warehouse.promote import copy_batches

ROWS = 5_000  # encoded promote.COPY_ROWS (2,048) rows at a time: several chunks per batch
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG = "长" * 150  # 450 bytes: a chunk of 2,048 rows passes psycopg's 128 KiB piece size


def _table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("copied", metadata,
                    sa.Column("n", sa.Integer, primary_key=True),
                    sa.Column("text", sa.String(500), nullable=True),
                    sa.Column("fen", sa.BigInteger, nullable=True),
                    sa.Column("day", sa.Date, nullable=True),
                    sa.Column("at", sa.DateTime(timezone=True), nullable=True))


TRICKY = ["", None, 'say "嗯", then, go', "two\nlines", "cr\r\nlf", "\\.", "\\N", "NULL", "荔湾区科技工业和信息化局",
          " padded ", LONG]


def _rows(count: int, start: int = 0) -> dict[str, list]:
    span = range(start, start + count)
    return {
        "n": list(span),
        "text": [TRICKY[i % len(TRICKY)] for i in span],
        # past 2**53: a value that went through a float would not come back whole
        "fen": [None if i % 7 == 0 else (i - 2_500) * 9_007_199_254_740_993 // 4_000 + 1 for i in span],
        "day": [None if i % 11 == 0 else dt.date(2022, 1, 1) + dt.timedelta(days=i % 365) for i in span],
        "at": [None if i % 13 == 0 else dt.datetime(2022, 12, 31, 23, 59, 59, 123456, tzinfo=SHANGHAI)
               + dt.timedelta(minutes=17 * i) for i in span],
    }


SCHEMA = pa.schema([("n", pa.int32()), ("text", pa.string()), ("fen", pa.int64()), ("day", pa.date32()),
                    ("at", pa.timestamp("us", tz="Asia/Shanghai"))])


def _batch(cols: dict[str, list]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(cols[f.name], f.type) for f in SCHEMA], schema=SCHEMA)


def _reader(batches: list[dict[str, list]], between=None) -> pa.RecordBatchReader:
    """The batches as a stream; ``between(i)`` runs before batch ``i`` (i > 0) is handed over."""
    def gen():
        for i, cols in enumerate(batches):
            if i and between is not None:
                between(i)
            yield _batch(cols)

    return pa.RecordBatchReader.from_batches(SCHEMA, gen())


@pytest.fixture
def copied(pg_url):
    """(an engine whose sessions run in New York, the table to copy into)"""
    assert "options=-csearch_path" in pg_url  # the test's own schema; its sessions' time zone added
    engine = sa.create_engine(pg_url + "%20-ctimezone%3DAmerica/New_York")
    table = _table(sa.MetaData())
    table.create(engine)
    yield engine, table
    engine.dispose()


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize("client_encoding", ["UTF8", "GBK"])
def test_every_value_arrives_as_it_left(copied, client_encoding):
    engine, table = copied
    batches = [_rows(ROWS, 0), _rows(ROWS, ROWS), _rows(3, 2 * ROWS)]
    threads = threading.active_count()
    during: list[int] = []
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET client_encoding = '{client_encoding}'")
        assert conn.exec_driver_sql("SHOW timezone").scalar_one() == "America/New_York"
        reader = _reader(batches, between=lambda i: during.append(threading.active_count()))
        assert copy_batches(conn, table, reader) == 2 * ROWS + 3
        # the COPY sent its text as UTF-8, and the session's encoding is back for what follows
        assert conn.exec_driver_sql("SHOW client_encoding").scalar_one() == client_encoding
    # the writer's own thread sent the first batch while the next was read, and is gone after
    assert during == [threads + 1, threads + 1] and threading.active_count() == threads
    with engine.connect() as conn:
        got = conn.execute(sa.select(table).order_by(table.c.n)).all()
    expected = [tuple(cols[c][i] for c in ("n", "text", "fen", "day", "at"))
                for cols in batches for i in range(len(cols["n"]))]
    assert len(got) == len(expected)
    # "" stays text and None NULL; "\\N", "NULL" and "\\." stay words; each instant is the same instant
    assert [tuple(r) for r in got] == expected


def test_a_failure_of_the_reader_mid_stream_leaves_nothing(copied):
    engine, table = copied

    def stop(i: int) -> None:
        raise RuntimeError("the run database stopped")

    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="the run database stopped"), engine.begin() as conn:
        try:
            copy_batches(conn, table, _reader([_rows(ROWS, 0), _rows(ROWS, ROWS)], between=stop))
        finally:  # the COPY itself failed: the transaction is aborted, not merely rolled back after
            raw = conn.connection.driver_connection
            assert raw is not None and raw.info.transaction_status == TransactionStatus.INERROR
    assert _count(engine, table) == 0 and threading.active_count() == threads


def test_a_row_the_server_refuses_is_a_database_error(copied):
    """A duplicate key found by the server while later rows are still being sent: SQLAlchemy's error, as for a
    statement of its own (what the promotion's retry policy reads), the connection still good, nothing copied."""
    engine, table = copied
    with pytest.raises(sa.exc.IntegrityError) as raised, engine.begin() as conn:
        copy_batches(conn, table, _reader([_rows(ROWS, 0), _rows(ROWS, 0), _rows(ROWS, ROWS)]))
    assert not raised.value.connection_invalidated
    assert _count(engine, table) == 0


def test_a_connection_cut_mid_stream_is_a_dropped_connection(copied, pg_server_url):
    """The server's end of the connection killed while the writer's thread is sending: an OperationalError
    marked as a dropped connection (the promotion retries on those), and the writer's thread gone."""
    engine, table = copied
    admin = sa.create_engine(pg_server_url)
    threads = threading.active_count()
    with pytest.raises(sa.exc.OperationalError) as raised, engine.begin() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()

        def cut(i: int) -> None:
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})

        copy_batches(conn, table, _reader([_rows(ROWS, k * ROWS) for k in range(6)], between=cut))
    assert raised.value.connection_invalidated
    assert threading.active_count() == threads
    admin.dispose()
    assert _count(engine, table) == 0


def test_the_writer_keeps_a_short_queue(copied):
    """What waits for the server is bounded (psycopg's own writer queues up to 128 MiB); this reads psycopg
    3.3's private queue, so a psycopg that renames it fails here rather than silently queueing more."""
    engine, _ = copied
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            writer = promote._queued_writer()(cur)
            assert writer._queue.maxsize == promote.COPY_QUEUE_CHUNKS


def test_every_table_promotion_writes_has_a_binary_type_for_each_column():
    from tasks.warehouse.models import materialized

    tables = [*promote.KEYED, *materialized(), *promote.UPSERTED, *(t for ts in promote.SHARED.values() for t in ts)]
    for table in tables:
        for column in table.c:
            promote.arrow_type(column)  # raises TypeError for a type promotion could not write
    with pytest.raises(TypeError, match=r"odd\.x: no binary COPY"):
        promote.arrow_type(sa.Table("odd", sa.MetaData(), sa.Column("x", sa.Numeric)).c.x)


@pytest.fixture
def typed_table(pg_url):
    engine = sa.create_engine(pg_url)
    table = sa.Table("typed", sa.MetaData(),
                     sa.Column("n", sa.BigInteger), sa.Column("ok", sa.Boolean),
                     sa.Column("score", sa.Numeric(6, 2)), sa.Column("code", sa.String(8)),
                     sa.Column("rate", sa.Numeric(20, 6)))
    table.create(engine)
    yield engine, table
    engine.dispose()


def test_batches_are_cast_to_the_table_types(typed_table):
    """int32 into BIGINT, decimals of another precision into NUMERIC(6,2), a number into text: each value as it
    was; a value the cast would change (a score with three decimals) raises before anything is copied."""
    engine, table = typed_table
    schema = pa.schema([("n", pa.int32()), ("ok", pa.bool_()), ("score", pa.decimal128(10, 3)),
                        ("code", pa.int64()), ("rate", pa.decimal128(38, 10))])
    batch = pa.record_batch([pa.array([1, None, -7], pa.int32()), pa.array([True, False, None]),
                             pa.array([Decimal("95.500"), Decimal("-1.250"), None], pa.decimal128(10, 3)),
                             pa.array([440103, None, 7], pa.int64()),
                             pa.array([Decimal("0.1234560000"), None, Decimal("-12345678901234.5")],
                                      pa.decimal128(38, 10))], schema=schema)
    with engine.begin() as conn:
        assert copy_batches(conn, table, pa.RecordBatchReader.from_batches(schema, [batch])) == 3
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.n.nulls_last())).all()]
    assert got == [(-7, None, None, "7", Decimal("-12345678901234.500000")),
                   (1, True, Decimal("95.50"), "440103", Decimal("0.123456")),
                   (None, False, Decimal("-1.25"), None, None)]
    lossy = pa.record_batch([pa.array([2], pa.int32()), pa.array([True]), pa.array([Decimal("1.005")],
                             pa.decimal128(10, 3)), pa.array([1], pa.int64()), pa.array([None], pa.decimal128(38, 10))],
                            schema=schema)
    with pytest.raises(pa.ArrowInvalid), engine.begin() as conn:
        copy_batches(conn, table, pa.RecordBatchReader.from_batches(schema, [lossy]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 3


def test_a_float_into_numeric_is_refused_and_promotion_casts_it_as_duckdb_does(typed_table):
    """Arrow's cast from a float into a decimal rounds half to even, silently; DuckDB's (what an INSERT into a
    DuckDB warehouse does) and PostgreSQL's round half away from zero. copy_batches refuses a float into NUMERIC,
    and promotion's SELECT casts in DuckDB first (typed_select), so that both engines store the same 分值."""
    import duckdb

    engine, table = typed_table
    weights = [0.125, 12.125, 6.625, 5.005, 2.675, -0.125, None]
    schema = pa.schema([("n", pa.int64()), ("score", pa.float64())])
    floats = pa.record_batch([pa.array(range(len(weights)), pa.int64()), pa.array(weights, pa.float64())],
                             schema=schema)
    with pytest.raises(TypeError, match=r"typed\.score: double into decimal128\(6, 2\)"), engine.begin() as conn:
        copy_batches(conn, table, pa.RecordBatchReader.from_batches(schema, [floats]))
    con = duckdb.connect()
    con.register("staged", pa.Table.from_batches([floats]))
    select = "SELECT n, score FROM staged"
    with engine.begin() as conn:
        reader = con.sql(promote.typed_select(table, ["n", "score"], select)).to_arrow_reader(100)
        copy_batches(conn, table, reader)
    con.execute("CREATE TABLE wh (n BIGINT, score DECIMAL(6,2))")
    con.execute(f"INSERT INTO wh {select}")  # as promotion writes a DuckDB warehouse
    in_duckdb = [r[0] for r in con.execute("SELECT score FROM wh ORDER BY n").fetchall()]
    with engine.connect() as conn:
        in_postgres = [r[0] for r in conn.execute(sa.select(table.c.score).order_by(table.c.n)).all()]
    assert in_postgres == in_duckdb == [Decimal(v) if v else None
                                        for v in ("0.13", "12.13", "6.63", "5.01", "2.68", "-0.13", None)]
