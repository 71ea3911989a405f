"""On DuckDB, every table promotion writes keeps its key as NOT NULL columns without a PRIMARY KEY index, as
fct_payment has since 0010.

DuckDB holds a table's ART index in memory and cannot spill it, and while the warehouse is attached to the run
database for promotion its indexes are held in the run database's memory (issue 27). An index grows with what the
warehouse holds, not with the run: replacing a registry of 1M enterprises failed under 128MB and 2M under 256MB,
and the 绩效目标 of every project of every year grow the same way. Without the indexes, 2M enterprises are
replaced under 64MB. Promotion checks the keys of the rows it writes instead
(:func:`tasks.warehouse.promote.repeated_keys`), and the gate refuses repeated keys before that (FIN-003,
FIN-004, FIN-008, PRF-001, PRF-006, PRJ-001, PRJ-003, REG-002, REG-004, REG-005, STA-001). PostgreSQL keeps its
primary keys (its indexes spill to disk).

The materialized ledger (int_line_ledger) is made by tasks/warehouse/models.py without its index on DuckDB; a
warehouse that holds it already has it rebuilt here. The rebuilt tables hold no other index either: the two on
department_code that 0001 gave the registry's applications and investment projects (INDEXES) go on DuckDB for the
same reason (they grow with the registry), and come back with a downgrade.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KEYS = {
    "dim_project": ("department_code", "year", "project_code"),
    "fct_budget_line": ("department_code", "year", "line_id"),
    "fct_reported_total": ("department_code", "year", "item"),
    "fct_performance_target": ("department_code", "year", "indicator"),
    "fct_performance_actual": ("department_code", "year", "indicator"),
    "fct_project_target": ("department_code", "year", "project_code", "indicator"),
    "fct_project_actual": ("department_code", "year", "project_code", "indicator"),
    "fct_project_summary": ("department_code", "year", "project_code"),
    "fct_monitoring_report": ("department_code", "year", "project_code", "indicator"),
    "fct_rectification": ("department_code", "year", "project_code", "indicator", "requested_on"),
    "fct_application": ("application_id",),
    "fct_investment_project": ("project_id",),
    "dim_enterprise": ("uscc",),
    "fct_indicator_value": ("region_code", "year", "indicator_code", "industry"),
    "dim_indicator": ("indicator_code",),
    "int_line_ledger": ("department_code", "year", "line_id"),
}
# The other indexes of these tables (0001's), which the rebuild leaves out: name → (table, column).
INDEXES = {
    "ix_fct_application_department_code": ("fct_application", "department_code"),
    "ix_fct_investment_project_department_code": ("fct_investment_project", "department_code"),
}


def _rebuild(table: str, key: tuple[str, ...]) -> None:
    """``table`` made again with ``key`` as its PRIMARY KEY, or with none (its key columns stay NOT NULL), its
    columns, defaults and rows kept, and no other index (``INDEXES``). A table the warehouse does not hold (a
    ledger not yet made, or a view of an earlier release) is left alone. DuckDB's views bind late: the marts over
    it read the new table."""
    bind = op.get_bind()
    kind = bind.execute(sa.text("SELECT table_type FROM information_schema.tables WHERE table_name = :t "
                                "AND table_schema = current_schema()"), {"t": table}).scalar()
    if kind != "BASE TABLE":
        return
    columns = bind.execute(sa.text(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = current_schema() ORDER BY ordinal_position"), {"t": table}).all()
    ddl = ", ".join(f'"{name}" {type_}' + (" NOT NULL" if nullable == "NO" or name in key else "")
                    + (f" DEFAULT {default}" if default is not None else "")
                    for name, type_, nullable, default in columns)
    if key:
        ddl += ", PRIMARY KEY (" + ", ".join(f'"{k}"' for k in key) + ")"
    names = ", ".join(f'"{c[0]}"' for c in columns)
    op.execute(f'CREATE TABLE "{table}_rebuilt" ({ddl})')
    op.execute(f'INSERT INTO "{table}_rebuilt" ({names}) SELECT {names} FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "{table}_rebuilt" RENAME TO "{table}"')


def _duckdb() -> bool:
    return bool(op.get_bind().dialect.name == "duckdb")


def upgrade() -> None:
    if _duckdb():
        for table in KEYS:
            _rebuild(table, ())


def downgrade() -> None:
    if _duckdb():
        for table, key in KEYS.items():
            _rebuild(table, key)
        for name, (table, column) in INDEXES.items():
            op.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
