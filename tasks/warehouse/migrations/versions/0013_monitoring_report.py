"""绩效运行监控 (双监控): the departments' mid-year submissions as facts (fct_monitoring_report).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fct_monitoring_report",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("project_code", sa.String(64), primary_key=True),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("to_date", sa.String(200), nullable=True),
        sa.Column("forecast", sa.String(200), nullable=True),
        sa.Column("likelihood", sa.String(8), nullable=False),
        sa.Column("reason_category", sa.String(8), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("measures", sa.Text, nullable=True),
        sa.Column("forecast_spend_fen", sa.BigInteger, nullable=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fct_monitoring_report")
