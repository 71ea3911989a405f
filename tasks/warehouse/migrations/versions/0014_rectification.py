"""双监控 follow-up: the submission's 截至日期 (fct_monitoring_report.period_end), and the bureau's 整改要求 with the
departments' 整改结果 (fct_rectification).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fct_monitoring_report", sa.Column("period_end", sa.Date, nullable=True))
    op.create_table(
        "fct_rectification",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("project_code", sa.String(64), primary_key=True),
        sa.Column("indicator", sa.String(200), primary_key=True),
        sa.Column("requested_on", sa.Date, primary_key=True),
        sa.Column("requirement", sa.Text, nullable=False),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("done_on", sa.Date, nullable=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fct_rectification")
    op.drop_column("fct_monitoring_report", "period_end")
