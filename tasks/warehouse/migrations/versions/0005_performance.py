"""绩效目标 and 绩效自评 as facts; a budget line's 年初预算数 and 资金性质; the line mart shows both.

Revision ID: 0005
Revises: 0004
"""
import importlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LINE_EXECUTION = """
CREATE VIEW mart_line_execution AS
SELECT l.department_code, l.year, l.line_id, l.project_code, l.fund_source_code, l.expense_type_code,
       l.budget_fen, l.reported_executed_fen, l.carryover_fen, l.initial_budget_fen, l.fund_nature,
       COALESCE(p.executed_fen, 0) AS executed_fen, COALESCE(p.payments, 0) AS payments
FROM fct_budget_line l
LEFT JOIN (
    SELECT department_code, year, line_id, SUM(amount_fen) AS executed_fen, COUNT(*) AS payments
    FROM fct_payment GROUP BY department_code, year, line_id
) p ON p.department_code = l.department_code AND p.year = l.year AND p.line_id = l.line_id
"""


def _lineage() -> list[sa.Column]:
    return [
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _marts() -> object:
    return importlib.import_module("tasks.warehouse.migrations.versions.0002_marts")


def upgrade() -> None:
    op.execute("DROP VIEW mart_department_year")
    op.execute("DROP VIEW mart_line_execution")
    op.add_column("fct_budget_line", sa.Column("initial_budget_fen", sa.BigInteger, nullable=True))
    op.add_column("fct_budget_line", sa.Column("fund_nature", sa.String(20), nullable=True))
    op.execute(LINE_EXECUTION)
    op.execute(_marts().DEPARTMENT_YEAR)  # type: ignore[attr-defined]
    op.create_table(
        "fct_performance_target",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("level1", sa.String(100), nullable=False),
        sa.Column("level2", sa.String(100), nullable=False),
        sa.Column("nature", sa.String(8), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("weight", sa.Numeric(6, 2), nullable=False),
        sa.Column("actual_source", sa.String(64), nullable=False),
        *_lineage(),
    )
    op.create_table(
        "fct_performance_actual",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("actual", sa.String(200), nullable=True),
        sa.Column("deviation", sa.Text, nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        *_lineage(),
    )


def downgrade() -> None:
    op.drop_table("fct_performance_actual")
    op.drop_table("fct_performance_target")
    op.execute("DROP VIEW mart_department_year")
    op.execute("DROP VIEW mart_line_execution")
    op.drop_column("fct_budget_line", "fund_nature")
    op.drop_column("fct_budget_line", "initial_budget_fen")
    marts = _marts()
    op.execute(marts.LINE_EXECUTION)  # type: ignore[attr-defined]
    op.execute(marts.DEPARTMENT_YEAR)  # type: ignore[attr-defined]
