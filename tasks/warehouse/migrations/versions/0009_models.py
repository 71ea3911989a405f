"""The warehouse's views are made from the model graph's SQL (tasks/sql/marts.sql) by
tasks/warehouse/models.py after the migrations, and made again when that SQL changes; ``ops_model`` keeps the
hash of the text they were made from. The views of 0002 and 0005 go.

Revision ID: 0009
Revises: 0008
"""
import importlib

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS mart_department_year")
    op.execute("DROP VIEW IF EXISTS mart_line_execution")
    op.create_table(
        "ops_model",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ops_model")
    op.execute("DROP VIEW IF EXISTS mart_department_year")
    op.execute("DROP VIEW IF EXISTS mart_line_execution")
    op.execute("DROP VIEW IF EXISTS int_line_ledger")
    previous = importlib.import_module("tasks.warehouse.migrations.versions.0005_performance")
    op.execute(previous.LINE_EXECUTION)
    op.execute(importlib.import_module("tasks.warehouse.migrations.versions.0002_marts").DEPARTMENT_YEAR)
