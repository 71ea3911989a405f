"""Reviewers' decisions on rendered reports: approved or returned, by whom, when, on which content hash; and the
data-quality notes a report was rendered with, so that approving it draws the same text.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mart_score", sa.Column("quality_notes", sa.Text, nullable=True))
    op.create_table(
        "ops_review",
        sa.Column("department_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("report_sha256", sa.String(64), primary_key=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ops_review")
    op.drop_column("mart_score", "quality_notes")
