"""On PostgreSQL, the payment ledger keeps its key as NOT NULL columns without a PRIMARY KEY index, and is found
by an index on (department_code, year), as DuckDB's has been since 0010.

The key (department_code, year, voucher_no) is unique by construction: the gate refuses a department-year whose
支付凭证号 repeats (FIN-004) over the very rows promotion writes, and promotion replaces a department-year's rows
as a whole. The unique index only checked it again, and maintaining it was about a fifth of the COPY's time
(issue 27): a 5M-line city's 5.4M payments took 48.3 s to COPY in the flow with it and 37.5 s with this index
instead (one run each, same machine); the flow's promotion in bench_city, 56.9 s and 46.9 s. What reads the
ledger selects a department-year (the renders' 支付进度, provenance and the monitoring, promotion's DELETE): the
new index serves each as the key's first two columns did.

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ix_fct_payment_department_year"


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    if _postgres():
        op.execute("ALTER TABLE fct_payment DROP CONSTRAINT IF EXISTS fct_payment_pkey")
        op.create_index(INDEX, "fct_payment", ["department_code", "year"])


def downgrade() -> None:
    if _postgres():
        op.drop_index(INDEX, table_name="fct_payment")
        op.create_primary_key("fct_payment_pkey", "fct_payment", ["department_code", "year", "voucher_no"])
