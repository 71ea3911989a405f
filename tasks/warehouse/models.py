"""The warehouse's views, built from the model graph's SQL (``tasks/sql/marts.sql``): views are code, not
schema. After the migrations, each view is dropped and made again whenever the SQL changed since it was made
(``ops_model`` keeps the hash of the text it was made from), so that the warehouse always reads the measures
the gate checked, defined once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from tasks.sqlfile import named_blocks

SQL = Path(__file__).resolve().parents[1] / "sql"
MARTS = SQL / "marts.sql"
ops_model = sa.table("ops_model", sa.column("name"), sa.column("sha256"))


def marts() -> dict[str, str]:
    """Each view of the marts → its SELECT, in the order they are made (a view reads those above it)."""
    return named_blocks(MARTS)


def digest() -> str:
    return hashlib.sha256(MARTS.read_bytes()).hexdigest()


def current(conn: sa.Connection) -> bool:
    """Whether the warehouse's views were made from the SQL as it is now."""
    made = conn.execute(sa.select(ops_model.c.sha256).where(ops_model.c.name == "marts")).scalar()
    return made == digest()


def build(conn: sa.Connection) -> None:
    """Drop the marts' views (the last made first) and make them again from ``tasks/sql/marts.sql``, in the
    caller's transaction; record the SQL's hash."""
    views = marts()
    for name in reversed(list(views)):
        conn.execute(sa.text(f'DROP VIEW IF EXISTS "{name}"'))
    for name, select in views.items():
        conn.execute(sa.text(f'CREATE VIEW "{name}" AS {select}'))
    conn.execute(ops_model.delete().where(ops_model.c.name == "marts"))
    conn.execute(ops_model.insert().values(name="marts", sha256=digest()))
