"""The shared inputs (the enterprise registry, the statistics) as snapshots: which content the warehouse holds,
so that a run loads them once per content, not once per department.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_snapshot",
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_counts", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ops_snapshot")
