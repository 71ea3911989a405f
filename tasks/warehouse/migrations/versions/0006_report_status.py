"""What a published report's department had still to submit: a 草稿 names it, a final report has none.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mart_score", sa.Column("missing", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("mart_score", "missing")
