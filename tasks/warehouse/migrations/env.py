"""Alembic environment: migrations run on the connection handed over by :func:`upgrade`."""

from __future__ import annotations

from alembic import context

import tasks.warehouse.migrate  # noqa: F401  (registers Alembic's DuckDB implementation)
from tasks.warehouse.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
