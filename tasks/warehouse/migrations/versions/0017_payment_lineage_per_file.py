"""The payments' lineage per file, not per row: fct_payment_source holds each file a department-year's payments
came from (its number, path, content hash, payments, and the run that loaded them); a payment keeps its row in
the file and the file's number (source_file) instead of run_id, source_uri, source_sha256 and loaded_at.

Those four columns were 230 of each payment's 361 bytes as promotion COPYs them into PostgreSQL, and most of the
COPY's time (issue 27): psql's \\copy of a 5M-line city's 5.4M payments took 28.5 s with them and 12.1 s
without (no index either, same machine). A department-year's payments all come from one run (promotion replaces
them whole), so the run and the load time were the same on every row of it; the path and the hash, the same on
every row of a file.

Both engines, in one transaction: the files are grouped out of the payments (numbered per department-year in
the order of their paths), the payments are copied into a new table that names its file by number, and the old
table goes. The marts read the payments through views, which are made again after the migrations
(``ops_model`` forgets the marts' hash: tasks/warehouse/models.py). The model 0016 made of the payments' files,
``int_payment_sources``, is dropped: fct_payment_source replaces it.

Rewriting the ledger takes a while on a long history and holds the payments until it commits: upgrade outside the
nightly window (docs/warehouse.md). The downgrade puts the four columns back from fct_payment_source.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEX = "ix_fct_payment_department_year"  # PostgreSQL's (0016); DuckDB's payments hold no index (0010)
PAYMENT = ("department_code VARCHAR(64) NOT NULL, year INTEGER NOT NULL, voucher_no VARCHAR(64) NOT NULL, "
           "line_id VARCHAR(64) NOT NULL, pay_date DATE NOT NULL, payee VARCHAR(200) NOT NULL, "
           "economic_class VARCHAR(16) NOT NULL, amount_fen BIGINT NOT NULL")
PAID = "p.department_code, p.year, p.voucher_no, p.line_id, p.pay_date, p.payee, p.economic_class, p.amount_fen"
SOURCE = ("department_code VARCHAR(64) NOT NULL, year INTEGER NOT NULL, source_file INTEGER NOT NULL, "
          "source_uri VARCHAR(1024) NOT NULL, source_sha256 VARCHAR(64) NOT NULL, payments BIGINT NOT NULL, "
          "run_id VARCHAR(64) NOT NULL, loaded_at TIMESTAMP WITH TIME ZONE NOT NULL")
SOURCE_KEY = ", PRIMARY KEY (department_code, year, source_file)"  # PostgreSQL only: DuckDB's, as 0015's
SAME_FILE = ("f.department_code = p.department_code AND f.year = p.year AND f.source_uri = p.source_uri "
             "AND f.source_sha256 = p.source_sha256")


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _grants(table: str) -> list[tuple[str, str]]:
    """PostgreSQL: the privileges the owner of ``table`` granted on it, as (privilege, grantee) pairs."""
    rows = op.get_bind().execute(sa.text(
        "SELECT a.privilege_type, coalesce(quote_ident(r.rolname), 'PUBLIC') FROM pg_class c "
        "CROSS JOIN aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = to_regclass(:t) AND a.grantee <> c.relowner ORDER BY 2, 1"), {"t": table}).all()
    return [(str(p), str(g)) for p, g in rows]


def _replace_payments(columns: str, select: str) -> list[tuple[str, str]]:
    """fct_payment made again as ``columns`` from ``select`` (over the old table, as ``p``); the marts over it
    are made again after the migrations. PostgreSQL's views bind early: those over the payments go with the old
    table (CASCADE); DuckDB's bind late. On PostgreSQL the new table takes the old one's grants and comment
    (a reporting role keeps its SELECT); returns the grants."""
    grants, comment = [], None
    if _postgres():
        grants = _grants("fct_payment")
        comment = op.get_bind().execute(sa.text("SELECT obj_description(to_regclass('fct_payment'), 'pg_class')")
                                        ).scalar()
    op.execute(f"CREATE TABLE fct_payment_new ({columns})")
    op.execute(f"INSERT INTO fct_payment_new {select}")
    op.execute("DROP TABLE fct_payment" + (" CASCADE" if _postgres() else ""))
    op.execute("ALTER TABLE fct_payment_new RENAME TO fct_payment")
    if _postgres():
        op.execute(f"CREATE INDEX {INDEX} ON fct_payment (department_code, year)")
        for privilege, grantee in grants:
            op.execute(f"GRANT {privilege} ON fct_payment TO {grantee}")
        if comment is not None:  # as the driver takes it: a colon in the comment is not a parameter
            op.get_bind().exec_driver_sql("COMMENT ON TABLE fct_payment IS " + _quoted(str(comment)))
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")
    return grants


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(f"CREATE TABLE fct_payment_source ({SOURCE}{SOURCE_KEY if _postgres() else ''})")
    # numbered in the paths' byte order, as promotion numbers them in DuckDB (not in the database's collation)
    by_bytes = ' COLLATE "C"' if _postgres() else ""
    op.execute(
        "INSERT INTO fct_payment_source (department_code, year, source_file, source_uri, source_sha256, payments, "
        "run_id, loaded_at) SELECT department_code, year, CAST(row_number() OVER (PARTITION BY department_code, "
        f"year ORDER BY source_uri{by_bytes}, source_sha256) AS INTEGER), source_uri, source_sha256, COUNT(*), "
        "MIN(run_id), MIN(loaded_at) FROM fct_payment GROUP BY department_code, year, source_uri, source_sha256")
    grants = _replace_payments(f"{PAYMENT}, source_file INTEGER NOT NULL, source_row INTEGER",
                               f"SELECT {PAID}, f.source_file, p.source_row FROM fct_payment p "
                               f"JOIN fct_payment_source f ON {SAME_FILE}")
    for privilege, grantee in grants:  # who read the payments reads their lineage
        if privilege == "SELECT":
            op.execute(f"GRANT SELECT ON fct_payment_source TO {grantee}")
    op.execute("DROP TABLE IF EXISTS int_payment_sources")


def downgrade() -> None:
    _replace_payments(f"{PAYMENT}, run_id VARCHAR(64) NOT NULL, source_uri VARCHAR(1024) NOT NULL, "
                      "source_sha256 VARCHAR(64) NOT NULL, source_row INTEGER, "
                      "loaded_at TIMESTAMP WITH TIME ZONE NOT NULL",
                      f"SELECT {PAID}, f.run_id, f.source_uri, f.source_sha256, p.source_row, f.loaded_at "
                      "FROM fct_payment p JOIN fct_payment_source f ON f.department_code = p.department_code "
                      "AND f.year = p.year AND f.source_file = p.source_file")
    op.execute("DROP TABLE fct_payment_source")
