"""Scores and grades as published: written when a report is rendered, read by the roll-up.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mart_score",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("total", sa.Numeric(6, 2), nullable=False),
        sa.Column("grade", sa.String(20), nullable=False),
        sa.Column("computed_grade", sa.String(20), nullable=False),
        sa.Column("overridden", sa.Boolean, nullable=False),
        sa.Column("report_sha256", sa.String(64), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mart_score")
