"""The model graph's marts may be tables: int_line_ledger, each budget line's ledger sum, is one.

The marts themselves are made by tasks/warehouse/models.py after the migrations (from tasks/sql/marts.sql);
this revision only marks the change of kind, so that going back is possible. Upgrade: the marts are made
again (ops_model forgets their hash). Downgrade: every mart is dropped, as a table or as a view, the last
made first, and ops_model forgets them, so that an earlier release's code, which drops them as views,
makes them again as views.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The marts as this revision knows them, the last made first.
MARTS = ("mart_department_year", "mart_line_execution", "int_line_ledger", "int_line_ledger_by_day")


def upgrade() -> None:
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")


def downgrade() -> None:
    bind = op.get_bind()
    tables = {str(r[0]) for r in bind.execute(sa.text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"))}
    for name in MARTS:
        op.execute(f'DROP {"TABLE" if name in tables else "VIEW"} IF EXISTS "{name}"')
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")
