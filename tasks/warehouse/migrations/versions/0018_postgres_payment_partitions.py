"""On PostgreSQL, the payment ledger is partitioned by its department-year: LIST (year), a partition per year from
2018 to 2032 (any other year in a DEFAULT one), each in 8 HASH (department_code) partitions, all made here, with no
index. DuckDB's is unchanged (one table, no index: 0010).

What selects the payments of some department-years of a year reads only their partitions (partition pruning):
promotion's DELETE of the keys it replaces (``year = N AND department_code IN (…)``: the year's partition, then
the hash partitions of the departments named; PostgreSQL prunes an IN list on a one-column hash key, not on a
two-column one), a reader of one department-year. 0016's B-tree on (department_code, year) found them before, and
maintaining it was about 40 % of the COPY's time (issue 27): a 5M-line city's 5.4M payments COPYed in binary took
9.6-9.9 s into the table with the index and 5.6-5.8 s into hash partitions (5.2 s into one table with no index;
same machine, two runs each). Without an index, a key's DELETE scans its partition: an eighth of its year's
payments, whatever the years held. What reads the payments by key is little since the ledger by day is
materialized (the reports and the monitoring read ``int_line_ledger_by_day``).

The partitions are made once, here, whatever the departments: promotion makes no table, and a key's rows never
wait for DDL. A year before 2018 or after 2032 goes to the DEFAULT partition (correct, not pruned by department). A
later revision that adds years must detach the DEFAULT partition, make the year's partitions, move that year's rows
into them and attach it again (PostgreSQL refuses a year's partition while the DEFAULT one holds rows of it). The
new tables take the old one's owner, grants (with their grant option) and comment; a query through the parent reads
its partitions with the parent's grants. The marts over the payments are made
again after the migrations (``ops_model`` forgets their hash).

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

YEARS = range(2018, 2033)  # a partition each; any other year: the DEFAULT partition
DEPARTMENT_PARTITIONS = 8  # HASH (department_code) within a year
INDEX = "ix_fct_payment_department_year"  # 0016's, on the unpartitioned table
PAYMENT = ("department_code VARCHAR(64) NOT NULL, year INTEGER NOT NULL, voucher_no VARCHAR(64) NOT NULL, "
           "line_id VARCHAR(64) NOT NULL, pay_date DATE NOT NULL, payee VARCHAR(200) NOT NULL, "
           "economic_class VARCHAR(16) NOT NULL, amount_fen BIGINT NOT NULL, source_file INTEGER NOT NULL, "
           "source_row INTEGER")
COLUMNS = ("department_code, year, voucher_no, line_id, pay_date, payee, economic_class, amount_fen, source_file, "
           "source_row")


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _grants(table: str) -> list[tuple[str, str, bool]]:
    """The privileges the owner of ``table`` granted on it, as (privilege, grantee, grantable)."""
    rows = op.get_bind().execute(sa.text(
        "SELECT a.privilege_type, coalesce(quote_ident(r.rolname), 'PUBLIC'), a.is_grantable FROM pg_class c "
        "CROSS JOIN aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = to_regclass(:t) AND a.grantee <> c.relowner ORDER BY 2, 1"), {"t": table}).all()
    return [(str(p), str(g), bool(w)) for p, g, w in rows]


def _partitions() -> list[tuple[str, str]]:
    """The payments' partitions, each its name and what it is a partition of, parents before their own."""
    out = [("fct_payment_other", "fct_payment DEFAULT")]
    for year in YEARS:
        out.append((f"fct_payment_y{year}", f"fct_payment FOR VALUES IN ({year}) PARTITION BY HASH (department_code)"))
        out += [(f"fct_payment_y{year}_h{i}", f"fct_payment_y{year} FOR VALUES WITH (MODULUS {DEPARTMENT_PARTITIONS}, "
                 f"REMAINDER {i})") for i in range(DEPARTMENT_PARTITIONS)]
    return out


def _may_own(owner: str) -> bool:
    """Whether the role ``owner`` (its name, unquoted) may be given the new tables: it may create in the schema
    (PostgreSQL refuses the change otherwise)."""
    return bool(op.get_bind().execute(sa.text("SELECT has_schema_privilege(:o, current_schema(), 'CREATE')"),
                                      {"o": owner}).scalar())


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replace_payments(partitioned: bool) -> None:
    """fct_payment made again, partitioned or not, with every row and the old table's owner, grants and comment;
    views over the old table go with it (PostgreSQL's bind early) and the marts are made again after the
    migrations."""
    bind = op.get_bind()
    grants = _grants("fct_payment")
    owner_name, owner, upgrading, comment = bind.execute(sa.text(
        "SELECT pg_get_userbyid(relowner), quote_ident(pg_get_userbyid(relowner)), current_user, "
        "obj_description(oid, 'pg_class') FROM pg_class WHERE oid = to_regclass('fct_payment')")).one()
    op.execute("ALTER TABLE fct_payment RENAME TO fct_payment_old")  # its index, if any, goes with it below
    partitions = _partitions() if partitioned else []
    op.execute(f"CREATE TABLE fct_payment ({PAYMENT})" + (" PARTITION BY LIST (year)" if partitioned else ""))
    for name, of in partitions:
        op.execute(f"CREATE TABLE {name} PARTITION OF {of}")
    op.execute(f"INSERT INTO fct_payment ({COLUMNS}) SELECT {COLUMNS} FROM fct_payment_old")
    op.execute("DROP TABLE fct_payment_old CASCADE")  # its partitions with it
    if not partitioned:
        op.execute(f"CREATE INDEX {INDEX} ON fct_payment (department_code, year)")
    if owner_name != upgrading:  # the tables were made by the role running the upgrade: the old owner's again
        if _may_own(owner_name):
            for table in ["fct_payment", *(name for name, _ in partitions)]:
                op.execute(f"ALTER TABLE {table} OWNER TO {owner}")
        else:  # it may not own them here: every privilege on the payments instead
            op.execute(f"GRANT ALL ON fct_payment TO {owner}")
    for privilege, grantee, grantable in grants:
        op.execute(f"GRANT {privilege} ON fct_payment TO {grantee}{' WITH GRANT OPTION' if grantable else ''}")
    if comment is not None:  # as the driver takes it: a colon in the comment is not a parameter
        bind.exec_driver_sql("COMMENT ON TABLE fct_payment IS " + _quoted(str(comment)))
    op.execute("DELETE FROM ops_model WHERE name = 'marts'")


def upgrade() -> None:
    if _postgres():
        _replace_payments(partitioned=True)


def downgrade() -> None:
    if _postgres():
        _replace_payments(partitioned=False)
