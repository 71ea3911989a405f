"""On DuckDB, the payment ledger keeps its key as NOT NULL columns without a PRIMARY KEY index.

DuckDB holds a table's ART index in memory and cannot spill it: promoting a 5M-line ledger in one
transaction (issue 27) needed more than the run database's memory limit at its commit, and the run failed
with "could not allocate block". The key (department_code, year, voucher_no) is unique by construction: the
gate refuses a department-year with a duplicate 支付凭证号 (FIN-004), and promotion replaces a
department-year's rows as a whole. PostgreSQL keeps its primary key (its indexes spill to disk).

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ("department_code VARCHAR(64) NOT NULL, year INTEGER NOT NULL, voucher_no VARCHAR(64) NOT NULL, "
           "line_id VARCHAR(64) NOT NULL, pay_date DATE NOT NULL, payee VARCHAR(200) NOT NULL, "
           "economic_class VARCHAR(16) NOT NULL, amount_fen BIGINT NOT NULL, run_id VARCHAR(64) NOT NULL, "
           "source_uri VARCHAR(1024) NOT NULL, source_sha256 VARCHAR(64) NOT NULL, source_row INTEGER, "
           "loaded_at TIMESTAMP WITH TIME ZONE NOT NULL")
KEY = ", PRIMARY KEY (department_code, year, voucher_no)"


def _rebuild(key: str) -> None:
    """fct_payment made again with ``key`` (or none), its rows kept. DuckDB's views bind late, so the models
    over it read the new table."""
    op.execute(f"CREATE TABLE fct_payment_new ({COLUMNS}{key})")
    op.execute("INSERT INTO fct_payment_new SELECT department_code, year, voucher_no, line_id, pay_date, payee, "
               "economic_class, amount_fen, run_id, source_uri, source_sha256, source_row, loaded_at "
               "FROM fct_payment")
    op.execute("DROP TABLE fct_payment")
    op.execute("ALTER TABLE fct_payment_new RENAME TO fct_payment")


def _duckdb() -> bool:
    return bool(op.get_bind().dialect.name == "duckdb")


def upgrade() -> None:
    if _duckdb():
        _rebuild("")


def downgrade() -> None:
    if _duckdb():
        _rebuild(KEY)

