"""Keep the whole quarantined record, as JSON, next to the rule and reason.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ops_quarantine", sa.Column("record", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("ops_quarantine", "record")
