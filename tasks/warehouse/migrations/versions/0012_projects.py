"""项目支出绩效自评: each project's 绩效目标, 绩效自评 and 概况 as facts (fct_project_target, fct_project_actual,
fct_project_summary). The marts (mart_project_funds among them) are made by tasks/warehouse/models.py.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _lineage() -> list[sa.Column]:
    return [
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _key() -> list[sa.Column]:
    return [sa.Column("department_code", sa.String(64), primary_key=True),
            sa.Column("year", sa.Integer, primary_key=True),
            sa.Column("project_code", sa.String(64), primary_key=True)]


def upgrade() -> None:
    op.create_table(
        "fct_project_target", *_key(),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("level1", sa.String(100), nullable=False),
        sa.Column("level2", sa.String(100), nullable=False),
        sa.Column("nature", sa.String(8), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("weight", sa.Numeric(6, 2), nullable=False),
        *_lineage(),
    )
    op.create_table(
        "fct_project_actual", *_key(),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("actual", sa.String(200), nullable=True),
        sa.Column("score", sa.Numeric(6, 2), nullable=True),
        sa.Column("deviation", sa.Text, nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        *_lineage(),
    )
    op.create_table(
        "fct_project_summary", *_key(),
        sa.Column("implementer", sa.String(200), nullable=True),
        sa.Column("manager", sa.String(100), nullable=True),
        sa.Column("goal", sa.Text, nullable=True),
        sa.Column("achieved", sa.Text, nullable=True),
        sa.Column("execution_reason", sa.Text, nullable=True),
        sa.Column("conclusion", sa.Text, nullable=True),
        sa.Column("problems", sa.Text, nullable=True),
        sa.Column("measures", sa.Text, nullable=True),
        *_lineage(),
    )
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")


def downgrade() -> None:
    # the mart this revision's code added reads mart_line_execution, which 0011's downgrade drops
    op.execute("DROP VIEW IF EXISTS mart_project_funds")
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")
    op.drop_table("fct_project_summary")
    op.drop_table("fct_project_actual")
    op.drop_table("fct_project_target")
