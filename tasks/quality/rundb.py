"""The run database: an embedded DuckDB database where a run's staged data is checked.

Why DuckDB, whatever the warehouse: it runs in the process (no server to reach from a worker), reads
Arrow and pandas frames without copying, spills to disk beyond ``memory_limit``, and Great
Expectations' SQL engine runs on it once its connection is kept open (``tasks/quality/gx_duckdb.py``).
The warehouse (DuckDB or PostgreSQL) receives only what passed the gate.

The database lives in memory under a name of its own (``duckdb:///:memory:<name>``), which GX's
engine opens as a second connection to the same database; what does not fit in ``memory_limit``
spills into a scratch folder, deleted with the database at the end. Measured on a 1M-line ledger
(``bench/bench_validate.py``), staging into a file instead took 1.1 s against 0.5 s.

In a flow run the database is opened before extraction and closed once every load has its rows: each
department's finance files are appended as they are typed (:meth:`RunDatabase.append`), checked there,
and promoted from there into the warehouse by SQL (:mod:`tasks.warehouse.promote`), so no
whole-ledger frame is held. Called on frames alone (tests, benchmarks), the gate makes its own.

Layout, all created per run:

- ``stg_<dataset>``: a dataset as extracted, with ``_source``/``_row`` lineage and ``_seq`` (its
  position in the extract);
- ``stg_departments``, ``ref_summary_items`` (from :mod:`tasks.domain`), ``run_params`` (``year``);
- ``int_*`` views (``sql/intermediate.sql``): each measure defined once;
- ``chk_<view>`` views (``sql/checks.sql``): what each rule checks, one row per thing checked, with
  ``_idx`` identifying the rows for Great Expectations' failing-row lists.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from tasks.domain import EXPENSE_TYPE_NAMES, EXPENSE_TYPES, FUND_SOURCE_NAMES, FUND_SOURCES, SUMMARY_TOTAL
from tasks.settings import MEMORY_SIZE
from tasks.sources.staging import frame_of
from tasks.sqlfile import is_materialized, named_blocks

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).with_name("sql")
IDX = "_idx"


# The frame of :meth:`RunDatabase.build` that holds, per 指标代码, each unit the report reads the statistics in
# (``indicator_code``, ``industry``, ``unit``: ``tasks.pipeline.indicator_units``), staged as ``ref_indicator_units``.
INDICATOR_UNITS = "indicator_units"


def named_queries(filename: str) -> dict[str, str]:
    """The blocks of ``sql/<filename>``, each starting at a ``-- name: X`` line: name → SELECT text.

    Raises ValueError when a name is used twice.
    """
    return named_blocks(SQL_DIR / filename)


MODEL_GRAPH = Path(__file__).resolve().parents[1] / "sql"


def model_graph() -> dict[str, str]:
    """The model graph's views, in the order they are made: the staging models (``tasks/sql/models.sql``: the
    warehouse's tables over the staged rows), then the marts (``tasks/sql/marts.sql``: each measure once, the
    same SQL the warehouse's views are made from)."""
    return {**named_blocks(MODEL_GRAPH / "models.sql"), **named_blocks(MODEL_GRAPH / "marts.sql")}


def check_views() -> tuple[str, ...]:
    """The names of the rule views (``sql/checks.sql``): the values a rule's ``view`` may take."""
    return tuple(named_queries("checks.sql"))


_STAGED = re.compile(r"\bstg_([a-z_]+)")
_INTERMEDIATE = re.compile(r"\b((?:int|mart|fct|dim)_[a-z_]+)")
_NOT_DATASETS = {"departments", "open_departments"}


@lru_cache(maxsize=1)
def view_datasets() -> dict[str, tuple[str, ...]]:
    """Each rule view → the datasets it reads, found in its SQL: the ``stg_<dataset>`` tables it names,
    directly or through the ``int_*`` views and the model graph's views it uses. Provenance names the rules
    that checked a figure through these."""
    intermediate = {**model_graph(), **named_queries("intermediate.sql")}

    def reads(sql: str, seen: frozenset[str] = frozenset()) -> set[str]:
        out = set(_STAGED.findall(sql)) - _NOT_DATASETS
        for name in set(_INTERMEDIATE.findall(sql)) - seen:
            if name in intermediate:
                out |= reads(intermediate[name], seen | {name})
        return out

    return {name: tuple(sorted(reads(sql))) for name, sql in named_queries("checks.sql").items()}


def summary_items() -> pd.DataFrame:
    """``ref_summary_items``: each 决算总表 item and the breakdown it is a part of."""
    rows = [(SUMMARY_TOTAL, "total")] + [(n, "资金来源") for n in FUND_SOURCE_NAMES] + [
        (n, "支出性质") for n in EXPENSE_TYPE_NAMES]
    return pd.DataFrame(rows, columns=["item", "part_of"]).astype("str")


