"""Marts for cross-department reading.

``mart_department_year`` is what a district looks at across departments and years (the roll-up);
``mart_line_execution`` puts each budget line next to its ledger sum. Both are plain SQL views that
DuckDB and PostgreSQL read alike.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LINE_EXECUTION = """
CREATE VIEW mart_line_execution AS
SELECT l.department_code, l.year, l.line_id, l.project_code, l.fund_source_code, l.expense_type_code,
       l.budget_fen, l.reported_executed_fen, l.carryover_fen,
       COALESCE(p.executed_fen, 0) AS executed_fen, COALESCE(p.payments, 0) AS payments
FROM fct_budget_line l
LEFT JOIN (
    SELECT department_code, year, line_id, SUM(amount_fen) AS executed_fen, COUNT(*) AS payments
    FROM fct_payment GROUP BY department_code, year, line_id
) p ON p.department_code = l.department_code AND p.year = l.year AND p.line_id = l.line_id
"""

DEPARTMENT_YEAR = """
CREATE VIEW mart_department_year AS
SELECT e.department_code, d.department_name, d.region_code, d.synthetic, e.year,
       SUM(e.budget_fen) AS budget_fen, SUM(e.executed_fen) AS executed_fen,
       SUM(e.carryover_fen) AS carryover_fen, COUNT(*) AS lines, SUM(e.payments) AS payments
FROM mart_line_execution e
JOIN dim_department d ON d.department_code = e.department_code
GROUP BY e.department_code, d.department_name, d.region_code, d.synthetic, e.year
"""


def upgrade() -> None:
    op.execute(LINE_EXECUTION)
    op.execute(DEPARTMENT_YEAR)


def downgrade() -> None:
    op.execute("DROP VIEW mart_department_year")
    op.execute("DROP VIEW mart_line_execution")
