"""On PostgreSQL, the payment ledger is found by department-year through a BRIN index instead of a B-tree.

What reads the ledger selects a department-year (the monitoring's 支付进度 through int_line_ledger_by_day, the
provenance, promotion's DELETE), and promotion writes a department-year's payments together, one department after
another: each department-year's rows lie in a run of pages, which a BRIN index (each range of pages' least and
greatest department_code and year) finds as a B-tree does. A B-tree index takes an entry per payment, kept in order
as the COPY goes: 0016's was about a third of a 5M-line city's COPY into the payments (issue 27: 5M payments
COPYed in 7.8 s with it, 5.2 s with this one, 4.2 s with none; a department-year's payments then read in 26 ms and
25 ms). A BRIN index summarizes a range of pages only when asked: promotion asks for the ranges it filled before it
commits (:func:`tasks.warehouse.dialect.summarize_new_ranges`); until then, a read scans them whole.

DuckDB's payments hold no index (0010): nothing changes there.

Revision ID: 0018
Revises: 0017
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BTREE = "ix_fct_payment_department_year"  # 0016's
BRIN = "brin_fct_payment_department_year"


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    if _postgres():
        op.execute(f"DROP INDEX IF EXISTS {BTREE}")
        op.execute(f"CREATE INDEX {BRIN} ON fct_payment USING brin (department_code, year)")


def downgrade() -> None:
    if _postgres():
        op.execute(f"DROP INDEX IF EXISTS {BRIN}")
        op.execute(f"CREATE INDEX {BTREE} ON fct_payment (department_code, year)")