@dataclass
class RunDatabase:
    """One run's DuckDB database, its SQLAlchemy engine and a connection holding it open.

    Use :func:`run_database` as a context manager; ``url`` is what Great Expectations connects to.
    """

    folder: Path
    engine: sa.Engine
    connection: sa.Connection
    failed: dict[str, str] = field(default_factory=dict)  # view → why it could not be built
    # Datasets appended one part at a time (:meth:`append`): their pandas dtypes and rows so far.
    dtypes: dict[str, pd.Series] = field(default_factory=dict)
    schemas: dict[str, pa.Schema] = field(default_factory=dict)  # of datasets appended as Arrow tables
    counts: dict[str, int] = field(default_factory=dict)
    batch_rows: int = 500_000  # rows of appended parts written to the database at once
    _waiting: dict[str, list[pa.Table]] = field(default_factory=dict)
    _created: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return str(self.engine.url)

    @property
    def duckdb(self) -> Any:
        """The DuckDB connection under SQLAlchemy's, for bulk registration of frames."""
        return self.connection.connection.driver_connection

    def stage(self, name: str, frame: pd.DataFrame, table: str | None = None) -> None:
        """``frame`` as table ``stg_<name>`` (or ``table``), with ``_seq`` = its row position. Handed to
        DuckDB as Arrow (pandas' Arrow-backed columns without a copy): at 5M payments, 0.8 s against
        1.25 s for DuckDB's pandas scan."""
        con = self.duckdb
        staged = pa.Table.from_pandas(frame, preserve_index=False).append_column(
            "_seq", pa.array(np.arange(len(frame), dtype="int64")))
        con.register("_incoming", staged)
        try:
            con.execute(f'CREATE OR REPLACE TABLE "{table or f"stg_{name}"}" AS SELECT * FROM _incoming')
        finally:
            con.unregister("_incoming")

    def append(self, name: str, part: pa.Table | pd.DataFrame) -> None:
        """Add ``part``'s rows to ``stg_<name>``, ``_seq`` going on from the rows already there.

        Extraction hands each department's part over as soon as it is typed, as an Arrow table of the
        contract's schema (``tasks.sources.staging.stage_table``), so no whole-ledger frame is ever held and
        no pandas is on the way: parts wait until :attr:`batch_rows` rows have come (one DuckDB insert per
        part costs ~3× one insert of them all), then go into the run database, which spills beyond its
        memory limit. Whatever waits is written before the database is read (:meth:`flush`). A pandas part
        (conformed: ``tasks.sources.staging.conform``) is taken too.

        Raises ValueError when a part's columns or types differ from the first part's: a part is refused,
        not cast (a cast could fail half-way through a run).
        """
        if isinstance(part, pd.DataFrame):
            first = self.dtypes.setdefault(name, part.dtypes)
            if list(part.columns) != list(first.index):
                raise ValueError(f"stg_{name}: a part with columns {list(part.columns)} after {list(first.index)}")
            if not part.dtypes.equals(first):
                raise ValueError(f"stg_{name}: a part with dtypes {dict(part.dtypes.astype(str))} after "
                                 f"{dict(first.astype(str))}")
            table = pa.Table.from_pandas(part, preserve_index=False)
        else:
            table = part
            schema = self.schemas.setdefault(name, part.schema)
            if part.schema.names != schema.names:
                raise ValueError(f"stg_{name}: a part with columns {part.schema.names} after {schema.names}")
            if not part.schema.equals(schema):
                raise ValueError(f"stg_{name}: a part with dtypes {part.schema} after {schema}")
        done = self.counts.get(name, 0)
        self._waiting.setdefault(name, []).append(table.append_column(
            "_seq", pa.array(np.arange(done, done + table.num_rows, dtype="int64"))))
        self.counts[name] = done + table.num_rows
        if sum(t.num_rows for t in self._waiting[name]) >= self.batch_rows:
            self._write(name)

    def flush(self) -> None:
        """Write the parts still waiting (see :meth:`append`)."""
        for name in list(self._waiting):
            self._write(name)

    def _write(self, name: str) -> None:
        parts = self._waiting.pop(name, [])
        if not parts:
            return
        incoming = pa.concat_tables(parts)
        del parts
        con = self.duckdb
        con.register("_incoming", incoming)
        try:
            if name in self._created:
                con.execute(f'INSERT INTO "stg_{name}" SELECT * FROM _incoming')
            else:
                con.execute(f'CREATE OR REPLACE TABLE "stg_{name}" AS SELECT * FROM _incoming')
                self._created.add(name)
        finally:
            con.unregister("_incoming")

    def staged(self) -> tuple[str, ...]:
        """The datasets staged part by part with :meth:`append`."""
        return (*self.dtypes, *self.schemas)

    def staged_frame(self, name: str) -> pd.DataFrame:
        """Every row of an appended dataset, in extract order, with the dtypes it was staged with: for the
        few checks made in Python over a small dataset (the 绩效目标 against the metric registry)."""
        self.flush()
        if name not in self.staged():
            raise KeyError(f"stg_{name} was not appended to the run database")
        table = self.duckdb.sql(f'SELECT * EXCLUDE (_seq) FROM "stg_{name}" ORDER BY _seq').to_arrow_table()
        if name in self.schemas:
            return frame_of(table, self.schemas[name])
        return _as_staged(table, self.dtypes[name])

    def build(self, year: int, departments: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> None:
        """Stage the run's frames and build the model graph, the intermediate models and the rule views (a block
        marked ``-- materialized: table`` is made as a table, from the rows staged by then).

        A view that cannot be built (a dataset missing, a column absent) is named in ``failed`` with
        the reason; the rules on it then refuse rather than pass.
        """
        con = self.duckdb
        self.flush()
        self.stage("departments", departments)
        self.stage("summary_items", summary_items(), table="ref_summary_items")
        con.execute("CREATE OR REPLACE TABLE run_params AS SELECT CAST(? AS INTEGER) AS year", [int(year)])
        for name, frame in frames.items():
            if name not in self.staged() and name != INDICATOR_UNITS:  # an appended dataset is staged already
                self.stage(name, frame)
        # the units the report reads the statistics in (STA-004); none given (a gate run outside the flow): no check
        self.stage(INDICATOR_UNITS, frames.get(INDICATOR_UNITS, pd.DataFrame({
            "indicator_code": pd.Series([], dtype="str"), "industry": pd.Series([], dtype="str"),
            "unit": pd.Series([], dtype="str")})),
            table=f"ref_{INDICATOR_UNITS}")
        if "open_departments" not in frames:  # every department's year closed (see pipeline.assemble)
            self.stage("open_departments", pd.DataFrame({"department_code": pd.Series([], dtype="string")}))
        self._model_context()
        # the warehouse's tables and measures over the staged rows, then the measures only the gate reads; a block
        # marked "-- materialized: table" is a table, computed once for every reader (the checks, the models over
        # it, promotion): int_line_ledger's payments were summed again by each of the ledger check's four
        # statements (~0.7 s each at 5M payments)
        for blocks, what in ((model_graph(), "模型 %s 未生成（model not built）：%s"),
                             (named_queries("intermediate.sql"), "中间视图 %s 未生成（view not built）：%s")):
            for name, query in blocks.items():
                kind = "TABLE" if is_materialized(query) else "VIEW"
                try:
                    con.execute(f'CREATE OR REPLACE {kind} "{name}" AS {query}')
                except Exception as exc:  # a model on a dataset this run lacks; the checks on it fail below
                    log.info(what, name, exc)
        for name, query in named_queries("checks.sql").items():
            try:
                con.execute(f'CREATE OR REPLACE VIEW "chk_{name}" AS {query}')
            except Exception as exc:
                self.failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        self.connection.commit()

    def _model_context(self) -> None:
        """What the staging models read besides the staged rows: the vocabularies of 资金来源 and 支出性质, and
        the run's lineage (no run yet, no files: promotion gives them, :mod:`tasks.warehouse.promote`)."""
        for name, pairs in (("ref_fund_sources", FUND_SOURCES), ("ref_expense_types", EXPENSE_TYPES)):
            self.stage(name, pd.DataFrame({"code": [c for c, _ in pairs], "name": [n for _, n in pairs]},
                                          dtype="str"), table=name)
        self.stage("files", pd.DataFrame({"uri": pd.Series([], dtype="str"), "sha256": pd.Series([], dtype="str")}),
                   table="run_files")
        self.stage("payment_files", pd.DataFrame({
            "department_code": pd.Series([], dtype="str"), "uri": pd.Series([], dtype="str"),
            "sha256": pd.Series([], dtype="str"), "source_file": pd.Series([], dtype="int32"),
            "payments": pd.Series([], dtype="int64")}),
            table="run_payment_files")
        self.stage("promote", pd.DataFrame({"run_id": pd.Series([""], dtype="str"),
                                            "loaded_at": [pd.Timestamp("1970-01-01", tz="UTC")]}), table="run_promote")

    def rows(self, view: str, indexes: list[int]) -> pd.DataFrame:
        """The rows of rule view ``view`` numbered ``indexes`` (``_idx``), in that order."""
        con = self.duckdb
        return con.execute(f'SELECT * FROM "chk_{view}" WHERE {IDX} IN (SELECT unnest(?)) ORDER BY {IDX}',
                           [sorted(set(indexes))]).df()

    def rows_with_values(self, view: str, values: pd.DataFrame) -> pd.DataFrame:
        """The rows of rule view ``view`` whose columns named in ``values`` hold one of its rows' values
        (NULL matching NULL), in ``_idx`` order. For failing values that GX reports without their rows."""
        con = self.duckdb
        con.register("_values", values.drop_duplicates())
        try:
            match = _same_values(values.columns, "v", "c")
            return con.execute(f'SELECT c.* FROM "chk_{view}" c WHERE EXISTS (SELECT 1 FROM _values v WHERE {match}) '
                               f"ORDER BY c.{IDX}").df()
        finally:
            con.unregister("_values")

    def with_counterpart_files(self, rows: pd.DataFrame, dataset: str, on: tuple[str, ...]) -> pd.DataFrame:
        """``rows`` (failing rows of a rule view) with ``counterpart_source``: the files of ``stg_<dataset>`` holding
        rows with the same values in the columns ``on`` (``payments.csv``; several joined by ``、``, in file order).
        When none does (a budget line with no payment), the files of the row's department (``on[0]`` is
        ``department_code``), or ``""`` when it has none. Only failing rows are looked up: a run that passes pays
        nothing for it."""
        keys = rows[list(on)].drop_duplicates()
        exact = self._files_by(dataset, keys)
        by_department = exact if len(on) == 1 else self._files_by(dataset, keys[[on[0]]].drop_duplicates())
        named = [exact.get(key) or by_department.get(key[:1], "")
                 for key in rows[list(on)].itertuples(index=False, name=None)]
        return rows.assign(counterpart_source=named)

    def _files_by(self, dataset: str, keys: pd.DataFrame) -> dict[tuple[Any, ...], str]:
        """Each row of ``keys`` (its values as a tuple) → the ``_source`` files of ``stg_<dataset>`` holding it."""
        con = self.duckdb
        columns = [f'k."{c}"' for c in keys.columns]
        match = _same_values(keys.columns, "s", "k")
        con.register("_keys", keys)
        try:
            found = con.execute(f'SELECT {", ".join(columns)}, s._source, min(s._seq) AS first_seq '
                                f'FROM "stg_{dataset}" s JOIN _keys k ON {match} '
                                f'GROUP BY {", ".join(columns)}, s._source ORDER BY first_seq').fetchall()
        finally:
            con.unregister("_keys")
        files: dict[tuple[Any, ...], list[str]] = {}
        for *key, source, _ in found:
            files.setdefault(tuple(key), []).append(str(source))
        return {key: "、".join(names) for key, names in files.items()}

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def _same_values(columns: Iterable[str], left: str, right: str) -> str:
    """SQL: the rows ``left`` and ``right`` hold the same value in each of ``columns``, NULL matching NULL."""
    return " AND ".join(f'{left}."{c}" IS NOT DISTINCT FROM {right}."{c}"' for c in columns)


def _as_staged(table: pa.Table, dtypes: pd.Series) -> pd.DataFrame:
    """An Arrow result back as the frame it was staged from: same columns, same pandas dtypes."""
    frame = table.to_pandas()
    out = {}
    for column, dtype in dtypes.items():
        values = frame[column]
        out[column] = values if values.dtype == dtype else values.astype(dtype)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


@contextmanager
def run_database(scratch: Path | None = None, memory_limit: str | None = None) -> Iterator[RunDatabase]:
    """A new run database, spilling into a folder under ``scratch`` (the system's temporary folder by
    default); both are gone when the context ends. ``memory_limit`` (a size: "1GB", "512MiB") bounds
    DuckDB's memory; beyond it, tables, joins and sorts spill into the folder.

    Raises ValueError for a memory limit that is not a size.
    """
    if memory_limit and not MEMORY_SIZE.fullmatch(memory_limit.strip()):
        raise ValueError(f"memory limit {memory_limit!r}: expected a size such as 1GB or 512MiB")
    if scratch is not None:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="selfeval-run-", dir=scratch))
    engine = sa.create_engine(f"duckdb:///:memory:{folder.name}", poolclass=sa.pool.NullPool)
    connection = engine.connect()
    db = RunDatabase(folder, engine, connection)
    try:
        spill = str(folder / "spill").replace("'", "''")
        db.duckdb.execute(f"SET temp_directory = '{spill}'")
        if memory_limit:
            db.duckdb.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        yield db
    finally:
        db.close()
