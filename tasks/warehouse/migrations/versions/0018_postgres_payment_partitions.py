"""On PostgreSQL, the payment ledger is partitioned by its department-year: HASH (department_code, year) into 32
partitions made here, with no index. DuckDB's is unchanged (one table, no index: 0010).

A department-year's payments lie in one partition, so what selects them reads that partition alone (partition
pruning): promotion's DELETE of the keys it replaces, a reader of one department-year. 0016's B-tree on
(department_code, year) found them before, and maintaining it was about 40 % of the COPY's time (issue 27): a
5M-line city's 5.4M payments COPYed in binary took 9.6-9.9 s into the table with the index and 5.6-5.8 s into
32 or 64 hash partitions (5.2 s into one table with no index; same machine, two runs each). What reads the
payments by department-year is little since the ledger by day is materialized (the reports and the monitoring
read ``int_line_ledger_by_day``): promotion's DELETE scans a partition (1/32 of the ledger: a sequential scan of
~2 departments' rows of each year held), not the whole table.

The partitions are made once, here, whatever the departments: promotion makes no table, so a loader role that
holds grants on the payments (not their ownership) still promotes, and a key's rows never wait for DDL. The new
table takes the old one's grants and comment (a query through the parent reads its partitions with the parent's
grants). The marts over the payments are made again after the migrations (``ops_model`` forgets their hash).

Rewriting the ledger takes a while on a long history and holds the payments until it commits: upgrade outside
the nightly window (docs/warehouse.md). The downgrade makes one table with 0016's index again, rows kept.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PARTITIONS = 32
INDEX = "ix_fct_payment_department_year"  # 0016's, on the unpartitioned table
PAYMENT = ("department_code VARCHAR(64) NOT NULL, year INTEGER NOT NULL, voucher_no VARCHAR(64) NOT NULL, "
           "line_id VARCHAR(64) NOT NULL, pay_date DATE NOT NULL, payee VARCHAR(200) NOT NULL, "
           "economic_class VARCHAR(16) NOT NULL, amount_fen BIGINT NOT NULL, source_file INTEGER NOT NULL, "
           "source_row INTEGER")
COLUMNS = ("department_code, year, voucher_no, line_id, pay_date, payee, economic_class, amount_fen, source_file, "
           "source_row")


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _grants(table: str) -> list[tuple[str, str]]:
    """The privileges the owner of ``table`` granted on it, as (privilege, grantee) pairs."""
    rows = op.get_bind().execute(sa.text(
        "SELECT a.privilege_type, coalesce(quote_ident(r.rolname), 'PUBLIC') FROM pg_class c "
        "CROSS JOIN aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = to_regclass(:t) AND a.grantee <> c.relowner ORDER BY 2, 1"), {"t": table}).all()
    return [(str(p), str(g)) for p, g in rows]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replace_payments(partitioned: bool) -> None:
    """fct_payment made again, partitioned or not, with every row, the old table's grants and comment; views
    over the old table go with it (PostgreSQL's bind early) and the marts are made again after the migrations."""
    grants = _grants("fct_payment")
    comment = op.get_bind().execute(sa.text("SELECT obj_description(to_regclass('fct_payment'), 'pg_class')")
                                    ).scalar()
    op.execute("ALTER TABLE fct_payment RENAME TO fct_payment_old")
    if partitioned:
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
        op.execute(f"CREATE TABLE fct_payment ({PAYMENT}) PARTITION BY HASH (department_code, year)")
        for i in range(PARTITIONS):
            op.execute(f"CREATE TABLE fct_payment_h{i:02d} PARTITION OF fct_payment "
                       f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {i})")
    else:
        op.execute(f"CREATE TABLE fct_payment ({PAYMENT})")
    op.execute(f"INSERT INTO fct_payment ({COLUMNS}) SELECT {COLUMNS} FROM fct_payment_old")
    op.execute("DROP TABLE fct_payment_old CASCADE")  # its partitions with it
    if not partitioned:
        op.execute(f"CREATE INDEX {INDEX} ON fct_payment (department_code, year)")
    for privilege, grantee in grants:
        op.execute(f"GRANT {privilege} ON fct_payment TO {grantee}")
    if comment is not None:  # as the driver takes it: a colon in the comment is not a parameter
        op.get_bind().exec_driver_sql("COMMENT ON TABLE fct_payment IS " + _quoted(str(comment)))
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")


def upgrade() -> None:
    if _postgres():
        _replace_payments(partitioned=True)


def downgrade() -> None:
    if _postgres():
        _replace_payments(partitioned=False)
