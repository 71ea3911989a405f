"""Bring a warehouse to the current schema with Alembic, on any supported engine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tasks.warehouse import models

MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL: two processes that open the same warehouse at once upgrade it in turn (any constant will do, as long
# as it is every selfeval process's and not the load lock's)
MIGRATE_LOCK_KEY = 0x5E1FE7A2


class DuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB dialect of its own; DuckDB takes PostgreSQL-style DDL."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def selfeval_revision(conn: sa.Connection) -> tuple[bool, str | None]:
    """Whether the database holds a selfeval warehouse, as its ``alembic_version`` says: ``(True, None)`` when it
    names one of selfeval's migrations; ``(False, None)`` when there is no ``alembic_version`` or it is empty (a
    run would make selfeval's tables there); ``(False, revision)`` when it names something :func:`upgrade` cannot
    start from (another application's migrations, several heads, a newer selfeval's revision: ``revision`` says
    which, or what could not be read)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return False, None
    try:
        heads = MigrationContext.configure(conn).get_current_heads()
    except Exception as exc:  # a table of that name with other columns, or several rows alembic refuses
        return False, f"{type(exc).__name__}"
    if not heads:
        return False, None
    script = ScriptDirectory.from_config(alembic_config())
    for head in heads:
        try:
            script.get_revision(head)
        except Exception:  # alembic's CommandError or ResolutionError: not one of this selfeval's
            return False, "、".join(heads)
    if len(heads) > 1:
        return False, "、".join(heads)
    return True, None


def _at_head(conn: sa.Connection, revision: str) -> bool:
    """Whether ``revision`` is the head and the warehouse on ``conn`` is at it."""
    return revision == "head" and MigrationContext.configure(conn).get_current_revision() == head_revision()


@contextlib.contextmanager
def _migrating(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction to migrate in: on PostgreSQL it holds the advisory lock ``MIGRATE_LOCK_KEY`` until it ends, so
    that processes migrating the same warehouse take turns."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK_KEY})
        yield conn


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``, then (at head) make the views of the model graph again when
    their SQL changed (:mod:`tasks.warehouse.models`); a no-op on an up-to-date warehouse. On PostgreSQL under an
    advisory lock (``MIGRATE_LOCK_KEY``): a second process opening the warehouse meanwhile waits, then finds it
    upgraded, instead of failing on a table or an index the first one made."""
    with engine.connect() as conn:
        if _at_head(conn, revision) and models.current(conn):
            return
    with _migrating(engine) as conn:
        at_head = _at_head(conn, revision)  # again: another process may have upgraded it meanwhile
        if at_head and models.current(conn):
            return
        if not at_head:
            command.upgrade(alembic_config(conn), revision)
        if revision == "head":
            models.build(conn)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Undo the migrations after ``revision`` (e.g. ``"0016"``), in one transaction (on PostgreSQL under the same
    advisory lock as :func:`upgrade`), to go back to the release that ``revision`` was the head of. That release
    makes its own views again when it opens the warehouse (the migrations that change what the views read forget
    their hash). Raises what Alembic raises for an unknown revision. Do not open the warehouse with this release
    afterwards: it upgrades it again."""
    with _migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)
