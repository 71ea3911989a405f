"""The warehouse's views, built from the model graph's SQL (``tasks/sql/marts.sql``): views are code, not
schema. After the migrations, each view is dropped and made again whenever the SQL changed since it was made
(``ops_model`` keeps the hash of the text it was made from), so that the warehouse always reads the measures
the gate checked, defined once.

A model marked ``-- materialized: table`` is a table instead, shaped as ``schema.views`` declares it (on DuckDB
without its key's index: :func:`tasks.warehouse.dialect.create_table`): made from its SELECT over the whole
warehouse when the SQL changed, then kept by promotion, which replaces the accepted keys' rows with those of
the run database's table of the same SELECT, made there as the run database is built (:func:`materialized`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from tasks.sqlfile import is_materialized, named_blocks
from tasks.warehouse import dialect
from tasks.warehouse import schema as s

SQL = Path(__file__).resolve().parents[1] / "sql"
MARTS = SQL / "marts.sql"
ops_model = sa.table("ops_model", sa.column("name"), sa.column("sha256"))


def marts() -> dict[str, str]:
    """Each view of the marts → its SELECT, in the order they are made (a view reads those above it)."""
    return named_blocks(MARTS)


def materialized() -> list[sa.Table]:
    """The models kept as tables (their block says ``-- materialized: table``), in the order they are made, as
    ``schema.views`` declares their columns."""
    return [s.views.tables[name] for name, select in marts().items() if is_materialized(select)]


def _base_tables(conn: sa.Connection) -> set[str]:
    """The names of the tables (not views) in the warehouse's current schema."""
    found = conn.execute(sa.text("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"))
    return {str(r[0]) for r in found}


def digest() -> str:
    """The hash the marts are made from: their SQL, and the columns a materialized one is kept in."""
    shapes = "".join(f"{t.name}:{','.join(f'{c.name} {c.type!r} {c.nullable}' for c in t.c)};" for t in materialized())
    return hashlib.sha256(MARTS.read_bytes() + shapes.encode("utf-8")).hexdigest()


def current(conn: sa.Connection) -> bool:
    """Whether the warehouse's views were made from the SQL as it is now."""
    made = conn.execute(sa.select(ops_model.c.sha256).where(ops_model.c.name == "marts")).scalar()
    return made == digest()


def build(conn: sa.Connection) -> None:
    """Drop the marts' views and tables (the last made first) and make them again from ``tasks/sql/marts.sql``,
    in the caller's transaction, a materialized model filled from the whole warehouse; record the SQL's hash."""
    views = marts()
    tables = {t.name: t for t in materialized()}
    existing = _base_tables(conn)
    for name in reversed(list(views)):
        conn.execute(sa.text(f'DROP {"TABLE" if name in existing else "VIEW"} IF EXISTS "{name}"'))
    for name, select in views.items():
        if name in tables:
            dialect.create_table(conn, tables[name])
            _fill(conn, tables[name], select)
        else:
            conn.execute(sa.text(f'CREATE VIEW "{name}" AS {select}'))
    conn.execute(ops_model.delete().where(ops_model.c.name == "marts"))
    conn.execute(ops_model.insert().values(name="marts", sha256=digest()))


def _fill(conn: sa.Connection, table: sa.Table, select: str) -> None:
    cols = ", ".join(f'"{c.name}"' for c in table.c)
    conn.execute(sa.text(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM ({select}) AS m'))


def refresh(conn: sa.Connection) -> None:
    """Every materialized model's rows made again from the whole warehouse, in the caller's transaction: for
    what writes the warehouse's tables other than promotion (a repair, a test's given rows)."""
    views = marts()
    for table in materialized():
        conn.execute(table.delete())
        _fill(conn, table, views[table.name])
